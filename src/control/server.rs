//! The daemon's end of the control socket: accept with back-off, check the
//! caller, read one bounded request line, hand it to the daemon's loop and
//! write its answer (and progress lines, when asked for).

use super::{PROGRESS_QUEUE, Request, Response, access, parse_request, socket_path};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// The request line's options beside the request itself.
#[derive(Debug, Default, Deserialize)]
struct Options {
    #[serde(default)]
    progress: bool,
}

/// A request waiting for the daemon's answer.
pub struct Pending {
    pub request: Request,
    pub reply: oneshot::Sender<Response>,
    /// Where progress lines go, when the request asked for them; bounded
    /// ([`PROGRESS_QUEUE`]), so the daemon uses `try_send`.
    pub progress: Option<mpsc::Sender<Response>>,
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

/// The longest request line read; a real one is under 100 bytes. A longer
/// one is answered with an error instead of being buffered.
pub const MAX_REQUEST: usize = 64 * 1024;

/// How long a client may take to send its request line: one that connects
/// and never writes must not hold one of the `MAX_CONNECTIONS` for ever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

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
    let path = socket_path(run_dir);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    access::restrict_socket(&path)?;
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

/// What the kernel says about the process at the other end.
fn caller_of(stream: &tokio::net::UnixStream) -> access::Caller {
    let Ok(cred) = stream.peer_cred() else {
        return access::Caller::Other;
    };
    let mut gids = cred.pid().map(access::groups_of).unwrap_or_default();
    gids.push(cred.gid());
    // Looked up per connection, so a group created after start counts.
    let reader = if cred.uid() == 0 {
        None
    } else {
        access::reader_gid()
    };
    let daemon_uid = nix::unistd::geteuid().as_raw();
    access::Caller::classify(cred.uid(), daemon_uid, &gids, reader)
}

/// One connection: read its request line, check the caller may make it,
/// wait for the daemon's answer, write it.
async fn answer_one(stream: tokio::net::UnixStream, tx: mpsc::Sender<Pending>) {
    let caller = caller_of(&stream);
    let (rd, mut wr) = stream.into_split();
    let mut reader = tokio::io::BufReader::new(rd);
    let Some(line) = read_request(&mut reader).await else {
        return;
    };
    let refused = line.is_err();
    let wants = line.as_ref().is_ok_and(|l| line_options(l).progress);
    let request = line.and_then(|l| parse_request(&l).map_err(|e| format!("bad request: {e}")));
    let response = match request.map(|r| (caller.check(&r), r)) {
        Ok((Err(message), request)) => {
            tracing::info!(
                request = request.word(),
                "control socket: {message} (caller {caller:?})"
            );
            Response::Refused { message }
        }
        Ok((Ok(()), request)) => match forward(request, wants, &tx, &mut wr).await {
            Some(r) => r,
            None => return,
        },
        Err(message) => Response::Done { ok: false, message },
    };
    let _ = write_response(&mut wr, &response).await;
    let _ = wr.shutdown().await;
    if refused {
        // Closing with unread bytes would reset the connection and lose
        // the answer: read on a little (bounded) before closing.
        let mut rest = (&mut reader).take(16 * MAX_REQUEST as u64);
        let mut sink = tokio::io::sink();
        let drain = tokio::io::copy(&mut rest, &mut sink);
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
}

/// The options of a request line that parsed as a request.
fn line_options(line: &[u8]) -> Options {
    serde_json::from_slice(line).unwrap_or_default()
}

async fn write_response<W>(wr: &mut W, response: &Response) -> std::io::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut out = serde_json::to_string(response).expect("responses serialise");
    out.push('\n');
    wr.write_all(out.as_bytes()).await
}

/// Hand the request to the daemon and wait for its answer, writing each
/// progress line as it comes when the client asked for them. `None` when
/// the daemon went away without answering.
async fn forward<W>(
    request: Request,
    wants_progress: bool,
    tx: &mpsc::Sender<Pending>,
    wr: &mut W,
) -> Option<Response>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let (reply, mut rx) = oneshot::channel();
    let (progress, mut lines) = mpsc::channel(PROGRESS_QUEUE);
    let progress = wants_progress.then_some(progress);
    tx.send(Pending {
        request,
        reply,
        progress,
    })
    .await
    .ok()?;
    // A client gone away stops the writes, not the wait: the daemon still
    // answers (and a `stop` still goes on).
    let mut writable = true;
    loop {
        tokio::select! {
            biased;
            Some(p) = lines.recv() => {
                writable = writable && write_response(wr, &p).await.is_ok();
            }
            answer = &mut rx => {
                // Lines said before the answer come first.
                while let Ok(p) = lines.try_recv() {
                    writable = writable && write_response(wr, &p).await.is_ok();
                }
                return answer.ok();
            }
        }
    }
}

/// The request line, or why it is refused; `None` when the client sent
/// nothing in time (it is then just disconnected).
async fn read_request<R>(reader: &mut R) -> Option<Result<Vec<u8>, String>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut line = Vec::new();
    let mut limited = reader.take(MAX_REQUEST as u64 + 1);
    let read = tokio::time::timeout(REQUEST_TIMEOUT, limited.read_until(b'\n', &mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {}
        _ => return None,
    }
    if line.last() != Some(&b'\n') && line.len() > MAX_REQUEST {
        return Some(Err(format!(
            "request refused: longer than {MAX_REQUEST} bytes"
        )));
    }
    Some(Ok(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{Which, request, request_with_progress};

    #[test]
    fn request_nesting_is_bounded() {
        // An unknown field is skipped, but its nesting still costs stack:
        // the parser gives up at a depth of 128 instead of overflowing.
        let deep = |depth: usize| {
            format!(
                r#"{{"request":"status","x":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        assert!(matches!(
            parse_request(deep(100).as_bytes()),
            Ok(Request::Status)
        ));
        let err = parse_request(deep(100_000).as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }

    #[test]
    fn accept_errors_back_off_from_10_ms_to_one_second() {
        assert_eq!(accept_backoff(1), Duration::from_millis(10));
        assert_eq!(accept_backoff(2), Duration::from_millis(20));
        assert_eq!(accept_backoff(7), Duration::from_millis(640));
        assert_eq!(accept_backoff(8), Duration::from_secs(1));
        assert_eq!(accept_backoff(1000), Duration::from_secs(1));
    }

    /// A daemon that answers every status request with "ok".
    fn answering(mut rx: mpsc::Receiver<Pending>) {
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                if let Some(progress) = &p.progress {
                    let _ = progress.try_send(Response::Progress {
                        at_ms: 1.5,
                        line: "alpha: releasing g".into(),
                    });
                }
                let _ = p.reply.send(Response::Done {
                    ok: true,
                    message: "ok".into(),
                });
            }
        });
    }

    async fn exchange(stream: &mut tokio::net::UnixStream, req: &[u8]) -> String {
        use tokio::io::AsyncReadExt;
        let _ = stream.write_all(req).await;
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer).await;
        answer
    }

    #[tokio::test]
    async fn a_request_over_the_size_limit_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel::<Pending>(4);
        let _server = serve(dir.path(), tx).await.unwrap();
        answering(rx);
        let path = socket_path(dir.path());
        let mut big = vec![b' '; MAX_REQUEST + 10];
        big.extend_from_slice(b"{\"request\":\"status\"}\n");
        let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
        let answer = exchange(&mut s, &big).await;
        assert!(
            answer.contains("longer than 65536 bytes") && answer.contains("\"ok\":false"),
            "{answer}"
        );
        // Just under the limit is read and answered.
        let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
        let answer = exchange(&mut s, b"{\"request\":\"status\"}\n").await;
        assert!(answer.contains("\"ok\":true"), "{answer}");
    }

    #[tokio::test]
    async fn progress_lines_go_only_to_a_request_that_asked_and_come_before_the_answer() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel::<Pending>(4);
        let _server = serve(dir.path(), tx).await.unwrap();
        answering(rx);
        let path = socket_path(dir.path());
        let standby = serde_json::to_string(&Request::Standby { which: Which::All }).unwrap();
        // An older client's line: exactly one answer line.
        let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
        let answer = exchange(&mut s, format!("{standby}\n").as_bytes()).await;
        let lines: Vec<&str> = answer.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].contains("\"done\""),
            "{answer}"
        );
        // Asking for progress: the line, then the answer.
        let asked = standby.replacen('{', "{\"progress\":true,", 1);
        let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
        let answer = exchange(&mut s, format!("{asked}\n").as_bytes()).await;
        let lines: Vec<&str> = answer.lines().collect();
        assert_eq!(lines.len(), 2, "{answer}");
        assert!(lines[0].contains("\"progress\"") && lines[0].contains("releasing g"));
        assert!(lines[1].contains("\"done\""), "{answer}");
        // The blocking client hands the line to its callback.
        let run_dir = dir.path().to_path_buf();
        let seen = tokio::task::spawn_blocking(move || {
            let mut seen = Vec::new();
            let mut note = |at: f64, l: &str| seen.push((at, l.to_string()));
            let req = Request::Standby { which: Which::All };
            let r = request_with_progress(&run_dir, &req, Duration::from_secs(5), &mut note);
            assert!(matches!(r, Ok(Response::Done { ok: true, .. })), "{r:?}");
            seen
        })
        .await
        .unwrap();
        assert_eq!(seen, [(1.5, "alpha: releasing g".to_string())]);
    }

    #[tokio::test]
    async fn a_client_that_never_writes_is_dropped_after_the_timeout_and_blocks_no_one() {
        use tokio::io::AsyncReadExt;
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel::<Pending>(4);
        let _server = serve(dir.path(), tx).await.unwrap();
        answering(rx);
        let path = socket_path(dir.path());
        let mut silent = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            silent.push(tokio::net::UnixStream::connect(&path).await.unwrap());
        }
        let started = tokio::time::Instant::now();
        // Every slot is taken by a silent client: the next one is answered
        // once they time out, not never.
        let mut s = tokio::net::UnixStream::connect(&path).await.unwrap();
        let answer = exchange(&mut s, b"{\"request\":\"status\"}\n").await;
        assert!(answer.contains("\"ok\":true"), "{answer}");
        // The silent clients' clocks started just before ours.
        let waited = started.elapsed();
        assert!(
            waited >= REQUEST_TIMEOUT - Duration::from_secs(1),
            "{waited:?}"
        );
        assert!(started.elapsed() < REQUEST_TIMEOUT * 2);
        let mut buf = Vec::new();
        let n = silent[0].read_to_end(&mut buf).await.unwrap();
        assert_eq!(n, 0, "the silent client is closed without an answer");
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
