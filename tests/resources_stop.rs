//! Stops that always work (the OCF stop contract): a stop of something
//! that is not there exits 0, for every agent we ship, in both calling
//! conventions, whatever vanished: the interface, the mount point, the
//! device, a helper program, the agent itself. Each test looks at the
//! stop's own exit code (`run_action`), not at the chain, whose retries and
//! final status check would hide a failing stop.
//!
//! IPaddr after its interface vanished from a live namespace is in
//! tests/resources_net.rs (needs root).

mod support;

use heartbeat::config::{AgentKind, Resource};
use heartbeat::resources::{Action, AgentError, ResourceStatus, run_action};
use support::agents::{AgentWorld, agent_dir, ours, resource, rt, vip};
use support::{require_root, unique_prefix};

/// The stop's exit code, or the error that kept it from having one.
fn stop_exit(r: &Resource, w: &AgentWorld) -> Result<i32, String> {
    rt().block_on(run_action(r, Action::Stop, &w.env))
        .map(|o| o.exit_code)
        .map_err(|e| format!("{e:#}"))
}

#[track_caller]
fn assert_stops(r: &Resource, w: &AgentWorld) {
    assert_eq!(stop_exit(r, w), Ok(0), "stop of {}", r.spec);
}

/// Our agent `name` in the OCF convention with `params`.
fn ocf(name: &str, params: &[&str]) -> Resource {
    resource(
        &format!("ocf:heartbeat:{name}"),
        AgentKind::Ocf {
            provider: "heartbeat".into(),
            kind: name.into(),
        },
        &agent_dir().join(name),
        params.iter().map(|p| p.to_string()).collect(),
    )
}

/// Items of every agent we ship whose resource is not there: never
/// started, an interface and a device that do not exist, a mount point
/// that was never created, a DRBD resource DRBD does not know.
fn nothing_there() -> Vec<Resource> {
    vec![
        ours("Dummy::never"),
        ours("MailTo::root"),
        ours("drbddisk::r9"),
        ours("Filesystem::/dev/hb-gone::/nonexistent-hb/mp::ext4"),
        ours("IPaddr::10.250.0.9/24/hbgone0"),
        vip("IPaddr::10.250.0.9/24/hbgone0"),
        vip("IPaddr2::10.250.0.9/24/hbgone0"),
        ocf("Dummy", &["name=never"]),
        ocf("MailTo", &["email=root"]),
        ocf("drbddisk", &["resource=r9"]),
        ocf(
            "Filesystem",
            &[
                "device=/dev/hb-gone",
                "directory=/nonexistent-hb/mp",
                "fstype=ext4",
            ],
        ),
        ocf("IPaddr", &["ip=10.250.0.9", "nic=hbgone0"]),
    ]
}

#[test]
fn every_agent_we_ship_stops_what_is_not_there_in_both_conventions() {
    let w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    for r in nothing_there() {
        assert_stops(&r, &w);
    }
    // Nothing configured at all: nothing can have been started.
    for name in ["Dummy", "MailTo", "drbddisk", "Filesystem", "IPaddr"] {
        assert_stops(&ocf(name, &[]), &w);
    }
    assert_eq!(w.mails(), "", "a stop of what never started mailed");
}

#[test]
fn stops_succeed_with_the_helper_programs_uninstalled() {
    let mut w = AgentWorld::new();
    w.drbd("alpha", "r0", "Primary", "UpToDate");
    let mail = ours("MailTo::ops@example.org");
    rt().block_on(run_action(&mail, Action::Start, &w.env))
        .unwrap();
    w.uninstall(&[
        "drbdadm", "mount", "umount", "fsck", "fuser", "sendmail", "ip",
    ]);
    assert_stops(&ours("Dummy::x"), &w);
    assert_stops(&mail, &w);
    assert_stops(
        &ours("Filesystem::/dev/hb-gone::/nonexistent-hb/mp::ext4"),
        &w,
    );
    // DRBD is not there at all (no drbdadm, no module): nothing can be
    // Primary here. With the module loaded the stop must fail instead.
    let drbd = stop_exit(&ours("drbddisk::r0"), &w);
    if std::path::Path::new("/proc/drbd").exists() {
        assert!(drbd.unwrap_err().starts_with("Return code 5 from"));
    } else {
        assert_eq!(drbd, Ok(0));
    }
    // The one stop that cannot tell: without `ip` a VIP may still be up.
    let ip = stop_exit(&ours("IPaddr::10.250.0.9/24/hbgone0"), &w).unwrap_err();
    assert!(ip.starts_with("Return code 5 from"), "{ip}");
}

#[test]
fn an_uninstalled_agent_stops_successfully_in_every_convention() {
    let w = AgentWorld::new();
    let kinds = [
        AgentKind::Heartbeat,
        AgentKind::Lsb,
        AgentKind::Ocf {
            provider: "gone".into(),
            kind: "svc".into(),
        },
    ];
    for kind in kinds {
        let path = w.script("gone/svc", "#!/bin/sh\nexit 1\n");
        let r = resource("svc", kind.clone(), &path, vec![]);
        assert!(
            stop_exit(&r, &w).is_err(),
            "{kind:?}: the agent still fails"
        );
        std::fs::remove_file(&path).unwrap();
        let out = rt().block_on(run_action(&r, Action::Stop, &w.env)).unwrap();
        assert_eq!(out.status, ResourceStatus::Stopped, "{kind:?}");
        // Only the stop is forgiven: a start must not pretend.
        let start = rt().block_on(run_action(&r, Action::Start, &w.env));
        assert!(matches!(start, Err(AgentError::Spawn { .. })), "{start:?}");
    }
}

#[test]
fn filesystem_stop_succeeds_after_its_mount_point_was_removed() {
    let test = "filesystem_stop_succeeds_after_its_mount_point_was_removed";
    if !require_root(test) {
        return;
    }
    let w = AgentWorld::new();
    let mp = w.dir.path().join(unique_prefix("mp"));
    let spec = format!("Filesystem::tmpfs::{}::tmpfs", mp.display());
    let r = ours(&spec);
    rt().block_on(run_action(&r, Action::Start, &w.env))
        .unwrap();
    // Someone unmounted it by hand and removed the directory.
    support::sh(&["umount", mp.to_str().unwrap()]);
    std::fs::remove_dir(&mp).unwrap();
    assert_stops(&r, &w);
    let st = rt()
        .block_on(run_action(&r, Action::Status, &w.env))
        .unwrap();
    assert_eq!(st.status, ResourceStatus::Stopped);
}
