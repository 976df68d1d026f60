//! systemd units as resources (`systemd:NAME`, `NAME.service`) against a
//! real systemd: PID 1 of its own PID, mount and cgroup namespaces, with
//! only the units each test writes (`hb_lab::systemd`). The agents'
//! `systemctl` is a wrapper that enters those namespaces. Needs root.

mod support;

use hb_lab::systemd::Systemd;
use heartbeat::config::{AgentKind, Resource};
use heartbeat::resources::{
    Action, AgentError, ResourceStatus, StepLog, run_action, start_group, stop_group,
};
use heartbeat::vip::DuplicateCheck;
use std::time::{Duration, Instant};
use support::agents::{AgentWorld, group, resource, rt, vip};
use support::{Netns, addr, sh, unique_prefix};

/// A systemd of its own and agents that talk to it; `None` (skipped) when
/// this machine cannot run one.
fn world(test: &str) -> Option<(Systemd, AgentWorld)> {
    let why = Systemd::available().err().unwrap_or_default();
    if !hb_lab::skip::unless(why.is_empty(), test, &why) {
        return None;
    }
    let sd = Systemd::boot(&unique_prefix("sd")).expect("systemd boots in its namespaces");
    let mut w = AgentWorld::new();
    w.env.path_env = format!("{}:{}", sd.bin_dir().display(), w.env.path_env);
    Some((sd, w))
}

/// The haresources item `systemd:NAME` as the config resolves it.
fn unit(name: &str, timeout: Duration) -> Resource {
    let mut r = resource(
        &format!("systemd:{name}"),
        AgentKind::Systemd {
            unit: format!("{name}.service"),
        },
        std::path::Path::new(&format!("systemd:{name}.service")),
        Vec::new(),
    );
    r.timeouts = support::agents::timeouts(timeout);
    r
}

/// A service unit outside every default dependency (there is no sysinit here).
fn service(body: &str) -> String {
    format!("[Unit]\nDefaultDependencies=no\n[Service]\n{body}\n")
}

fn act(r: &Resource, a: Action, w: &AgentWorld) -> Result<ResourceStatus, AgentError> {
    rt().block_on(run_action(r, a, &w.env)).map(|o| o.status)
}

const LONG: Duration = Duration::from_secs(30);

#[test]
fn unit_starts_stops_and_reports_its_active_state() {
    let Some((sd, w)) = world("unit_starts_stops_and_reports_its_active_state") else {
        return;
    };
    sd.add_unit("hbweb.service", &service("ExecStart=/bin/sleep 1000"))
        .unwrap();
    let r = unit("hbweb", LONG);
    assert_eq!(
        act(&r, Action::Status, &w).unwrap(),
        ResourceStatus::Stopped
    );
    assert_eq!(act(&r, Action::Start, &w).unwrap(), ResourceStatus::Running);
    assert_eq!(sd.state("hbweb.service"), "active");
    assert_eq!(
        act(&r, Action::Status, &w).unwrap(),
        ResourceStatus::Running
    );
    // Idempotent, as every agent's start and stop must be.
    assert_eq!(act(&r, Action::Start, &w).unwrap(), ResourceStatus::Running);
    assert_eq!(act(&r, Action::Stop, &w).unwrap(), ResourceStatus::Stopped);
    assert_eq!(sd.state("hbweb.service"), "inactive");
    assert_eq!(act(&r, Action::Stop, &w).unwrap(), ResourceStatus::Stopped);
    assert_eq!(
        act(&r, Action::Status, &w).unwrap(),
        ResourceStatus::Stopped
    );
}

#[test]
fn stop_of_an_unknown_unit_succeeds_and_its_start_names_it() {
    let Some((_sd, w)) = world("stop_of_an_unknown_unit_succeeds_and_its_start_names_it") else {
        return;
    };
    let r = unit("hbnosuch", LONG);
    assert_eq!(act(&r, Action::Stop, &w).unwrap(), ResourceStatus::Stopped);
    assert_eq!(
        act(&r, Action::Status, &w).unwrap(),
        ResourceStatus::Stopped
    );
    let err = act(&r, Action::Start, &w).unwrap_err().to_string();
    assert!(err.contains("hbnosuch.service is not loaded"), "{err}");
}

#[test]
fn a_failing_unit_fails_its_start_with_its_result() {
    let Some((sd, w)) = world("a_failing_unit_fails_its_start_with_its_result") else {
        return;
    };
    sd.add_unit(
        "hbbroken.service",
        &service("Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'exit 3'"),
    )
    .unwrap();
    let r = unit("hbbroken", LONG);
    let err = act(&r, Action::Start, &w).unwrap_err().to_string();
    assert!(
        err.contains("start of systemd:hbbroken failed: hbbroken.service is failed")
            && err.contains("result exit-code"),
        "{err}"
    );
    // Not running, and the status says why; its stop succeeds.
    let status = act(&r, Action::Status, &w).unwrap();
    assert!(
        matches!(&status, ResourceStatus::Unknown(why) if why.contains("result exit-code")),
        "{status:?}"
    );
    assert_eq!(act(&r, Action::Stop, &w).unwrap(), ResourceStatus::Stopped);
}

#[test]
fn start_waits_for_a_slow_unit_and_times_out_on_a_hung_one() {
    let Some((sd, w)) = world("start_waits_for_a_slow_unit_and_times_out_on_a_hung_one") else {
        return;
    };
    let slow = "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 1.5";
    sd.add_unit("hbslow.service", &service(slow)).unwrap();
    let t = Instant::now();
    let r = unit("hbslow", LONG);
    assert_eq!(act(&r, Action::Start, &w).unwrap(), ResourceStatus::Running);
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sd.state("hbslow.service"), "active");

    // A unit still activating when the action's time is up fails the start.
    let hung = "Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sleep 600";
    sd.add_unit("hbhung.service", &service(hung)).unwrap();
    let r = unit("hbhung", Duration::from_secs(1));
    let t = Instant::now();
    let err = act(&r, Action::Start, &w).unwrap_err();
    assert!(matches!(err, AgentError::Timeout { .. }), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(sd.state("hbhung.service"), "activating");
    // A stop settles it (the oneshot's job is cancelled).
    let r = unit("hbhung", LONG);
    assert_eq!(act(&r, Action::Stop, &w).unwrap(), ResourceStatus::Stopped);
}

#[test]
fn a_unit_starts_after_the_vip_of_its_group_and_stops_before_it() {
    let Some((sd, mut w)) = world("a_unit_starts_after_the_vip_of_its_group_and_stops_before_it")
    else {
        return;
    };
    sd.add_unit("hbapp.service", &service("ExecStart=/bin/sleep 1000"))
        .unwrap();
    let ns = Netns::new(&unique_prefix("sdv"));
    let ip = |args: &[&str]| sh(&[&["ip", "-n", &ns.name][..], args].concat());
    ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
    ]);
    ip(&["link", "set", "eth0", "up"]);
    ip(&["link", "set", "eth1", "up"]);
    addr(&ns, "eth0", "10.223.0.1/24");
    w.env.duplicate_check = DuplicateCheck::Off;
    let g = group(vec![
        vip("IPaddr::10.223.0.100/24/eth0"),
        unit("hbapp", LONG),
    ]);
    let steps = |w: &AgentWorld| -> Vec<String> {
        w.env
            .steps
            .take()
            .into_iter()
            .map(|s| format!("{} {} {}", s.action, s.resource, s.ok))
            .collect()
    };
    w.env.steps = StepLog::starting(std::time::Instant::now());
    ns.run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert_eq!(
        steps(&w),
        [
            "start IPaddr::10.223.0.100/24/eth0 true",
            "start systemd:hbapp true"
        ]
    );
    assert_eq!(sd.state("hbapp.service"), "active");
    assert!(ns.exec_ok(&["ip", "addr"]).contains("10.223.0.100/24"));
    ns.run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert_eq!(
        steps(&w),
        [
            "stop systemd:hbapp true",
            "stop IPaddr::10.223.0.100/24/eth0 true"
        ]
    );
    assert_eq!(sd.state("hbapp.service"), "inactive");
}
