//! Agents cannot be injected: haresources arguments reach agents as argv
//! or OCF_RESKEY_* values, never through a shell, so shell syntax in them
//! is inert data; what an agent would misread is refused at load time (see
//! `src/config/arguments.rs` and tests/fixtures/config/haresources_*);
//! and agents run in a cleared, fixed environment.

mod support;

use heartbeat::config::AgentKind;
use heartbeat::resources::{
    AGENT_PATH, Action, ResourceStatus, run_action, start_group_fresh, status_group, stop_group,
};
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use support::agents::{AgentWorld, DUMP, group, heartbeat_bin, ours, resource, rt};

/// Shell syntax that runs `touch MARKER` if anything evaluates it.
fn payloads(marker: &Path) -> Vec<String> {
    let m = marker.display();
    vec![
        format!("x;touch {m}"),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("x|touch {m}"),
        format!("x&&touch {m}"),
        format!("x'\";touch {m};#"),
    ]
}

#[test]
fn shell_syntax_in_arguments_is_inert_data_for_every_agent() {
    let rt = rt();
    let w = AgentWorld::new();
    let marker = w.dir.path().join("PWNED");
    for p in payloads(&marker) {
        // Started, asked and stopped through the chain.
        let g = group(vec![
            w.dump_agent(&[&p]),
            ours(&format!("Dummy::{p}")),
            ours(&format!("MailTo::root::{p}")),
            resource(
                "ocf:test:Dump",
                AgentKind::Ocf {
                    provider: "test".into(),
                    kind: "Dump".into(),
                },
                &w.dir.path().join("resource.d/Dump"),
                vec![format!("p={p}")],
            ),
        ]);
        rt.block_on(start_group_fresh(&g, &w.env)).unwrap();
        let st = rt.block_on(status_group(&g, &w.env));
        assert!(
            st.iter().all(|(_, s)| *s == ResourceStatus::Running),
            "{st:?}"
        );
        rt.block_on(stop_group(&g, &w.env)).unwrap();
        // Never started (they would touch the system), only asked and stopped.
        for spec in [
            format!("drbddisk::{p}"),
            format!("Filesystem::/dev/hb-none::/nonexistent-hb::ext4::{p}"),
            format!("IPaddr::10.250.0.1/24/{p}"),
        ] {
            let r = ours(&spec);
            let st = rt.block_on(run_action(&r, Action::Status, &w.env)).unwrap();
            assert_eq!(st.status, ResourceStatus::Stopped, "{spec}");
            let stop = rt.block_on(run_action(&r, Action::Stop, &w.env));
            assert_eq!(stop.map(|o| o.exit_code).ok(), Some(0), "{spec}");
        }
        // DNSupdate refuses, before any update, a name, server or address
        // nsupdate's command lines would split.
        for spec in [
            format!("DNSupdate::{p}::127.0.0.1"),
            format!("DNSupdate::www.example.org::{p}::::::alpha=192.0.2.1"),
            format!("DNSupdate::www.example.org::127.0.0.1::::::alpha=192.0.2.1 {p}"),
        ] {
            let start = rt.block_on(run_action(&ours(&spec), Action::Start, &w.env));
            // 6: not configured (an unreachable server would be 1).
            let refused = start
                .as_ref()
                .is_err_and(|e| e.to_string().starts_with("Return code 6 "));
            assert!(refused, "{spec}: {start:?}");
        }
        assert!(!marker.exists(), "{p:?} was run by a shell");
        // Each agent saw the literal text.
        let dumped = w.dumped();
        assert!(
            dumped.contains(&format!("argv [{p}] [start]\n")),
            "{dumped}"
        );
        assert!(
            dumped.contains(&format!("\nOCF_RESKEY_p={p}\n")),
            "{dumped}"
        );
        let mails = w.mails();
        assert!(
            mails.contains(&format!("Subject: {p}: takeover on alpha\n")),
            "{mails}"
        );
    }
}

const HACF: &str = "keepalive 1\nwarntime 5\ndeadtime 10\ninitdead 30\nbcast lo\nauto_failback on\nnode alpha bravo\n";

/// A configuration directory whose haresources is `hares`, with the Dump
/// agent in its resource.d.
fn config_dir(root: &Path, hares: &str) -> std::path::PathBuf {
    let d = root.join("ha.d");
    std::fs::create_dir_all(d.join("resource.d")).unwrap();
    std::fs::write(d.join("ha.cf"), HACF).unwrap();
    std::fs::write(d.join("authkeys"), "auth 1\n1 sha1 s3cr3t\n").unwrap();
    std::fs::set_permissions(d.join("authkeys"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(d.join("haresources"), hares).unwrap();
    let agent = d.join("resource.d/Dump");
    std::fs::write(&agent, DUMP).unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

fn heartbeat(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(heartbeat_bin());
    cmd.arg("--config-dir")
        .arg(root.join("ha.d"))
        .arg("--run-dir")
        .arg(root.join("run"))
        .arg("--state-dir")
        .arg(root.join("state"))
        .args(["--node", "alpha"])
        .args(args)
        .env("HEARTBEAT_AGENT_DIR", root.join("none"))
        .env("HEARTBEAT_OCF_ROOT", root.join("none"));
    cmd
}

#[test]
fn agents_get_a_cleared_fixed_environment_whatever_the_callers() {
    let t = tempfile::tempdir().unwrap();
    config_dir(t.path(), "alpha Dump::x\n");
    let evil = t.path().join("evil.sh");
    let marker = t.path().join("SOURCED");
    std::fs::write(&evil, format!("touch {}\n", marker.display())).unwrap();
    let own_path = format!(
        "{}:{}",
        t.path().join("first").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = heartbeat(t.path(), &["resource", "start", "Dump::x"])
        .env("HB_SECRET_TEST", "1")
        .env("IFS", "x")
        .env("BASH_ENV", &evil)
        .env("ENV", &evil)
        .env("LD_LIBRARY_PATH", "/nonexistent-hb")
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "de_DE.UTF-8")
        .env("PATH", &own_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let dump = std::fs::read_to_string(t.path().join("run/rsctmp/dump")).unwrap();
    let env: Vec<(&str, &str)> = dump
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('='))
        .collect();
    let names: BTreeSet<&str> = env.iter().map(|(k, _)| *k).collect();
    // The shell itself exports PWD; everything else is ours.
    let expected: BTreeSet<&str> = [
        "PATH",
        "LANG",
        "LC_ALL",
        "HA_RSCTMP",
        "HA_CONFIG_DIR",
        "HA_CURHOST",
        "HA_IPADDR_DUPLICATE_CHECK",
        "HEARTBEAT_BIN",
        "PWD",
    ]
    .into();
    assert!(names.is_subset(&expected), "unexpected variables: {dump}");
    let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    assert_eq!(get("PATH"), Some(AGENT_PATH));
    assert_eq!(get("LANG"), Some("C"));
    assert_eq!(get("HA_CURHOST"), Some("alpha"));
    assert!(!marker.exists(), "BASH_ENV or ENV was sourced");
}

#[test]
fn check_and_the_daemon_refuse_a_hostile_argument_at_its_line_before_touching_anything() {
    for (item, why) in [
        ("Dump::--help", "starts with a dash"),
        ("Dump::a\u{1b}]0;x\u{7}", "control character"),
        ("Dump::a\0b", "control character"),
    ] {
        let t = tempfile::tempdir().unwrap();
        config_dir(
            t.path(),
            &format!("# line 1\nalpha Dump::ok \\\n   {item}\n"),
        );
        let check = heartbeat(t.path(), &["check"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&check.stderr);
        assert_eq!(check.status.code(), Some(1), "{item:?}: {stderr}");
        assert!(
            stderr.contains("haresources:3: resource [") && stderr.contains(why),
            "{item:?}: {stderr}"
        );
        let daemon = heartbeat(t.path(), &["daemon"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&daemon.stderr);
        assert_eq!(daemon.status.code(), Some(6), "{item:?}: {stderr}");
        assert!(stderr.contains("haresources:3:"), "{stderr}");
        // No state, no run directory, no agent call.
        assert!(!t.path().join("state").exists(), "{item:?}");
        assert!(!t.path().join("run").exists(), "{item:?}");
    }
}
