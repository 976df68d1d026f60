//! ha.cf `metrics_listen`: a minimal HTTP/1.0 endpoint answering
//! `GET /metrics` with `metrics::render` of a fresh status. Each scrape asks
//! the node for its status through the control socket's channel, as
//! `heartbeat status` does, so it never touches the node itself and a slow
//! or hostile client costs only its own task. Not a web server: one request
//! per connection, bounded head, short timeouts, a few connections at once.

use crate::control::{Pending, Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// A request head larger than this is not a scraper's.
const MAX_HEAD: usize = 8 * 1024;
/// For the client to send its request, and for the node to answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// Scrapes answered at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 8;

/// Bind `addr` and serve in the background. A bind failure is logged and
/// the daemon carries on without metrics: they must never keep a cluster
/// from starting.
pub async fn spawn(addr: SocketAddr, tx: mpsc::Sender<Pending>) {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, error = %e, "metrics_listen: cannot listen on {addr}: {e}; no metrics over HTTP");
            return;
        }
    };
    tracing::info!(%addr, "metrics_listen: serving /metrics on {addr}");
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::spawn(async move {
        let mut errors = 0u32;
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            match listener.accept().await {
                Ok((stream, _)) => {
                    errors = 0;
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(CLIENT_TIMEOUT, answer(stream, tx)).await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    errors += 1;
                    if errors == 1 {
                        tracing::warn!(error = %e, "metrics_listen: accept failed; backing off");
                    }
                    tokio::time::sleep(crate::control::accept_backoff(errors)).await;
                }
            }
        }
    });
}

/// One connection: read the head, answer, close.
async fn answer(mut stream: TcpStream, tx: mpsc::Sender<Pending>) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let (status, body) = match route(&head) {
        Route::Metrics => match fetch(&tx).await {
            Some(text) => ("200 OK", text),
            None => (
                "503 Service Unavailable",
                "the daemon did not answer\n".into(),
            ),
        },
        Route::NotFound => ("404 Not Found", "try /metrics\n".into()),
        Route::NotAllowed => ("405 Method Not Allowed", "only GET\n".into()),
    };
    let content_type = if status.starts_with("200") {
        crate::metrics::CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let reply = format!(
        "HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Up to the blank line ending the head; `None` if it never comes.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() + n > MAX_HEAD {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    NotFound,
    NotAllowed,
}

/// The request line decides: `GET /metrics` (a query string is ignored).
fn route(head: &str) -> Route {
    let mut words = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next(), words.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        (Some("GET"), "/metrics") => Route::Metrics,
        (Some("GET"), _) => Route::NotFound,
        _ => Route::NotAllowed,
    }
}

/// The node's status, rendered; `None` if the loop did not answer.
async fn fetch(tx: &mpsc::Sender<Pending>) -> Option<String> {
    let (reply, rx) = oneshot::channel();
    let pending = Pending {
        request: Request::Status,
        reply,
        progress: None,
    };
    tx.send(pending).await.ok()?;
    match rx.await.ok()? {
        Response::Status(s) => Some(crate::metrics::render(&s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_metrics_is_served() {
        assert_eq!(
            route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics
        );
        assert_eq!(route("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Route::Metrics);
        assert_eq!(route("GET / HTTP/1.0\r\n\r\n"), Route::NotFound);
        assert_eq!(route("POST /metrics HTTP/1.0\r\n\r\n"), Route::NotAllowed);
        assert_eq!(route(""), Route::NotAllowed);
    }
}
