//! Operator requests and the peer's: standby, takeover and shutdown, whom
//! they select, why they may be refused, and when they are finished (with
//! the answer the waiting operator reads).

use super::{
    Busy, GroupIdx, LocalState, Notice, Outcome, Output, OwnRequest, Ownership, PeerStatus,
    REQUEST_REPLY_TIMEOUT, Refusal, ReplyState, RequestKind, Serving, Which, YieldCause, notify,
    set_state,
};
use crate::action::ChainAction;
use crate::config::GroupId;
use std::time::Instant;

impl Ownership {
    /// Why a new operator request cannot run now, if it cannot.
    pub(super) fn busy_reason(&self) -> Option<Busy> {
        if self.shutting_down {
            return Some(Busy::ShuttingDown);
        }
        if let Some(g) = self.groups.iter().find(|g| g.local.in_transition()) {
            return Some(Busy::InFlux {
                group: g.id.clone(),
                state: g.local,
            });
        }
        if self.request.is_some() || self.serving_in_progress() {
            return Some(Busy::RequestRunning);
        }
        None
    }

    pub(super) fn on_standby(&mut self, which: Which, out: &mut Vec<Output>) {
        if self.hands_off() {
            return refuse(out, Refusal::Maintenance { what: "standby" });
        }
        if let Some(busy) = self.busy_reason() {
            return refuse(out, Refusal::StandbyBusy { which, busy });
        }
        if self.live().is_none() {
            let peer = self.peer.clone();
            return refuse(out, Refusal::StandbyPeerNotUp { which, peer });
        }
        notify(out, Notice::GoingStandby { which });
        // An operator placed the groups: auto_failback must not undo it.
        self.failback_due = None;
        let (groups, kept_none) = self.yield_for_standby(which, out);
        if groups.is_empty() {
            let peer = self.peer.clone();
            return answer(out, kept_none, Outcome::NothingToGive { which, peer });
        }
        self.request = Some(OwnRequest {
            kind: RequestKind::Standby,
            which,
            groups,
        });
    }

    /// Yields the selected groups the peer can take, telling which it gets
    /// and which we keep; returns the yielded ones, and whether none was
    /// kept. Shared by our standby and the one the peer asks for.
    fn yield_for_standby(&mut self, which: Which, out: &mut Vec<Output>) -> (Vec<usize>, bool) {
        let (groups, kept) = self.release_selection(which);
        for &g in &kept {
            let group = self.groups[g].id.clone();
            let peer = self.peer.clone();
            notify(out, Notice::StandbyKeeps { group, peer });
        }
        if !groups.is_empty() {
            let peer = self.peer.clone();
            notify(out, Notice::StandbyGives { peer, which });
        }
        for &g in &groups {
            self.groups[g].yield_ = Some(YieldCause::Standby);
        }
        (groups, kept.is_empty())
    }

    /// The selected groups we hold and the peer can take, and those we
    /// keep because the peer would not start them (it failed them, or it
    /// reaches fewer ping nodes).
    fn release_selection(&self, which: Which) -> (Vec<usize>, Vec<usize>) {
        let mut give = Vec::new();
        let mut keep = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            if g.local != LocalState::Running || !which.selects(g.preferred_here) {
                continue;
            }
            if self.peer_can_take(i) {
                give.push(i);
            } else {
                keep.push(i);
            }
        }
        (give, keep)
    }

    pub(super) fn peer_can_take(&self, g: usize) -> bool {
        let Some(r) = self.live() else { return false };
        let p = r.groups[g];
        // A peer that yields a group it does not hold has failed it.
        let refuses = p.yield_ && !p.holds;
        !refuses && r.reach >= self.reach
    }

    pub(super) fn on_takeover(&mut self, now: Instant, which: Which, out: &mut Vec<Output>) {
        if self.hands_off() {
            return refuse(out, Refusal::Maintenance { what: "takeover" });
        }
        if let Some(busy) = self.busy_reason() {
            return refuse(out, Refusal::TakeoverBusy { which, busy });
        }
        if self.peer_status == PeerStatus::Unknown {
            let peer = self.peer.clone();
            return refuse(out, Refusal::TakeoverPeerUnknown { which, peer });
        }
        let groups: Vec<usize> = (0..self.groups.len())
            .filter(|&i| which.selects(self.groups[i].preferred_here))
            .collect();
        if groups.is_empty() {
            return answer(out, true, Outcome::NoSuchGroups { which });
        }
        self.failback_due = None;
        for &i in &groups {
            let g = &mut self.groups[i];
            // An operator takeover is the explicit "try again here".
            g.failed = false;
            g.down_logged = false;
            if g.local == LocalState::Stopped {
                g.yield_ = None;
            }
        }
        let id = if self.peer_is_up() {
            let id = self.next_request_id;
            self.next_request_id += 1;
            let peer = self.peer.clone();
            notify(out, Notice::TakeoverAsks { which, peer });
            id
        } else {
            let peer = self.peer.clone();
            notify(out, Notice::TakeoverDirect { which, peer });
            0
        };
        self.request = Some(OwnRequest {
            kind: RequestKind::Takeover { id, asked_at: now },
            which,
            groups,
        });
    }

    pub(super) fn on_shutdown(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.shutting_down {
            if self.shutdown_reported {
                // A stop again after one that could not stop everything
                // (the operator may have cleaned up by hand): retry those
                // stops, and report, and so answer, once more. Found by the
                // node simulator: the second stop was never answered.
                self.shutdown_reported = false;
                // A fresh handover wait: the first stop's has long run
                // out, and its deadline in the past made the node's timer
                // fire at once, forever, while the retried stops ran.
                self.handover_since = None;
                for (i, g) in self.groups.iter_mut().enumerate() {
                    if g.local == LocalState::StopFailed {
                        set_state(
                            g,
                            now,
                            LocalState::Stopping,
                            "stop retried at shutdown".into(),
                        );
                        out.push(Output::Run(GroupIdx(i), ChainAction::Stop));
                    }
                }
            }
            return;
        }
        self.shutting_down = true;
        if self.maintenance.on {
            // Stopping the daemon for an upgrade must not stop what it
            // watches: nothing is handed over, everything stays running.
            self.handed_over = vec![false; self.groups.len()];
            let n = super::MaintenanceNotice::ShutdownLeavesResources;
            return notify(out, Notice::Maintenance(n));
        }
        self.handed_over = self.groups.iter().map(|g| g.holds()).collect();
        notify(out, Notice::GivingUpAll);
        if self.request.take().is_some() {
            answer(out, false, Outcome::Interrupted);
        }
        for g in &mut self.groups {
            if g.yield_ != Some(YieldCause::Failed) {
                g.yield_ = Some(YieldCause::Shutdown);
            }
            g.reannounce = false;
        }
    }

    pub(super) fn serve_peer_request(&mut self, out: &mut Vec<Output>) {
        let Some(req) = self.live().and_then(|r| r.standby_request) else {
            return;
        };
        if self.serving.as_ref().is_some_and(|s| s.id == req.id) {
            return;
        }
        // A request of the peer is not ours: busy_reason must not see the
        // one we are replacing.
        self.serving = None;
        if let Some(busy) = self.busy_reason() {
            let notice = Notice::PeerStandbyIgnored {
                which: req.which,
                peer: self.peer.clone(),
                busy,
            };
            notify(out, notice);
            self.serving = Some(Serving {
                id: req.id,
                groups: Vec::new(),
                state: ReplyState::Refused,
            });
            return;
        }
        let peer = self.peer.clone();
        let which = req.which;
        notify(out, Notice::PeerWantsTakeover { peer, which });
        self.failback_due = None;
        let (groups, _) = self.yield_for_standby(which, out);
        self.serving = Some(Serving {
            id: req.id,
            groups,
            state: ReplyState::Accepted,
        });
    }

    pub(super) fn finish_serving(&mut self, out: &mut Vec<Output>) {
        let Some(s) = &self.serving else { return };
        if s.state != ReplyState::Accepted {
            return;
        }
        if s.groups
            .iter()
            .any(|&g| self.groups[g].local.in_transition())
        {
            return;
        }
        let failed = s
            .groups
            .iter()
            .any(|&g| self.groups[g].local == LocalState::StopFailed);
        let peer = self.peer.clone();
        notify(out, Notice::ServedPeerStandby { peer });
        if let Some(s) = &mut self.serving {
            s.state = if failed {
                ReplyState::Failed
            } else {
                ReplyState::Done
            };
        }
    }

    pub(super) fn finish_request(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(req) = &self.request else { return };
        let peer_up = self.peer_is_up();
        let done = match req.kind {
            RequestKind::Standby => self.standby_finished(req),
            RequestKind::Takeover { id, asked_at } => {
                let reply = self
                    .live()
                    .and_then(|r| r.reply)
                    .filter(|r| r.id == id)
                    .map(|r| r.state);
                match reply {
                    Some(ReplyState::Refused) => Some((
                        false,
                        Outcome::PeerRefused {
                            peer: self.peer.clone(),
                        },
                    )),
                    None if peer_up && now >= asked_at + REQUEST_REPLY_TIMEOUT => Some((
                        false,
                        Outcome::NoAnswer {
                            which: req.which,
                            peer: self.peer.clone(),
                            timeout: REQUEST_REPLY_TIMEOUT,
                        },
                    )),
                    Some(ReplyState::Done | ReplyState::Failed) => self.takeover_finished(req),
                    _ if !peer_up => self.takeover_finished(req),
                    _ => None,
                }
            }
        };
        if let Some((ok, outcome)) = done {
            self.request = None;
            let summary = outcome.to_string();
            notify(out, Notice::RequestFinished { ok, outcome });
            out.push(Output::RequestDone { ok, summary });
        }
    }

    fn standby_finished(&self, req: &OwnRequest) -> Option<(bool, Outcome)> {
        let peer_up = self.peer_is_up();
        let mut there = Vec::new();
        let mut stuck = Vec::new();
        let mut back = Vec::new();
        for &i in &req.groups {
            let g = &self.groups[i];
            let p = self.peer_group(i);
            match g.local {
                LocalState::StopFailed => stuck.push(g.id.clone()),
                LocalState::Stopped if !peer_up => back.push(g.id.clone()),
                LocalState::Stopped => match p {
                    // Held but still starting: it may yet fail and come
                    // back, so the answer waits (found by tests/cluster.rs:
                    // hb_standby said "now held by" a peer whose start
                    // then failed).
                    Some(p) if p.starting => return None,
                    Some(p) if p.holds => there.push(g.id.clone()),
                    Some(p) if p.yield_ => back.push(g.id.clone()),
                    _ => return None,
                },
                // Running again: the peer could not take it after all.
                LocalState::Running if g.yield_.is_none() => back.push(g.id.clone()),
                // Both nodes hold it: the conflict rule settles it, not the
                // standby, and it may never settle (the peer's stop failed).
                // Found by the node simulator: the answer never came.
                LocalState::Running if p.is_some_and(|p| p.holds) => back.push(g.id.clone()),
                _ => return None,
            }
        }
        let ok = stuck.is_empty() && back.is_empty();
        let peer = self.peer.clone();
        let outcome = if ok {
            let which = req.which;
            Outcome::AllHeldBy {
                which,
                holder: peer,
            }
        } else {
            Outcome::StandbyPartly {
                peer,
                there,
                back,
                stuck,
            }
        };
        Some((ok, outcome))
    }

    fn takeover_finished(&self, req: &OwnRequest) -> Option<(bool, Outcome)> {
        let mut here = Vec::new();
        let mut there = Vec::new();
        let mut down = Vec::new();
        for &i in &req.groups {
            let g = &self.groups[i];
            if g.local.in_transition() || self.may_take(i).is_some() {
                return None;
            }
            match g.local {
                LocalState::Running => here.push(g.id.clone()),
                _ if self.peer_group(i).is_some_and(|p| p.holds) => there.push(g.id.clone()),
                _ => down.push(g.id.clone()),
            }
        }
        let ok = there.is_empty() && down.is_empty();
        let outcome = if ok {
            let which = req.which;
            let holder = self.me.clone();
            Outcome::AllHeldBy { which, holder }
        } else {
            Outcome::TakeoverPartly {
                me: self.me.clone(),
                peer: self.peer.clone(),
                here,
                there,
                down,
            }
        };
        Some((ok, outcome))
    }

    pub(super) fn finish_shutdown(&mut self, now: Instant, out: &mut Vec<Output>) {
        if !self.shutting_down || self.shutdown_reported {
            return;
        }
        if self.maintenance.on {
            self.shutdown_reported = true;
            return out.push(Output::ShutdownComplete {
                stop_failed: Vec::new(),
                not_taken: Vec::new(),
            });
        }
        if self.groups.iter().any(|g| {
            matches!(
                g.local,
                LocalState::Starting | LocalState::Running | LocalState::Stopping
            )
        }) {
            return;
        }
        // Everything is stopped here. While the peer is up, wait until it
        // has taken what was handed over, or given it back, so that
        // `heartbeat stop` returning means the move is complete (found by
        // tests/cluster.rs: it returned with the VIP on neither node).
        let Some(not_taken) = self.handover_outcome(now) else {
            return;
        };
        self.shutdown_reported = true;
        let stop_failed: Vec<GroupId> = self
            .groups
            .iter()
            .filter(|g| g.local == LocalState::StopFailed)
            .map(|g| g.id.clone())
            .collect();
        if stop_failed.is_empty() {
            notify(out, Notice::AllRelinquished);
        } else {
            let groups = stop_failed.clone();
            notify(out, Notice::ShutdownStopFailed { groups });
        }
        out.push(Output::ShutdownComplete {
            stop_failed,
            not_taken,
        });
    }

    /// The handed-over groups the peer did not take, once that is known:
    /// `None` while it is still starting one, or has not begun and the
    /// wait (REQUEST_REPLY_TIMEOUT) is not over. With the peer down nobody
    /// can take them, and there is nothing to wait for.
    fn handover_outcome(&mut self, now: Instant) -> Option<Vec<GroupId>> {
        if !self.peer_is_up() {
            return Some(Vec::new());
        }
        let since = *self.handover_since.get_or_insert(now);
        let waited = now >= since + REQUEST_REPLY_TIMEOUT;
        let mut not_taken = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            if !self.handed_over.get(i).copied().unwrap_or(false) || g.local != LocalState::Stopped
            {
                continue;
            }
            match self.peer_group(i) {
                Some(p) if p.holds && !p.starting => {}
                Some(p) if p.yield_ && !p.holds => not_taken.push(g.id.clone()),
                Some(p) if p.starting => return None,
                _ if waited => not_taken.push(g.id.clone()),
                _ => return None,
            }
        }
        Some(not_taken)
    }
}

fn refuse(out: &mut Vec<Output>, refusal: Refusal) {
    out.push(Output::Refused(refusal.to_string()));
}

fn answer(out: &mut Vec<Output>, ok: bool, outcome: Outcome) {
    let summary = outcome.to_string();
    out.push(Output::RequestDone { ok, summary });
}
