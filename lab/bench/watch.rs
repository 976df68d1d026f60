//! Watches a daemon's log as it grows and stamps each new line with the
//! moment the bench saw it: the original logs whole seconds only, so arrival
//! time (polled every 2 ms) is the common clock for every flavor.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct LogWatch {
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LogWatch {
    /// Starts at the file's current end: only lines written from now count.
    pub fn start(path: PathBuf) -> LogWatch {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l2, s2) = (lines.clone(), stop.clone());
        let mut pos = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let thread = std::thread::spawn(move || {
            let mut partial = String::new();
            while !s2.load(Ordering::Relaxed) {
                if let Ok(mut f) = std::fs::File::open(&path) {
                    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                    if len > pos && f.seek(SeekFrom::Start(pos)).is_ok() {
                        let mut buf = Vec::new();
                        if f.read_to_end(&mut buf).is_ok() {
                            pos += buf.len() as u64;
                            let now = Instant::now();
                            partial.push_str(&String::from_utf8_lossy(&buf));
                            let mut got = l2.lock().expect("watch lock");
                            while let Some(n) = partial.find('\n') {
                                let line: String = partial.drain(..=n).collect();
                                got.push((now, line.trim_end().to_string()));
                            }
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        LogWatch {
            lines,
            stop,
            thread: Some(thread),
        }
    }

    /// When a line containing any of `patterns` first appeared.
    pub fn first(&self, patterns: &[&str]) -> Option<Instant> {
        self.lines
            .lock()
            .expect("watch lock")
            .iter()
            .find(|(_, l)| patterns.iter().any(|p| l.contains(p)))
            .map(|(t, _)| *t)
    }

    pub fn lines(&self) -> Vec<(Instant, String)> {
        self.lines.lock().expect("watch lock").clone()
    }
}

impl Drop for LogWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
