//! Resource-level fencing, the successor of dopd: `heartbeat fence-peer`
//! (DRBD's fence-peer handler) asks the local node, which asks the peer
//! over every medium (`t=hbfence`, a type an old peer ignores) to outdate
//! its copy; the peer runs `drbdadm outdate` through the driver and
//! answers (`t=hbfenced`) with the exit code drbd.conf(5) defines. A peer
//! declared dead, or silent until the request's timeout, means 5.
//! `heartbeat unfence-peer` (after-resync-target) lifts what fencing
//! recorded, on both nodes (`t=hbunfence`).

use super::disks::clock;
use super::drbd_notice::DrbdNotice;
use super::node::Node;
use super::notice::Notice;
use super::{Effect, RequestId};
use crate::control::Response;
use crate::drbd::{DiskState, DrbdState, Link};
use crate::membership::PeerState;
use crate::wire::Message;
use std::time::{Duration, Instant};

/// drbd.conf(5): the peer's disk is Inconsistent.
pub const PEER_INCONSISTENT: i32 = 3;
/// The peer's disk is (now) Outdated.
pub const PEER_OUTDATED: i32 = 4;
/// The peer could not be reached (or could not outdate).
pub const PEER_UNREACHABLE: i32 = 5;
/// The peer is Primary: nothing was done.
pub const PEER_PRIMARY: i32 = 6;

/// The answer the outdated side gives, from the state `drbdadm outdate`
/// left: the rule of the peer's side.
pub fn code_for(state: &DrbdState) -> i32 {
    if state.primary {
        return PEER_PRIMARY;
    }
    match state.disk {
        DiskState::Outdated => PEER_OUTDATED,
        DiskState::Inconsistent | DiskState::Diskless => PEER_INCONSISTENT,
        _ => PEER_UNREACHABLE,
    }
}

/// Whether `drbdadm outdate` is worth another try: DRBD refuses while it
/// still believes it is Connected, and the two sides notice a cut link
/// a moment apart.
pub fn retry_outdate(state: &DrbdState) -> bool {
    !state.primary && state.link == Link::Connected && state.disk > DiskState::Outdated
}

struct Pending {
    id: RequestId,
    resource: String,
    token: u64,
    deadline: Instant,
}

/// The fence-peer requests waiting for the peer's answer.
#[derive(Default)]
pub struct Fences {
    pending: Vec<Pending>,
    next_token: u64,
}

impl Fences {
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }
}

impl Node {
    /// `heartbeat fence-peer` asks: a dead peer is unreachable at once.
    pub(super) fn on_fence_request(
        &mut self,
        now: Instant,
        id: RequestId,
        resource: String,
        timeout: Duration,
        fx: &mut Vec<Effect>,
    ) {
        let peer = self.cfg.peer.clone();
        if self.membership.peer_state() != PeerState::Up {
            let words = "declared dead, not reachable on any medium".to_string();
            return self.fence_answer(id, resource, PEER_UNREACHABLE, words, fx);
        }
        self.fences.next_token += 1;
        let token = self.fences.next_token;
        self.fences.pending.push(Pending {
            id,
            resource: resource.clone(),
            token,
            deadline: now + timeout,
        });
        fx.push(Effect::Log(Notice::Drbd(DrbdNotice::FenceAsked {
            resource: resource.clone(),
            peer: peer.clone(),
        })));
        let mut msg = Message::new();
        msg.add("t", "hbfence")
            .add("dest", peer.as_str())
            .add("res", resource)
            .add("tok", token.to_string());
        self.send(now, msg, true, fx);
    }

    fn fence_answer(
        &mut self,
        id: RequestId,
        resource: String,
        code: i32,
        words: String,
        fx: &mut Vec<Effect>,
    ) {
        let peer = self.cfg.peer.clone();
        let notice = DrbdNotice::FenceAnswered {
            resource,
            peer,
            code,
            words,
        };
        let message = notice.to_string();
        fx.push(Effect::Log(Notice::Drbd(notice)));
        fx.push(Effect::Answer {
            id,
            response: Response::Fence { code, message },
        });
    }

    /// The peer's answer (`t=hbfenced`).
    pub(super) fn on_fenced(&mut self, now: Instant, msg: &Message, fx: &mut Vec<Effect>) {
        let token = msg.get("tok").and_then(|t| t.parse::<u64>().ok());
        let Some(i) = self
            .fences
            .pending
            .iter()
            .position(|p| Some(p.token) == token)
        else {
            return;
        };
        let p = self.fences.pending.swap_remove(i);
        let code = msg
            .get("rc")
            .and_then(|c| c.parse().ok())
            .unwrap_or(PEER_UNREACHABLE);
        if code == PEER_OUTDATED || code == PEER_INCONSISTENT {
            let at = clock(self.wall_secs(now));
            self.disks.peer_fenced(&p.resource, at);
        }
        let words = msg.get("said").unwrap_or("").to_string();
        self.fence_answer(p.id, p.resource, code, words, fx);
    }

    /// Requests past their deadline (or all, when the peer died) get 5.
    pub(super) fn expire_fences(&mut self, now: Instant, all: bool, fx: &mut Vec<Effect>) {
        let (gone, kept) = std::mem::take(&mut self.fences.pending)
            .into_iter()
            .partition(|p| all || now >= p.deadline);
        self.fences.pending = kept;
        for p in gone {
            let words = if all {
                "declared dead"
            } else {
                "no answer in time"
            };
            self.fence_answer(p.id, p.resource, PEER_UNREACHABLE, words.into(), fx);
        }
    }

    /// The peer asks us to outdate our copy (`t=hbfence`): the driver runs
    /// drbdadm and comes back with [`Node::on_outdated`].
    pub(super) fn on_fence_message(&mut self, msg: &Message, fx: &mut Vec<Effect>) {
        let (Some(resource), Some(token)) = (msg.get("res"), msg.get("tok")) else {
            return;
        };
        let Ok(token) = token.parse() else { return };
        fx.push(Effect::Outdate {
            resource: resource.to_string(),
            token,
        });
    }

    /// What `drbdadm outdate` left: remember who outdated us, answer.
    pub(super) fn on_outdated(
        &mut self,
        now: Instant,
        (resource, token): (String, u64),
        state: DrbdState,
        said: String,
        fx: &mut Vec<Effect>,
    ) {
        let code = code_for(&state);
        let peer = self.cfg.peer.clone();
        if code == PEER_OUTDATED {
            let at = clock(self.wall_secs(now));
            self.disks.outdated_by(&resource, peer.clone(), at);
        }
        self.disks.observe(vec![state]);
        fx.push(Effect::Log(Notice::Drbd(DrbdNotice::OutdatedForPeer {
            resource: resource.clone(),
            peer: peer.clone(),
            code,
            said: said.clone(),
        })));
        let mut msg = Message::new();
        msg.add("t", "hbfenced")
            .add("dest", peer.as_str())
            .add("res", resource)
            .add("tok", token.to_string())
            .add("rc", code.to_string())
            .add("said", said);
        self.send(now, msg, true, fx);
        self.send_report(now, fx);
    }

    /// `heartbeat unfence-peer` here (`tell`: and on the peer), or the
    /// peer's `t=hbunfence`.
    pub(super) fn unfence(
        &mut self,
        now: Instant,
        resource: &str,
        tell: bool,
        fx: &mut Vec<Effect>,
    ) {
        self.disks.unfence(resource);
        fx.push(Effect::Log(Notice::Drbd(DrbdNotice::Unfenced {
            resource: resource.to_string(),
        })));
        if tell {
            let mut msg = Message::new();
            msg.add("t", "hbunfence")
                .add("dest", self.cfg.peer.as_str())
                .add("res", resource);
            self.send(now, msg, true, fx);
        }
    }

    /// Wall-clock seconds at `now`, as the `ts` field counts them.
    pub(super) fn wall_secs(&self, now: Instant) -> u64 {
        self.cfg.wall_secs_at_start + now.saturating_duration_since(self.started).as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::drbd::r0 as st;

    #[test]
    fn the_exit_code_follows_drbd_conf() {
        assert_eq!(
            code_for(&st(DiskState::Outdated, false, Link::Connecting)),
            4
        );
        assert_eq!(
            code_for(&st(DiskState::Inconsistent, false, Link::Connecting)),
            3
        );
        assert_eq!(
            code_for(&st(DiskState::UpToDate, true, Link::Connecting)),
            6
        );
        assert_eq!(
            code_for(&st(DiskState::UpToDate, false, Link::Connected)),
            5
        );
    }

    #[test]
    fn outdate_is_retried_only_while_drbd_still_believes_it_is_connected() {
        assert!(retry_outdate(&st(
            DiskState::UpToDate,
            false,
            Link::Connected
        )));
        assert!(!retry_outdate(&st(
            DiskState::UpToDate,
            false,
            Link::Connecting
        )));
        assert!(!retry_outdate(&st(
            DiskState::UpToDate,
            true,
            Link::Connected
        )));
        assert!(!retry_outdate(&st(
            DiskState::Outdated,
            false,
            Link::Connected
        )));
    }
}
