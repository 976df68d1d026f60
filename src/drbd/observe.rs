//! The I/O edge of DRBD: running drbdadm with the agents' environment to learn a
//! resource's state, and to outdate it when the peer asks. The daemon
//! polls with [`watch`] and feeds every change to the node; it decides
//! nothing here.

use super::DrbdState;
use crate::resources::{AgentEnv, clean_command};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the states are read: a disk outdated by the peer is known
/// well within a deadtime.
pub const POLL: Duration = Duration::from_millis(300);
/// A drbdadm call that hangs (a stuck kernel) is given up on.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Run `drbdadm ARGS` with the agents' environment, so the daemon reads
/// the same drbdadm its drbddisk agent runs: its exit code, stdout and
/// stderr (`None`: it did not run).
pub async fn drbdadm(args: &[&str], env: &AgentEnv) -> Option<(i32, String, String)> {
    let child = clean_command(Path::new("drbdadm"), env)
        .args(args)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(CALL_TIMEOUT, child).await.ok()?.ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// One resource's state as drbdadm tells it.
pub async fn observe(resource: &str, env: &AgentEnv) -> DrbdState {
    let mut outs = Vec::new();
    for cmd in ["role", "dstate", "cstate"] {
        match drbdadm(&[cmd, resource], env).await {
            Some((0, out, _)) => outs.push(out),
            _ => return DrbdState::unknown(resource),
        }
    }
    DrbdState::from_drbdadm(resource, &outs[0], &outs[1], &outs[2])
}

/// `drbdadm outdate RES` (DRBD refuses while Connected or Primary), then
/// the state it left, which is what the answer to the peer is made of.
pub async fn outdate(resource: &str, env: &AgentEnv) -> (DrbdState, String) {
    let said = match drbdadm(&["outdate", resource], env).await {
        Some((code, _, err)) => format!("drbdadm outdate {resource}: exit {code} {}", err.trim()),
        None => format!("drbdadm outdate {resource} did not run"),
    };
    (observe(resource, env).await, said)
}

/// Every resource's state, in order.
pub async fn observe_all(resources: &[String], env: &AgentEnv) -> Vec<DrbdState> {
    let mut all = Vec::with_capacity(resources.len());
    for r in resources {
        all.push(observe(r, env).await);
    }
    all
}

/// Poll every resource in `resources` from now on and send the whole set
/// whenever it differs from the last one sent (`first`, which the caller
/// gave the node itself). Ends when the receiver is gone.
pub fn watch(
    resources: Vec<String>,
    first: Vec<DrbdState>,
    tx: mpsc::Sender<Vec<DrbdState>>,
    env: Arc<AgentEnv>,
) -> Option<tokio::task::JoinHandle<()>> {
    if resources.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut last = first;
        loop {
            tokio::time::sleep(POLL).await;
            let now = observe_all(&resources, &env).await;
            if now != last {
                if tx.send(now.clone()).await.is_err() {
                    return;
                }
                last = now;
            }
        }
    }))
}
