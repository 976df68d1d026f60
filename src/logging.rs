//! Where log lines go: stderr (the journal, under systemd) and the
//! `logfile` / `debugfile` of ha.cf. The words users grep for stay the
//! original's; the format is tracing's, one line per event with fields.

use crate::config::Logging;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use tracing_subscriber::fmt::MakeWriter;

/// Where formatted lines go. Writing happens on a thread of its own: a
/// slow disk or a full pipe must never hold up the loop that sends
/// keepalives (we saw a 285 ms stall from log writes under I/O load).
struct Sinks {
    file: Option<LogFile>,
    syslog: bool,
    /// stderr is the journal (systemd's `JOURNAL_STREAM`): each line gets
    /// its `<N>` priority prefix, so `journalctl -p warning` finds it.
    journal: bool,
}

impl Sinks {
    fn write_line(&mut self, buf: &[u8]) {
        let text = String::from_utf8_lossy(buf);
        let prio = priority(&text);
        if self.journal {
            let _ = io::stderr().write_all(format!("<{prio}>").as_bytes());
        }
        let _ = io::stderr().write_all(buf);
        if let Some(f) = &mut self.file {
            f.write(buf);
        }
        if self.syslog
            && let Ok(msg) = std::ffi::CString::new(text.trim_end().replace('\0', " "))
        {
            // SAFETY: a constant format and a valid NUL-terminated string.
            unsafe { libc::syslog(prio, c"%s".as_ptr(), msg.as_ptr()) };
        }
    }
}

/// Set by [`reopen`] (SIGHUP): the writer reopens the log file before its
/// next line.
static REOPEN: AtomicBool = AtomicBool::new(false);

/// The ha.cf `logfile`, reopened when it was moved or removed (logrotate),
/// so lines never go on into `ha-log.1` or a deleted file.
struct LogFile {
    path: PathBuf,
    file: File,
}

impl LogFile {
    fn open(path: &Path) -> Option<LogFile> {
        Some(LogFile {
            path: path.to_path_buf(),
            file: open_append(path)?,
        })
    }

    fn write(&mut self, buf: &[u8]) {
        // One stat per line: lines are state changes, rare enough, and the
        // first line after logrotate already lands in the new file.
        let asked = REOPEN.swap(false, Ordering::Relaxed);
        if (asked || self.moved())
            && let Some(f) = open_append(&self.path)
        {
            self.file = f;
        }
        // A full disk must not stop anything: ignore file errors.
        let _ = self.file.write_all(buf);
    }

    /// The path no longer names the file we write (renamed or deleted).
    fn moved(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(open) = self.file.metadata() else {
            return true;
        };
        match std::fs::metadata(&self.path) {
            Ok(now) => (now.dev(), now.ino()) != (open.dev(), open.ino()),
            Err(_) => true,
        }
    }
}

/// Reopen the log file before the next line (SIGHUP, as logrotate set-ups
/// send it); a moved or deleted file is noticed at the next line without it.
pub fn reopen() {
    REOPEN.store(true, Ordering::Relaxed);
}

/// Whether stderr is the journal: `JOURNAL_STREAM` names stderr's device
/// and inode (systemd sets it for the service's own stream only).
fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = File::from(fd).metadata() else {
        return false;
    };
    stream.to_string_lossy() == format!("{}:{}", meta.dev(), meta.ino())
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
        // The original's critical lines keep their word (see `emit`).
        if line.contains("ERROR CRIT:") {
            libc::LOG_CRIT
        } else {
            libc::LOG_ERR
        }
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
        .and_then(LogFile::open);
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
        journal: stderr_is_journal(),
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
        assert_eq!(
            priority("2026-11-23T20:21:10Z ERROR CRIT: resource stop failed"),
            libc::LOG_CRIT
        );
        assert_eq!(
            priority("2026-11-23T20:21:10Z DEBUG packet"),
            libc::LOG_DEBUG
        );
    }

    #[test]
    fn a_moved_log_file_is_reopened_at_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ha-log");
        let mut f = LogFile::open(&path).unwrap();
        f.write(b"one\n");
        std::fs::rename(&path, dir.path().join("ha-log.1")).unwrap();
        reopen();
        f.write(b"two\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ha-log.1")).unwrap(),
            "one\n"
        );
    }

    #[test]
    fn ha_cf_facility_names_are_known() {
        assert_eq!(facility_code("local0"), Some(libc::LOG_LOCAL0));
        assert_eq!(facility_code("daemon"), Some(libc::LOG_DAEMON));
        assert_eq!(facility_code("none"), None);
    }
}
