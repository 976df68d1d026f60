//! The answer to `heartbeat status`: what the node knows, in the words
//! `cl_status` prints.

use super::node::Node;
use super::{Counters, IoCounters};
use crate::control::{
    GroupHolder, GroupStatus, LinkStatus, PeerStatus, SCHEMA_VERSION, StatusReport,
};
use crate::membership::{LinkId, PeerState};
use crate::ownership::{GroupIdx, Holder};
use std::time::Instant;

impl Node {
    pub(super) fn status_report(&self, now: Instant, io: IoCounters) -> StatusReport {
        let peer_status = match self.membership.peer_state() {
            PeerState::Init => PeerStatus::Init,
            PeerState::Dead => PeerStatus::Dead,
            PeerState::Up if self.peer_active => PeerStatus::Active,
            PeerState::Up => PeerStatus::Up,
        };
        let links = self
            .cfg
            .links
            .iter()
            .enumerate()
            .map(|(i, name)| LinkStatus {
                name: name.clone(),
                state: self.membership.link_state(LinkId(i)),
                last_heard_secs: self
                    .membership
                    .link_last_heard(LinkId(i))
                    .map(|t| now.saturating_duration_since(t).as_secs_f64()),
            })
            .collect();
        let groups = self
            .ownership
            .groups()
            .into_iter()
            .zip(self.cfg.groups.iter())
            .enumerate()
            .map(|(g, (v, spec))| GroupStatus {
                id: v.id.to_string(),
                preferred: spec.preferred.to_string(),
                holder: match v.holder {
                    Holder::Me => GroupHolder::Node(self.cfg.me.to_string()),
                    Holder::Peer => GroupHolder::Node(self.cfg.peer.to_string()),
                    Holder::Nobody => GroupHolder::Nobody,
                    Holder::Both => GroupHolder::Both,
                },
                local_state: v.local_state,
                since_secs: now.saturating_duration_since(v.since).as_secs_f64(),
                cause: (self.held_cause(now, GroupIdx(g))).unwrap_or_else(|| v.cause.clone()),
            })
            .collect();
        let t = &self.cfg.timings;
        StatusReport {
            schema_version: SCHEMA_VERSION,
            version: env!("CARGO_PKG_VERSION").to_string(),
            uptime_secs: now.saturating_duration_since(self.started).as_secs_f64(),
            node: self.cfg.me.to_string(),
            peer: self.cfg.peer.to_string(),
            peer_status,
            peer_generation: self.membership.peer_generation(),
            generation: self.cfg.generation.0,
            links,
            rscstatus: self.ownership.rsc_status(),
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
            maintenance: self.ownership.maintenance_state(),
            last_transition: self.timelines.latest(now),
            agent_durations: self.durations.report(),
            checks: self.checks.report(now),
            drbd: self.disks.status(),
        }
    }
}
