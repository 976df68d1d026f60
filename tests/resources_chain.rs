//! The resource chain with agents that need no privileges: ordering,
//! idempotence, rollback, timeouts that kill whole process groups, stop
//! retries, the three calling conventions, and the drbddisk and MailTo
//! agents against the fake drbdadm and sendmail.

mod support;

use heartbeat::config::AgentKind;
use heartbeat::resources::{
    self, AgentError, ResourceStatus, StopFailure, start_group, status_group, stop_group,
};
use std::time::{Duration, Instant};
use support::agents::{AgentWorld, group, ours, resource, rt, timeouts};

fn statuses(g: &heartbeat::config::ResourceGroup, w: &AgentWorld) -> Vec<ResourceStatus> {
    rt().block_on(status_group(g, &w.env))
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

#[test]
fn dummy_group_starts_and_stops_and_both_are_idempotent() {
    let w = AgentWorld::new();
    let g = group(vec![ours("Dummy::one"), ours("Dummy::two")]);
    let rt = rt();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped; 2]);
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running; 2]);
    rt.block_on(start_group(&g, &w.env)).unwrap();
    rt.block_on(resources::reannounce_group(&g, &w.env))
        .unwrap();
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped; 2]);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
}

#[test]
fn a_chain_starts_left_to_right_and_stops_right_to_left() {
    let mut w = AgentWorld::new();
    let g = group(vec![w.recorder("a"), w.recorder("b"), w.recorder("c")]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    // Each member is asked whether it already runs, then started, before
    // the next one is touched.
    let started = [
        "status a", "start a", "status b", "start b", "status c", "start c",
    ];
    assert_eq!(w.calls(), started);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert_eq!(w.calls()[6..], ["stop c", "stop b", "stop a"]);
}

#[test]
fn a_failed_start_stops_what_this_attempt_started_and_names_the_failure() {
    let mut w = AgentWorld::new();
    let g = group(vec![
        w.recorder("kept"),
        w.recorder("a"),
        w.recorder("b"),
        w.recorder("broken"),
        w.recorder("never"),
    ]);
    w.fail_start("broken");
    let rt = rt();
    // Already running before the attempt: not this attempt's to undo.
    rt.block_on(start_group(&group(vec![g.resources[0].clone()]), &w.env))
        .unwrap();
    let before = w.calls().len();
    let err = rt.block_on(start_group(&g, &w.env)).unwrap_err();
    assert_eq!(err.resource, "Recorder::broken");
    assert!(err.rollback.is_none(), "{err}");
    assert!(
        matches!(err.error, AgentError::Failed { code: 1, .. }),
        "{err}"
    );
    // The failed member itself is stopped too (it may have half started),
    // then the rest right to left; `kept` and `never` are not touched.
    assert_eq!(
        w.calls()[before..],
        [
            "status kept",
            "status a",
            "start a",
            "status b",
            "start b",
            "status broken",
            "start broken",
            "stop broken",
            "stop b",
            "stop a",
        ]
    );
    assert_eq!(
        statuses(&g, &w),
        vec![
            ResourceStatus::Running,
            ResourceStatus::Stopped,
            ResourceStatus::Stopped,
            ResourceStatus::Stopped,
            ResourceStatus::Stopped
        ]
    );
}

#[test]
fn a_failing_stop_is_retried_a_second_apart_until_it_succeeds() {
    let mut w = AgentWorld::new();
    let g = group(vec![w.recorder("left"), w.recorder("flaky")]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    w.fail_stop("flaky", Some(2));
    let before = w.calls().len();
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    let calls = &w.timed_calls()[before..];
    let words: Vec<String> = calls
        .iter()
        .map(|c| format!("{} {}", c.action, c.name))
        .collect();
    assert_eq!(
        words,
        ["stop flaky", "stop flaky", "stop flaky", "stop left"]
    );
    // docs/agents.md: "1 s apart". Generous above for a loaded machine.
    for pair in calls[..3].windows(2) {
        let gap = pair[1].at_ms - pair[0].at_ms;
        assert!((950..3000).contains(&gap), "stop retries {gap} ms apart");
    }
}

#[test]
fn a_hanging_agent_is_killed_at_its_timeout_with_its_children() {
    let w = AgentWorld::new();
    let pidfile = w.dir.path().join("pids");
    let p = w.script(
        "resource.d/Hang",
        &format!(
            "#!/bin/sh\ncase \"$1\" in status) exit 3;; stop) exit 0;; esac\nsleep 1000 &\necho $$ $! > {}\nsleep 1000\n",
            pidfile.display()
        ),
    );
    let mut r = resource("Hang", AgentKind::Heartbeat, &p, vec![]);
    r.timeouts = timeouts(Duration::from_millis(700));
    let t0 = Instant::now();
    let err = rt()
        .block_on(start_group(&group(vec![r]), &w.env))
        .unwrap_err();
    assert!(
        matches!(err.error, AgentError::Timeout { .. }),
        "{}",
        err.error
    );
    // Timeout plus at most the SIGTERM grace, generously.
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    let pids: Vec<i32> = std::fs::read_to_string(&pidfile)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (agent, child) = (pids[0], pids[1]);
    // The agent led its own process group; nothing of it is left (a short
    // wait only for init to reap the orphans).
    let group_gone = || {
        nix::sys::signal::killpg(nix::unistd::Pid::from_raw(agent), None)
            == Err(nix::errno::Errno::ESRCH)
    };
    assert!(
        support::wait_until(Duration::from_secs(2), group_gone),
        "process group {agent} survived"
    );
    assert!(
        !alive(child),
        "the agent's background child {child} survived"
    );
}

#[test]
fn an_agent_ignoring_sigterm_gets_sigkill_after_the_grace() {
    let w = AgentWorld::new();
    let p = w.script(
        "resource.d/Stubborn",
        "#!/bin/sh\ntrap '' TERM\n[ \"$1\" = status ] && exit 3\nwhile :; do sleep 1; done\n",
    );
    let mut r = resource("Stubborn", AgentKind::Heartbeat, &p, vec![]);
    r.timeouts = timeouts(Duration::from_millis(300));
    let t0 = Instant::now();
    let err = rt()
        .block_on(resources::run_action(&r, resources::Action::Start, &w.env))
        .unwrap_err();
    assert!(matches!(err, AgentError::Timeout { .. }), "{err}");
    let took = t0.elapsed();
    assert!(
        took >= resources::KILL_GRACE && took < Duration::from_secs(15),
        "{took:?}"
    );
}

#[test]
fn a_stop_that_keeps_failing_while_running_is_a_hard_failure_after_the_retries() {
    let mut w = AgentWorld::new();
    // Sticky is stopped first (right to left); `left` must still be stopped.
    let g = group(vec![w.recorder("left"), w.recorder("sticky")]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    w.fail_stop("sticky", None);
    let before = w.calls().len();
    let err = rt.block_on(stop_group(&g, &w.env)).unwrap_err();
    let StopFailure::Hard { resource, .. } = &err;
    assert_eq!(resource, "Recorder::sticky");
    // docs/agents.md and docs/failover.md: tried 3 times, then its status
    // decides (running: a hard failure), and the rest is still stopped.
    assert_eq!(
        w.calls()[before..],
        [
            "stop sticky",
            "stop sticky",
            "stop sticky",
            "status sticky",
            "stop left"
        ]
    );
    assert_eq!(statuses(&g, &w)[0], ResourceStatus::Stopped);
}

#[test]
fn a_failing_stop_whose_status_says_stopped_is_tolerated() {
    let w = AgentWorld::new();
    let p = w.script(
        "resource.d/Sloppy",
        "#!/bin/sh\ncase \"$1\" in stop) exit 1;; status) echo 'Sloppy is not running';; esac\nexit 0\n",
    );
    let g = group(vec![resource("Sloppy", AgentKind::Heartbeat, &p, vec![])]);
    rt().block_on(stop_group(&g, &w.env)).unwrap();
}

#[test]
fn a_legacy_script_saying_ok_counts_as_running() {
    let w = AgentWorld::new();
    let p = w.script(
        "resource.d/Legacy",
        "#!/bin/sh\n[ \"$2\" = status ] && echo \"$1 OK\"\nexit 0\n",
    );
    let g = group(vec![resource(
        "Legacy::x",
        AgentKind::Heartbeat,
        &p,
        vec!["x".into()],
    )]);
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
}

#[test]
fn an_lsb_init_script_runs_through_the_chain() {
    let w = AgentWorld::new();
    let state = w.dir.path().join("svc.on");
    let p = w.script(
        "init.d/svc",
        &format!(
            "#!/bin/sh\nS={}\ncase \"$1\" in\n start) touch \"$S\";;\n stop) rm -f \"$S\";;\n status) [ -f \"$S\" ] || exit 3;;\n *) exit 2;;\nesac\nexit 0\n",
            state.display()
        ),
    );
    let g = group(vec![resource("svc", AgentKind::Lsb, &p, vec![])]);
    let rt = rt();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert!(state.exists());
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert!(!state.exists());
}

#[test]
fn debians_ocf_dummy_runs_through_the_chain() {
    let agent = std::path::Path::new("/usr/lib/ocf/resource.d/heartbeat/Dummy");
    let needs = agent.display().to_string();
    if !hb_lab::skip::unless(
        agent.exists(),
        "debians_ocf_dummy_runs_through_the_chain",
        &needs,
    ) {
        return;
    }
    let w = AgentWorld::new();
    let state = w.dir.path().join("ocf-dummy.state");
    let kind = AgentKind::Ocf {
        provider: "heartbeat".into(),
        kind: "Dummy".into(),
    };
    let g = group(vec![resource(
        "ocf:heartbeat:Dummy::state=x",
        kind,
        agent,
        vec![format!("state={}", state.display())],
    )]);
    let rt = rt();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert!(state.exists(), "OCF_RESKEY_state was not passed");
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
}

#[test]
fn our_agents_also_run_in_the_ocf_convention() {
    let w = AgentWorld::new();
    let kind = AgentKind::Ocf {
        provider: "heartbeat-rs".into(),
        kind: "Dummy".into(),
    };
    let path = support::agents::agent_dir().join("Dummy");
    let g = group(vec![resource(
        "ocf:heartbeat-rs:Dummy",
        kind,
        &path,
        vec!["name=viaocf".into()],
    )]);
    rt().block_on(start_group(&g, &w.env)).unwrap();
    assert!(w.rsctmp().join("Dummy-viaocf.state").exists());
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
}

#[test]
fn drbddisk_promotes_an_uptodate_disk_and_demotes_on_stop() {
    let w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    w.drbd("bravo", "r0", "Secondary", "UpToDate");
    let g = group(vec![ours("drbddisk::r0")]);
    let rt = rt();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert_eq!(w.drbd_role("alpha", "r0"), "Primary");
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert_eq!(w.drbd_role("alpha", "r0"), "Secondary");
}

#[test]
fn drbddisk_refused_while_the_peer_is_primary_rolls_the_chain_back() {
    let mut w = AgentWorld::new();
    w.set("OCF_RESKEY_tries", "2");
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    w.drbd("bravo", "r0", "Primary", "UpToDate");
    let g = group(vec![ours("Dummy::before"), ours("drbddisk::r0")]);
    let err = rt().block_on(start_group(&g, &w.env)).unwrap_err();
    assert_eq!(err.resource, "drbddisk::r0");
    assert_eq!(w.drbd_role("alpha", "r0"), "Secondary");
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped; 2]);
}

#[test]
fn drbddisk_refuses_an_outdated_disk_unless_forced() {
    let mut w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "Outdated");
    let g = group(vec![ours("drbddisk::r0")]);
    let rt = rt();
    let err = rt.block_on(start_group(&g, &w.env)).unwrap_err();
    assert!(matches!(err.error, AgentError::Failed { .. }), "{err}");
    assert_eq!(w.drbd_role("alpha", "r0"), "Secondary");
    w.set("HA_DRBD_FORCE", "1");
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert_eq!(w.drbd_role("alpha", "r0"), "Primary");
}

#[test]
fn drbddisk_of_an_unknown_resource_fails() {
    let w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    let g = group(vec![ours("drbddisk::r9")]);
    assert!(rt().block_on(start_group(&g, &w.env)).is_err());
}

#[test]
fn mailto_mails_takeover_and_release() {
    let w = AgentWorld::new();
    let g = group(vec![ours("MailTo::ops@example.org::web")]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    let mails = w.mails();
    assert!(mails.contains("To: ops@example.org"), "{mails}");
    assert!(mails.contains("Subject: web: takeover on alpha"), "{mails}");
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running]);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert!(w.mails().contains("Subject: web: release on alpha"));
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
}

#[test]
fn a_failing_mailer_does_not_fail_the_chain() {
    let mut w = AgentWorld::new();
    w.set("FAKE_MAIL_FAIL", "1");
    let g = group(vec![ours("MailTo::ops@example.org"), ours("Dummy::after")]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Running; 2]);
    assert_eq!(w.mails(), "");
    rt.block_on(stop_group(&g, &w.env)).unwrap();
}

#[test]
fn the_resource_command_runs_a_group_and_is_excluded_by_the_lock_holder() {
    use heartbeat::commands::{Globals, resource as cmd};
    use heartbeat::resources::{Action, ResourceLock};
    let w = AgentWorld::new();
    let g = group(vec![ours("Dummy::cmd")]);
    let globals = Globals {
        config_dir: w.dir.path().join("ha.d"),
        node: Some("alpha".into()),
        state_dir: w.dir.path().join("state"),
        run_dir: w.dir.path().join("run"),
    };
    let daemon =
        ResourceLock::acquire_as(&globals.run_dir, "the heartbeat daemon (pid 1)").unwrap();
    assert_eq!(cmd::execute(&globals, &g, Action::Start, &w.env), 1);
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
    drop(daemon);
    assert_eq!(
        cmd::execute(&globals, &g, Action::Status, &w.env),
        cmd::STOPPED
    );
    assert_eq!(cmd::execute(&globals, &g, Action::Start, &w.env), 0);
    assert_eq!(cmd::execute(&globals, &g, Action::Status, &w.env), 0);
    assert_eq!(cmd::execute(&globals, &g, Action::Stop, &w.env), 0);
    assert_eq!(statuses(&g, &w), vec![ResourceStatus::Stopped]);
    let one = cmd::find_target(std::slice::from_ref(&g), "Dummy::cmd").unwrap();
    assert_eq!(one.resources.len(), 1);
    assert!(cmd::find_target(&[g], "Dummy::nope").is_none());
}
