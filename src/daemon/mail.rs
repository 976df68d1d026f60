//! Mail on every state change the node reports through
//! [`Effect::Notify`](crate::core::Effect::Notify) — the events the notify
//! hook is told about — when heartbeat.toml has a `[mail]` table. One
//! queue, one task: mails leave in the order the events happened, one per
//! event, each through `sendmail -t -oi`; a sendmail that hangs is killed
//! at `[mail] timeout` and a failure is logged, neither ever waits in the
//! loop.

use crate::config::MailConfig;
use crate::core::HookEvent;
use crate::resources::{self, AgentEnv};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Mails waiting beyond this many are dropped (and logged): a mail system
/// that is down for hours must not grow the daemon.
const QUEUE: usize = 64;

struct Mail {
    cfg: Arc<MailConfig>,
    event: HookEvent,
    text: String,
}

/// The sending end of the queue.
pub struct Mailer {
    tx: mpsc::Sender<Mail>,
}

impl Mailer {
    /// Start the queue's task.
    pub fn start(env: AgentEnv) -> Mailer {
        let (tx, mut rx) = mpsc::channel::<Mail>(QUEUE);
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if let Err(e) = sendmail(&m.cfg, &m.text, &env).await {
                    tracing::warn!(
                        "mail about {} to {} not sent: {e}",
                        m.event.word(),
                        m.cfg.to.join(", ")
                    );
                }
            }
        });
        Mailer { tx }
    }

    /// Queue one mail about `event`.
    pub fn send(&self, cfg: &MailConfig, event: HookEvent, node: &str, subject: &str) {
        let text = message(cfg, event, node, subject);
        let mail = Mail {
            cfg: Arc::new(cfg.clone()),
            event,
            text,
        };
        if self.tx.try_send(mail).is_err() {
            tracing::warn!(
                "mail queue full: the mail about {} {subject} is dropped",
                event.word()
            );
        }
    }
}

/// The subject's words and the body's sentence for one event.
pub fn describe(event: HookEvent, node: &str, s: &str) -> (String, String) {
    use HookEvent::*;
    let (title, sentence) = match event {
        PeerDead => (
            format!("peer {s} is dead"),
            format!("{node} no longer hears {s} on any link: it is declared dead."),
        ),
        PeerUp => (
            format!("peer {s} is back"),
            format!("{node} hears {s} again."),
        ),
        Acquired => (
            format!("took over {s}"),
            format!("Resource group {s} now runs on {node}."),
        ),
        Restarted => (
            format!("restarted {s}"),
            format!(
                "Resource group {s} failed its monitor or a check and was restarted on {node}."
            ),
        ),
        StartFailed => (
            format!("could not start {s}"),
            format!("Resource group {s} failed to start on {node}."),
        ),
        Released => (
            format!("released {s}"),
            format!("Resource group {s} was stopped on {node}."),
        ),
        StopFailed => (
            format!("COULD NOT STOP {s}"),
            format!(
                "Resource group {s} failed to stop on {node}: it stays held here and the peer will not start it until an operator steps in."
            ),
        ),
        LinkDead => (
            format!("link {s} is down"),
            format!("{node} no longer hears its peer on link {s}."),
        ),
        LinkUp => (
            format!("link {s} is back"),
            format!("{node} hears its peer on link {s} again."),
        ),
        TakeoverRefused => (
            format!("WILL NOT TAKE OVER {s}"),
            format!(
                "{node} does not start resource group {s}: its DRBD data is not known to be the newest (see heartbeat status and the log). Start it with `heartbeat takeover --force` only if you accept losing newer writes."
            ),
        ),
        SplitBrain => (
            format!("SPLIT BRAIN on DRBD {s}"),
            format!(
                "DRBD resource {s} went StandAlone on {node}: both sides wrote while apart. Nothing is discarded automatically; choose the victim and reconnect by hand."
            ),
        ),
        CheckFailed => (
            format!("check failing: {s}"),
            format!(
                "A health check on {node} is failing ({s}); its group is restarted here within its policy, then moved."
            ),
        ),
        CheckRecovered => (
            format!("check recovered: {s}"),
            format!("A health check on {node} is healthy again ({s})."),
        ),
        PeerDeadNothingRuns => (
            format!("peer {s} is dead and {node} takes nothing"),
            format!(
                "{node} lost its peer {s} and runs none of the groups (no ping node reached, maintenance, or they failed here): no node serves them now."
            ),
        ),
    };
    (format!("heartbeat {node}: {title}"), sentence)
}

/// The whole message as sendmail -t reads it.
pub fn message(cfg: &MailConfig, event: HookEvent, node: &str, subject: &str) -> String {
    let (title, sentence) = describe(event, node, subject);
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    let mut m = String::new();
    if let Some(from) = &cfg.from {
        m.push_str(&format!("From: {}\n", one_line(from)));
    }
    m.push_str(&format!("To: {}\n", one_line(&cfg.to.join(", "))));
    m.push_str(&format!("Subject: {}\n", one_line(&title)));
    m.push_str("Auto-Submitted: auto-generated\n");
    m.push_str(&format!("X-Heartbeat-Event: {}\n\n", event.word()));
    m.push_str(&format!(
        "{sentence}\n\nnode: {node}\nevent: {}\nsubject: {subject}\n",
        event.word()
    ));
    m
}

async fn sendmail(cfg: &MailConfig, text: &str, env: &AgentEnv) -> Result<(), String> {
    let mut cmd = resources::clean_command(&cfg.sendmail, env);
    cmd.args(["-t", "-oi"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let (mut child, pgid) = resources::agent::spawn_grouped(&mut cmd)
        .map_err(|e| format!("cannot run {}: {e}", cfg.sendmail.display()))?;
    let mut stdin = child.stdin.take();
    let run = async {
        if let Some(stdin) = &mut stdin {
            stdin
                .write_all(text.as_bytes())
                .await
                .map_err(|e| format!("writing to sendmail: {e}"))?;
        }
        drop(stdin.take());
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = e.read_to_string(&mut err).await;
        }
        let st = child.wait().await.map_err(|e| format!("wait: {e}"))?;
        if st.success() {
            Ok(())
        } else {
            Err(format!("{} {st}: {}", cfg.sendmail.display(), err.trim()))
        }
    };
    match tokio::time::timeout(cfg.timeout, run).await {
        Ok(r) => r,
        Err(_) => {
            if let Some(pgid) = pgid {
                resources::agent::kill_group(&mut child, pgid).await;
            }
            Err(format!(
                "{} killed after {} ms",
                cfg.sendmail.display(),
                cfg.timeout.as_millis()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_mail_has_its_headers_then_one_sentence() {
        let cfg = MailConfig {
            to: vec!["root".into(), "ops@example.org".into()],
            from: Some("heartbeat@alpha".into()),
            sendmail: "/usr/sbin/sendmail".into(),
            timeout: Duration::from_secs(30),
        };
        let m = message(&cfg, HookEvent::PeerDead, "alpha", "bravo");
        assert!(m.starts_with(
            "From: heartbeat@alpha\nTo: root, ops@example.org\nSubject: heartbeat alpha: peer bravo is dead\n"
        ), "{m}");
        assert!(m.contains("\n\nalpha no longer hears bravo"), "{m}");
        assert!(m.contains("event: peer-dead\n"), "{m}");
    }

    #[test]
    fn a_subject_cannot_add_a_header() {
        let cfg = MailConfig {
            to: vec!["root".into()],
            from: None,
            sendmail: "/usr/sbin/sendmail".into(),
            timeout: Duration::from_secs(30),
        };
        let m = message(&cfg, HookEvent::CheckFailed, "alpha", "web x: a\nBcc: evil");
        let headers = m.split("\n\n").next().unwrap();
        assert!(!headers.contains("\nBcc:"), "{headers}");
    }
}
