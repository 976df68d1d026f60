//! The node's side of data-aware takeover: DRBD states observed by the
//! driver come in, the peer's come with its report, and a start that
//! ownership decided passes [`Disks::check`](super::disks::Disks::check)
//! before anything of the group runs. A refused start is answered to
//! ownership as a failed start (nothing ran, so nothing rolls back): the
//! group is yielded to the peer, and an operator's takeover tries again.
//! A start whose data is Consistent waits (DRBD's wfc): it is held until
//! the replication link connects, or refused once the wait is over.

use super::disks::Why;
use super::drbd_notice::DrbdNotice;
use super::node::Node;
use super::notice::Notice;
use super::{Effect, HookEvent};
use crate::action::{ChainAction, ChainFailure};
use crate::core::disks::DiskEvent;
use crate::drbd::DrbdState;
use crate::ownership::{self, GroupIdx};
use std::time::Instant;

impl Node {
    /// drbdadm's latest answers (only sent when something changed).
    pub(super) fn on_drbd(&mut self, now: Instant, states: Vec<DrbdState>, fx: &mut Vec<Effect>) {
        for ev in self.disks.observe(states) {
            let notice = match ev {
                DiskEvent::StandAlone { resource, disk } => {
                    fx.push(Effect::Notify {
                        event: HookEvent::SplitBrain,
                        subject: resource.clone(),
                    });
                    DrbdNotice::StandAlone { resource, disk }
                }
                DiskEvent::Reconnected { resource } => DrbdNotice::Reconnected { resource },
            };
            fx.push(Effect::Log(Notice::Drbd(notice)));
        }
        self.recheck_held(now, fx);
        self.send_report(now, fx);
    }

    /// Whether the start of `g` may run now; if not, it is held (waiting
    /// for the peer) or refused.
    pub(super) fn start_allowed(
        &mut self,
        now: Instant,
        g: GroupIdx,
        action: ChainAction,
        fx: &mut Vec<Effect>,
    ) -> bool {
        if action != ChainAction::Start {
            return true;
        }
        let spec = &self.cfg.groups[g.0];
        match self.disks.check(now, &spec.drbd, &self.cfg.peer) {
            Ok(()) => true,
            Err(why @ Why::Waiting { over: false, .. }) => {
                let group = spec.id.clone();
                fx.push(Effect::Log(Notice::Drbd(DrbdNotice::TakeoverWaits {
                    group,
                    why,
                })));
                self.disks.hold(g.0);
                false
            }
            Err(why) => {
                self.refuse_start(now, g, why, fx);
                false
            }
        }
    }

    /// Nothing of `g` ran: say why, and tell ownership the start failed.
    fn refuse_start(&mut self, now: Instant, g: GroupIdx, why: Why, fx: &mut Vec<Effect>) {
        let spec = &self.cfg.groups[g.0];
        let group = spec.id.clone();
        let failure = ChainFailure::new(format!("drbd {}", spec.drbd.join(" ")), why.to_string());
        fx.push(Effect::Log(Notice::Drbd(DrbdNotice::TakeoverRefused {
            group: group.clone(),
            why,
        })));
        fx.push(Effect::Notify {
            event: HookEvent::TakeoverRefused,
            subject: group.to_string(),
        });
        self.ownership_input(now, ownership::Input::Started(g, Err(failure)), fx);
        self.send_report(now, fx);
    }

    /// Held starts whose data changed, or whose wait is over: run them,
    /// refuse them, or hold them again.
    fn recheck_held(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        for g in self.disks.take_held() {
            let g = GroupIdx(g);
            let spec = &self.cfg.groups[g.0];
            match self.disks.check(now, &spec.drbd, &self.cfg.peer) {
                Ok(()) => {
                    if self.locks.request(g, ChainAction::Start) {
                        self.begin_run(now, g, ChainAction::Start, fx);
                    }
                }
                Err(Why::Waiting { over: false, .. }) => self.disks.hold(g.0),
                Err(why) => self.refuse_start(now, g, why, fx),
            }
        }
    }

    /// A planned stop: held starts are refused at once, so ownership can
    /// finish (nothing of them runs).
    pub(super) fn drop_held_starts(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        for g in self.disks.take_held() {
            let why = Why::ShuttingDown;
            self.refuse_start(now, GroupIdx(g), why, fx);
        }
    }

    /// The status' cause of a held start (ownership only knows it starts).
    pub(super) fn held_cause(&self, now: Instant, g: GroupIdx) -> Option<String> {
        if !self.disks.is_held(g.0) {
            return None;
        }
        let spec = &self.cfg.groups[g.0];
        self.disks
            .check(now, &spec.drbd, &self.cfg.peer)
            .err()
            .map(|w| w.to_string())
    }

    /// Timers of the DRBD parts: fence requests past their deadline, the
    /// end of the wait for the peer.
    pub(super) fn drbd_tick(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        self.expire_fences(now, false, fx);
        if self.disks.wait_over(now) {
            let peer = self.cfg.peer.clone();
            fx.push(Effect::Log(Notice::Drbd(DrbdNotice::WaitOver { peer })));
            self.recheck_held(now, fx);
        }
    }

    pub(super) fn drbd_deadline(&self) -> Option<Instant> {
        [self.fences.next_deadline(), self.disks.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// `takeover --force`: until the request is answered, starts skip
    /// the rule, a held one included.
    pub(super) fn force_takeover(&mut self, now: Instant, force: bool, fx: &mut Vec<Effect>) {
        self.disks.force(force);
        if force {
            fx.push(Effect::Log(Notice::Drbd(DrbdNotice::Forced {
                by: "takeover --force",
            })));
            self.recheck_held(now, fx);
        }
    }
}
