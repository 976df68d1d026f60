//! Reloading the configuration (SIGHUP, `systemctl reload`): which changes
//! apply at once and which are refused, decided here; the driver has
//! already re-read and validated the files, re-opened changed media and
//! restarted the pinger, and follows [`Effect::Reconfigured`] to swap the
//! group definitions its chains run.
//!
//! Applied at once, moving nothing: the timings (the keepalive, warn, dead
//! and initdead times), the media list (membership keeps the state of every
//! medium whose name stays), monitor policies, auto_failback and its delay,
//! the keys. A group whose resources changed takes the new definition only
//! if it is stopped here and idle (its stop must run the chain that
//! started it); otherwise that change is refused with the reason, and a
//! reload after the group moved away applies it. A change to the set of
//! groups (their number, names, order or preferred node) is refused: the
//! report numbers groups by position, so both nodes must restart with it.

use super::node::Node;
use super::{Effect, GroupSpec, NodeConfig, Notice};
use crate::config::ClusterConfig;
use crate::membership::MembershipConfig;
use crate::ownership::{GroupIdx, LocalState};
use std::fmt;
use std::time::Instant;

/// One line per change a reload applied or refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadNotice {
    Applied {
        what: String,
    },
    Refused {
        what: String,
        reason: String,
    },
    /// Nothing the node uses changed.
    Unchanged,
}

impl ReloadNotice {
    pub fn level(&self) -> crate::ownership::Level {
        match self {
            ReloadNotice::Refused { .. } => crate::ownership::Level::Warn,
            _ => crate::ownership::Level::Info,
        }
    }
}

impl fmt::Display for ReloadNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadNotice::Applied { what } => write!(f, "Reload: {what}: applied"),
            ReloadNotice::Refused { what, reason } => {
                write!(f, "Reload: {what}: refused, {reason}")
            }
            ReloadNotice::Unchanged => f.write_str("Reload: no change the cluster uses"),
        }
    }
}

/// What a reload cannot change at all (the driver refuses the whole
/// reload then, before touching anything): the node's identity.
pub fn identity_change(old: &ClusterConfig, new: &ClusterConfig) -> Option<String> {
    (old.local != new.local || old.peer != new.peer).then(|| {
        format!(
            "the node names changed ({} and {} to {} and {}); restart heartbeat on both nodes",
            old.local, old.peer, new.local, new.peer
        )
    })
}

fn applied(what: impl Into<String>) -> Effect {
    Effect::Log(Notice::Reload(ReloadNotice::Applied { what: what.into() }))
}

fn refused(what: impl Into<String>, reason: impl Into<String>) -> Effect {
    Effect::Log(Notice::Reload(ReloadNotice::Refused {
        what: what.into(),
        reason: reason.into(),
    }))
}

impl Node {
    pub(super) fn reload(&mut self, now: Instant, mut new: NodeConfig, fx: &mut Vec<Effect>) {
        let before = fx.len();
        // Who we are does not change with the files.
        new.me = self.cfg.me.clone();
        new.peer = self.cfg.peer.clone();
        new.generation = self.cfg.generation;
        new.uuid = self.cfg.uuid;
        new.wall_secs_at_start = self.cfg.wall_secs_at_start;
        new.maintenance = self.cfg.maintenance;
        if new.timings != self.cfg.timings || new.links != self.cfg.links {
            self.reload_membership(now, &new, fx);
        }
        if (new.auto_failback, new.failback_delay)
            != (self.cfg.auto_failback, self.cfg.failback_delay)
        {
            self.ownership
                .set_failback(new.auto_failback, new.failback_delay);
            fx.push(applied(format!(
                "auto_failback {:?}, failback_delay {} ms",
                new.auto_failback,
                new.failback_delay.as_millis()
            )));
        }
        if new.auth != self.cfg.auth {
            let accepting: Vec<u8> = new.auth.keys.keys().copied().collect();
            fx.push(applied(format!(
                "authkeys: signing with key {}, accepting keys {accepting:?} (the peer must \
                 know the key we sign with: reload it too)",
                new.auth.active
            )));
        }
        let kept = self.reload_groups(&mut new.groups, fx);
        for what in self.reload_checks(now, &new) {
            fx.push(applied(what));
        }
        let digest_changed = new.digest != self.cfg.digest;
        self.cfg = new;
        if fx.len() == before {
            fx.push(Effect::Log(Notice::Reload(ReloadNotice::Unchanged)));
        }
        fx.push(Effect::Reconfigured { kept_groups: kept });
        if digest_changed {
            // The peer judges our new digest with our next report.
            self.judge_peer_digest(None, fx);
            self.send_report(now, fx);
        }
    }

    fn reload_membership(&mut self, now: Instant, new: &NodeConfig, fx: &mut Vec<Effect>) {
        let t = &new.timings;
        self.membership.reconfigure(
            now,
            MembershipConfig {
                peer: new.peer.clone(),
                links: new.links.clone(),
                keepalive: t.keepalive,
                warntime: t.warntime,
                deadtime: t.deadtime,
                initdead: t.initdead,
            },
        );
        // Lost links are named again by their new index, if they remain.
        let old_links = &self.cfg.links;
        self.lost_links = (self.lost_links.iter())
            .filter_map(|l| old_links.get(l.0))
            .filter_map(|name| new.links.iter().position(|n| n == name))
            .map(crate::membership::LinkId)
            .collect();
        if new.timings != self.cfg.timings {
            self.next_keepalive = self.next_keepalive.map(|k| k.min(now + t.keepalive));
            fx.push(applied(format!(
                "timings keepalive {} ms, warntime {} ms, deadtime {} ms, initdead {} ms",
                t.keepalive.as_millis(),
                t.warntime.as_millis(),
                t.deadtime.as_millis(),
                t.initdead.as_millis()
            )));
        }
        if new.links != self.cfg.links {
            fx.push(applied(format!("media {}", new.links.join(", "))));
        }
    }

    /// Applies what it may to `new` and returns the groups whose old
    /// definition stays (every group when the set changed).
    fn reload_groups(&mut self, new: &mut Vec<GroupSpec>, fx: &mut Vec<Effect>) -> Vec<GroupIdx> {
        let old = self.cfg.groups.clone();
        let same_set = old.len() == new.len()
            && old
                .iter()
                .zip(new.iter())
                .all(|(o, n)| o.id == n.id && o.preferred == n.preferred);
        if !same_set {
            fx.push(refused(
                "the set of resource groups",
                "their number, names, order or preferred nodes changed; both nodes must be \
                 restarted with the new haresources",
            ));
            let all = (0..old.len()).map(GroupIdx).collect();
            *new = old;
            return all;
        }
        let mut kept = Vec::new();
        for (i, (o, n)) in old.iter().zip(new.iter_mut()).enumerate() {
            let g = GroupIdx(i);
            if o.monitor != n.monitor {
                self.locks
                    .set_interval(g, n.monitor.as_ref().map(|m| m.interval));
                fx.push(applied(format!("monitor of resource group {}", n.id)));
            }
            if o.chain == n.chain {
                continue;
            }
            let state = self.ownership.groups()[i].local_state;
            if state == LocalState::Stopped && !self.locks.busy(g) {
                fx.push(applied(format!(
                    "resources of group {} (it does not run here; its next start uses them)",
                    n.id
                )));
                continue;
            }
            fx.push(refused(
                format!("resources of group {}", n.id),
                format!(
                    "it is {} here and must stop with what it started with; move it away \
                     (heartbeat standby) and reload again",
                    state.word()
                ),
            ));
            n.line = o.line.clone();
            n.chain = o.chain.clone();
            kept.push(g);
        }
        kept
    }
}
