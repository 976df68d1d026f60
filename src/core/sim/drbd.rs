//! DRBD stories in the simulator: a fake DRBD per node (the states the
//! driver would feed, and what `drbdadm outdate` does to them), fencing
//! through the nodes' own messages, and the takeover rule.

use super::*;
use crate::core::Notice;
use crate::core::drbd_notice::DrbdNotice;
use crate::drbd::{DiskState, DrbdState, Link};
use crate::ownership::Which;

use crate::drbd::r0 as st;

impl Sim {
    /// What real DRBD does on `drbdadm outdate`: refused while Connected
    /// or Primary; the driver answers with the state it left.
    pub(super) fn outdate(&mut self, i: usize, resource: String, token: u64) {
        let state = match self.nodes[i]
            .drbd
            .iter_mut()
            .find(|s| s.resource == resource)
        {
            Some(s) => {
                if !s.primary && s.link != Link::Connected && s.disk >= DiskState::Outdated {
                    s.disk = DiskState::Outdated;
                }
                s.clone()
            }
            None => DrbdState::unknown(&resource),
        };
        self.log(format!(
            "{} drbdadm outdate {resource}: {}",
            NAMES[i], state.disk
        ));
        let said = String::new();
        self.input(
            i,
            Input::Outdated {
                resource,
                token,
                state,
                said,
            },
        );
    }

    /// Node `i`'s DRBD is now `state` (the driver's poll finds it).
    fn set_drbd(&mut self, i: usize, state: DrbdState) {
        self.nodes[i].drbd = vec![state.clone()];
        self.input(i, Input::Drbd(vec![state]));
    }

    fn fence(&mut self, i: usize, timeout: Duration) -> Option<RequestId> {
        let resource = "r0".into();
        self.request(
            i,
            Request::FencePeer {
                resource,
                timeout_ms: timeout.as_millis() as u64,
            },
        )
    }

    fn fence_code(&self, i: usize, id: RequestId) -> Option<i32> {
        self.nodes[i].answers.iter().find_map(|(a, r)| match r {
            Response::Fence { code, .. } if *a == id => Some(*code),
            _ => None,
        })
    }

    fn refusals(&self, i: usize) -> Vec<String> {
        self.notices(i)
            .filter(|n| matches!(n, Notice::Drbd(DrbdNotice::TakeoverRefused { .. })))
            .map(|n| n.to_string())
            .collect()
    }
}

/// A group on DRBD r0, preferred by alpha, both up and replicating.
fn replicated() -> Sim {
    let mut sim = Sim::new(&[("web", A)]);
    sim.lines = vec!["drbddisk::r0 IPaddr::10.0.0.10".into()];
    sim.both_up();
    sim.set_drbd(A, st(DiskState::UpToDate, true, Link::Connected));
    sim.set_drbd(B, st(DiskState::UpToDate, false, Link::Connected));
    sim.run_for(secs(1));
    assert!(sim.running(A, 0));
    sim
}

#[test]
fn fence_peer_has_a_disconnected_secondary_outdate_its_copy_and_exits_4() {
    let mut sim = replicated();
    sim.set_drbd(A, st(DiskState::UpToDate, true, Link::Connecting));
    sim.set_drbd(B, st(DiskState::UpToDate, false, Link::Connecting));
    let id = sim.fence(A, secs(5)).unwrap();
    sim.run_for(Duration::from_millis(200));
    assert_eq!(sim.fence_code(A, id), Some(4), "{}", sim.trace_tail(20));
    assert_eq!(sim.nodes[B].drbd[0].disk, DiskState::Outdated);
    let status = sim.status(B).unwrap();
    assert!(
        status.drbd[0]
            .outdated_by
            .as_deref()
            .is_some_and(|b| b.starts_with("alpha at "))
    );
    ok(&sim);
}

#[test]
fn fence_peer_answers_6_for_a_primary_peer_and_5_for_a_dead_one() {
    let mut sim = replicated();
    sim.set_drbd(B, st(DiskState::UpToDate, true, Link::Connecting));
    let id = sim.fence(A, secs(5)).unwrap();
    sim.run_for(Duration::from_millis(200));
    assert_eq!(sim.fence_code(A, id), Some(6));
    sim.crash(B);
    sim.run_for(secs(4));
    let id = sim.fence(A, secs(5)).unwrap();
    assert_eq!(
        sim.fence_code(A, id),
        Some(5),
        "a dead peer is unreachable at once"
    );
    ok(&sim);
}

#[test]
fn fence_peer_gives_up_with_5_when_the_answer_never_comes() {
    let mut sim = replicated();
    for m in &mut sim.media {
        m.cut[B] = true;
    }
    let id = sim.fence(A, Duration::from_millis(800)).unwrap();
    sim.run_for(Duration::from_millis(700));
    assert_eq!(sim.fence_code(A, id), None);
    sim.run_for(Duration::from_millis(200));
    assert_eq!(sim.fence_code(A, id), Some(5));
}

#[test]
fn an_outdated_survivor_starts_nothing_and_says_who_outdated_it() {
    let mut sim = replicated();
    sim.set_drbd(A, st(DiskState::UpToDate, true, Link::Connecting));
    sim.set_drbd(B, st(DiskState::UpToDate, false, Link::Connecting));
    sim.fence(A, secs(5)).unwrap();
    sim.run_for(Duration::from_millis(200));
    sim.input(B, Input::Drbd(sim.nodes[B].drbd.clone()));
    sim.crash(A);
    sim.run_for(secs(6));
    assert!(!sim.running(B, 0), "{}", sim.trace_tail(30));
    let refused = sim.refusals(B);
    assert!(
        refused
            .iter()
            .any(|r| r
                .starts_with("cannot take over group web: r0 is Outdated (outdated by alpha at ")),
        "{refused:?}"
    );
    assert_eq!(sim.nodes[B].agents[0].starts, 0, "nothing of the group ran");
    ok(&sim);
}

#[test]
fn a_survivor_whose_peer_wrote_without_it_starts_nothing() {
    let mut sim = replicated();
    // The replication link broke; fencing did not reach bravo.
    sim.set_drbd(A, st(DiskState::UpToDate, true, Link::Connecting));
    sim.set_drbd(B, st(DiskState::UpToDate, false, Link::Connecting));
    sim.run_for(secs(1));
    sim.crash(A);
    sim.run_for(secs(6));
    assert!(!sim.running(B, 0));
    assert!(
        sim.refusals(B)
            .iter()
            .any(|r| r.contains("alpha holds newer data of r0")),
        "{:?}",
        sim.refusals(B)
    );
    ok(&sim);
}

#[test]
fn a_connected_survivor_takes_over_as_before() {
    let mut sim = replicated();
    sim.crash(A);
    sim.set_drbd(B, st(DiskState::UpToDate, false, Link::Connecting));
    sim.run_for(secs(6));
    assert!(sim.running(B, 0), "{}", sim.trace_tail(30));
    assert!(sim.refusals(B).is_empty());
    ok(&sim);
}

fn waits(sim: &Sim, i: usize) -> Vec<String> {
    sim.notices(i)
        .filter(|n| matches!(n, Notice::Drbd(DrbdNotice::TakeoverWaits { .. })))
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn consistent_data_alone_waits_then_starts_only_when_forced() {
    let mut sim = Sim::new(&[("web", B)]);
    sim.lines = vec!["drbddisk::r0".into()];
    sim.boot(A);
    sim.set_drbd(A, st(DiskState::Consistent, false, Link::Connecting));
    sim.run_for(secs(8));
    assert!(!sim.running(A, 0));
    assert!(
        waits(&sim, A)
            .iter()
            .any(|r| r.contains("waiting up to 10s for bravo")),
        "{:?}",
        waits(&sim, A)
    );
    let cause = sim.status(A).unwrap().groups[0].cause.clone();
    assert!(
        cause.starts_with("r0 is Consistent, not known UpToDate"),
        "{cause}"
    );
    sim.run_for(secs(8));
    let over = |n: &Notice| matches!(n, Notice::Drbd(DrbdNotice::WaitOver { .. }));
    assert_eq!(sim.count_notices(A, over), 1);
    assert!(
        sim.refusals(A)
            .iter()
            .any(|r| r.contains("did not come back within 10s"))
    );
    let plain = Request::Takeover {
        which: Which::All,
        force: false,
    };
    let id = sim.request(A, plain).unwrap();
    sim.run_for(secs(1));
    assert!(!sim.running(A, 0), "a plain takeover does not start it");
    let answer = sim.nodes[A].answers.iter().find(|(a, _)| *a == id);
    assert!(matches!(
        answer,
        Some((_, Response::Done { ok: false, .. }))
    ));
    sim.request(
        A,
        Request::Takeover {
            which: Which::All,
            force: true,
        },
    )
    .unwrap();
    sim.run_for(secs(1));
    assert!(sim.running(A, 0), "{}", sim.trace_tail(20));
    ok(&sim);
}

#[test]
fn a_held_start_runs_once_replication_connects() {
    let mut sim = Sim::new(&[("web", A)]);
    sim.lines = vec!["drbddisk::r0".into()];
    sim.boot(A);
    sim.set_drbd(A, st(DiskState::Consistent, false, Link::Connecting));
    sim.run_for(secs(7));
    assert!(!sim.running(A, 0));
    assert_eq!(sim.nodes[A].agents[0].starts, 0);
    sim.set_drbd(A, st(DiskState::Consistent, false, Link::Connected));
    sim.run_for(secs(1));
    assert!(sim.running(A, 0), "{}", sim.trace_tail(20));
    assert!(sim.refusals(A).is_empty());
    ok(&sim);
}

#[test]
fn a_stop_while_a_start_waits_finishes() {
    let mut sim = Sim::new(&[("web", A)]);
    sim.lines = vec!["drbddisk::r0".into()];
    sim.boot(A);
    sim.set_drbd(A, st(DiskState::Consistent, false, Link::Connecting));
    sim.run_for(secs(7));
    sim.request(A, Request::Shutdown).unwrap();
    sim.run_for(secs(1));
    assert_eq!(sim.nodes[A].exits, 1, "{}", sim.trace_tail(20));
    ok(&sim);
}

#[test]
fn a_forced_takeover_runs_a_held_start_while_the_peer_is_up() {
    let mut sim = Sim::new(&[("web", A)]);
    sim.lines = vec!["drbddisk::r0".into()];
    sim.boot(A);
    sim.boot(B);
    // Both came back with Consistent data and no replication between them.
    sim.set_drbd(A, st(DiskState::Consistent, false, Link::Connecting));
    sim.set_drbd(B, st(DiskState::Consistent, false, Link::Connecting));
    sim.run_for(secs(4));
    assert!(!sim.running(A, 0) && !sim.running(B, 0));
    assert!(!waits(&sim, A).is_empty(), "{}", sim.trace_tail(20));
    let forced = Request::Takeover {
        which: Which::All,
        force: true,
    };
    sim.request(A, forced).unwrap();
    sim.run_for(secs(1));
    assert!(sim.running(A, 0), "{}", sim.trace_tail(20));
    assert!(!sim.running(B, 0));
    ok(&sim);
}
