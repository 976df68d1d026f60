//! The bounded send queue of one medium and its drop policy, kept pure (no
//! socket, lock or runtime) so the policy is tested in microseconds.
//!
//! A full queue drops its oldest unsent keepalive first: a keepalive only
//! says "alive now", and a newer one says it better, while a report or an
//! ack carries state the peer has no other copy of. It never blocks and
//! never grows past its capacity.

use std::collections::VecDeque;

/// What a message is, as far as the drop policy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutKind {
    /// `t=status`: superseded by the next one.
    Keepalive,
    /// Everything else (reports, acks, requests, shutdown).
    Other,
}

/// A bounded FIFO of messages waiting for one medium.
#[derive(Debug)]
pub struct SendQueue<T> {
    items: VecDeque<(OutKind, T)>,
    capacity: usize,
    dropped_keepalives: u64,
    dropped_other: u64,
    /// Set by a drop, cleared by [`SendQueue::end_congestion`]: lets the
    /// writer log the start and end of an overflow once each.
    congested: bool,
}

/// What [`SendQueue::push`] had to throw away to make room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub kind: OutKind,
    /// The first drop since the queue last ran empty.
    pub first: bool,
}

impl<T> SendQueue<T> {
    /// A queue holding at most `capacity` messages (at least one).
    pub fn new(capacity: usize) -> SendQueue<T> {
        let capacity = capacity.max(1);
        SendQueue {
            items: VecDeque::with_capacity(capacity),
            capacity,
            dropped_keepalives: 0,
            dropped_other: 0,
            congested: false,
        }
    }

    /// Queue `item`; when full, first drop the oldest keepalive (or, with
    /// none queued, the oldest message) and count it.
    pub fn push(&mut self, kind: OutKind, item: T) -> Option<Dropped> {
        let dropped = if self.items.len() >= self.capacity {
            let victim = self
                .items
                .iter()
                .position(|(k, _)| *k == OutKind::Keepalive)
                .unwrap_or(0);
            let (kind, _) = self.items.remove(victim)?;
            match kind {
                OutKind::Keepalive => self.dropped_keepalives += 1,
                OutKind::Other => self.dropped_other += 1,
            }
            let first = !std::mem::replace(&mut self.congested, true);
            Some(Dropped { kind, first })
        } else {
            None
        };
        self.items.push_back((kind, item));
        dropped
    }

    /// The oldest message, to be sent next.
    pub fn pop(&mut self) -> Option<(OutKind, T)> {
        self.items.pop_front()
    }

    /// Called when the writer finds the queue empty: true if it had been
    /// dropping since it was last empty (so the end is logged once).
    pub fn end_congestion(&mut self) -> bool {
        self.items.is_empty() && std::mem::replace(&mut self.congested, false)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn dropped_keepalives(&self) -> u64 {
        self.dropped_keepalives
    }

    pub fn dropped_other(&self) -> u64 {
        self.dropped_other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutKind::{Keepalive, Other};

    fn drain(q: &mut SendQueue<u32>) -> Vec<u32> {
        std::iter::from_fn(|| q.pop().map(|(_, v)| v)).collect()
    }

    #[test]
    fn messages_leave_in_the_order_they_were_queued() {
        let mut q = SendQueue::new(4);
        assert_eq!(q.push(Keepalive, 1), None);
        assert_eq!(q.push(Other, 2), None);
        assert_eq!(q.push(Keepalive, 3), None);
        assert_eq!(q.len(), 3);
        assert_eq!(drain(&mut q), vec![1, 2, 3]);
        assert!(q.is_empty());
    }

    #[test]
    fn full_queue_drops_its_oldest_keepalive_first() {
        let mut q = SendQueue::new(3);
        q.push(Other, 1);
        q.push(Keepalive, 2);
        q.push(Keepalive, 3);
        let d = q.push(Other, 4);
        assert_eq!(
            d,
            Some(Dropped {
                kind: Keepalive,
                first: true
            })
        );
        assert_eq!(drain(&mut q), vec![1, 3, 4]);
        assert_eq!((q.dropped_keepalives(), q.dropped_other()), (1, 0));
    }

    #[test]
    fn full_queue_without_keepalives_drops_its_oldest_message() {
        let mut q = SendQueue::new(2);
        q.push(Other, 1);
        q.push(Other, 2);
        assert_eq!(q.push(Keepalive, 3).map(|d| d.kind), Some(Other));
        assert_eq!(drain(&mut q), vec![2, 3]);
        assert_eq!((q.dropped_keepalives(), q.dropped_other()), (0, 1));
    }

    #[test]
    fn a_stalled_queue_never_grows_past_its_capacity_and_keeps_the_reports() {
        let mut q = SendQueue::new(16);
        q.push(Other, 0);
        for i in 1..1000 {
            q.push(Keepalive, i);
            assert!(q.len() <= 16);
        }
        // The report survives a flood of keepalives; the newest keepalives are kept.
        let kept = drain(&mut q);
        assert_eq!(kept[0], 0);
        assert_eq!(kept[1..], (985..1000).collect::<Vec<_>>());
        assert_eq!(q.dropped_keepalives(), 1000 - 16);
        assert_eq!(q.dropped_other(), 0);
    }

    #[test]
    fn congestion_is_reported_once_per_overflow() {
        let mut q = SendQueue::new(1);
        q.push(Keepalive, 1);
        assert_eq!(q.push(Keepalive, 2).map(|d| d.first), Some(true));
        assert_eq!(q.push(Keepalive, 3).map(|d| d.first), Some(false));
        assert!(!q.end_congestion(), "not over while messages wait");
        q.pop();
        assert!(q.end_congestion());
        assert!(!q.end_congestion());
        q.push(Keepalive, 4);
        assert_eq!(q.push(Keepalive, 5).map(|d| d.first), Some(true));
    }

    #[test]
    fn a_zero_capacity_still_holds_one_message() {
        let mut q = SendQueue::new(0);
        assert_eq!(q.push(Other, 1), None);
        assert_eq!(q.push(Other, 2).map(|d| d.kind), Some(Other));
        assert_eq!(drain(&mut q), vec![2]);
    }
}
