//! The local control socket (RUN_DIR/heartbeat.sock, mode 0600): how
//! `heartbeat status|standby|takeover|stop`, `cl_status`, `hb_standby` and
//! `hb_takeover` talk to the running daemon.
//!
//! One JSON request line, one JSON response line per connection. Framed and
//! atomic, unlike the original's FIFO, which lost script messages (spec §9.3).
//! This module owns the protocol types and both ends; it never decides
//! anything about the cluster.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

pub const SOCKET_NAME: &str = "heartbeat.sock";

pub fn socket_path(run_dir: &Path) -> PathBuf {
    run_dir.join(SOCKET_NAME)
}

pub use crate::ownership::Which;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "lowercase")]
pub enum Request {
    Status,
    Standby {
        which: Which,
    },
    Takeover {
        which: Which,
    },
    /// Planned stop: hand everything to the peer, then exit.
    Shutdown,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkStatus {
    pub name: String,
    /// `up` / `dead` / `init`, as cl_status prints them.
    pub state: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupStatus {
    pub id: String,
    pub preferred: String,
    /// Node holding it, `none`, or `both` (conflict being resolved).
    pub holder: String,
    /// This node's state of the group (stopped, starting, running, stopping, stop-failed).
    pub local_state: String,
    /// Seconds since the last transition.
    pub since_secs: f64,
    /// Why the last transition happened.
    pub cause: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusReport {
    pub node: String,
    pub peer: String,
    /// The peer as cl_status prints it: active / up / init / dead.
    pub peer_status: String,
    pub peer_generation: Option<u64>,
    pub generation: u64,
    pub links: Vec<LinkStatus>,
    /// cl_status rscstatus words: none / local / foreign / all / transition.
    pub rscstatus: String,
    pub groups: Vec<GroupStatus>,
    /// Dropped packets by reason, late heartbeats, …
    pub counters: BTreeMap<String, u64>,
    pub keepalive_ms: u64,
    pub deadtime_ms: u64,
    pub warntime_ms: u64,
    pub initdead_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "lowercase")]
pub enum Response {
    Status(StatusReport),
    Done { ok: bool, message: String },
}

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
}

/// Client side, blocking: the CLI programs need no runtime.
pub fn request(run_dir: &Path, req: &Request, timeout: Duration) -> Result<Response, ControlError> {
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
        Err(e) => return Err(io(e)),
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    let mut line = serde_json::to_string(req).expect("requests serialise");
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).map_err(io)?;
    serde_json::from_str(&answer).map_err(|e| ControlError::BadAnswer(format!("{e}: {answer:?}")))
}

/// A request waiting for the daemon's answer.
pub struct Pending {
    pub request: Request,
    pub reply: oneshot::Sender<Response>,
}

/// Server side: accept connections and hand requests to the daemon.
pub async fn serve(run_dir: &Path, tx: mpsc::Sender<Pending>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(run_dir);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    // Standby and takeover move services: root only, like the original's FIFO.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (rd, mut wr) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(rd).lines();
                let Ok(Some(line)) = lines.next_line().await else {
                    return;
                };
                let response = match serde_json::from_str::<Request>(&line) {
                    Ok(request) => {
                        let (reply, rx) = oneshot::channel();
                        if tx.send(Pending { request, reply }).await.is_err() {
                            return;
                        }
                        match rx.await {
                            Ok(r) => r,
                            Err(_) => return,
                        }
                    }
                    Err(e) => Response::Done {
                        ok: false,
                        message: format!("bad request: {e}"),
                    },
                };
                let mut out = serde_json::to_string(&response).expect("responses serialise");
                out.push('\n');
                let _ = wr.write_all(out.as_bytes()).await;
            });
        }
    });
    Ok(())
}
