//! The answer to `heartbeat status`: what the node knows, in the words
//! `cl_status` prints.

use super::node::Node;
use super::{Counters, IoCounters};
use crate::control::{GroupStatus, LinkStatus, StatusReport};
use crate::membership::{LinkId, LinkState, PeerState};
use crate::ownership::{self, Holder};
use std::time::Instant;

impl Node {
    pub(super) fn status_report(&self, now: Instant, io: IoCounters) -> StatusReport {
        let peer_status = match self.membership.peer_state() {
            PeerState::Init => "init",
            PeerState::Dead => "dead",
            PeerState::Up if self.peer_active => "active",
            PeerState::Up => "up",
        };
        let links = self
            .cfg
            .links
            .iter()
            .enumerate()
            .map(|(i, name)| LinkStatus {
                name: name.clone(),
                state: match self.membership.link_state(LinkId(i)) {
                    LinkState::Up => "up",
                    LinkState::Dead => "dead",
                    LinkState::Init => "init",
                }
                .to_string(),
            })
            .collect();
        let groups = self
            .ownership
            .groups()
            .into_iter()
            .zip(self.cfg.groups.iter())
            .map(|(v, spec)| GroupStatus {
                id: v.id.to_string(),
                preferred: spec.preferred.to_string(),
                holder: match v.holder {
                    Holder::Me => self.cfg.me.to_string(),
                    Holder::Peer => self.cfg.peer.to_string(),
                    Holder::Nobody => "none".into(),
                    Holder::Both => "both".into(),
                },
                local_state: local_state_word(v.local_state).to_string(),
                since_secs: now.saturating_duration_since(v.since).as_secs_f64(),
                cause: v.cause.clone(),
            })
            .collect();
        let t = &self.cfg.timings;
        StatusReport {
            node: self.cfg.me.to_string(),
            peer: self.cfg.peer.to_string(),
            peer_status: peer_status.to_string(),
            peer_generation: self.membership.peer_generation(),
            generation: self.cfg.generation.0,
            links,
            rscstatus: self.ownership.rsc_status().word().to_string(),
            groups,
            ping_reachable: self.reach,
            counters: Counters {
                log_lines_dropped: io.log_lines_dropped,
                dropped_keepalives_queued: io.keepalives_dropped_queued,
                ..self.counters.clone()
            },
            keepalive_ms: t.keepalive.as_millis() as u64,
            deadtime_ms: t.deadtime.as_millis() as u64,
            warntime_ms: t.warntime.as_millis() as u64,
            initdead_ms: t.initdead.as_millis() as u64,
        }
    }
}

fn local_state_word(s: ownership::LocalState) -> &'static str {
    match s {
        ownership::LocalState::Stopped => "stopped",
        ownership::LocalState::Starting => "starting",
        ownership::LocalState::Running => "running",
        ownership::LocalState::Stopping => "stopping",
        ownership::LocalState::StopFailed => "stop-failed",
    }
}
