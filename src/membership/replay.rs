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
    /// has since restarted.
    OldGeneration,
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
        assert_eq!(w.classify(u64::MAX), Verdict::Accept);
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
