//! Fake-clock tests: `t(ms)` is a fixed base instant plus an offset, and the
//! harness ticks every keepalive like the daemon does, so no test sleeps.

use super::*;

const KEEPALIVE: u64 = 1000;
const WARNTIME: u64 = 3000;
const DEADTIME: u64 = 5000;
const INITDEAD: u64 = 10_000;
const HG: u64 = 1_700_000_000;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn config(links: usize) -> MembershipConfig {
    MembershipConfig {
        peer: NodeName::new("nodeb"),
        links: (0..links).map(|i| format!("eth{i}")).collect(),
        keepalive: ms(KEEPALIVE),
        warntime: ms(WARNTIME),
        deadtime: ms(DEADTIME),
        initdead: ms(INITDEAD),
    }
}

/// The daemon's loop in miniature: ticks at least every keepalive, drops what
/// the replay filter refuses.
struct Harness {
    base: Instant,
    now: u64,
    m: Membership,
}

impl Harness {
    fn new(links: usize) -> Self {
        let base = Instant::now();
        Harness {
            base,
            now: 0,
            m: Membership::new(config(links), base),
        }
    }

    fn t(&self, offset: u64) -> Instant {
        self.base + ms(offset)
    }

    /// Ticks every keepalive up to and including `until`; returns all events.
    fn run_until(&mut self, until: u64) -> Vec<Event> {
        let mut events = Vec::new();
        while self.now < until {
            self.now = (self.now + KEEPALIVE).min(until);
            events.extend(self.m.handle(self.t(self.now), Input::Tick));
        }
        events
    }

    /// Jumps to `at` without ticking in between, as a frozen process would.
    fn freeze_until(&mut self, at: u64) {
        self.now = at;
    }

    fn tick(&mut self) -> Vec<Event> {
        self.m.handle(self.t(self.now), Input::Tick)
    }

    fn packet(&mut self, link: usize, seq: u64) -> Vec<Event> {
        self.packet_from(link, HG, Some(seq), None)
    }

    fn packet_from(
        &mut self,
        link: usize,
        hg: u64,
        seq: Option<u64>,
        dt: Option<Duration>,
    ) -> Vec<Event> {
        let now = self.t(self.now);
        match self.m.classify(now, hg, seq) {
            Verdict::Accept => self.m.handle(
                now,
                Input::Packet {
                    link: LinkId(link),
                    hg,
                    seq,
                    dt,
                },
            ),
            Verdict::Duplicate => self.m.link_heard(now, LinkId(link)),
            Verdict::Replay
            | Verdict::OldGeneration
            | Verdict::FutureGeneration
            | Verdict::FutureSeq => Vec::new(),
        }
    }

    /// Brings the peer up on every link at time 0, with sequence number 1.
    fn up(links: usize) -> Self {
        let mut h = Harness::new(links);
        h.packet(0, 1);
        for link in 1..links {
            h.packet(link, 1);
        }
        h
    }
}

fn peer_deaths(events: &[Event]) -> Vec<DeathCause> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::PeerDead { cause, .. } => Some(*cause),
            _ => None,
        })
        .collect()
}

#[test]
fn first_packet_brings_peer_and_link_up() {
    let mut h = Harness::new(2);
    assert_eq!(h.m.peer_state(), PeerState::Init);
    assert_eq!(h.m.link_state(LinkId(0)), LinkState::Init);
    h.run_until(700);
    let events = h.packet(1, 1);
    assert_eq!(
        events,
        vec![
            Event::PeerUp { restarted: false },
            Event::LinkUp { link: LinkId(1) }
        ]
    );
    assert_eq!(h.m.peer_state(), PeerState::Up);
    assert_eq!(h.m.link_state(LinkId(1)), LinkState::Up);
    assert_eq!(h.m.link_state(LinkId(0)), LinkState::Init);
    assert_eq!(h.m.peer_generation(), Some(HG));
    assert_eq!(h.m.last_heard(), Some(h.t(700)));
    assert_eq!(h.m.peer_up_since(), Some(h.t(700)));
}

#[test]
fn peer_never_heard_is_dead_exactly_at_initdead() {
    let mut h = Harness::new(2);
    assert_eq!(h.m.next_deadline(), Some(h.t(INITDEAD)));
    assert!(h.run_until(INITDEAD - 1).is_empty());
    assert_eq!(h.m.peer_state(), PeerState::Init);
    let events = h.run_until(INITDEAD);
    assert_eq!(
        events,
        vec![
            Event::PeerDead {
                silent_for: ms(INITDEAD),
                cause: DeathCause::Initdead
            },
            Event::LinkDead { link: LinkId(0) },
            Event::LinkDead { link: LinkId(1) },
        ]
    );
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    assert_eq!(h.m.next_deadline(), None);
    assert!(
        h.run_until(INITDEAD + 30_000).is_empty(),
        "death is reported once"
    );
}

#[test]
fn initdead_shorter_than_deadtime_is_raised_to_deadtime() {
    let base = Instant::now();
    let mut cfg = config(1);
    cfg.initdead = ms(2000);
    let m = Membership::new(cfg, base);
    assert_eq!(m.next_deadline(), Some(base + ms(DEADTIME)));
}

#[test]
fn a_late_first_packet_after_initdead_brings_the_peer_up_without_partition() {
    let mut h = Harness::new(1);
    h.run_until(INITDEAD + 2000);
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    let events = h.packet(0, 1);
    assert_eq!(
        events,
        vec![
            Event::PeerUp { restarted: false },
            Event::LinkUp { link: LinkId(0) }
        ]
    );
}

#[test]
fn peer_dead_exactly_at_deadtime_not_before() {
    let mut h = Harness::up(2);
    assert_eq!(h.m.next_deadline(), Some(h.t(DEADTIME)));
    assert!(h.run_until(DEADTIME - 1).is_empty());
    assert_eq!(h.m.peer_state(), PeerState::Up);
    let events = h.run_until(DEADTIME);
    assert_eq!(
        events,
        vec![
            Event::PeerDead {
                silent_for: ms(DEADTIME),
                cause: DeathCause::Silence
            },
            Event::LinkDead { link: LinkId(0) },
            Event::LinkDead { link: LinkId(1) },
        ]
    );
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    assert_eq!(h.m.link_state(LinkId(1)), LinkState::Dead);
    assert_eq!(h.m.peer_up_since(), None);
    assert_eq!(h.m.next_deadline(), None);
}

#[test]
fn peer_dead_only_when_silent_on_all_media() {
    let mut h = Harness::up(2);
    let mut events = Vec::new();
    for (i, at) in (KEEPALIVE..=3 * DEADTIME)
        .step_by(KEEPALIVE as usize)
        .enumerate()
    {
        events.extend(h.run_until(at));
        events.extend(h.packet(0, 2 + i as u64));
    }
    assert_eq!(events, vec![Event::LinkDead { link: LinkId(1) }]);
    assert_eq!(h.m.peer_state(), PeerState::Up);
    assert_eq!(h.m.link_state(LinkId(0)), LinkState::Up);
    assert_eq!(h.m.link_state(LinkId(1)), LinkState::Dead);
    assert_eq!(h.packet(1, 1000), vec![Event::LinkUp { link: LinkId(1) }]);
}

#[test]
fn silent_link_dies_exactly_at_deadtime() {
    let mut h = Harness::up(2);
    h.run_until(DEADTIME - KEEPALIVE);
    h.packet(0, 2);
    assert!(h.run_until(DEADTIME - 1).is_empty());
    assert_eq!(
        h.run_until(DEADTIME),
        vec![Event::LinkDead { link: LinkId(1) }]
    );
}

#[test]
fn a_medium_never_heard_is_dead_at_initdead_while_the_peer_is_up() {
    let mut h = Harness::new(2);
    let mut events = h.packet(0, 1);
    for seq in 2..=(INITDEAD / KEEPALIVE) + 1 {
        events.extend(h.run_until((seq - 1) * KEEPALIVE));
        events.extend(h.packet(0, seq));
    }
    assert_eq!(
        events,
        vec![
            Event::PeerUp { restarted: false },
            Event::LinkUp { link: LinkId(0) },
            Event::LinkDead { link: LinkId(1) },
        ]
    );
    assert_eq!(h.m.link_state(LinkId(1)), LinkState::Dead);
}

#[test]
fn late_heartbeat_only_beyond_warntime() {
    let mut h = Harness::up(1);
    h.run_until(WARNTIME);
    assert!(h.packet(0, 2).is_empty(), "exactly warntime is not late");
    h.run_until(2 * WARNTIME + 1);
    assert_eq!(
        h.packet(0, 3),
        vec![Event::LateHeartbeat {
            interval: ms(WARNTIME + 1),
            beyond_deadtime: false
        }]
    );
}

#[test]
fn heartbeat_after_a_partition_is_returned_and_beyond_deadtime() {
    let mut h = Harness::up(1);
    h.run_until(8550);
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    let events = h.packet(0, 9);
    assert_eq!(
        events,
        vec![
            Event::PeerReturned {
                silent_for: ms(8550)
            },
            Event::PeerUp { restarted: false },
            Event::LinkUp { link: LinkId(0) },
            Event::LateHeartbeat {
                interval: ms(8550),
                beyond_deadtime: true
            },
        ]
    );
    assert_eq!(h.m.peer_state(), PeerState::Up);
    assert_eq!(h.m.peer_up_since(), Some(h.t(8550)));
}

#[test]
fn restart_with_new_generation_while_up_resets_sequence_tracking() {
    let mut h = Harness::up(1);
    h.run_until(500);
    h.packet(0, 200);
    h.run_until(1000);
    let events = h.packet_from(0, HG + 1, Some(1), None);
    assert_eq!(
        events,
        vec![Event::PeerRestarted {
            old_hg: HG,
            new_hg: HG + 1
        }]
    );
    assert_eq!(h.m.peer_generation(), Some(HG + 1));
    assert_eq!(
        h.m.peer_up_since(),
        Some(h.t(1000)),
        "a new process is up anew"
    );
    assert_eq!(h.m.classify(h.t(h.now), HG + 1, Some(2)), Verdict::Accept);
    assert_eq!(
        h.m.classify(h.t(h.now), HG + 1, Some(1)),
        Verdict::Duplicate
    );
    assert_eq!(
        h.m.classify(h.t(h.now), HG, Some(201)),
        Verdict::OldGeneration
    );
}

#[test]
fn restart_after_death_is_peer_up_restarted_without_late_warning() {
    let mut h = Harness::up(1);
    h.run_until(20_000);
    let events = h.packet_from(0, HG + 1, Some(1), None);
    assert_eq!(
        events,
        vec![
            Event::PeerRestarted {
                old_hg: HG,
                new_hg: HG + 1
            },
            Event::PeerUp { restarted: true },
            Event::LinkUp { link: LinkId(0) },
        ]
    );
}

#[test]
fn replays_and_old_generations_are_refused() {
    let mut h = Harness::up(1);
    for seq in 2..=300 {
        h.packet(0, seq);
    }
    assert_eq!(
        h.m.classify(h.t(h.now), HG, Some(300 - REORDER_WINDOW)),
        Verdict::Replay
    );
    assert_eq!(h.m.classify(h.t(h.now), HG, Some(1)), Verdict::Replay);
    assert_eq!(h.m.classify(h.t(h.now), HG, Some(250)), Verdict::Duplicate);
    assert_eq!(h.m.classify(h.t(h.now), HG, Some(301)), Verdict::Accept);
    assert_eq!(
        h.m.classify(h.t(h.now), HG - 1, Some(5000)),
        Verdict::OldGeneration
    );
    assert_eq!(
        h.m.classify(h.t(h.now), HG - 1, None),
        Verdict::OldGeneration
    );
    assert_eq!(h.m.classify(h.t(h.now), HG, None), Verdict::Accept);
}

#[test]
fn duplicate_on_second_link_keeps_that_link_up() {
    let mut h = Harness::up(2);
    let mut events = Vec::new();
    for seq in 2..=20 {
        events.extend(h.run_until((seq - 1) * KEEPALIVE));
        assert_eq!(h.m.classify(h.t(h.now), HG, Some(seq)), Verdict::Accept);
        events.extend(h.packet(0, seq));
        assert_eq!(h.m.classify(h.t(h.now), HG, Some(seq)), Verdict::Duplicate);
        events.extend(h.packet(1, seq));
    }
    assert!(events.is_empty(), "nothing changed: {events:?}");
    assert_eq!(h.m.link_state(LinkId(1)), LinkState::Up);
}

#[test]
fn a_duplicate_revives_a_dead_link_but_not_the_peer() {
    let mut h = Harness::up(2);
    h.run_until(DEADTIME);
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    assert_eq!(
        h.m.link_heard(h.t(DEADTIME), LinkId(1)),
        vec![Event::LinkUp { link: LinkId(1) }]
    );
    assert_eq!(h.m.peer_state(), PeerState::Dead);
}

#[test]
fn peer_shutdown_is_death_at_once_and_its_stragglers_do_not_revive_it() {
    let mut h = Harness::up(1);
    h.run_until(2000);
    h.packet(0, 2);
    let events = h.m.handle(h.t(2000), Input::PeerShutdown { hg: HG });
    assert_eq!(
        events,
        vec![Event::PeerDead {
            silent_for: Duration::ZERO,
            cause: DeathCause::Shutdown
        }]
    );
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    h.run_until(3000);
    assert!(h.packet(0, 3).is_empty(), "a straggler is no partition");
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    // The medium still dies on its own timer.
    assert!(h.run_until(3000 + DEADTIME - 1).is_empty());
    assert_eq!(
        h.run_until(3000 + DEADTIME),
        vec![Event::LinkDead { link: LinkId(0) }]
    );
    // Coming back means a new generation.
    h.run_until(20_000);
    let events = h.packet_from(0, HG + 1, Some(1), None);
    assert!(
        events.contains(&Event::PeerUp { restarted: true }),
        "{events:?}"
    );
}

#[test]
fn a_stale_shutdown_from_an_old_generation_is_ignored() {
    let mut h = Harness::up(1);
    h.packet_from(0, HG + 1, Some(1), None);
    assert!(
        h.m.handle(h.t(0), Input::PeerShutdown { hg: HG })
            .is_empty()
    );
    assert_eq!(h.m.peer_state(), PeerState::Up);
}

#[test]
fn advertised_deadtime_extends_the_dead_interval() {
    let mut h = Harness::new(1);
    h.packet_from(0, HG, Some(1), Some(ms(DEADTIME + 2000)));
    assert_eq!(h.m.dead_interval(), ms(DEADTIME + 2000));
    assert_eq!(h.m.next_deadline(), Some(h.t(DEADTIME + 2000)));
    assert!(h.run_until(DEADTIME + 1999).is_empty());
    assert_eq!(
        peer_deaths(&h.run_until(DEADTIME + 2000)),
        vec![DeathCause::Silence]
    );
}

#[test]
fn the_originals_startup_advertisement_is_honoured_then_relaxes() {
    // The original advertises deadtime + 2 s for its first 5 s, then deadtime.
    let mut h = Harness::new(1);
    h.packet_from(0, HG, Some(1), Some(ms(DEADTIME + 2000)));
    h.run_until(4000);
    h.packet_from(0, HG, Some(2), Some(ms(DEADTIME + 2000)));
    assert_eq!(h.m.next_deadline(), Some(h.t(4000 + DEADTIME + 2000)));
    h.run_until(5000);
    h.packet_from(0, HG, Some(3), Some(ms(DEADTIME)));
    assert_eq!(h.m.dead_interval(), ms(DEADTIME));
    assert!(h.run_until(5000 + DEADTIME - 1).is_empty());
    assert_eq!(
        peer_deaths(&h.run_until(5000 + DEADTIME)),
        vec![DeathCause::Silence]
    );
}

#[test]
fn a_shorter_advertised_deadtime_never_shortens_ours() {
    let mut h = Harness::new(1);
    h.packet_from(0, HG, Some(1), Some(ms(1000)));
    assert_eq!(h.m.dead_interval(), ms(DEADTIME));
    assert!(h.run_until(DEADTIME - 1).is_empty());
}

#[test]
fn late_heartbeat_beyond_our_deadtime_but_within_the_advertised_one_is_not_flagged() {
    let mut h = Harness::new(1);
    h.packet_from(0, HG, Some(1), Some(ms(8000)));
    h.run_until(6000);
    assert_eq!(
        h.packet(0, 2),
        vec![Event::LateHeartbeat {
            interval: ms(6000),
            beyond_deadtime: false
        }]
    );
}

#[test]
fn a_far_future_generation_is_refused_and_the_real_peer_stays_up() {
    let mut h = Harness::up(1);
    let now = h.t(h.now);
    for hg in [u64::MAX, MAX_GENERATION, HG + MAX_GENERATION_JUMP + 1] {
        assert_eq!(h.m.classify(now, hg, Some(2)), Verdict::FutureGeneration);
        assert!(h.packet_from(0, hg, Some(2), None).is_empty());
    }
    assert_eq!(h.m.peer_generation(), Some(HG));
    assert_eq!(h.m.classify(now, HG, Some(2)), Verdict::Accept);
}

#[test]
fn a_huge_sequence_number_is_refused_so_the_real_ones_still_count() {
    let mut h = Harness::up(1);
    let now = h.t(h.now);
    assert_eq!(h.m.classify(now, HG, Some(u64::MAX)), Verdict::FutureSeq);
    // Also as the first packet of a new generation.
    assert_eq!(h.m.classify(now, HG + 1, Some(MAX_SEQ)), Verdict::FutureSeq);
    assert!(h.packet_from(0, HG, Some(u64::MAX), None).is_empty());
    assert_eq!(h.m.classify(now, HG, Some(2)), Verdict::Accept);
}

#[test]
fn a_rolled_back_generation_is_refused_while_the_current_one_lives() {
    let mut h = Harness::up(1);
    h.run_until(2000);
    h.packet(0, 2);
    assert_eq!(
        h.m.classify(h.t(h.now), HG - 5, Some(1)),
        Verdict::OldGeneration
    );
    assert!(h.packet_from(0, HG - 5, Some(1), None).is_empty());
    assert_eq!(h.m.peer_generation(), Some(HG));
}

#[test]
fn a_rolled_back_generation_is_a_new_incarnation_once_the_current_is_dead_for_deadtime() {
    let mut h = Harness::up(1);
    // The current generation goes silent (its node was stopped and its
    // state directory restored); its rolled-back successor is refused
    // until the current one is dead.
    h.run_until(DEADTIME - 1);
    assert!(h.packet_from(0, HG - 5, Some(1), None).is_empty());
    assert_eq!(
        peer_deaths(&h.run_until(DEADTIME)),
        vec![DeathCause::Silence]
    );
    let events = h.packet_from(0, HG - 5, Some(1), None);
    assert_eq!(
        events,
        vec![
            Event::PeerRolledBack {
                old_hg: HG,
                new_hg: HG - 5
            },
            Event::PeerUp { restarted: true },
            Event::LinkUp { link: LinkId(0) },
        ]
    );
    assert_eq!(h.m.peer_generation(), Some(HG - 5));
    // Its own numbering starts afresh; the superseded generation is old.
    assert_eq!(h.m.classify(h.t(h.now), HG - 5, Some(2)), Verdict::Accept);
}

#[test]
fn after_a_clean_shutdown_a_rolled_back_generation_waits_for_deadtime() {
    let mut h = Harness::up(1);
    h.run_until(1000);
    h.packet(0, 2);
    h.m.handle(h.t(1000), Input::PeerShutdown { hg: HG });
    assert_eq!(h.m.peer_state(), PeerState::Dead);
    h.run_until(1000 + DEADTIME - 1);
    assert!(h.packet_from(0, HG - 1, Some(1), None).is_empty());
    h.run_until(1000 + DEADTIME);
    assert!(
        h.packet_from(0, HG - 1, Some(1), None)
            .contains(&Event::PeerUp { restarted: true })
    );
}

mod property;
mod stall;
