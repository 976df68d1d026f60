//! Carrying out [`Effect::RunCheck`](crate::core::Effect::RunCheck): one
//! health check as a task of its own, bounded by its timeout, its result
//! fed back as [`Input::CheckDone`](crate::core::Input::CheckDone). A check
//! that hangs costs a task, never the loop: at its timeout an HTTP or TCP
//! check is dropped (closing its socket) and a script's whole process
//! group is killed. Decides nothing: what a result means is the node's.

use crate::config::{CheckConfig, CheckKind};
use crate::core::{CheckIdx, CheckOutcome};
use crate::resources::{self, AgentEnv};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What a finished check task sends back.
pub type CheckResult = (CheckIdx, u64, CheckOutcome);

/// The most of an answer an HTTP check reads: the status line and enough
/// body for a match, never a whole download.
const HTTP_READ_LIMIT: usize = 64 * 1024;

pub fn spawn(
    (check, epoch): (CheckIdx, u64),
    spec: CheckConfig,
    env: &AgentEnv,
    tx: mpsc::Sender<CheckResult>,
) {
    let env = env.clone();
    tokio::spawn(async move {
        let outcome = run(&spec, &env).await;
        let _ = tx.send((check, epoch, outcome)).await;
    });
}

/// One run of `spec`, within its timeout.
pub async fn run(spec: &CheckConfig, env: &AgentEnv) -> CheckOutcome {
    let t = spec.timeout;
    let result = match &spec.kind {
        CheckKind::MiscCheck { script, args, exit } => {
            misc_check(script, args, *exit, t, env).await
        }
        kind => match tokio::time::timeout(t, net_check(kind)).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {}", words(t))),
        },
    };
    match result {
        Ok(text) => CheckOutcome { ok: true, text },
        Err(text) => CheckOutcome { ok: false, text },
    }
}

fn words(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

async fn net_check(kind: &CheckKind) -> Result<String, String> {
    match kind {
        CheckKind::HttpGet {
            host,
            port,
            path,
            status,
            body,
            ..
        } => http_get((host, *port), path, *status, body.as_deref()).await,
        CheckKind::TcpCheck { address } => TcpStream::connect(address.as_str())
            .await
            .map(|_| "connected".to_string())
            .map_err(|e| format!("connect: {e}")),
        CheckKind::MiscCheck { .. } => unreachable!("scripts run in misc_check"),
    }
}

/// Plain HTTP/1.0: one GET, the answer read to its end (the server closes).
async fn http_get(
    (host, port): (&str, u16),
    path: &str,
    want_status: u16,
    want_body: Option<&str>,
) -> Result<String, String> {
    let mut s = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {host_header}\r\nUser-Agent: heartbeat-check\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    let mut limited = (&mut s).take(HTTP_READ_LIMIT as u64);
    limited
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("read: {e}"))?;
    judge_http(&answer, want_status, want_body)
}

/// The status line and body of an answer against what is expected.
pub fn judge_http(
    answer: &[u8],
    want_status: u16,
    want_body: Option<&str>,
) -> Result<String, String> {
    let text = String::from_utf8_lossy(answer);
    let status_line = text.lines().next().unwrap_or("");
    let status: u16 = match status_line.split_whitespace().collect::<Vec<_>>()[..] {
        [proto, code, ..] if proto.starts_with("HTTP/") => code
            .parse()
            .map_err(|_| format!("not an HTTP answer: {status_line:?}"))?,
        _ => return Err(format!("not an HTTP answer: {status_line:?}")),
    };
    if status != want_status {
        return Err(format!("status {status}, expected {want_status}"));
    }
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    match want_body {
        Some(w) if !body.contains(w) => Err(format!("status {status}, body without {w:?}")),
        _ => Ok(format!("status {status}")),
    }
}

/// The script in its own process group with the agents' clean
/// environment; at the timeout the whole group is killed.
async fn misc_check(
    script: &std::path::Path,
    args: &[String],
    want: i32,
    timeout: Duration,
    env: &AgentEnv,
) -> Result<String, String> {
    let mut cmd = resources::clean_command(script, env);
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let (mut child, pgid) = resources::agent::spawn_grouped(&mut cmd)
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(st)) => match st.code() {
            Some(code) if code == want => Ok(format!("exit {code}")),
            Some(code) => Err(format!("exit {code}, expected {want}")),
            None => Err(format!("{st}")),
        },
        Ok(Err(e)) => Err(format!("wait: {e}")),
        Err(_) => {
            if let Some(pgid) = pgid {
                resources::agent::kill_group(&mut child, pgid).await;
            }
            Err(format!("killed after {}", words(timeout)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_judged_by_status_then_body() {
        let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
        assert_eq!(judge_http(ok, 200, Some("ok")), Ok("status 200".into()));
        assert_eq!(
            judge_http(ok, 200, Some("fine")),
            Err("status 200, body without \"fine\"".into())
        );
        let bad = b"HTTP/1.1 500 Internal Server Error\r\n\r\n";
        assert_eq!(
            judge_http(bad, 200, None),
            Err("status 500, expected 200".into())
        );
        assert!(judge_http(b"SSH-2.0-OpenSSH\r\n", 200, None).is_err());
        assert!(judge_http(b"", 200, None).is_err());
    }
}
