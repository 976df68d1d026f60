//! Where log lines go: stderr (the journal, under systemd) and the
//! `logfile` / `debugfile` of ha.cf. The words users grep for stay the
//! original's; the format is tracing's, one line per event with fields.

use crate::config::Logging;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use tracing_subscriber::fmt::MakeWriter;

/// Where formatted lines go. Writing happens on a thread of its own: a
/// slow disk or a full pipe must never hold up the loop that sends
/// keepalives (we saw a 285 ms stall from log writes under I/O load).
struct Sinks {
    file: Option<File>,
    syslog: bool,
}

impl Sinks {
    fn write_line(&mut self, buf: &[u8]) {
        let _ = io::stderr().write_all(buf);
        if let Some(f) = &mut self.file {
            // A full disk must not stop anything: ignore file errors.
            let _ = f.write_all(buf);
        }
        if self.syslog {
            let text = String::from_utf8_lossy(buf);
            if let Ok(msg) = std::ffi::CString::new(text.trim_end().replace('\0', " ")) {
                // SAFETY: a constant format and a valid NUL-terminated string.
                unsafe { libc::syslog(priority(&text), c"%s".as_ptr(), msg.as_ptr()) };
            }
        }
    }
}

/// Lines waiting for the writer thread; beyond this many, new lines are
/// dropped (and counted) rather than blocking the daemon.
const QUEUE: usize = 4096;

static DROPPED: AtomicU64 = AtomicU64::new(0);
static PENDING: AtomicU64 = AtomicU64::new(0);

#[derive(Clone)]
struct Tee {
    tx: SyncSender<Vec<u8>>,
}

struct TeeWriter {
    tx: SyncSender<Vec<u8>>,
}

/// The syslog priority of a formatted line, read from tracing's level word.
fn priority(line: &str) -> libc::c_int {
    let head: String = line.chars().take(40).collect();
    if head.contains("ERROR") {
        libc::LOG_ERR
    } else if head.contains(" WARN ") {
        libc::LOG_WARNING
    } else if head.contains("DEBUG") || head.contains("TRACE") {
        libc::LOG_DEBUG
    } else {
        libc::LOG_INFO
    }
}

impl Write for TeeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        PENDING.fetch_add(1, Ordering::SeqCst);
        if self.tx.try_send(buf.to_vec()).is_err() {
            PENDING.fetch_sub(1, Ordering::SeqCst);
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Tee {
    type Writer = TeeWriter;
    fn make_writer(&'a self) -> TeeWriter {
        TeeWriter {
            tx: self.tx.clone(),
        }
    }
}

/// Log lines dropped because the writer could not keep up.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Wait (bounded) until queued lines are written: call before exiting.
pub fn flush(timeout: std::time::Duration) {
    let deadline = std::time::Instant::now() + timeout;
    while PENDING.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
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
        .and_then(open_append);
    let level = if debug > 0 || std::env::var_os("HEARTBEAT_DEBUG").is_some() {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    let facility = logging
        .and_then(|l| l.logfacility.as_deref())
        .and_then(facility_code);
    if let Some(code) = facility {
        // SAFETY: a static NUL-terminated ident that lives for the process.
        unsafe { libc::openlog(c"heartbeat".as_ptr(), libc::LOG_PID, code) };
    }
    let (tx, rx) = sync_channel::<Vec<u8>>(QUEUE);
    let mut sinks = Sinks {
        file,
        syslog: facility.is_some(),
    };
    let spawned = std::thread::Builder::new()
        .name("log".into())
        .spawn(move || {
            for line in rx {
                sinks.write_line(&line);
                PENDING.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if spawned.is_err() {
        eprintln!("WARN: cannot start the log writer thread; logging disabled");
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(Tee { tx })
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .try_init();
}

/// The syslog facility named in ha.cf (`logfacility local0`, `daemon`, …).
fn facility_code(name: &str) -> Option<libc::c_int> {
    Some(match name {
        "auth" => libc::LOG_AUTH,
        "authpriv" => libc::LOG_AUTHPRIV,
        "cron" => libc::LOG_CRON,
        "daemon" => libc::LOG_DAEMON,
        "kern" => libc::LOG_KERN,
        "lpr" => libc::LOG_LPR,
        "mail" => libc::LOG_MAIL,
        "news" => libc::LOG_NEWS,
        "syslog" => libc::LOG_SYSLOG,
        "user" => libc::LOG_USER,
        "uucp" => libc::LOG_UUCP,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

/// Log one line of the node core at its severity. The original marks its
/// critical lines with "CRIT:", which admins grep for; tracing has no such
/// level, so they go out as errors with the word in front.
pub fn emit(level: crate::ownership::Level, message: &str) {
    use crate::ownership::Level;
    match level {
        Level::Crit => tracing::error!("CRIT: {message}"),
        Level::Error => tracing::error!("{message}"),
        Level::Warn => tracing::warn!("{message}"),
        Level::Info => tracing::info!("{message}"),
        Level::Debug => tracing::debug!("{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        assert_eq!(
            priority("2026-11-23T20:21:10Z ERROR node alpha"),
            libc::LOG_ERR
        );
        assert_eq!(
            priority("2026-11-23T20:21:10Z  WARN Late heartbeat"),
            libc::LOG_WARNING
        );
        assert_eq!(
            priority("2026-11-23T20:21:10Z  INFO Link up"),
            libc::LOG_INFO
        );
    }

    #[test]
    fn ha_cf_facility_names_are_known() {
        assert_eq!(facility_code("local0"), Some(libc::LOG_LOCAL0));
        assert_eq!(facility_code("daemon"), Some(libc::LOG_DAEMON));
        assert_eq!(facility_code("none"), None);
    }
}
