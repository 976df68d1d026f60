//! The rules, applied after every input in a fixed order (`evaluate`):
//! settle yields, resolve conflicts, re-announce, follow ping reach, serve
//! the peer's standby (in `requests.rs`), fail back, release what we yield,
//! start what we may, then finish requests and shutdown. Every chain start
//! and stop is ordered here, except a monitor-driven local restart (in
//! `inputs.rs`).

use super::{
    ChainAction, GroupIdx, LocalState, Notice, Output, Ownership, PeerStatus, StartReason,
    YieldCause, notify, set_state,
};
use crate::config::AutoFailback;
use std::time::Instant;

impl Ownership {
    /// Apply every rule once; true if the report changed on the way (the
    /// caller then sends it).
    pub(super) fn evaluate(&mut self, now: Instant, out: &mut Vec<Output>) -> bool {
        if self.hands_off() {
            // Maintenance: nothing starts, stops or moves; only a stop of
            // the daemon finishes (leaving everything running).
            let changed = self.refresh_version();
            self.finish_shutdown(now, out);
            return changed;
        }
        if self.live().is_some() && !self.shutting_down {
            self.settle_yields();
            self.resolve_conflicts(out);
            self.reannounce(out);
            self.follow_reach(out);
            self.serve_peer_request(out);
            self.fail_back(now, out);
        }
        self.release_yielded(now, out);
        // Starting is decided against the version the peer may have acked:
        // if anything changed above, the peer must see it first.
        let changed = self.refresh_version();
        self.start_what_we_may(now, out);
        self.log_cut_off(out);
        self.log_groups_down(out);
        self.finish_serving(out);
        self.finish_request(now, out);
        self.finish_shutdown(now, out);
        changed
    }

    fn settle_yields(&mut self) {
        let reach = self.reach;
        let Some(r) = self.live().cloned() else {
            return;
        };
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if g.local != LocalState::Stopped {
                continue;
            }
            match g.yield_ {
                // Handover completed.
                Some(c) if c != YieldCause::Failed && p.holds => g.yield_ = None,
                // The peer will not take it (it failed it, or reaches fewer
                // ping nodes): withdraw, so the group does not stay down.
                Some(YieldCause::Standby | YieldCause::Failback | YieldCause::Conflict)
                    if !p.holds && (p.yield_ || r.reach < reach) =>
                {
                    g.yield_ = None
                }
                _ => {}
            }
        }
    }

    fn resolve_conflicts(&mut self, out: &mut Vec<Output>) {
        if !self.peer_acked_current() {
            return;
        }
        let Some(r) = self.live().cloned() else {
            return;
        };
        // With auto_failback the group ends on its preferred node anyway:
        // keeping it there now makes the heal one move instead of two.
        let failback = self.auto_failback != AutoFailback::Off;
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if !(g.holds() && p.holds) || g.local == LocalState::Stopping {
                continue;
            }
            let we_lose = if failback {
                !g.preferred_here
            } else {
                g.epoch < p.epoch || (g.epoch == p.epoch && !g.preferred_here)
            };
            if !g.conflict_logged {
                g.conflict_logged = true;
                let (loser, keeper) = if we_lose {
                    (&self.me, &self.peer)
                } else {
                    (&self.peer, &self.me)
                };
                let notice = Notice::Conflict {
                    group: g.id.clone(),
                    epoch_here: g.epoch,
                    epoch_peer: p.epoch,
                    peer: self.peer.clone(),
                    loser: loser.clone(),
                    keeper: keeper.clone(),
                };
                notify(out, notice);
            }
            if we_lose {
                // A pending handover (standby, failback, reach) waits for
                // conflicts to settle, so the conflict must take over its
                // yield; failures and shutdown stop the group anyway.
                if !matches!(g.yield_, Some(YieldCause::Failed | YieldCause::Shutdown)) {
                    g.yield_ = Some(YieldCause::Conflict);
                }
            } else {
                g.reannounce = true;
            }
        }
    }

    fn reannounce(&mut self, out: &mut Vec<Output>) {
        let Some(r) = self.live().cloned() else {
            return;
        };
        for (i, (g, p)) in self.groups.iter_mut().zip(&r.groups).enumerate() {
            if !p.holds {
                g.conflict_logged = false;
            }
            if g.reannounce && !p.holds && g.local == LocalState::Running {
                g.reannounce = false;
                if g.yield_.is_some() {
                    // About to be handed over: the peer will announce it.
                    continue;
                }
                let peer = self.peer.clone();
                let group = g.id.clone();
                notify(out, Notice::Reannouncing { peer, group });
                out.push(Output::Run(GroupIdx(i), ChainAction::Reannounce));
            }
        }
    }

    /// ipfail's rule, on edges only so a stable difference moves groups once.
    fn follow_reach(&mut self, out: &mut Vec<Output>) {
        // Before our own first measurement a count of 0 means "not yet
        // known", not "unreachable": never hand over on it.
        if !self.reach_known {
            return;
        }
        let Some(r) = self.live().cloned() else {
            return;
        };
        let peer_reach = r.reach;
        let lower = peer_reach > self.reach;
        if !lower {
            // Level, not edge: a group still stopping when reach recovered
            // must not stay yielded to a peer that may not take it.
            for g in &mut self.groups {
                if g.yield_ == Some(YieldCause::Reach) {
                    g.yield_ = None;
                }
            }
        }
        if lower == self.reach_lower {
            return;
        }
        self.reach_lower = lower;
        if lower {
            let notice = Notice::ReachLower {
                peer: self.peer.clone(),
                peer_reach,
                reach: self.reach,
            };
            notify(out, notice);
            for g in &mut self.groups {
                if g.yield_.is_none() {
                    g.yield_ = Some(YieldCause::Reach);
                }
            }
        } else {
            let notice = Notice::ReachRecovered {
                peer: self.peer.clone(),
                peer_reach,
                reach: self.reach,
            };
            notify(out, notice);
        }
    }

    fn fail_back(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(due) = self.failback_due else { return };
        if now < due || self.busy_reason().is_some() || !self.peer_acked_current() {
            return;
        }
        self.failback_due = None;
        let mut moved = Vec::new();
        for i in 0..self.groups.len() {
            let g = &self.groups[i];
            if g.local == LocalState::Running
                && !g.preferred_here
                && g.yield_.is_none()
                && self.peer_can_take(i)
            {
                moved.push(i);
            }
        }
        if moved.is_empty() {
            return;
        }
        let peer = self.peer.clone();
        let delay = self.failback_delay;
        notify(out, Notice::FailingBack { peer, delay });
        for i in moved {
            self.groups[i].yield_ = Some(YieldCause::Failback);
        }
    }

    /// Stop every running group we yield, whatever the reason.
    fn release_yielded(&mut self, now: Instant, out: &mut Vec<Output>) {
        let peer_holds: Vec<bool> = (0..self.groups.len())
            .map(|i| self.peer_group(i).is_some_and(|p| p.holds))
            .collect();
        for (i, g) in self.groups.iter_mut().enumerate() {
            let Some(cause) = g.yield_ else { continue };
            if g.local != LocalState::Running {
                continue;
            }
            // A handover while both hold the group (a conflict being
            // resolved) would stop it on both nodes: let the conflict settle
            // first. Failures and shutdown cannot wait.
            let handover = matches!(
                cause,
                YieldCause::Standby | YieldCause::Failback | YieldCause::Reach
            );
            if handover && peer_holds[i] {
                continue;
            }
            set_state(g, now, LocalState::Stopping, cause.to_string());
            let group = g.id.clone();
            notify(out, Notice::Releasing { group, cause });
            out.push(Output::Run(GroupIdx(i), ChainAction::Stop));
        }
    }

    /// The start rule (peer up) and the takeover rule (peer dead).
    fn start_what_we_may(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.shutting_down {
            return;
        }
        let acked = self.peer_acked_current();
        for i in 0..self.groups.len() {
            let Some(reason) = self.may_take(i) else {
                continue;
            };
            if self.peer_is_up() && !acked {
                continue;
            }
            let epoch = self.groups[i].epoch.max(self.peer_epochs[i]) + 1;
            let g = &mut self.groups[i];
            g.epoch = epoch;
            g.reannounce = false;
            set_state(g, now, LocalState::Starting, reason.to_string());
            let group = g.id.clone();
            notify(out, Notice::Starting { group, reason });
            out.push(Output::Run(GroupIdx(i), ChainAction::Start));
        }
    }

    /// Whether the start rule allows group `g` here, ignoring the ack; the
    /// reason for the log if so. A node that reaches none of its ping nodes
    /// takes nothing: it is the one cut off, and the peer it cannot hear
    /// may well be serving (the two-site rule: no internet at all, do nothing).
    pub(super) fn may_take(&self, g: usize) -> Option<StartReason> {
        self.may_take_by_membership(g).filter(|_| !self.cut_off())
    }

    /// Ping nodes are configured, measured, and none answers.
    pub(super) fn cut_off(&self) -> bool {
        self.reach_known && self.reach == 0
    }

    /// Log once, while cut off, that a group we would otherwise take stays where it is.
    fn log_cut_off(&mut self, out: &mut Vec<Output>) {
        let withheld = self.cut_off()
            && (0..self.groups.len()).any(|g| self.may_take_by_membership(g).is_some());
        if withheld && !self.cut_off_logged {
            let peer = self.peer.clone();
            notify(out, Notice::CutOff { peer });
        }
        self.cut_off_logged = withheld;
    }

    fn may_take_by_membership(&self, g: usize) -> Option<StartReason> {
        let grp = &self.groups[g];
        if self.shutting_down
            || grp.local != LocalState::Stopped
            || grp.failed
            || grp.yield_.is_some()
        {
            return None;
        }
        match self.peer_status {
            PeerStatus::Unknown => None,
            PeerStatus::Dead { cause } => Some(StartReason::PeerGone(cause)),
            PeerStatus::Up { .. } => {
                let r = self.live()?;
                let p = r.groups[g];
                if p.holds {
                    None
                } else if p.yield_ {
                    // Never grab a group given away over ping reach while
                    // we reach fewer ping nodes than the giver.
                    (self.reach >= r.reach).then(|| StartReason::PeerReleased(self.peer.clone()))
                } else if grp.preferred_here {
                    Some(StartReason::Preferred)
                } else {
                    None
                }
            }
        }
    }

    fn log_groups_down(&mut self, out: &mut Vec<Output>) {
        let Some(r) = self.live().cloned() else {
            return;
        };
        if !self.peer_is_up() {
            return;
        }
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if g.failed && !g.holds() && p.yield_ && !p.holds && !g.down_logged {
                g.down_logged = true;
                let group = g.id.clone();
                notify(out, Notice::DownEverywhere { group });
            }
        }
    }
}
