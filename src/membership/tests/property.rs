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
                    match m.classify(now, hg, seq) {
                        Verdict::Accept => {
                            accepted.push(now);
                            let input = Input::Packet { link: LinkId(link), hg, seq, dt: dt.map(ms) };
                            (m.handle(now, input), true)
                        }
                        Verdict::Duplicate => (m.link_heard(now, LinkId(link)), false),
                        Verdict::Replay | Verdict::OldGeneration | Verdict::FutureGeneration | Verdict::FutureSeq => (Vec::new(), false),
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

/// A packet of the liveness schedules: `gap` ms after the previous one.
#[derive(Clone, Debug)]
struct Arrival {
    gap: u64,
    link: usize,
    hg_offset: u64,
    seq: u64,
    dt: Option<u64>,
}

fn arrival() -> impl Strategy<Value = Arrival> {
    (
        // Mostly within deadtime, sometimes long enough to die and return.
        prop_oneof![4 => 0..DEADTIME, 1 => DEADTIME..3 * DEADTIME],
        0..3usize,
        prop_oneof![6 => Just(0u64), 1 => 1..3u64],
        0..300u64,
        // Advertised deadtimes both shorter and longer than ours.
        proptest::option::weighted(0.5, 0..3 * DEADTIME),
    )
        .prop_map(|(gap, link, hg_offset, seq, dt)| Arrival {
            gap,
            link,
            hg_offset,
            seq,
            dt,
        })
}

/// What the peer's packets promise: the last accepted one (ms) and the
/// deadtime its generation last advertised.
#[derive(Default)]
struct Promise {
    last: Option<u64>,
    generation: Option<u64>,
    advertised: Option<u64>,
}

impl Promise {
    fn accept(&mut self, now: u64, hg: u64, dt: Option<u64>) {
        if self.generation != Some(hg) {
            self.advertised = None;
        }
        self.generation = Some(hg);
        self.advertised = dt.or(self.advertised);
        self.last = Some(now);
    }
    /// Ours or the advertised one, whichever is larger: never shorter
    /// than ours.
    fn interval(&self) -> u64 {
        DEADTIME.max(self.advertised.unwrap_or(0))
    }
}

/// After a tick at `now`: a silence death never early, and never missing
/// once the interval is over (so it comes by interval + one tick).
fn judge(m: &Membership, now: u64, events: &[Event], p: &Promise) -> Result<(), TestCaseError> {
    let Some(last) = p.last else {
        return Ok(());
    };
    let silent = now - last;
    if peer_deaths(events).contains(&DeathCause::Silence) {
        prop_assert!(
            silent >= p.interval(),
            "dead after {silent} ms of silence, interval {} ms",
            p.interval()
        );
    }
    if silent >= p.interval() {
        prop_assert_eq!(
            m.peer_state(),
            PeerState::Dead,
            "still {:?} after {} ms of silence, interval {} ms",
            m.peer_state(),
            silent,
            p.interval()
        );
    }
    Ok(())
}

fn dead_since(m: &Membership, dead_at: Option<u64>, now: u64) -> Option<u64> {
    (m.peer_state() == PeerState::Dead).then(|| dead_at.unwrap_or(now))
}

proptest! {
    /// Liveness: ticking every `tick` ms, a peer that goes silent is
    /// declared dead no earlier than its dead interval after its last
    /// accepted packet and no later than one tick after that; the
    /// interval is the larger of our deadtime and the one it advertised.
    #[test]
    fn a_silent_peer_is_dead_within_its_dead_interval(
        tick in prop_oneof![Just(100u64), Just(250), Just(500), Just(KEEPALIVE)],
        arrivals in proptest::collection::vec(arrival(), 1..40),
    ) {
        let base = Instant::now();
        let mut m = Membership::new(config(3), base);
        let (mut now, mut next_tick) = (0u64, tick);
        let mut p = Promise::default();
        // When the peer was first seen dead, since it was last up.
        let mut dead_at: Option<u64> = None;
        for a in arrivals {
            let at = now + a.gap;
            while next_tick <= at {
                now = next_tick;
                let events = m.handle(base + ms(now), Input::Tick);
                judge(&m, now, &events, &p)?;
                dead_at = dead_since(&m, dead_at, now);
                next_tick += tick;
            }
            now = at;
            let (hg, seq) = (HG + a.hg_offset, Some(a.seq));
            match m.classify(base + ms(now), hg, seq) {
                Verdict::Accept => {
                    p.accept(now, hg, a.dt);
                    let input = Input::Packet { link: LinkId(a.link), hg, seq, dt: a.dt.map(ms) };
                    m.handle(base + ms(now), input);
                    dead_at = dead_since(&m, dead_at, now);
                }
                Verdict::Duplicate => { m.link_heard(base + ms(now), LinkId(a.link)); }
                Verdict::Replay | Verdict::OldGeneration | Verdict::FutureGeneration | Verdict::FutureSeq => {}
            }
        }
        // Silence from here on: ticks until the peer is dead, or well past
        // when it must be.
        let last = p.last.expect("the first packet is always accepted");
        while dead_at.is_none() && next_tick <= last + p.interval() + 2 * tick {
            let events = m.handle(base + ms(next_tick), Input::Tick);
            judge(&m, next_tick, &events, &p)?;
            dead_at = dead_since(&m, dead_at, next_tick);
            next_tick += tick;
        }
        let died = dead_at.map_or(u64::MAX, |t| t - last);
        prop_assert!(died >= p.interval() && died <= p.interval() + tick,
            "dead after {} ms, interval {} ms, tick {} ms", died, p.interval(), tick);
    }
}
