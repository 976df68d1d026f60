//! What ownership does when something happens to it: the peer comes up,
//! dies or reports; a chain it ran finishes; a monitor fails. Each handler
//! records the fact and tells the operator; deciding what follows is left
//! to `evaluate`, which runs after every input.

use super::{
    ChainAction, ChainFailure, DeadCause, Generation, GroupFailure, GroupIdx, LocalState,
    MaintenanceNotice, Notice, Output, Ownership, PeerStatus, PeerView, Report, YieldCause, notify,
    set_state,
};
use crate::config::AutoFailback;
use std::time::Instant;

impl Ownership {
    pub(super) fn on_peer_up(
        &mut self,
        now: Instant,
        since: Instant,
        out: &mut Vec<Output>,
    ) -> bool {
        if matches!(self.peer_status, PeerStatus::Up { .. }) {
            return false;
        }
        let peer = self.peer.clone();
        notify(out, Notice::PeerUp { peer });
        self.peer_status = PeerStatus::Up { since };
        // Whatever arrived before may come from an incarnation that has
        // since gone (delayed packets): act only on what it says from now.
        if let Some(v) = &mut self.peer_view {
            v.fresh = false;
        }
        self.arm_failback(now, since);
        true
    }

    fn arm_failback(&mut self, now: Instant, since: Instant) {
        self.failback_due = match self.auto_failback {
            AutoFailback::Off => None,
            AutoFailback::On | AutoFailback::Legacy => Some(since.min(now) + self.failback_delay),
        };
    }

    pub(super) fn on_peer_dead(&mut self, cause: DeadCause, out: &mut Vec<Output>) {
        if matches!(self.peer_status, PeerStatus::Dead { .. }) {
            return;
        }
        self.peer_status = PeerStatus::Dead { cause };
        self.failback_due = None;
        self.reach_lower = false;
        if let Some(v) = &mut self.peer_view {
            v.fresh = false;
        }
        if self.shutting_down {
            return;
        }
        let peer = self.peer.clone();
        if self.hands_off() {
            notify(
                out,
                Notice::Maintenance(MaintenanceNotice::NoTakeover { peer }),
            );
            return;
        }
        notify(out, Notice::AcquiringFromDeadPeer { peer, cause });
        for g in &mut self.groups {
            // The peer can no longer take anything, and a group that failed
            // here deserves one more try now that nobody else can run it.
            g.yield_ = None;
            g.failed = false;
            g.reannounce = false;
            g.conflict_logged = false;
            g.down_logged = false;
        }
    }

    pub(super) fn on_peer_report(
        &mut self,
        now: Instant,
        report: Report,
        generation: Generation,
        out: &mut Vec<Output>,
    ) -> bool {
        if report.groups.len() != self.groups.len() {
            if !self.mismatch_logged {
                self.mismatch_logged = true;
                let notice = Notice::GroupCountMismatch {
                    peer: self.peer.clone(),
                    theirs: report.groups.len(),
                    ours: self.groups.len(),
                };
                notify(out, notice);
            }
            return false;
        }
        let is_new = match &self.peer_view {
            None => true,
            Some(v) if generation < v.generation => return false,
            Some(v) if generation > v.generation => {
                let peer = self.peer.clone();
                notify(out, Notice::PeerRestarted { peer, generation });
                self.serving = None;
                if let PeerStatus::Up { .. } = self.peer_status {
                    self.arm_failback(now, now);
                }
                true
            }
            Some(v) => {
                // After the peer was declared dead even a repeat is news:
                // a frozen node resumes with the very report it last sent.
                let repeat = report.version == v.report.version
                    && (report.ack_gen, report.ack) <= (v.report.ack_gen, v.report.ack);
                if report.version < v.report.version || (repeat && v.fresh) {
                    return false;
                }
                report.version > v.report.version
            }
        };
        for (e, g) in self.peer_epochs.iter_mut().zip(&report.groups) {
            *e = (*e).max(g.epoch);
        }
        self.peer_view = Some(PeerView {
            generation,
            report,
            fresh: true,
        });
        is_new
    }

    pub(super) fn on_started(
        &mut self,
        now: Instant,
        g: GroupIdx,
        result: Result<(), ChainFailure>,
        out: &mut Vec<Output>,
    ) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        if grp.local != LocalState::Starting {
            let group = grp.id.clone();
            notify(out, Notice::UnexpectedStarted { group });
            return;
        }
        match result {
            Ok(()) => {
                set_state(grp, now, LocalState::Running, "started".to_string());
                let group = grp.id.clone();
                notify(out, Notice::Running { group });
            }
            Err(e) => {
                self.mark_failed(now, g.0, GroupFailure::Start(e), out);
            }
        }
    }

    /// Shared by start and monitor failures: do not retry here, give the
    /// group to the peer. The caller has stopped (or will stop) the chain.
    fn mark_failed(
        &mut self,
        now: Instant,
        g: usize,
        failure: GroupFailure,
        out: &mut Vec<Output>,
    ) {
        let taker = self.peer_is_up().then(|| self.peer.clone());
        let grp = &mut self.groups[g];
        grp.failed = true;
        grp.yield_ = Some(YieldCause::Failed);
        if grp.local == LocalState::Starting {
            set_state(grp, now, LocalState::Stopped, failure.to_string());
        } else {
            grp.cause = failure.to_string();
        }
        let group = grp.id.clone();
        notify(
            out,
            Notice::Failed {
                group,
                failure,
                taker,
            },
        );
    }

    pub(super) fn on_stopped(
        &mut self,
        now: Instant,
        g: GroupIdx,
        result: Result<(), ChainFailure>,
        out: &mut Vec<Output>,
    ) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        // A restart (local state Starting) may fail in its stop half.
        if !matches!(grp.local, LocalState::Stopping | LocalState::Starting) {
            let group = grp.id.clone();
            notify(out, Notice::UnexpectedStopped { group });
            return;
        }
        match result {
            Ok(()) if grp.local == LocalState::Stopping => {
                set_state(grp, now, LocalState::Stopped, "released".to_string());
                let group = grp.id.clone();
                notify(out, Notice::Released { group });
            }
            Ok(()) => {}
            Err(e) => {
                set_state(
                    grp,
                    now,
                    LocalState::StopFailed,
                    format!("stop failed: {e}"),
                );
                let notice = Notice::StopFailed {
                    group: grp.id.clone(),
                    failure: e,
                    peer: self.peer.clone(),
                };
                notify(out, notice);
            }
        }
    }

    pub(super) fn on_monitor_failed(&mut self, now: Instant, g: GroupIdx, out: &mut Vec<Output>) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        if grp.local != LocalState::Running {
            return;
        }
        if self.hands_off() {
            let group = self.groups[g.0].id.clone();
            notify(
                out,
                Notice::Maintenance(MaintenanceNotice::MonitorIgnored { group }),
            );
            return;
        }
        let grp = &mut self.groups[g.0];
        if let Some(policy) = grp.monitor.clone() {
            while grp
                .restarts
                .front()
                .is_some_and(|&t| now.duration_since(t) >= policy.window)
            {
                grp.restarts.pop_front();
            }
            if (grp.restarts.len() as u32) < policy.max_restarts {
                grp.restarts.push_back(now);
                let n = grp.restarts.len();
                set_state(
                    grp,
                    now,
                    LocalState::Starting,
                    format!("monitor failure, local restart {n}"),
                );
                let notice = Notice::MonitorRestart {
                    group: grp.id.clone(),
                    restart: n,
                    max: policy.max_restarts,
                    window: policy.window,
                };
                notify(out, notice);
                out.push(Output::Run(g, ChainAction::Restart));
                return;
            }
        }
        grp.restarts.clear();
        self.mark_failed(now, g.0, GroupFailure::MonitorExhausted, out);
    }
}
