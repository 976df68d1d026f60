//! The client end of the control socket, blocking: the CLI programs
//! (`heartbeat`, `cl_status`, `hb_standby`, `hb_takeover`) need no runtime.

use super::{Request, Response, access, socket_path};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("heartbeat is not running here (no control socket at {0})")]
    NotRunning(PathBuf),
    #[error("cannot talk to heartbeat at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("heartbeat sent an unreadable answer: {0}")]
    BadAnswer(String),
    #[error("{0}")]
    Denied(String),
}

impl ControlError {
    /// The exit code for it: LSB's 4 (insufficient privilege) for a
    /// refusal, `other` for the rest.
    pub fn exit_code(&self, other: i32) -> i32 {
        match self {
            ControlError::Denied(_) => 4,
            _ => other,
        }
    }
}

/// What a client does with each progress line: (`at_ms`, line).
pub type OnProgress<'a> = &'a mut dyn FnMut(f64, &str);

/// Client side, blocking: the CLI programs need no runtime.
pub fn request(run_dir: &Path, req: &Request, timeout: Duration) -> Result<Response, ControlError> {
    exchange(run_dir, req, timeout, None)
}

/// As [`request`], asking for progress lines: `on_progress` gets each
/// (`at_ms`, line) as it arrives, before the answer is returned.
pub fn request_with_progress(
    run_dir: &Path,
    req: &Request,
    timeout: Duration,
    on_progress: OnProgress<'_>,
) -> Result<Response, ControlError> {
    exchange(run_dir, req, timeout, Some(on_progress))
}

fn exchange(
    run_dir: &Path,
    req: &Request,
    timeout: Duration,
    mut on_progress: Option<OnProgress<'_>>,
) -> Result<Response, ControlError> {
    let path = socket_path(run_dir);
    let io = |source| ControlError::Io {
        path: path.clone(),
        source,
    };
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(ControlError::NotRunning(path));
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(ControlError::Denied(format!(
                "permission denied: {} is for root and members of group {}",
                path.display(),
                access::READER_GROUP
            )));
        }
        Err(e) => return Err(io(e)),
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    let mut value = serde_json::to_value(req).expect("requests serialise");
    if let (Some(_), Some(map)) = (&on_progress, value.as_object_mut()) {
        map.insert("progress".into(), true.into());
    }
    let mut line = value.to_string();
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(io)?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut answer = String::new();
        reader.read_line(&mut answer).map_err(io)?;
        match serde_json::from_str(&answer) {
            Ok(Response::Progress { at_ms, line }) => {
                if let Some(f) = on_progress.as_mut() {
                    f(at_ms, &line);
                }
            }
            Ok(Response::Refused { message }) => return Err(ControlError::Denied(message)),
            Ok(r) => return Ok(r),
            Err(e) => return Err(ControlError::BadAnswer(format!("{e}: {answer:?}"))),
        }
    }
}
