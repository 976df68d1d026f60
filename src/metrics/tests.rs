use super::*;
use crate::control::{GroupStatus, LinkStatus, RscStatus};
use crate::core::{Counters, DurationSeries};

fn sample() -> StatusReport {
    StatusReport {
        schema_version: 1,
        version: "9.9.9".into(),
        uptime_secs: 12.5,
        node: "alpha".into(),
        peer: "bravo".into(),
        peer_status: PeerStatus::Active,
        peer_generation: Some(4),
        generation: 7,
        links: vec![
            LinkStatus {
                name: "eth1".into(),
                state: LinkState::Up,
                last_heard_secs: Some(0.25),
            },
            LinkStatus {
                name: "/dev/ttyS0".into(),
                state: LinkState::Init,
                last_heard_secs: None,
            },
        ],
        rscstatus: RscStatus::Local,
        maintenance: Default::default(),
        groups: vec![GroupStatus {
            id: "IPaddr::10.0.0.1".into(),
            preferred: "alpha".into(),
            holder: GroupHolder::Node("alpha".into()),
            local_state: LocalState::Running,
            since_secs: 3.0,
            cause: "peer dead".into(),
        }],
        ping_reachable: 2,
        counters: Counters {
            peer_deaths: 1,
            late_heartbeats: 3,
            dropped_bad_digest: 5,
            ..Counters::default()
        },
        keepalive_ms: 500,
        deadtime_ms: 2000,
        warntime_ms: 1000,
        initdead_ms: 10000,
        last_transition: None,
        agent_durations: vec![DurationSeries {
            resource: "apache".into(),
            action: "start".into(),
            buckets: vec![(0.5, 1), (1.0, 2)],
            count: 3,
            sum_seconds: 401.5,
        }],
        checks: vec![crate::core::CheckStatus {
            name: "web".into(),
            group: "ip-a".into(),
            kind: "http_get".into(),
            target: "http://10.0.0.5/".into(),
            health: crate::core::Health::Failing,
            successes: 0,
            failures: 3,
            rise: 2,
            fall: 3,
            last_result: Some("status 500, expected 200".into()),
            last_ok: Some(false),
            last_run_secs_ago: Some(0.5),
        }],
        drbd: Vec::new(),
    }
}

fn has(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "no line {line:?} in:\n{text}"
    );
}

#[test]
fn a_check_renders_as_a_health_state_set() {
    let t = render(&sample());
    has(&t, "# TYPE heartbeat_check_health gauge");
    has(
        &t,
        r#"heartbeat_check_health{check="web",group="ip-a",health="failing"} 1"#,
    );
    has(
        &t,
        r#"heartbeat_check_health{check="web",group="ip-a",health="healthy"} 0"#,
    );
}

#[test]
fn a_report_renders_its_state_sets_counters_and_histogram() {
    let t = render(&sample());
    for line in [
        "# HELP heartbeat_up Whether the heartbeat daemon answered on its control socket.",
        "# TYPE heartbeat_up gauge",
        "heartbeat_up 1",
        r#"heartbeat_build_info{version="9.9.9",node="alpha",schema_version="1"} 1"#,
        "heartbeat_uptime_seconds 12.5",
        "heartbeat_generation 7",
        "heartbeat_deadtime_seconds 2",
        "heartbeat_keepalive_seconds 0.5",
        "heartbeat_ping_reachable 2",
        r#"heartbeat_peer_state{peer="bravo",state="active"} 1"#,
        r#"heartbeat_peer_state{peer="bravo",state="dead"} 0"#,
        r#"heartbeat_link_state{link="eth1",state="up"} 1"#,
        r#"heartbeat_link_state{link="/dev/ttyS0",state="init"} 1"#,
        r#"heartbeat_link_last_heard_seconds{link="eth1"} 0.25"#,
        r#"heartbeat_group_holder{group="IPaddr::10.0.0.1",holder="alpha"} 1"#,
        r#"heartbeat_group_holder{group="IPaddr::10.0.0.1",holder="bravo"} 0"#,
        r#"heartbeat_group_holder{group="IPaddr::10.0.0.1",holder="none"} 0"#,
        r#"heartbeat_group_local_state{group="IPaddr::10.0.0.1",state="running"} 1"#,
        r#"heartbeat_group_local_state{group="IPaddr::10.0.0.1",state="stop-failed"} 0"#,
        r#"heartbeat_group_state_seconds{group="IPaddr::10.0.0.1"} 3"#,
        "# TYPE heartbeat_peer_deaths_total counter",
        "heartbeat_peer_deaths_total 1",
        "heartbeat_late_heartbeats_total 3",
        "heartbeat_local_stalls_total 0",
        r#"heartbeat_dropped_packets_total{reason="bad_digest"} 5"#,
        r#"heartbeat_dropped_packets_total{reason="replay"} 0"#,
        "# TYPE heartbeat_agent_action_duration_seconds histogram",
        r#"heartbeat_agent_action_duration_seconds_bucket{resource="apache",action="start",le="0.5"} 1"#,
        r#"heartbeat_agent_action_duration_seconds_bucket{resource="apache",action="start",le="1"} 2"#,
        r#"heartbeat_agent_action_duration_seconds_bucket{resource="apache",action="start",le="+Inf"} 3"#,
        r#"heartbeat_agent_action_duration_seconds_sum{resource="apache",action="start"} 401.5"#,
        r#"heartbeat_agent_action_duration_seconds_count{resource="apache",action="start"} 3"#,
    ] {
        has(&t, line);
    }
    // A link never heard has no age rather than a made-up one.
    assert!(!t.contains(r#"heartbeat_link_last_heard_seconds{link="/dev/ttyS0"}"#));
}

#[test]
fn every_family_has_help_and_type_once_before_its_samples() {
    let t = render(&sample());
    let mut seen = std::collections::BTreeSet::new();
    let mut current = String::new();
    for line in t.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(seen.insert(name.clone()), "{name} described twice");
            current = name;
        } else if !line.starts_with('#') {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = name
                .strip_suffix("_bucket")
                .or(name.strip_suffix("_sum"))
                .or(name.strip_suffix("_count"))
                .filter(|f| *f == current)
                .unwrap_or(name);
            assert_eq!(family, current, "sample {line:?} outside its family");
            assert!(family.starts_with("heartbeat_"), "{family}");
        }
    }
}

#[test]
fn label_values_are_escaped() {
    let mut s = sample();
    s.groups[0].id = "a\"b\\c\nd".into();
    let t = render(&s);
    has(&t, r#"heartbeat_group_state_seconds{group="a\"b\\c\nd"} 3"#);
}

#[test]
fn a_daemon_that_does_not_answer_is_down() {
    let t = render_down();
    assert!(t.ends_with("heartbeat_up 0\n"), "{t}");
}
