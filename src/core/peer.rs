//! What the node does when membership reports a change: the peer up,
//! dead or restarted, a link lost or back, a late heartbeat; each turned
//! into log lines, hook events and ownership inputs.

use super::node::{Node, Shutdown};
use super::notice::{Notice, PeerNotice};
use super::{Effect, HookEvent};
use crate::action::ChainAction;
use crate::membership;
use crate::ownership::{self, GroupIdx, LocalState};
use std::time::{Duration, Instant};

impl Node {
    pub(super) fn on_membership_events(
        &mut self,
        now: Instant,
        events: Vec<membership::Event>,
        fx: &mut Vec<Effect>,
    ) {
        use membership::Event;
        let peer = self.cfg.peer.clone();
        for ev in events {
            match ev {
                Event::PeerUp { restarted } => self.on_peer_up(now, restarted, fx),
                Event::PeerDead { silent_for, cause } => {
                    self.on_peer_dead(now, silent_for, cause, fx)
                }
                Event::LateHeartbeat {
                    interval,
                    beyond_deadtime,
                } => {
                    self.counters.late_heartbeats += 1;
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::LateHeartbeat {
                        peer: peer.clone(),
                        interval,
                        beyond_deadtime,
                    })));
                }
                Event::LinkUp { link } => {
                    let name = self.cfg.links[link.0].clone();
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::LinkUp {
                        peer: peer.clone(),
                        link: name.clone(),
                    })));
                    if self.lost_links.remove(&link) {
                        fx.push(Effect::Notify {
                            event: HookEvent::LinkUp,
                            subject: name,
                        });
                        self.reannounce_held(now, fx);
                    }
                }
                Event::LinkDead { link } => {
                    self.lost_links.insert(link);
                    let name = self.cfg.links[link.0].clone();
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::LinkDead {
                        peer: peer.clone(),
                        link: name.clone(),
                    })));
                    fx.push(Effect::Notify {
                        event: HookEvent::LinkDead,
                        subject: name,
                    });
                }
                Event::PeerRestarted { old_hg, new_hg } => {
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerRestarted {
                        peer: peer.clone(),
                        old_hg,
                        new_hg,
                    })))
                }
                Event::PeerRolledBack { old_hg, new_hg } => {
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerRolledBack {
                        peer: peer.clone(),
                        old_hg,
                        new_hg,
                    })))
                }
                Event::PeerReturned { silent_for } => {
                    fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerReturned {
                        peer: peer.clone(),
                        silent_for,
                    })))
                }
                Event::LocalStall { gap } => {
                    self.counters.local_stalls += 1;
                    fx.push(Effect::Log(Notice::LocalStall { gap }));
                }
            }
        }
    }

    /// A link came back after it was lost: whatever it crosses (a switch
    /// that restarted, a cable replugged) may have forgotten where the
    /// addresses live, so every group running here is announced again.
    fn reannounce_held(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        if self.ownership.hands_off() {
            return;
        }
        let running: Vec<GroupIdx> = (self.ownership.groups().iter().enumerate())
            .filter(|(_, g)| g.local_state == LocalState::Running)
            .map(|(i, _)| GroupIdx(i))
            .collect();
        for g in running {
            // The same path as ownership's own re-announce after a heal.
            self.on_ownership_output(now, ownership::Output::Run(g, ChainAction::Reannounce), fx);
        }
    }

    fn on_peer_up(&mut self, now: Instant, restarted: bool, fx: &mut Vec<Effect>) {
        let peer = self.cfg.peer.clone();
        self.peer_ever_up = true;
        fx.push(Effect::Notify {
            event: HookEvent::PeerUp,
            subject: peer.to_string(),
        });
        if restarted {
            fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerRestartSeen {
                peer: peer.clone(),
            })));
        }
        fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerStatusUp { peer })));
        self.ownership_input(now, ownership::Input::PeerUp { since: now }, fx);
        self.send_report(now, fx);
    }

    fn on_peer_dead(
        &mut self,
        now: Instant,
        silent_for: Duration,
        cause: membership::DeathCause,
        fx: &mut Vec<Effect>,
    ) {
        let peer = self.cfg.peer.clone();
        self.counters.peer_deaths += 1;
        self.peer_active = false;
        fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerDead {
            peer: peer.clone(),
            silent_for,
            cause,
        })));
        fx.push(Effect::Notify {
            event: HookEvent::PeerDead,
            subject: peer.to_string(),
        });
        let cause = match cause {
            membership::DeathCause::Silence => ownership::DeadCause::Dead,
            membership::DeathCause::Initdead => ownership::DeadCause::InitDead,
            membership::DeathCause::Shutdown => ownership::DeadCause::Shutdown,
        };
        self.expire_fences(now, true, fx);
        self.ownership_input(now, ownership::Input::PeerDead { cause }, fx);
        self.notify_if_nothing_runs(fx);
    }

    /// A standby that lost its peer and starts nothing (no ping node
    /// reached, maintenance, …): no node runs the groups now, worth a mail.
    fn notify_if_nothing_runs(&self, fx: &mut Vec<Effect>) {
        let groups = self.ownership.groups();
        if self.shutdown != Shutdown::No
            || groups.is_empty()
            || groups.iter().any(|g| g.local_state != LocalState::Stopped)
        {
            return;
        }
        fx.push(Effect::Notify {
            event: HookEvent::PeerDeadNothingRuns,
            subject: self.cfg.peer.to_string(),
        });
    }
}
