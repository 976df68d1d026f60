//! The replay filter: which (generation, sequence) pairs from the peer are new.
//!
//! Owns only the bookkeeping of what has been seen; it never decides liveness.
//! Classification is a pure read so the shell can drop a packet before it
//! touches any state.

/// How far below the highest sequence number seen a packet may still arrive
/// and be accepted. Media differ in latency (a serial line lags UDP by a whole
/// frame) and retransmissions (`NS_rexmit`) answer gaps a few packets back, so
/// a strict "must be higher" rule would drop real traffic. 128 packets is
/// about two minutes of keepalives, far more than any reordering we expect,
/// while anything older is treated as a replay.
pub const REORDER_WINDOW: u64 = 128;

/// The largest sequence number a real peer can reach: a thousand messages
/// a second for eight thousand years. Anything above is a forged or broken
/// packet, and accepting it would lock the real peer's lower numbers out
/// as replays until it restarts.
pub const MAX_SEQ: u64 = 1 << 48;

/// A generation starts at the Unix time of a node's first start and rises
/// by one per restart, so no real one reaches 2^40 (the year 36812)…
pub const MAX_GENERATION: u64 = 1 << 40;

/// …nor jumps by more than 2^32 over the one we know (a node whose state
/// directory was lost restarts from the current Unix time, which is below
/// 2^32 until 2106). A larger jump, once accepted, would make every packet
/// of the real peer an old generation.
pub const MAX_GENERATION_JUMP: u64 = 1 << 32;

/// What the replay filter thinks of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// New: feed it to the state machine.
    Accept,
    /// The same (generation, sequence) already arrived, normally over another
    /// medium. Still proof that the medium it came on works.
    Duplicate,
    /// A sequence number of the current generation older than the reorder
    /// window: someone is replaying captured traffic, or a medium is absurdly
    /// slow.
    Replay,
    /// A generation below the highest one seen: traffic from a process that
    /// has since restarted (or from a node whose state directory was
    /// restored, accepted once its current generation is dead).
    OldGeneration,
    /// A generation no real node can have reached (see [`MAX_GENERATION`]).
    FutureGeneration,
    /// A sequence number no real node can have reached (see [`MAX_SEQ`]).
    FutureSeq,
}

/// Whether generation `hg` is beyond what a real node can send, given the
/// one we know (if any).
pub(super) fn implausible_generation(known: Option<u64>, hg: u64) -> bool {
    hg >= MAX_GENERATION || known.is_some_and(|k| hg > k.saturating_add(MAX_GENERATION_JUMP))
}

/// Sequence numbers seen in one generation: the highest, plus a bitmap of the
/// `REORDER_WINDOW` numbers at and below it (bit `i` = `highest - i` seen).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct SeqWindow {
    highest: Option<u64>,
    seen: u128,
}

impl SeqWindow {
    pub(super) fn classify(&self, seq: u64) -> Verdict {
        if seq >= MAX_SEQ {
            return Verdict::FutureSeq;
        }
        let Some(highest) = self.highest else {
            return Verdict::Accept;
        };
        if seq > highest {
            return Verdict::Accept;
        }
        let behind = highest - seq;
        if behind >= REORDER_WINDOW {
            Verdict::Replay
        } else if self.seen & (1u128 << behind) != 0 {
            Verdict::Duplicate
        } else {
            Verdict::Accept
        }
    }

    pub(super) fn record(&mut self, seq: u64) {
        match self.highest {
            None => {
                self.highest = Some(seq);
                self.seen = 1;
            }
            Some(highest) if seq > highest => {
                let ahead = seq - highest;
                self.seen = if ahead >= REORDER_WINDOW {
                    0
                } else {
                    self.seen << ahead
                };
                self.seen |= 1;
                self.highest = Some(seq);
            }
            Some(highest) => {
                let behind = highest - seq;
                if behind < REORDER_WINDOW {
                    self.seen |= 1u128 << behind;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_higher_sequence_numbers_are_accepted() {
        let mut w = SeqWindow::default();
        assert_eq!(w.classify(7), Verdict::Accept);
        w.record(7);
        assert_eq!(w.classify(8), Verdict::Accept);
        assert_eq!(w.classify(MAX_SEQ - 1), Verdict::Accept);
    }

    #[test]
    fn a_huge_sequence_number_is_refused_even_as_the_first() {
        let mut w = SeqWindow::default();
        assert_eq!(w.classify(u64::MAX), Verdict::FutureSeq);
        assert_eq!(w.classify(MAX_SEQ), Verdict::FutureSeq);
        w.record(7);
        assert_eq!(w.classify(u64::MAX), Verdict::FutureSeq);
        // A wrap from the top back to zero is never reached: zero after
        // real traffic is a replay.
        w.record(7 + REORDER_WINDOW);
        assert_eq!(w.classify(0), Verdict::Replay);
    }

    #[test]
    fn generations_beyond_a_real_nodes_reach_are_implausible() {
        assert!(!implausible_generation(None, 1_700_000_000));
        assert!(implausible_generation(None, MAX_GENERATION));
        assert!(implausible_generation(None, u64::MAX));
        let k = 1_700_000_000;
        assert!(!implausible_generation(Some(k), k + 1));
        assert!(!implausible_generation(Some(k), k + MAX_GENERATION_JUMP));
        assert!(implausible_generation(Some(k), k + MAX_GENERATION_JUMP + 1));
        // A small counter-based generation replaced by the Unix time of a
        // lost state directory's restart is a real restart.
        assert!(!implausible_generation(Some(12), 1_700_000_000));
    }

    #[test]
    fn a_seen_number_inside_the_window_is_a_duplicate_and_an_unseen_one_is_late() {
        let mut w = SeqWindow::default();
        w.record(10);
        w.record(12);
        assert_eq!(w.classify(12), Verdict::Duplicate);
        assert_eq!(w.classify(10), Verdict::Duplicate);
        assert_eq!(w.classify(11), Verdict::Accept);
        w.record(11);
        assert_eq!(w.classify(11), Verdict::Duplicate);
    }

    #[test]
    fn numbers_below_the_window_are_replays() {
        let mut w = SeqWindow::default();
        w.record(1000);
        assert_eq!(w.classify(1000 - REORDER_WINDOW + 1), Verdict::Accept);
        assert_eq!(w.classify(1000 - REORDER_WINDOW), Verdict::Replay);
        assert_eq!(w.classify(0), Verdict::Replay);
    }

    #[test]
    fn a_jump_beyond_the_window_forgets_the_old_bitmap() {
        let mut w = SeqWindow::default();
        w.record(5);
        w.record(5 + REORDER_WINDOW + 3);
        assert_eq!(w.classify(5), Verdict::Replay);
        assert_eq!(w.classify(5 + REORDER_WINDOW + 2), Verdict::Accept);
        assert_eq!(w.classify(5 + REORDER_WINDOW + 3), Verdict::Duplicate);
    }
}
