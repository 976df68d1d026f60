//! Local stalls (a frozen daemon, a paused VM): the node must not declare
//! the peer dead from its own lateness, and must grant grace instead.

use super::*;

#[test]
fn local_stall_suppresses_a_false_death_and_grants_grace() {
    let mut h = Harness::up(2);
    h.run_until(2000);
    h.packet(0, 2);
    h.packet(1, 2);
    // We were frozen for 7 s: the peer's packets are still queued.
    h.freeze_until(9000);
    assert_eq!(h.tick(), vec![Event::LocalStall { gap: ms(7000) }]);
    assert_eq!(h.m.peer_state(), PeerState::Up);
    assert_eq!(h.m.link_state(LinkId(0)), LinkState::Up);
    // Grace runs from one keepalive before we woke up.
    assert_eq!(h.m.next_deadline(), Some(h.t(9000 - KEEPALIVE + DEADTIME)));
    // A queued packet is read first: not blamed as late.
    assert!(h.packet(0, 3).is_empty());
    // The medium whose packets did not come still gets only its grace.
    let grace_ends = 9000 - KEEPALIVE + DEADTIME;
    assert!(h.run_until(grace_ends - 1).is_empty());
    assert_eq!(
        h.run_until(grace_ends),
        vec![Event::LinkDead { link: LinkId(1) }]
    );
    assert_eq!(h.m.peer_state(), PeerState::Up);
}

#[test]
fn death_after_a_stall_comes_only_on_a_later_call() {
    let mut h = Harness::up(1);
    h.freeze_until(60_000);
    assert_eq!(h.tick(), vec![Event::LocalStall { gap: ms(60_000) }]);
    let grace_ends = 60_000 - KEEPALIVE + DEADTIME;
    assert!(h.run_until(grace_ends - 1).is_empty());
    assert_eq!(
        peer_deaths(&h.run_until(grace_ends)),
        vec![DeathCause::Silence]
    );
}

#[test]
fn a_packet_in_a_stalled_call_still_counts() {
    let mut h = Harness::up(1);
    h.freeze_until(30_000);
    let events = h.packet(0, 2);
    assert_eq!(events, vec![Event::LocalStall { gap: ms(30_000) }]);
    assert_eq!(h.m.peer_state(), PeerState::Up);
    assert_eq!(h.m.next_deadline(), Some(h.t(30_000 + DEADTIME)));
}

#[test]
fn a_stall_during_startup_extends_initdead() {
    let mut h = Harness::new(1);
    h.freeze_until(INITDEAD + 5000);
    assert_eq!(
        h.tick(),
        vec![Event::LocalStall {
            gap: ms(INITDEAD + 5000)
        }]
    );
    assert_eq!(h.m.peer_state(), PeerState::Init);
    assert_eq!(
        h.m.next_deadline(),
        Some(h.t(INITDEAD + 5000 - KEEPALIVE + INITDEAD))
    );
}

#[test]
fn ticking_just_under_half_deadtime_is_not_a_stall() {
    let mut h = Harness::up(1);
    h.freeze_until(DEADTIME / 2);
    assert!(h.tick().is_empty());
    h.freeze_until(DEADTIME / 2 + DEADTIME / 2 + 1);
    assert_eq!(
        h.tick(),
        vec![Event::LocalStall {
            gap: ms(DEADTIME / 2 + 1)
        }]
    );
}
