//! Property tests over random fault schedules, on the real node pair.
//! `connected`: loss, duplication, reordering, delay, one-way loss and a
//! stalled medium, but always one medium both ways; crashes, reboots,
//! operator requests, failing and hanging agents. No group may ever run on
//! both nodes, no group may see two chain actions at once, every request
//! gets exactly one answer. `healing`: partitions and frozen nodes too,
//! which may leave a group on both sides for a while; once they heal,
//! each group must end on exactly one node.

use super::*;
use crate::ownership::Which;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Schedules run, printed at the end of each property so the count is
/// in the test log.
static SCHEDULES: AtomicUsize = AtomicUsize::new(0);

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
            0u32..200,
            0u32..50,
            any::<bool>(),
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
fn connected_event(sim: &mut Sim) {
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
            sim.request(i, Request::Takeover { which: w });
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
        7 if sim.alive(i) => sim.crash(i),
        7 | 6 => sim.boot(i),
        _ => {
            let g = sim.rng.below(sim.groups.len() as u64) as usize;
            if sim.running(i, g) {
                sim.kill_service(i, g);
            }
        }
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
    sim.run_for(Duration::from_secs(30));
}

fn run(s: &Schedule, events: impl Fn(&mut Sim)) -> Sim {
    SCHEDULES.fetch_add(1, Ordering::Relaxed);
    let mut sim = build(s);
    sim.both_up();
    for _ in 0..60 {
        if sim.rng.chance(s.event_per_mille) {
            events(&mut sim);
        }
        sim.run_for(Duration::from_secs(1));
    }
    sim
}

fn settled(sim: &Sim) -> Result<(), TestCaseError> {
    for g in 0..sim.groups.len() {
        if sim.nodes.iter().any(|n| n.agents[g].troubled) {
            continue;
        }
        prop_assert!(
            sim.holder(g).is_some(),
            "group {g} not on exactly one node after healing\n{}",
            sim.trace_tail(150)
        );
    }
    Ok(())
}

fn clean(sim: &Sim) -> Result<(), TestCaseError> {
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

fn healing_event(sim: &mut Sim) {
    let i = sim.rng.below(2) as usize;
    match sim.rng.below(6) {
        0 => {
            let on = !sim.media.iter().all(|m| m.cut == [true, true]);
            sim.partition(on);
        }
        1 if sim.alive(i) => {
            let d = sim
                .rng
                .duration(Duration::from_secs(1), Duration::from_secs(8));
            sim.freeze(i, d);
        }
        _ => connected_event(sim),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn connected_nodes_never_both_run_a_group(s in schedules()) {
        let mut sim = run(&s, connected_event);
        prop_assert!(sim.violations.is_empty(), "{:?}\n{}", sim.violations, sim.trace_tail(150));
        heal(&mut sim);
        clean(&sim)?;
        settled(&sim)?;
        eprintln!("schedules run so far: {}", SCHEDULES.load(Ordering::Relaxed));
    }

    #[test]
    fn after_partitions_and_freezes_heal_each_group_has_one_holder(s in schedules()) {
        let mut sim = run(&s, |sim| {
            sim.allow_double = true;
            healing_event(sim)
        });
        heal(&mut sim);
        clean(&sim)?;
        settled(&sim)?;
        eprintln!("schedules run so far: {}", SCHEDULES.load(Ordering::Relaxed));
    }
}
