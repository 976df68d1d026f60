//! One action lock per resource group, and the monitor schedule.
//!
//! A group's chain runs one action at a time: a start, stop, restart or
//! re-announce asked for while another runs waits in the group's queue and
//! runs when that one's result is in; a monitor poll runs only when the
//! group is idle and never queues. This is what keeps a stop from running
//! beside a monitor or a start of the same group.

use crate::action::ChainAction;
use crate::ownership::GroupIdx;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
struct Slot {
    running: Option<ChainAction>,
    queued: VecDeque<ChainAction>,
    /// When the next monitor poll is due (armed while the group runs here).
    next_monitor: Option<Instant>,
    interval: Option<Duration>,
}

#[derive(Clone, Debug)]
pub struct Locks {
    slots: Vec<Slot>,
}

impl Locks {
    /// `intervals`: each group's monitor interval, if it is monitored.
    pub fn new(intervals: impl IntoIterator<Item = Option<Duration>>) -> Locks {
        Locks {
            slots: intervals
                .into_iter()
                .map(|interval| Slot {
                    interval,
                    ..Slot::default()
                })
                .collect(),
        }
    }

    /// Ask for `action`: `true` if it may run now (the lock is taken),
    /// `false` if it waits for the running one.
    pub fn request(&mut self, g: GroupIdx, action: ChainAction) -> bool {
        let slot = &mut self.slots[g.0];
        if slot.running.is_none() {
            slot.running = Some(action);
            true
        } else {
            slot.queued.push_back(action);
            false
        }
    }

    /// The running action's result is in. Returns whether it was the one
    /// running (a stray result is ignored) and the next queued action,
    /// which now holds the lock.
    pub fn finished(&mut self, g: GroupIdx, action: ChainAction) -> (bool, Option<ChainAction>) {
        let Some(slot) = self.slots.get_mut(g.0) else {
            return (false, None);
        };
        if slot.running != Some(action) {
            return (false, None);
        }
        slot.running = slot.queued.pop_front();
        (true, slot.running)
    }

    /// Whether anything runs or waits for the group.
    pub fn busy(&self, g: GroupIdx) -> bool {
        let slot = &self.slots[g.0];
        slot.running.is_some() || !slot.queued.is_empty()
    }

    /// A reload changed the group's monitor: polls follow the new interval
    /// (from the next arm; a group no longer monitored stops polling).
    pub fn set_interval(&mut self, g: GroupIdx, interval: Option<Duration>) {
        let slot = &mut self.slots[g.0];
        slot.interval = interval;
        if interval.is_none() {
            slot.next_monitor = None;
        }
    }

    /// Poll the group `interval` from now (after a good start or poll).
    pub fn arm_monitor(&mut self, g: GroupIdx, now: Instant) {
        let slot = &mut self.slots[g.0];
        slot.next_monitor = slot.interval.map(|i| now + i);
    }

    /// Poll as soon as the group is idle (a re-announce failed: find out
    /// whether the group still runs).
    pub fn monitor_soon(&mut self, g: GroupIdx, now: Instant) {
        let slot = &mut self.slots[g.0];
        if slot.interval.is_some() {
            slot.next_monitor = Some(now);
        }
    }

    /// The group is no longer ours to watch.
    pub fn disarm_monitor(&mut self, g: GroupIdx) {
        self.slots[g.0].next_monitor = None;
    }

    /// Monitor polls due now on idle groups; each takes its group's lock.
    pub fn due_monitors(&mut self, now: Instant) -> Vec<GroupIdx> {
        let mut due = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.running.is_none() && slot.next_monitor.is_some_and(|t| t <= now) {
                slot.next_monitor = None;
                slot.running = Some(ChainAction::Monitor);
                due.push(GroupIdx(i));
            }
        }
        due
    }

    /// The next monitor poll of an idle group (a busy group's poll waits
    /// for its result, which arrives as an input anyway).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|s| s.running.is_none())
            .filter_map(|s| s.next_monitor)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChainAction::*;

    const G: GroupIdx = GroupIdx(0);

    #[test]
    fn a_second_action_waits_for_the_first_and_then_holds_the_lock() {
        let mut l = Locks::new([None]);
        assert!(l.request(G, Start));
        assert!(!l.request(G, Stop), "a stop must not run beside a start");
        assert_eq!(l.finished(G, Start), (true, Some(Stop)));
        assert!(l.busy(G));
        assert_eq!(l.finished(G, Stop), (true, None));
        assert!(!l.busy(G));
    }

    #[test]
    fn a_stray_result_does_not_release_the_lock() {
        let mut l = Locks::new([Some(Duration::from_secs(1))]);
        assert!(l.request(G, Stop));
        assert_eq!(l.finished(G, Monitor), (false, None));
        assert!(l.busy(G));
    }

    #[test]
    fn monitor_polls_only_an_idle_group() {
        let t0 = Instant::now();
        let mut l = Locks::new([Some(Duration::from_secs(1))]);
        l.arm_monitor(G, t0);
        assert!(l.request(G, Reannounce));
        let later = t0 + Duration::from_secs(2);
        assert!(l.due_monitors(later).is_empty());
        assert_eq!(l.next_deadline(), None, "a busy group offers no deadline");
        l.finished(G, Reannounce);
        assert_eq!(l.due_monitors(later), vec![G]);
        assert!(!l.request(G, Stop), "a stop waits for the running poll");
        assert_eq!(l.finished(G, Monitor), (true, Some(Stop)));
    }
}
