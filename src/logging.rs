//! Where log lines go: stderr (the journal, under systemd) and the
//! `logfile` / `debugfile` of ha.cf. The words users grep for stay the
//! original's; the format is tracing's, one line per event with fields.

use crate::config::Logging;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone)]
struct Tee {
    file: Option<Arc<Mutex<File>>>,
}

struct TeeWriter {
    file: Option<Arc<Mutex<File>>>,
}

impl Write for TeeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stderr().write_all(buf)?;
        if let Some(f) = &self.file {
            // A full disk must not stop the keepalives: ignore file errors.
            let _ = f.lock().map(|mut f| f.write_all(buf));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for Tee {
    type Writer = TeeWriter;
    fn make_writer(&'a self) -> TeeWriter {
        TeeWriter {
            file: self.file.clone(),
        }
    }
}

fn open_append(path: &Path) -> Option<File> {
    if path == Path::new("/dev/null") {
        return None;
    }
    match OpenOptions::new().create(true).append(true).open(path) {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!(
                "WARN: cannot open log file {}: {e}; logging to stderr only",
                path.display()
            );
            None
        }
    }
}

/// Install the global subscriber. `debug` > 0 (ha.cf `debug`) lowers the level.
pub fn init(logging: Option<&Logging>, debug: u32) {
    let file = logging
        .and_then(|l| l.logfile.as_deref())
        .and_then(open_append)
        .map(|f| Arc::new(Mutex::new(f)));
    let level = if debug > 0 || std::env::var_os("HEARTBEAT_DEBUG").is_some() {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(Tee { file })
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .try_init();
}
