//! The local control socket (RUN_DIR/heartbeat.sock, mode 0600): how
//! `heartbeat status|standby|takeover|stop`, `cl_status`, `hb_standby` and
//! `hb_takeover` talk to the running daemon.
//!
//! One JSON request line, one JSON response line per connection. Framed and
//! atomic, unlike the original's FIFO, which lost script messages (spec §9.3).
//! This module owns the protocol types and both ends; it never decides
//! anything about the cluster.

use serde::{Deserialize, Serialize};
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
pub use report::{
    GroupHolder, GroupStatus, LinkState, LinkStatus, LocalState, MaintenanceState, PeerStatus,
    RscStatus, StatusReport,
};

mod report;

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
    /// Maintenance mode on or off, on both nodes.
    Maintenance {
        on: bool,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "lowercase")]
pub enum Response {
    Status(Box<StatusReport>),
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

/// How long the accept loop pauses after its `n`th error in a row: 10 ms
/// doubling to 1 s. An accept error is usually EMFILE (out of descriptors),
/// which retrying at once only turns into a busy spin on the loop that
/// also sends the keepalives.
pub fn accept_backoff(consecutive_errors: u32) -> Duration {
    let shift = consecutive_errors.saturating_sub(1).min(7);
    Duration::from_millis(10u64 << shift).min(Duration::from_secs(1))
}

/// The running control socket: the daemon drains it before exiting so
/// every answer given (above all `heartbeat stop`'s) is fully written.
pub struct ControlServer {
    writers: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Connections answered at once at most; a flood of clients waits in the
/// kernel's backlog rather than costing a task each.
const MAX_CONNECTIONS: u32 = 64;

impl ControlServer {
    /// Wait until every connection that got its answer has written it (or
    /// `timeout` passed). Connections still waiting for an answer end when
    /// the daemon drops their reply senders.
    pub async fn drain(self, timeout: Duration) {
        let all = self.writers.acquire_many(MAX_CONNECTIONS);
        let _ = tokio::time::timeout(timeout, all).await;
    }
}

/// Server side: accept connections and hand requests to the daemon.
pub async fn serve(run_dir: &Path, tx: mpsc::Sender<Pending>) -> std::io::Result<ControlServer> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(run_dir);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    // Standby and takeover move services: root only, like the original's FIFO.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let writers = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS as usize));
    let permits = writers.clone();
    tokio::spawn(async move {
        let mut errors = 0u32;
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => {
                    errors = 0;
                    stream
                }
                Err(e) => {
                    errors += 1;
                    if errors == 1 {
                        tracing::warn!(error = %e, "control socket: accept failed; backing off");
                    }
                    tokio::time::sleep(accept_backoff(errors)).await;
                    continue;
                }
            };
            // Taken after the accept, so an idle server holds none and
            // `drain` waits only for connections in progress.
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                answer_one(stream, tx).await;
                drop(permit);
            });
        }
    });
    Ok(ControlServer { writers })
}

/// One connection: read its request line, wait for the daemon's answer,
/// write it.
async fn answer_one(stream: tokio::net::UnixStream, tx: mpsc::Sender<Pending>) {
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
    let _ = wr.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_back_off_from_10_ms_to_one_second() {
        assert_eq!(accept_backoff(1), Duration::from_millis(10));
        assert_eq!(accept_backoff(2), Duration::from_millis(20));
        assert_eq!(accept_backoff(7), Duration::from_millis(640));
        assert_eq!(accept_backoff(8), Duration::from_secs(1));
        assert_eq!(accept_backoff(1000), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn an_answer_given_before_shutdown_is_received_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::channel::<Pending>(4);
        let server = serve(dir.path(), tx).await.unwrap();
        let run_dir = dir.path().to_path_buf();
        let client = std::thread::spawn(move || {
            request(&run_dir, &Request::Shutdown, Duration::from_secs(5))
        });
        let pending = rx.recv().await.unwrap();
        // A long answer, so writing it takes more than one syscall.
        let message = "x".repeat(1 << 20);
        pending
            .reply
            .send(Response::Done {
                ok: true,
                message: message.clone(),
            })
            .unwrap();
        // What the daemon does at exit: drain, then the runtime goes away.
        server.drain(Duration::from_secs(5)).await;
        drop(rx);
        match client.join().unwrap().unwrap() {
            Response::Done { ok, message: m } => assert!(ok && m == message),
            other => panic!("unexpected answer {other:?}"),
        }
    }
}
