//! The simulated media: each delivers, loses, delays, duplicates or holds
//! back what one node sends, as a real link can.

use super::{Event, NAMES, Sim};
use crate::core::Encoding;
use std::time::Duration;

/// Messages a stalled medium keeps queued (as the real send queue does).
const STALL_QUEUE: usize = 16;
/// Loss from which a medium no longer counts as connecting the nodes: in
/// such a storm deaths are false but rightly declared (no keepalive gets
/// through within deadtime), so a group may end up on both nodes.
pub(super) const STORM_PER_MILLE: u32 = 500;

/// One medium between the two nodes, with its faults.
#[derive(Clone)]
pub(crate) struct Medium {
    pub encoding: Encoding,
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub loss_per_mille: u32,
    pub dup_per_mille: u32,
    /// `cut[i]`: nothing sent by node `i` arrives.
    pub cut: [bool; 2],
    /// `stalled[i]`: node `i`'s writer for this medium stopped draining;
    /// the newest [`STALL_QUEUE`] messages wait for it.
    pub stalled: [bool; 2],
    queued: [Vec<Vec<u8>>; 2],
}

impl Medium {
    pub(super) fn new(encoding: Encoding) -> Medium {
        Medium {
            encoding,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(3),
            loss_per_mille: 0,
            dup_per_mille: 0,
            cut: [false; 2],
            stalled: [false; 2],
            queued: [Vec::new(), Vec::new()],
        }
    }
    /// Something sent by either node can arrive.
    pub(super) fn connects(&self) -> bool {
        !self.cut[0]
            && !self.cut[1]
            && !self.stalled[0]
            && !self.stalled[1]
            && self.loss_per_mille < STORM_PER_MILLE
    }
}

impl Sim {
    pub fn partition(&mut self, on: bool) {
        self.log(format!("partition {on}"));
        for m in &mut self.media {
            m.cut = [on, on];
        }
    }

    /// One-way loss on every medium: nothing node `from` sends arrives.
    pub fn cut_from(&mut self, from: usize, on: bool) {
        self.log(format!("cut everything from {} {on}", NAMES[from]));
        for m in &mut self.media {
            m.cut[from] = on;
        }
    }

    pub fn stall(&mut self, link: usize, from: usize, on: bool) {
        self.log(format!("stall link{link} from {} {on}", NAMES[from]));
        let m = &mut self.media[link];
        m.stalled[from] = on;
        if !on {
            let queued = std::mem::take(&mut m.queued[from]);
            for bytes in queued {
                self.transmit(from, link, bytes);
            }
        }
    }

    /// Put one message on one medium, with its faults.
    pub(super) fn transmit(&mut self, from: usize, link: usize, bytes: Vec<u8>) {
        let m = &mut self.media[link];
        if m.stalled[from] {
            m.queued[from].push(bytes);
            if m.queued[from].len() > STALL_QUEUE {
                m.queued[from].remove(0);
            }
            return;
        }
        if m.cut[from] || self.rng.chance(m.loss_per_mille) {
            return;
        }
        let (lo, hi, dup) = (m.min_delay, m.max_delay, m.dup_per_mille);
        let copies = if self.rng.chance(dup) { 2 } else { 1 };
        for _ in 0..copies {
            let at = self.now + self.rng.duration(lo, hi);
            let bytes = bytes.clone();
            self.schedule(
                at,
                Event::Deliver {
                    to: 1 - from,
                    link,
                    bytes,
                },
            );
        }
    }
}
