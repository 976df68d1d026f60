//! One look at the demo cluster: each node's `heartbeat status --json` and
//! which node the client reaches on the VIP, stamped with the time since the
//! live view began. The view draws it and the event detector compares two
//! of them; only [`take`] touches the lab.

use crate::{Lab, NODES};
use heartbeat::control::StatusReport;
use std::time::{Duration, Instant};

/// What one node looked like.
#[derive(Clone, Debug)]
pub enum NodeView {
    /// The demo has no daemon running there (killed, not restarted).
    Stopped,
    /// The daemon runs but its status did not come back (starting, busy).
    Silent(String),
    Up(Box<StatusReport>),
}

impl NodeView {
    pub fn report(&self) -> Option<&StatusReport> {
        match self {
            NodeView::Up(r) => Some(r),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    /// In [`NODES`] order.
    pub nodes: [NodeView; 2],
    /// When each node's status came back, in ms since the live view began
    /// (its `…_secs_ago` fields count back from there).
    pub node_ms: [f64; 2],
    /// The node name the client's web request on the VIP came back with.
    pub answer: Option<String>,
    /// When that answer came, in ms since the live view began.
    pub answer_ms: f64,
}

/// How long the client waits for the VIP: short, so the view keeps moving
/// while nobody answers.
const PROBE_TIMEOUT: Duration = Duration::from_millis(100);

/// Look at both nodes and the client now.
pub fn take(lab: &Lab, t0: Instant) -> Snapshot {
    let ms = || t0.elapsed().as_secs_f64() * 1000.0;
    let mut node_ms = [0.0; 2];
    let nodes = [0, 1].map(|i| {
        let v = node_view(lab, i);
        node_ms[i] = ms();
        v
    });
    let answer = lab.probe(PROBE_TIMEOUT);
    Snapshot {
        nodes,
        node_ms,
        answer,
        answer_ms: ms(),
    }
}

fn node_view(lab: &Lab, i: usize) -> NodeView {
    if lab.nodes[i].daemon.is_none() {
        return NodeView::Stopped;
    }
    let out = lab.ctl(i, &["status", "--json"]);
    match serde_json::from_slice::<StatusReport>(&out.stdout) {
        Ok(r) => NodeView::Up(Box::new(r)),
        Err(_) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().next().unwrap_or("no answer").trim();
            NodeView::Silent(format!("{}: {first}", NODES[i]))
        }
    }
}

/// Status reports and snapshots for the view's and the detector's tests.
#[cfg(test)]
pub mod fixture {
    use super::{NodeView, Snapshot};
    use heartbeat::control::{
        GroupHolder, GroupStatus, LinkState, LinkStatus, LocalState, PeerStatus, RscStatus,
        StatusReport,
    };

    pub const GROUP: &str = "IPaddr::10.213.7.100/24";

    /// Node `me` of alpha/bravo, seeing its peer as `peer`, the group held
    /// by `holder` and run here as `local`.
    pub fn report(me: &str, peer: PeerStatus, holder: &str, local: LocalState) -> StatusReport {
        let other = if me == "alpha" { "bravo" } else { "alpha" };
        let link = if peer == PeerStatus::Dead {
            LinkState::Dead
        } else {
            LinkState::Up
        };
        StatusReport {
            schema_version: 1,
            version: "test".into(),
            uptime_secs: 12.0,
            node: me.into(),
            peer: other.into(),
            peer_status: peer,
            peer_generation: Some(3),
            generation: 4,
            links: vec![LinkStatus {
                name: "eth1".into(),
                state: link,
                last_heard_secs: Some(0.1),
            }],
            rscstatus: if local == LocalState::Running {
                RscStatus::Local
            } else {
                RscStatus::Foreign
            },
            groups: vec![GroupStatus {
                id: GROUP.into(),
                preferred: "alpha".into(),
                holder: GroupHolder::from(holder.to_string()),
                local_state: local,
                since_secs: 1.0,
                cause: "test".into(),
            }],
            ping_reachable: 0,
            counters: Default::default(),
            keepalive_ms: 100,
            deadtime_ms: 500,
            warntime_ms: 300,
            initdead_ms: 3000,
            maintenance: Default::default(),
            last_transition: None,
            agent_durations: Vec::new(),
            checks: Vec::new(),
            drbd: Vec::new(),
        }
    }

    /// Both nodes up, alpha serving, the client answered by alpha.
    pub fn steady(at_ms: f64) -> Snapshot {
        Snapshot {
            nodes: [
                NodeView::Up(Box::new(report(
                    "alpha",
                    PeerStatus::Active,
                    "alpha",
                    LocalState::Running,
                ))),
                NodeView::Up(Box::new(report(
                    "bravo",
                    PeerStatus::Active,
                    "alpha",
                    LocalState::Stopped,
                ))),
            ],
            node_ms: [at_ms; 2],
            answer: Some("alpha".into()),
            answer_ms: at_ms,
        }
    }
}
