//! Property tests over random fault schedules, on the real node pair.
//! `connected`: loss, duplication, reordering, delay, one-way loss and a
//! stalled medium, but always one medium both ways; unplanned crashes and
//! reboots, operator requests, failing and hanging agents. No group may
//! ever run on both nodes, no group may see two chain actions at once,
//! every request gets exactly one answer. `healing`: partitions, frozen
//! nodes, one-sided deaths (everything one node sends is lost for longer
//! than deadtime) and loss storms (false deaths) too, which may leave a
//! group on both sides while they cannot talk and for a bounded time
//! after (`Sim::double_hold_bound`); once they heal, each group must end
//! on exactly one node.
//!
//! Each property is one `#[test]` that runs its cases itself and then
//! asserts what they exercised (groups whose single holder was checked,
//! crashes, one-sided and false deaths): a schedule generator or a check
//! that silently stopped doing its work fails the test.

use super::*;
use crate::ownership::Which;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};
use std::cell::Cell;

/// Cases per property; PROPTEST_CASES=1000 for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// What the cases of one property exercised.
#[derive(Default)]
struct Tally {
    cases: Cell<usize>,
    /// Groups checked for a single holder after the heal.
    checked: Cell<usize>,
    /// Groups skipped there (failed somewhere, may rightly be down).
    skipped: Cell<usize>,
    crashes: Cell<usize>,
    /// Cuts after which one side had declared the other dead and the
    /// other had not.
    one_sided: Cell<usize>,
    /// Storms during which a node declared its running peer dead.
    false_deaths: Cell<usize>,
    worst_double: Cell<Duration>,
}

fn bump(c: &Cell<usize>) {
    c.set(c.get() + 1);
}

#[derive(Clone, Debug)]
struct Schedule {
    seed: u64,
    loss_per_mille: u32,
    dup_per_mille: u32,
    max_delay_ms: u64,
    start_fail_per_mille: u32,
    stop_fail_per_mille: u32,
    hanging_group: bool,
    /// Per second of simulated time, chance of a fault or request.
    event_per_mille: u32,
    groups: usize,
    auto_failback: AutoFailback,
}

fn schedules() -> impl Strategy<Value = Schedule> {
    let failback = prop_oneof![
        Just(AutoFailback::On),
        Just(AutoFailback::Off),
        Just(AutoFailback::Legacy)
    ];
    (
        (any::<u64>(), 0u32..300, 0u32..200, 1u64..400),
        (
            // Half the schedules without chain failures, so that most
            // groups stay eligible for the single-holder check.
            prop_oneof![Just(0u32), 1u32..200],
            prop_oneof![Just(0u32), 1u32..50],
            proptest::bool::weighted(0.25),
            100u32..600,
            1usize..4,
            failback,
        ),
    )
        .prop_map(
            |((seed, loss, dup, delay), (sf, stf, hang, ev, groups, af))| Schedule {
                seed: seed | 1,
                loss_per_mille: loss,
                dup_per_mille: dup,
                max_delay_ms: delay,
                start_fail_per_mille: sf,
                stop_fail_per_mille: stf,
                hanging_group: hang,
                event_per_mille: ev,
                groups,
                auto_failback: af,
            },
        )
}

fn build(s: &Schedule) -> Sim {
    let groups: Vec<(String, usize)> = (0..s.groups).map(|g| (format!("g{g}"), g % 2)).collect();
    let refs: Vec<(&str, usize)> = groups.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let mut sim = Sim::new(&refs);
    sim.rng = SimRng(s.seed);
    sim.auto_failback = s.auto_failback;
    for m in &mut sim.media {
        m.loss_per_mille = s.loss_per_mille;
        m.dup_per_mille = s.dup_per_mille;
        m.max_delay = Duration::from_millis(s.max_delay_ms);
    }
    for n in &mut sim.nodes {
        for a in &mut n.agents {
            a.faults.start_fail_per_mille = s.start_fail_per_mille;
            a.faults.stop_fail_per_mille = s.stop_fail_per_mille;
        }
    }
    if s.hanging_group {
        sim.nodes[1].agents[0].faults.hangs = true;
    }
    sim
}

fn which(r: &mut SimRng) -> Which {
    [Which::All, Which::Local, Which::Foreign, Which::Failback][r.below(4) as usize]
}

/// One fault or request that keeps a medium connecting the nodes.
fn connected_event(sim: &mut Sim, tally: &Tally) {
    let i = sim.rng.below(2) as usize;
    let link = sim.rng.below(sim.media.len() as u64) as usize;
    let other = 1 - link;
    match sim.rng.below(9) {
        0 | 1 => {
            let w = which(&mut sim.rng);
            sim.request(i, Request::Standby { which: w });
        }
        2 | 3 => {
            let w = which(&mut sim.rng);
            sim.request(
                i,
                Request::Takeover {
                    which: w,
                    force: false,
                },
            );
        }
        // One-way loss or a stall on one medium, only while the other
        // medium is whole.
        4 if sim.media[other].connects() => sim.media[link].cut[i] = !sim.media[link].cut[i],
        5 if sim.media[other].connects() => {
            let on = !sim.media[link].stalled[i];
            sim.stall(link, i, on)
        }
        6 if sim.alive(i) => {
            sim.request(i, Request::Shutdown);
        }
        7 if sim.alive(i) => {
            bump(&tally.crashes);
            sim.crash(i)
        }
        7 | 6 => sim.boot(i),
        // Rarely: unmonitored here, a dead service leaves its group down
        // for good, and out of the single-holder check.
        _ if sim.rng.chance(250) => {
            let g = sim.rng.below(sim.groups.len() as u64) as usize;
            if sim.running(i, g) {
                sim.kill_service(i, g);
            }
        }
        _ => {}
    }
}

/// Heal every fault, boot what is down, let the nodes settle.
fn heal(sim: &mut Sim) {
    sim.partition(false);
    for link in 0..sim.media.len() {
        for i in 0..2 {
            sim.media[link].cut[i] = false;
            if sim.media[link].stalled[i] {
                sim.stall(link, i, false);
            }
        }
        sim.media[link].loss_per_mille = 0;
    }
    for n in &mut sim.nodes {
        for a in &mut n.agents {
            a.faults = AgentFaults::default();
        }
    }
    for i in 0..2 {
        if !sim.alive(i) {
            sim.boot(i);
        }
    }
    sim.run_for(secs(30));
}

type Events = fn(&mut Sim, &Tally);

fn run(s: &Schedule, events: Events, bounded: bool, tally: &Tally) -> Sim {
    bump(&tally.cases);
    let mut sim = build(s);
    if bounded {
        sim.bounded_double();
    }
    sim.both_up();
    for _ in 0..60 {
        if sim.rng.chance(s.event_per_mille) {
            events(&mut sim, tally);
        }
        sim.run_for(secs(1));
    }
    sim
}

/// Liveness: every group that never failed anywhere ends on exactly one
/// node; counts the groups it checked.
fn settled(sim: &Sim, tally: &Tally) -> TestCaseResult {
    for g in 0..sim.groups.len() {
        if sim.nodes.iter().any(|n| n.agents[g].troubled) {
            bump(&tally.skipped);
            continue;
        }
        bump(&tally.checked);
        prop_assert!(
            sim.holder(g).is_some(),
            "group {g} not on exactly one node after healing\n{}",
            sim.trace_tail(150)
        );
    }
    Ok(())
}

fn clean(sim: &Sim) -> TestCaseResult {
    prop_assert!(
        sim.violations.is_empty(),
        "{:?}\n{}",
        sim.violations,
        sim.trace_tail(150)
    );
    let unanswered = sim.unanswered();
    prop_assert!(
        unanswered.is_empty(),
        "{unanswered:?}\n{}",
        sim.trace_tail(150)
    );
    Ok(())
}

/// Node `i` runs and its membership has declared the peer dead.
fn dead_to(sim: &Sim, i: usize) -> bool {
    sim.node(i)
        .is_some_and(|n| n.membership.peer_state() == crate::membership::PeerState::Dead)
}

/// Everything node `i` sends is lost for longer than deadtime: its peer
/// declares it dead and takes its groups while `i` still hears the peer.
fn one_sided(sim: &mut Sim, i: usize, tally: &Tally) {
    let d = sim.timings.deadtime + sim.rng.duration(secs(1), secs(5));
    // Counted only from a pair that was whole, so that a freeze or a
    // partition already on is not taken for the cut's doing.
    let whole = sim.connected() && sim.alive(1 - i) && !dead_to(sim, 0) && !dead_to(sim, 1);
    sim.cut_from(i, true);
    sim.run_for(d);
    if whole && dead_to(sim, 1 - i) && !dead_to(sim, i) && sim.alive(i) {
        bump(&tally.one_sided);
    }
    sim.cut_from(i, false);
}

/// Both media lose nearly everything for a while: deaths follow though
/// both nodes run (false deaths), then the base loss comes back.
fn storm(sim: &mut Sim, tally: &Tally) {
    let d = sim.timings.deadtime + sim.rng.duration(secs(1), secs(6));
    let heavy = 850 + sim.rng.below(130) as u32;
    sim.log(format!("storm: loss {heavy}/1000 for {d:?}"));
    let base: Vec<u32> = sim.media.iter().map(|m| m.loss_per_mille).collect();
    // As for one-sided deaths: only from a whole pair.
    let both = sim.connected() && sim.alive(0) && sim.alive(1);
    let dead_before = [dead_to(sim, 0), dead_to(sim, 1)];
    for m in &mut sim.media {
        m.loss_per_mille = heavy;
    }
    sim.run_for(d);
    let died = (0..2).any(|i| !dead_before[i] && dead_to(sim, i));
    if both && sim.alive(0) && sim.alive(1) && died {
        bump(&tally.false_deaths);
    }
    for (m, loss) in sim.media.iter_mut().zip(base) {
        m.loss_per_mille = loss;
    }
    sim.log("storm over".into());
}

fn healing_event(sim: &mut Sim, tally: &Tally) {
    let i = sim.rng.below(2) as usize;
    match sim.rng.below(8) {
        0 => {
            let on = !sim.media.iter().all(|m| m.cut == [true, true]);
            sim.partition(on);
        }
        1 if sim.alive(i) => {
            let d = sim.rng.duration(secs(1), secs(8));
            sim.freeze(i, d);
        }
        2 if sim.alive(i) => one_sided(sim, i, tally),
        3 => storm(sim, tally),
        _ => connected_event(sim, tally),
    }
}

fn one_case(s: &Schedule, events: Events, bounded: bool, tally: &Tally) -> TestCaseResult {
    let mut sim = run(s, events, bounded, tally);
    prop_assert!(
        sim.violations.is_empty(),
        "{:?}\n{}",
        sim.violations,
        sim.trace_tail(150)
    );
    heal(&mut sim);
    clean(&sim)?;
    settled(&sim, tally)?;
    tally
        .worst_double
        .set(tally.worst_double.get().max(sim.worst_double));
    Ok(())
}

/// Runs `cases()` schedules (after the saved regressions) and returns what
/// they exercised; panics with the shrunk schedule on a failure.
fn property(name: &str, events: Events, bounded: bool) -> Tally {
    let config = ProptestConfig {
        cases: cases(),
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    let tally = Tally::default();
    let result =
        TestRunner::new(config).run(&schedules(), |s| one_case(&s, events, bounded, &tally));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!(
        "{name}: {} cases, {} groups checked for one holder ({} skipped as failed), \
         {} crashes, {} one-sided deaths, {} storms with a false death, \
         longest double hold after talking again {:?}",
        tally.cases.get(),
        tally.checked.get(),
        tally.skipped.get(),
        tally.crashes.get(),
        tally.one_sided.get(),
        tally.false_deaths.get(),
        tally.worst_double.get(),
    );
    tally
}

#[test]
fn connected_nodes_never_both_run_a_group() {
    let t = property("connected", connected_event, false);
    assert!(t.checked.get() > 0, "the single-holder check never ran");
    assert!(t.crashes.get() > 0, "no schedule crashed a node");
}

#[test]
fn after_partitions_and_freezes_heal_each_group_has_one_holder() {
    let t = property("healing", healing_event, true);
    assert!(t.checked.get() > 0, "the single-holder check never ran");
    assert!(t.crashes.get() > 0, "no schedule crashed a node");
    assert!(t.one_sided.get() > 0, "no schedule made a one-sided death");
    assert!(t.false_deaths.get() > 0, "no storm caused a false death");
}
