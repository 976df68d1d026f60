//! The receive path: verify, filter, classify against the replay window,
//! then act on the message type. Every packet that is not used is counted
//! by reason; the words are built only when a line is logged (at most one
//! per ten seconds), so a flood costs an increment per packet.

use super::counters::DropReason;
use super::node::{BAD_PACKET_LOG_EVERY, Node};
use super::notice::{Notice, PeerNotice};
use super::{Effect, Encoding};
use crate::membership::{self, LinkId};
use crate::ownership;
use crate::wire::{self, Header, Message, WireError};
use std::time::{Duration, Instant};

/// The resource report a verified `t=hbrsc` message carries (its string
/// fields; a newer peer's other types are ignored). Public so the fuzz
/// target `report` (fuzz/) reads reports exactly as the node does.
pub fn report_of(msg: &Message) -> Result<ownership::Report, ownership::ReportError> {
    let fields: Vec<(String, String)> = (msg.fields().iter())
        .filter_map(|f| match &f.value {
            wire::Value::Str(v) => Some((f.name.clone(), v.clone())),
            _ => None,
        })
        .collect();
    ownership::Report::from_fields(&fields)
}

impl Node {
    pub(super) fn on_packet(
        &mut self,
        now: Instant,
        link: LinkId,
        bytes: &[u8],
        encoding: Encoding,
        fx: &mut Vec<Effect>,
    ) {
        let Some((msg, h)) = self.verified(now, bytes, encoding, fx) else {
            return;
        };
        let Some(hg) = self.sent_by_our_peer(now, &h, fx) else {
            return;
        };
        if !self.same_uuid(now, hg, &h, fx) || !self.fresh(now, link, hg, h.seq, fx) {
            return;
        }
        if let Some(uuid) = h.srcuuid {
            self.peer_uuid = Some((hg, uuid));
        }
        let dt = msg
            .get("dt")
            .and_then(|v| u64::from_str_radix(v, 16).ok())
            .map(Duration::from_millis);
        let events = self.membership.handle(
            now,
            membership::Input::Packet {
                link,
                hg,
                seq: h.seq,
                dt,
            },
        );
        self.on_membership_events(now, events, fx);
        self.acknowledge(now, &h, fx);
        self.on_message(now, &h, hg, &msg, fx);
    }

    /// The message and its header if the signature holds and the header
    /// parses; otherwise counted and dropped.
    fn verified(
        &mut self,
        now: Instant,
        bytes: &[u8],
        encoding: Encoding,
        fx: &mut Vec<Effect>,
    ) -> Option<(Message, Header)> {
        let verified = match encoding {
            Encoding::Classic => wire::verify_classic(bytes, &self.cfg.auth),
            Encoding::Netstring => wire::verify_netstring(bytes, &self.cfg.auth),
        };
        let msg = match verified {
            Ok(m) => m,
            Err(e) => {
                let hint = if matches!(e, WireError::BadDigest { .. }) {
                    " (the peer's authkeys secret differs from ours?)"
                } else {
                    ""
                };
                let why = DropReason::Wire(e.clone());
                self.reject(now, why, || format!("{e}{hint}"), fx);
                return None;
            }
        };
        match wire::header(&msg) {
            Ok(h) => Some((msg, h)),
            Err(e) => {
                let why = DropReason::Wire(e.clone());
                self.reject(now, why, || e.to_string(), fx);
                None
            }
        }
    }

    /// The sender's generation if the message comes from our peer and is
    /// meant for us. Our own broadcasts looping back and messages addressed
    /// to another node are ignored silently: both are normal on a shared
    /// medium. A message in our name that we cannot have sent is counted.
    fn sent_by_our_peer(&mut self, now: Instant, h: &Header, fx: &mut Vec<Effect>) -> Option<u64> {
        if h.src == self.cfg.me {
            if !self.could_be_ours(h) {
                let (hg, seq) = (h.hg, h.seq);
                self.reject(
                    now,
                    DropReason::OwnName,
                    || format!("message in our own name that we never sent (generation {hg:?}, seq {seq:?})"),
                    fx,
                );
            }
            return None;
        }
        if h.dest.as_ref().is_some_and(|d| *d != self.cfg.me) {
            return None;
        }
        if h.src != self.cfg.peer {
            let src = h.src.clone();
            self.reject(
                now,
                DropReason::UnknownNode,
                || format!("message from node {src} not in ha.cf"),
                fx,
            );
            return None;
        }
        if h.hg.is_none() {
            self.reject(
                now,
                DropReason::Wire(WireError::MissingField("hg")),
                || "message without generation".into(),
                fx,
            );
        }
        h.hg
    }

    /// Whether a message in our name can be one of ours looping back: our
    /// generation, our uuid and a sequence number we already used.
    fn could_be_ours(&self, h: &Header) -> bool {
        h.hg.is_none_or(|g| g == self.cfg.generation.0)
            && h.srcuuid.is_none_or(|u| u == self.cfg.uuid)
            && h.seq.is_none_or(|s| s <= self.seq)
    }

    /// Whether the packet's uuid fits the peer's: within one generation the
    /// uuid cannot change (it lives in `hb_uuid`, read once at start); a
    /// new generation may bring a new one (a reinstalled node).
    fn same_uuid(&mut self, now: Instant, hg: u64, h: &Header, fx: &mut Vec<Effect>) -> bool {
        let Some(uuid) = h.srcuuid else {
            return true;
        };
        match self.peer_uuid {
            Some((known_hg, known)) if known_hg == hg && known != uuid => {
                self.reject(
                    now,
                    DropReason::UuidMismatch,
                    || format!("uuid differs from the one generation {hg} of the peer uses"),
                    fx,
                );
                false
            }
            _ => true,
        }
    }

    /// Whether the replay window lets the message through. A duplicate (the
    /// same packet on a second medium) still proves that medium alive.
    fn fresh(
        &mut self,
        now: Instant,
        link: LinkId,
        hg: u64,
        seq: Option<u64>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        match self.membership.classify(now, hg, seq) {
            membership::Verdict::Accept => return true,
            membership::Verdict::Duplicate => {
                self.counters.duplicate += 1;
                let events = self.membership.link_heard(now, link);
                self.on_membership_events(now, events, fx);
            }
            membership::Verdict::Replay => self.reject(
                now,
                DropReason::Replay,
                || format!("replayed seq {seq:?} of generation {hg}"),
                fx,
            ),
            membership::Verdict::OldGeneration => {
                let current = self.membership.peer_generation().unwrap_or_default();
                self.reject(
                    now,
                    DropReason::OldGeneration,
                    || {
                        format!(
                            "generation {hg} is older than the peer's current {current}: a replay, or \
                             the peer's state directory was restored from an older copy (then it is \
                             accepted once {current} has been dead for deadtime)"
                        )
                    },
                    fx,
                )
            }
            membership::Verdict::FutureGeneration => self.reject(
                now,
                DropReason::FutureGeneration,
                || format!("generation {hg} is beyond any real node's"),
                fx,
            ),
            membership::Verdict::FutureSeq => self.reject(
                now,
                DropReason::FutureSeq,
                || format!("sequence number {seq:?} is beyond any real node's"),
                fx,
            ),
        }
        false
    }

    /// Flow control as the original expects it: an old peer keeps a history
    /// of unacknowledged messages and throttles when it grows, so
    /// acknowledge every tenth (ackseq in hex, as captured).
    fn acknowledge(&mut self, now: Instant, h: &Header, fx: &mut Vec<Effect>) {
        if let (Some(seq), Some(uuid)) = (h.seq, h.srcuuid)
            && seq.is_multiple_of(10)
        {
            let mut ack = Message::new();
            ack.add("t", "NS_ackmsg")
                .add("dest", self.cfg.peer.as_str())
                .add("ackseq", format!("{seq:x}"))
                .add_bin("destuuid", &uuid);
            self.send(now, ack, false, fx);
        }
    }

    fn on_message(
        &mut self,
        now: Instant,
        h: &Header,
        hg: u64,
        msg: &Message,
        fx: &mut Vec<Effect>,
    ) {
        match h.t.as_str() {
            "status" => self.peer_active = msg.get("st") == Some("active"),
            "reqnodes" => {
                // An old peer asks for our node list before it calls the
                // cluster up ("active"); answer in its own shape.
                let list: String = self.cfg.nodes.iter().map(|n| format!("{n} ")).collect();
                let mut rep = Message::new();
                rep.add("dest", self.cfg.peer.as_str())
                    .add("t", "repnodes")
                    .add("nodelist", list)
                    .add("delnodelist", " ");
                if let Some(uuid) = h.srcuuid {
                    rep.add_bin("destuuid", &uuid);
                }
                self.send(now, rep, true, fx);
            }
            "shutdone" => {
                fx.push(Effect::Log(Notice::Peer(PeerNotice::PeerShutdownNotice {
                    peer: self.cfg.peer.clone(),
                })));
                let events = self
                    .membership
                    .handle(now, membership::Input::PeerShutdown { hg });
                self.on_membership_events(now, events, fx);
            }
            "hbrsc" => self.on_report(now, hg, msg, fx),
            "hbfence" => self.on_fence_message(msg, fx),
            "hbfenced" => self.on_fenced(now, msg, fx),
            "hbunfence" => {
                if let Some(res) = msg.get("res") {
                    self.unfence(now, res, false, fx);
                }
            }
            _ => {}
        }
    }

    fn on_report(&mut self, now: Instant, hg: u64, msg: &Message, fx: &mut Vec<Effect>) {
        if let Some(theirs) = msg.get("cfg") {
            self.judge_peer_digest(Some(theirs), fx);
        }
        if let Some(drbd) = msg.get("drbd") {
            self.disks
                .peer_report(crate::drbd::parse_report_field(drbd));
        }
        match report_of(msg) {
            Ok(report) => {
                let before = self.holders();
                self.ownership_input(
                    now,
                    ownership::Input::PeerReport(report, ownership::Generation(hg)),
                    fx,
                );
                self.progress_peer(now, &before, fx);
            }
            Err(e) => self.reject(now, DropReason::BadReport, || e.to_string(), fx),
        }
    }

    /// Compare the peer's digest (new, or `None` after our reload) with
    /// ours and log when the verdict changes: a difference at the first
    /// report is an error; one after a reload on either side is expected
    /// until the other node is reloaded too.
    pub(super) fn judge_peer_digest(&mut self, theirs: Option<&str>, fx: &mut Vec<Effect>) {
        let mut changed = theirs.is_none();
        if let Some(t) = theirs.filter(|t| self.peer_digest.as_deref() != Some(*t)) {
            changed = self.peer_digest.is_some();
            self.peer_digest = Some(t.to_string());
        }
        let Some(theirs) = self.peer_digest.clone() else {
            return;
        };
        let agrees = theirs == self.cfg.digest;
        if self.digest_agrees == Some(agrees) {
            return;
        }
        let first = self.digest_agrees.is_none();
        self.digest_agrees = Some(agrees);
        let peer = self.cfg.peer.clone();
        let ours = self.cfg.digest.clone();
        let notice = match (agrees, first || !changed) {
            (true, true) => return,
            (true, false) => PeerNotice::ConfigAgrees { peer },
            (false, true) => PeerNotice::ConfigDiffers { peer, ours, theirs },
            (false, false) => PeerNotice::ConfigDiffersAfterReload { peer, ours, theirs },
        };
        fx.push(Effect::Log(Notice::Peer(notice)));
    }

    /// Count always; log each reason at most every ten seconds with a
    /// one-line diagnosis (the original logged ~15 lines per bad packet).
    fn reject(
        &mut self,
        now: Instant,
        why: DropReason,
        detail: impl FnOnce() -> String,
        fx: &mut Vec<Effect>,
    ) {
        self.counters.count_drop(&why);
        let reason = why.reason();
        let last = self.last_bad_log.iter_mut().find(|(r, _)| *r == reason);
        let due = last
            .as_ref()
            .is_none_or(|(_, t)| now.duration_since(*t) >= BAD_PACKET_LOG_EVERY);
        if due {
            match last {
                Some((_, t)) => *t = now,
                None => self.last_bad_log.push((reason, now)),
            }
            fx.push(Effect::Log(Notice::PacketDropped {
                reason,
                detail: detail(),
                total_dropped: self.counters.dropped_total(),
            }));
        }
    }
}
