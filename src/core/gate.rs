//! The node's side of data-aware takeover: DRBD states observed by the
//! driver come in, the peer's come with its report, and a start that
//! ownership decided passes [`Disks::check`](super::disks::Disks::check)
//! before anything of the group runs. A refused start is answered to
//! ownership as a failed start (nothing ran, so nothing rolls back): the
//! group is yielded to the peer, and an operator's takeover tries again.

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
        self.send_report(now, fx);
    }

    /// Whether the start of `g` may run; if not, say why and tell
    /// ownership it failed without running anything.
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
        let Err(why) = self.disks.check(now, &spec.drbd, &self.cfg.peer) else {
            return true;
        };
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
        false
    }

    /// Timers of the DRBD parts: fence requests past their deadline, the
    /// end of the wait for the peer.
    pub(super) fn drbd_tick(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        self.expire_fences(now, false, fx);
        if self.disks.wait_over(now) {
            let peer = self.cfg.peer.clone();
            fx.push(Effect::Log(Notice::Drbd(DrbdNotice::WaitOver { peer })));
        }
    }

    pub(super) fn drbd_deadline(&self) -> Option<Instant> {
        [self.fences.next_deadline(), self.disks.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// `takeover --force`: the starts this request causes skip the rule.
    pub(super) fn force_takeover(&mut self, force: bool, fx: &mut Vec<Effect>) {
        if force {
            fx.push(Effect::Log(Notice::Drbd(DrbdNotice::Forced {
                by: "takeover --force",
            })));
        }
        self.disks.force(force);
    }
}
