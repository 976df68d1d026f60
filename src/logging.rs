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
    syslog: bool,
}

struct TeeWriter {
    file: Option<Arc<Mutex<File>>>,
    syslog: bool,
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
        io::stderr().write_all(buf)?;
        if let Some(f) = &self.file {
            // A full disk must not stop the keepalives: ignore file errors.
            let _ = f.lock().map(|mut f| f.write_all(buf));
        }
        if self.syslog {
            let text = String::from_utf8_lossy(buf);
            if let Ok(msg) = std::ffi::CString::new(text.trim_end().replace('\0', " ")) {
                // SAFETY: a constant format and a valid NUL-terminated string.
                unsafe { libc::syslog(priority(&text), c"%s".as_ptr(), msg.as_ptr()) };
            }
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
            syslog: self.syslog,
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
    let facility = logging
        .and_then(|l| l.logfacility.as_deref())
        .and_then(facility_code);
    if let Some(code) = facility {
        // SAFETY: a static NUL-terminated ident that lives for the process.
        unsafe { libc::openlog(c"heartbeat".as_ptr(), libc::LOG_PID, code) };
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(Tee {
            file,
            syslog: facility.is_some(),
        })
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
