//! Operations on a running pair: maintenance mode and reloading the
//! configuration, told on the simulator.

use super::*;
use crate::control::MaintenanceState;
use crate::core::PeerNotice;
use crate::ownership::{self, MaintenanceNotice, Which};

fn maintenance(sim: &mut Sim, i: usize, on: bool) -> (bool, String) {
    let id = sim.request(i, Request::Maintenance { on }).unwrap();
    sim.run_for(secs(2));
    sim.nodes[i]
        .answers
        .iter()
        .find_map(|(a, r)| match r {
            Response::Done { ok, message } if *a == id => Some((*ok, message.clone())),
            _ => None,
        })
        .expect("maintenance answered")
}

fn state(sim: &mut Sim, i: usize) -> MaintenanceState {
    sim.status(i).unwrap().maintenance
}

fn starts_and_stops(sim: &Sim) -> usize {
    (sim.nodes.iter().flat_map(|n| &n.agents))
        .map(|a| a.starts + a.stops + a.restarts)
        .sum()
}

fn monitored(sim: &mut Sim) {
    sim.groups[0].2 = Some(MonitorPolicy {
        interval: secs(1),
        max_restarts: 1,
        window: secs(60),
    });
}

#[test]
fn maintenance_on_one_node_puts_both_in_and_a_crash_of_the_holder_is_not_taken_over() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    let (ok_, msg) = maintenance(&mut sim, B, true);
    assert!(ok_, "{msg}");
    assert_eq!(
        state(&mut sim, A),
        MaintenanceState::On,
        "alpha follows bravo"
    );
    assert!(sim.nodes[A].maintenance.on, "persisted on alpha too");
    sim.crash(A);
    sim.run_for(secs(10));
    assert_eq!(sim.holder(0), None, "bravo took nothing over");
    assert_eq!(sim.nodes[B].agents[0].starts, 0);
    let refused = sim.count_notices(B, |n| {
        matches!(
            n,
            Notice::Ownership(ownership::Notice::Maintenance(
                MaintenanceNotice::NoTakeover { .. }
            ))
        )
    });
    assert_eq!(refused, 1);
    ok(&sim);
}

#[test]
fn maintenance_leaves_a_failed_monitor_alone_and_refuses_standby() {
    let mut sim = Sim::new(&[("web", A)]);
    monitored(&mut sim);
    sim.both_up();
    maintenance(&mut sim, A, true);
    sim.kill_service(A, 0);
    sim.run_for(secs(5));
    assert_eq!(sim.nodes[A].agents[0].restarts, 0, "no monitor restart");
    assert_eq!(sim.nodes[B].agents[0].starts, 0, "no move");
    let id = sim.request(A, Request::Standby { which: Which::All });
    sim.run_for(secs(1));
    let answer = (sim.nodes[A].answers.iter()).find(|(a, _)| Some(*a) == id);
    assert!(
        matches!(answer, Some((_, Response::Done { ok: false, message })) if message.contains("maintenance")),
        "{answer:?}"
    );
    ok(&sim);
}

#[test]
fn leaving_maintenance_probes_settles_and_moves_nothing_healthy() {
    let mut sim = Sim::new(&[("vip", A), ("web", B)]);
    sim.both_up();
    maintenance(&mut sim, A, true);
    // The peer's daemon restarts in maintenance: its group keeps running.
    sim.crash_daemon(B);
    sim.run_for(secs(1));
    sim.boot(B);
    sim.run_for(secs(5));
    assert!(sim.running(B, 1), "bravo's daemon restart left web running");
    assert_eq!(state(&mut sim, B), MaintenanceState::On, "persisted");
    let before = starts_and_stops(&sim);
    let (ok_, msg) = maintenance(&mut sim, B, false);
    assert!(ok_, "{msg}");
    sim.run_for(secs(5));
    assert_eq!(state(&mut sim, A), MaintenanceState::Off);
    assert_eq!(state(&mut sim, B), MaintenanceState::Off);
    assert_eq!((sim.holder(0), sim.holder(1)), (Some(A), Some(B)));
    assert_eq!(
        starts_and_stops(&sim),
        before,
        "nothing was started or stopped"
    );
    let st = sim.status(B).unwrap();
    assert_eq!(
        st.groups[1].local_state,
        crate::control::LocalState::Running
    );
    ok(&sim);
}

#[test]
fn leaving_maintenance_starts_what_runs_nowhere() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    maintenance(&mut sim, A, true);
    sim.kill_service(A, 0);
    sim.run_for(secs(2));
    maintenance(&mut sim, A, false);
    sim.run_for(secs(5));
    assert_eq!(sim.holder(0), Some(A), "found stopped, started again");
    ok(&sim);
}

#[test]
fn a_reload_with_a_new_deadtime_applies_without_a_death_or_a_move() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    let before = starts_and_stops(&sim);
    sim.timings.deadtime = secs(5);
    sim.reload(A);
    sim.run_for(secs(10));
    assert_eq!(sim.status(A).unwrap().deadtime_ms, 5000);
    let deaths = sim.count_notices(A, |n| {
        matches!(n, Notice::Peer(PeerNotice::PeerDead { .. }))
    }) + sim.count_notices(B, |n| {
        matches!(n, Notice::Peer(PeerNotice::PeerDead { .. }))
    });
    assert_eq!(deaths, 0);
    assert_eq!(starts_and_stops(&sim), before);
    // The new deadtime is what counts now: a crash is declared after it.
    sim.crash(B);
    let crashed = sim.now;
    sim.run_for(secs(8));
    let (at, _) = (sim.nodes[A].notices.iter())
        .find(|(_, n)| matches!(n, Notice::Peer(PeerNotice::PeerDead { .. })))
        .expect("bravo declared dead");
    assert!(
        at.duration_since(crashed) >= secs(4),
        "{:?}",
        at.duration_since(crashed)
    );
    ok(&sim);
}

#[test]
fn a_reload_changing_a_running_groups_resources_is_refused_a_stopped_one_applies() {
    let mut sim = Sim::new(&[("vip", A), ("web", B)]);
    sim.both_up();
    sim.lines = vec!["IPaddr::10.0.0.9".into(), "apache".into()];
    sim.reload(A);
    sim.run_for(secs(1));
    let refused: Vec<String> = (sim.notices(A))
        .filter_map(|n| match n {
            Notice::Reload(r) => Some(r.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        refused
            .iter()
            .any(|l| l.contains("vip") && l.contains("refused")),
        "{refused:?}"
    );
    assert!(
        refused
            .iter()
            .any(|l| l.contains("web") && l.contains("applied")),
        "{refused:?}"
    );
    assert_eq!(sim.reload_kept, vec![vec![GroupIdx(0)]]);
    ok(&sim);
}
