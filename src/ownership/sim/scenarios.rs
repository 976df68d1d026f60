//! The failover rules of docs/failover.md, one story per test, on the
//! simulator's two nodes.

use super::*;

/// Two groups, one preferred by each node; both nodes booted and up.
pub(super) fn pair(auto_failback: AutoFailback) -> Sim {
    let mut sim = Sim::new(
        &[("ip-a", 0), ("ip-b", 1)],
        auto_failback,
        Duration::from_secs(10),
    );
    sim.boot(0);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(3));
    sim
}

#[test]
fn startup_places_each_group_on_its_preferred_node() {
    let sim = pair(AutoFailback::Off);
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert_eq!(sim.state(0, 0), LocalState::Running);
    assert!(sim.logged(0, "Acquiring resource group: ip-a"));
    assert_eq!(sim.own(0).rsc_status(), RscStatus::Local);
    assert_eq!(sim.own(0).groups()[1].holder, Holder::Peer);
    assert_eq!(sim.own(0).report().rsc_hold, RscHold::Local);
    sim.assert_no_violations();
}

#[test]
fn nothing_starts_before_membership_decides() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.boot(0);
    sim.run_for(Duration::from_secs(5));
    assert!(sim.holders(0).is_empty());
    assert_eq!(sim.own(0).rsc_status(), RscStatus::None);
}

#[test]
fn lone_start_takes_all_groups_after_initdead() {
    let mut sim = Sim::new(
        &[("ip-a", 0), ("ip-b", 1)],
        AutoFailback::Off,
        Duration::ZERO,
    );
    sim.boot(0);
    sim.run_for(Duration::from_secs(10));
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["alpha"]);
    assert!(sim.logged(
        0,
        "Taking over resource group ip-b (peer not heard within initdead)"
    ));
    assert!(sim.logged(0, "Resources being acquired from bravo"));
    assert_eq!(sim.own(0).rsc_status(), RscStatus::All);
}

#[test]
fn peer_death_moves_its_groups_here() {
    let mut sim = pair(AutoFailback::Off);
    sim.nodes[1].own = None; // crashed
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::Dead,
        },
    );
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.holders(1), ["alpha"]);
    assert!(sim.logged(0, "Taking over resource group ip-b (peer dead)"));
    // Epoch grows past anything the dead peer may still report.
    let epoch = sim.own(0).report().groups[1].epoch;
    assert!(epoch >= 2, "epoch {epoch}");
}

#[test]
fn standby_all_hands_everything_to_the_peer() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Standby(Which::All));
    assert!(sim.logged(0, "Going standby [all]."));
    assert!(sim.logged(0, "standby: bravo can take our all resources"));
    assert!(sim.logged(0, "Releasing resource group: ip-a"));
    assert_eq!(sim.own(0).rsc_status(), RscStatus::Transition);
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert_eq!(
        sim.nodes[0].done,
        [(true, "all resources now held by bravo".to_string())]
    );
    assert_eq!(sim.own(0).rsc_status(), RscStatus::None);
    assert_eq!(sim.own(1).rsc_status(), RscStatus::All);
    sim.assert_no_violations();
}

#[test]
fn standby_local_and_foreign_select_by_preferred_node() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(1, Input::Standby(Which::Local));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(1), ["alpha"]);
    assert_eq!(sim.holders(0), ["alpha"]);
    // Alpha now holds bravo's group: standby foreign gives it back.
    sim.input(0, Input::Standby(Which::Foreign));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert_eq!(sim.nodes[0].done.len(), 1);
    assert!(sim.nodes[0].done[0].0);
    // Failback is foreign: alpha holds nothing foreign now.
    sim.input(0, Input::Standby(Which::Failback));
    assert_eq!(
        sim.nodes[0].done[1].1,
        "standby [failback]: nothing to give to bravo"
    );
    sim.assert_no_violations();
}

#[test]
fn takeover_all_asks_the_peer_to_go_standby() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Takeover(Which::All));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(1), ["alpha"]);
    assert!(sim.logged(1, "standby: alpha can take our all resources"));
    assert!(sim.logged(0, "Taking over resource group ip-b (bravo released it)"));
    assert_eq!(
        sim.nodes[0].done,
        [(true, "all resources now held by alpha".to_string())]
    );
    sim.assert_no_violations();
}

#[test]
fn takeover_local_and_foreign_are_mirrored_for_the_peer() {
    let mut sim = pair(AutoFailback::Off);
    // Bravo takes alpha's groups: alpha's local set.
    sim.input(1, Input::Takeover(Which::Foreign));
    sim.run_for(Duration::from_secs(2));
    assert!(sim.logged(0, "Going standby [local]"));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert_eq!(
        sim.nodes[1].done,
        [(true, "foreign resources now held by bravo".to_string())]
    );
    // Alpha takes its own groups back.
    sim.input(0, Input::Takeover(Which::Local));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert!(sim.nodes[0].done[0].0);
    sim.assert_no_violations();
}

#[test]
fn clean_shutdown_hands_over_without_waiting_for_deadtime() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Shutdown);
    assert!(sim.logged(0, "Giving up all HA resources."));
    // Alpha's stop and bravo's start (200 ms each here), then alpha exits:
    // it waits until bravo holds what it handed over.
    sim.run_for(Duration::from_millis(300));
    assert!(sim.alive(0), "exited before bravo had taken ip-a");
    sim.run_for(Duration::from_millis(400));
    assert!(!sim.alive(0));
    assert_eq!(sim.nodes[0].shutdown_complete, Some(vec![]));
    // Bravo started ip-a from alpha's last report, before PeerDead arrived.
    assert!(sim.logged(1, "Taking over resource group ip-a (alpha released it)"));
    assert_eq!(sim.holders(1), ["bravo"]);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.holders(0), ["bravo"]);
    sim.assert_no_violations();
}

#[test]
fn auto_failback_on_moves_groups_back_once_after_the_delay() {
    let mut sim = Sim::new(
        &[("ip-a", 0), ("ip-b", 1)],
        AutoFailback::On,
        Duration::from_secs(10),
    );
    sim.boot(0);
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(1), ["alpha"]);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(9));
    assert_eq!(sim.holders(1), ["alpha"], "not before failback_delay");
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(1), ["bravo"]);
    assert!(sim.logged(0, "auto_failback: bravo has been up"));
    sim.run_for(Duration::from_secs(60));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert_eq!(sim.nodes[0].starts, [1, 1], "one start each on alpha");
    assert_eq!(sim.nodes[1].starts, [0, 1], "exactly one switchover");
    sim.assert_no_violations();
}

#[test]
fn auto_failback_off_leaves_groups_where_they_are() {
    let mut sim = Sim::new(
        &[("ip-a", 0), ("ip-b", 1)],
        AutoFailback::Off,
        Duration::from_secs(10),
    );
    sim.boot(0);
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    sim.run_for(Duration::from_secs(2));
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(60));
    assert_eq!(sim.holders(1), ["alpha"]);
    assert_eq!(sim.nodes[1].starts, [0, 0]);
    sim.assert_no_violations();
}

#[test]
fn legacy_auto_failback_acts_as_on_and_says_it_is_deprecated() {
    let mut sim = Sim::new(&[("ip-b", 1)], AutoFailback::Legacy, Duration::from_secs(1));
    sim.boot(0);
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    assert!(sim.logged(0, "auto_failback legacy is deprecated"));
    sim.run_for(Duration::from_secs(1));
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.holders(0), ["bravo"]);
}

#[test]
fn failed_start_rolls_back_and_the_peer_takes_the_group() {
    let mut sim = Sim::new(
        &[("ip-a", 0), ("ip-b", 1)],
        AutoFailback::Off,
        Duration::ZERO,
    );
    sim.nodes[0].chains.start_fails.insert(0);
    sim.boot(0);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert!(sim.logged(
        0,
        "Resource group ip-a: start failed: simulated start failure; giving it to bravo"
    ));
    assert!(sim.logged(1, "Taking over resource group ip-a (alpha released it)"));
    sim.assert_no_violations();
}

#[test]
fn group_failing_on_both_nodes_stays_down_without_ping_pong() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::On, Duration::from_secs(1));
    sim.nodes[0].chains.start_fails.insert(0);
    sim.nodes[1].chains.start_fails.insert(0);
    sim.boot(0);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(60));
    assert!(sim.holders(0).is_empty());
    assert_eq!(sim.nodes[0].starts, [1]);
    assert_eq!(sim.nodes[1].starts, [1]);
    assert!(
        sim.logged(0, "could not be started on either node")
            || sim.logged(1, "could not be started on either node")
    );
    // An operator takeover tries once more.
    sim.nodes[0].chains.start_fails.clear();
    sim.input(0, Input::Takeover(Which::All));
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert!(sim.nodes[0].done[0].0, "{:?}", sim.nodes[0].done);
}

#[test]
fn hard_stop_failure_keeps_the_group_held_and_never_started_on_the_peer() {
    let mut sim = pair(AutoFailback::Off);
    sim.nodes[0].chains.stop_fails.insert(0);
    sim.input(0, Input::Standby(Which::All));
    sim.run_for(Duration::from_secs(30));
    assert_eq!(sim.state(0, 0), LocalState::StopFailed);
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.nodes[1].starts[0], 0);
    assert!(sim.nodes[0].notices.iter().any(|n| matches!(
        n,
        Notice::StopFailed { group, .. } if group.0 == "ip-a"
    ) && n.level() == Level::Crit));
    assert!(sim.logged(0, "ip-a failed to stop"));
    let (ok, summary) = &sim.nodes[0].done[0];
    assert!(!ok);
    assert!(summary.contains("failed to stop here: ip-a"), "{summary}");
    // Shutdown reports it rather than waiting forever.
    sim.input(0, Input::Shutdown);
    assert_eq!(
        sim.nodes[0].shutdown_complete,
        Some(vec![GroupId("ip-a".into())])
    );
    sim.assert_no_violations();
}

/// Partition: each declares the other dead and takes everything.
fn partitioned_pair() -> Sim {
    let mut sim = pair(AutoFailback::Off);
    sim.net.partitioned = true;
    sim.bounded_double();
    for i in 0..2 {
        sim.input(
            i,
            Input::PeerDead {
                cause: DeadCause::Dead,
            },
        );
    }
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(0), ["alpha", "bravo"]);
    assert_eq!(sim.holders(1), ["alpha", "bravo"]);
    sim
}

#[test]
fn partition_heal_stops_each_group_on_exactly_one_node_and_the_keeper_reannounces() {
    let mut sim = partitioned_pair();
    sim.net.partitioned = false;
    sim.both_up();
    sim.run_for(Duration::from_secs(5));
    for g in 0..2 {
        assert_eq!(sim.holders(g).len(), 1, "group {g}: {:?}", sim.holders(g));
        let stops: usize = (0..2)
            .map(|i| {
                sim.nodes[i]
                    .notices
                    .iter()
                    .filter(|n| {
                        matches!(n, Notice::Releasing { group, .. } if group.0 == ["ip-a", "ip-b"][g])
                    })
                    .count()
            })
            .sum();
        assert_eq!(stops, 1, "group {g} stopped exactly once");
        let keeper = if sim.holders(g) == ["alpha"] { 0 } else { 1 };
        assert_eq!(sim.nodes[keeper].reannounced, [g]);
    }
    assert!(sim.logged(0, "Both nodes hold resource group"));
}

#[test]
fn frozen_node_resuming_with_a_lower_epoch_stops_and_the_winner_reannounces() {
    let mut sim = pair(AutoFailback::Off);
    // Alpha freezes: bravo declares it dead and takes ip-a; alpha knows nothing.
    let frozen = sim.nodes[0].own.take();
    sim.bounded_double();
    sim.input(
        1,
        Input::PeerDead {
            cause: DeadCause::Dead,
        },
    );
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.state(1, 0), LocalState::Running);
    sim.nodes[0].own = frozen;
    sim.queue.clear();
    sim.input(1, Input::PeerUp { since: sim.now });
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert!(sim.logged(0, "Releasing resource group: ip-a"));
    assert_eq!(sim.nodes[1].reannounced, [0]);
    assert!(sim.nodes[0].reannounced.is_empty());
}

#[test]
fn equal_epochs_in_conflict_stop_on_the_non_preferred_node() {
    // Both started alone (both "initdead"): epochs are 1 on both sides.
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.bounded_double();
    sim.boot(0);
    sim.boot(1);
    sim.net.partitioned = true;
    for i in 0..2 {
        sim.input(
            i,
            Input::PeerDead {
                cause: DeadCause::InitDead,
            },
        );
    }
    sim.run_for(Duration::from_secs(1));
    sim.net.partitioned = false;
    sim.both_up();
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.nodes[0].reannounced, [0]);
}

#[test]
fn lower_ping_reach_hands_groups_to_the_better_connected_peer() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Reach { local: 1 });
    sim.input(1, Input::Reach { local: 1 });
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha"], "equal reach: no move");
    sim.input(0, Input::Reach { local: 0 });
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert!(sim.logged(0, "bravo reaches 1 ping nodes, we reach 0"));
    // Recovering reach does not move anything back by itself.
    sim.input(0, Input::Reach { local: 1 });
    sim.run_for(Duration::from_secs(5));
    assert_eq!(sim.holders(0), ["bravo"]);
    sim.assert_no_violations();
}

#[test]
fn a_group_is_not_grabbed_by_a_node_reaching_fewer_ping_nodes() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Reach { local: 2 });
    sim.input(1, Input::Reach { local: 1 });
    sim.run_for(Duration::from_secs(3));
    // Bravo (reach 1 < 2) yields; alpha takes. Alpha's standby then finds
    // that bravo cannot take anything.
    assert_eq!(sim.holders(1), ["alpha"]);
    sim.input(0, Input::Standby(Which::All));
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["alpha"]);
    assert!(sim.logged(
        0,
        "standby: keeping resource group ip-a: bravo cannot take it"
    ));
    sim.assert_no_violations();
}

#[test]
fn concurrent_request_is_refused_with_a_reason() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Standby(Which::All));
    sim.input(0, Input::Takeover(Which::All));
    sim.input(1, Input::Standby(Which::All));
    assert_eq!(sim.nodes[0].refused.len(), 1);
    assert!(
        sim.nodes[0].refused[0].contains("refused: local resources in flux"),
        "{:?}",
        sim.nodes[0].refused
    );
    sim.run_for(Duration::from_millis(100));
    // Bravo is about to take alpha's group: it refuses its own standby.
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["bravo"]);
    sim.assert_no_violations();
}

#[test]
fn takeover_refused_by_a_busy_peer_reports_why() {
    let mut sim = pair(AutoFailback::Off);
    sim.nodes[1].chains.stop_delay = Duration::from_secs(5);
    sim.input(1, Input::Standby(Which::Local));
    sim.input(0, Input::Takeover(Which::Foreign));
    assert!(sim.nodes[0].refused.is_empty());
    sim.run_for(Duration::from_secs(1));
    let (ok, summary) = &sim.nodes[0].done[0];
    assert!(!ok);
    assert!(summary.contains("bravo refused"), "{summary}");
    assert!(sim.logged(1, "standby message [local] from alpha ignored"));
}

#[test]
fn standby_is_refused_while_the_peer_is_not_up() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.boot(0);
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    sim.run_for(Duration::from_secs(1));
    sim.input(0, Input::Standby(Which::All));
    assert!(sim.nodes[0].refused[0].contains("bravo is not up"));
    assert_eq!(sim.holders(0), ["alpha"]);
}

#[test]
fn monitor_failures_restart_locally_then_move_the_group() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.groups[0].2 = Some(MonitorPolicy {
        interval: Duration::from_secs(5),
        max_restarts: 2,
        window: Duration::from_secs(60),
    });
    sim.boot(0);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(2));
    for _ in 0..2 {
        sim.input(0, Input::MonitorFailed(GroupIdx(0)));
        sim.run_for(Duration::from_secs(1));
        assert_eq!(sim.holders(0), ["alpha"]);
    }
    assert_eq!(sim.nodes[0].starts, [3]);
    // Restarts older than the window are forgotten.
    sim.run_for(Duration::from_secs(60));
    sim.input(0, Input::MonitorFailed(GroupIdx(0)));
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.nodes[0].starts, [4]);
    sim.input(0, Input::MonitorFailed(GroupIdx(0)));
    sim.run_for(Duration::from_secs(1));
    sim.input(0, Input::MonitorFailed(GroupIdx(0)));
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.holders(0), ["bravo"]);
    assert_eq!(sim.nodes[0].starts, [5]);
    assert!(sim.logged(0, "local restarts are exhausted; giving it to bravo"));
    sim.assert_no_violations();
}

#[test]
fn no_groups_of_our_own_and_nothing_held_reads_none() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.boot(0);
    sim.boot(1);
    sim.both_up();
    sim.run_for(Duration::from_secs(2));
    assert_eq!(sim.own(1).rsc_status(), RscStatus::None);
    assert_eq!(sim.own(1).report().rsc_hold, RscHold::None);
}

#[test]
fn peer_restart_with_a_new_generation_is_treated_as_a_fresh_peer() {
    let mut sim = pair(AutoFailback::Off);
    sim.boot(1); // fast restart: membership never saw it dead
    sim.input(1, Input::PeerUp { since: sim.now });
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha"]);
    assert_eq!(sim.holders(1), ["bravo"]);
    assert!(sim.logged(0, "bravo restarted (generation 2)"));
    sim.assert_no_violations();
}

#[test]
fn failback_deadline_is_offered_to_the_daemon() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::On, Duration::from_secs(7));
    sim.boot(0);
    let since = sim.now;
    sim.input(0, Input::PeerUp { since });
    assert_eq!(
        sim.own(0).next_deadline(),
        Some(since + Duration::from_secs(7))
    );
}
