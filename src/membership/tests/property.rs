//! Property tests: random schedules of ticks, packets and shutdowns against
//! the safety properties of membership.

use super::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Tick,
    Packet {
        link: usize,
        hg_offset: u64,
        seq: Option<u64>,
        dt: Option<u64>,
    },
    Shutdown {
        hg_offset: u64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Tick),
        6 => (0..3usize, 0..3u64, proptest::option::of(0..300u64), proptest::option::weighted(0.1, 0..12_000u64))
            .prop_map(|(link, hg_offset, seq, dt)| Step::Packet { link, hg_offset, seq, dt }),
        1 => (0..3u64).prop_map(|hg_offset| Step::Shutdown { hg_offset }),
    ]
}

/// Mostly a daemon ticking on a 100 ms grid (so exact deadlines are hit),
/// sometimes arbitrary gaps, sometimes freezes.
fn delta() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => (0..=25u64).prop_map(|d| d * 100),
        1 => 0..4000u64,
        1 => 2501..20_000u64,
    ]
}

proptest! {
    /// The core safety property: whatever happens, the peer is never declared
    /// dead by silence while an accepted packet arrived within deadtime of
    /// `now`, never in a call that detected a local stall, and state-change
    /// events only report real changes.
    #[test]
    fn never_dead_within_deadtime_of_a_packet(
        steps in proptest::collection::vec((delta(), step()), 1..300)
    ) {
        let base = Instant::now();
        let mut m = Membership::new(config(3), base);
        let mut now = base;
        let mut accepted: Vec<Instant> = Vec::new();
        for (delta, step) in steps {
            now += ms(delta);
            let peer_before = m.peer_state();
            let links_before: Vec<LinkState> = (0..3).map(|l| m.link_state(LinkId(l))).collect();
            let (events, full_call) = match step {
                Step::Tick => (m.handle(now, Input::Tick), true),
                Step::Packet { link, hg_offset, seq, dt } => {
                    let hg = HG + hg_offset;
                    match m.classify(hg, seq) {
                        Verdict::Accept => {
                            accepted.push(now);
                            let input = Input::Packet { link: LinkId(link), hg, seq, dt: dt.map(ms) };
                            (m.handle(now, input), true)
                        }
                        Verdict::Duplicate => (m.link_heard(now, LinkId(link)), false),
                        Verdict::Replay | Verdict::OldGeneration => (Vec::new(), false),
                    }
                }
                Step::Shutdown { hg_offset } => {
                    (m.handle(now, Input::PeerShutdown { hg: HG + hg_offset }), true)
                }
            };
            let stalled = events.iter().any(|e| matches!(e, Event::LocalStall { .. }));
            for event in &events {
                match *event {
                    Event::PeerDead { cause, .. } => {
                        prop_assert_ne!(peer_before, PeerState::Dead, "dead twice: {:?}", events);
                        prop_assert_eq!(m.peer_state(), PeerState::Dead);
                        if cause != DeathCause::Shutdown {
                            prop_assert!(!stalled, "death in a stalled call: {:?}", events);
                            for t in &accepted {
                                prop_assert!(now.duration_since(*t) >= ms(DEADTIME),
                                    "dead {:?} after a packet", now.duration_since(*t));
                            }
                        }
                    }
                    Event::PeerUp { .. } => {
                        prop_assert_ne!(peer_before, PeerState::Up);
                        prop_assert_eq!(m.peer_state(), PeerState::Up);
                    }
                    Event::LinkUp { link } => {
                        prop_assert_ne!(links_before[link.0], LinkState::Up);
                        prop_assert_eq!(m.link_state(link), LinkState::Up);
                    }
                    Event::LinkDead { link } => {
                        prop_assert!(!stalled);
                        prop_assert_ne!(links_before[link.0], LinkState::Dead);
                        prop_assert_eq!(m.link_state(link), LinkState::Dead);
                    }
                    _ => {}
                }
            }
            // Every change of state was reported.
            let peer_changed = events.iter().any(|e| matches!(e, Event::PeerDead { .. } | Event::PeerUp { .. }));
            prop_assert_eq!(peer_changed, peer_before != m.peer_state());
            for (l, before) in links_before.iter().enumerate() {
                let reported = events.iter().any(|e| matches!(e,
                    Event::LinkUp { link } | Event::LinkDead { link } if link.0 == l));
                prop_assert_eq!(reported, *before != m.link_state(LinkId(l)));
            }
            // A full call leaves nothing overdue.
            if full_call && let Some(deadline) = m.next_deadline() {
                prop_assert!(deadline > now, "deadline {:?} overdue", now.duration_since(deadline));
            }
        }
    }
}
