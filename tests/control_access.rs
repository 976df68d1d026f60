//! Who may use the control socket, against a real daemon: the CLI run as
//! a non-root user inside the node's namespace (setpriv with a uid and gid
//! no account uses, so nothing is created or left behind). A stranger is
//! refused even the status, a member of `haclient` reads the status and
//! the metrics but is refused a standby, which changes nothing.

use hb_lab::{self as lab, Lab, LabConfig};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;
/// A uid and gid no account on a test machine uses.
const NOBODY_ID: &str = "61234";

fn haclient_gid() -> Option<u32> {
    nix::unistd::Group::from_name("haclient")
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
}

/// `heartbeat ARGS` on node `i` as uid/gid [`NOBODY_ID`], with `groups` as
/// its supplementary groups.
fn as_user(lab: &Lab, i: usize, groups: &[u32], args: &[&str]) -> Output {
    let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
    let groups = if groups.is_empty() {
        "--clear-groups".to_string()
    } else {
        format!("--groups={}", groups.join(","))
    };
    lab.command(i, Path::new("setpriv"))
        .args([
            &format!("--reuid={NOBODY_ID}"),
            &format!("--regid={NOBODY_ID}"),
            &groups,
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_heartbeat"))
        .args(args)
        .output()
        .expect("running setpriv")
}

fn said(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn holder(lab: &Lab, i: usize) -> String {
    let out = lab.ctl(i, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["groups"][0]["holder"].as_str().unwrap_or("").to_string()
}

#[test]
fn haclient_members_read_the_status_strangers_nothing_and_only_root_changes() {
    let test = "haclient_members_read_the_status_strangers_nothing_and_only_root_changes";
    if !hb_lab::skip::unless_root(test)
        || !hb_lab::skip::unless(haclient_gid().is_some(), test, "group haclient")
    {
        return;
    }
    let gid = haclient_gid().unwrap_or_default();
    let mut c = LabConfig::new(
        &lab::unique_prefix("acl"),
        Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.resources = Some("Dummy::g1".into());
    c.shared_disk = false;
    let mut lab = Lab::create(c).expect("lab");
    lab.start(A).expect("start alpha");
    lab.start(B).expect("start bravo");
    let settled = lab.wait_for(Duration::from_secs(20), |l| {
        holder(l, A) == "alpha" && holder(l, B) == "alpha"
    });
    assert!(settled, "alpha never held g1:\n{}", lab.log(A));

    // The socket lets the group connect, and nobody else.
    let sock = lab.nodes[A].run_dir().join("heartbeat.sock");
    let meta = std::fs::metadata(&sock).expect("the control socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!((meta.uid(), meta.gid()), (0, gid));

    let stranger = as_user(&lab, A, &[], &["status"]);
    assert_eq!(stranger.status.code(), Some(4), "{}", said(&stranger));
    assert!(
        String::from_utf8_lossy(&stranger.stderr).contains("permission denied"),
        "{}",
        said(&stranger)
    );

    let status = as_user(&lab, A, &[gid], &["status", "--json"]);
    assert!(status.status.success(), "{}", said(&status));
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON status");
    assert_eq!(v["schema_version"], 1, "{v}");
    assert_eq!(v["groups"][0]["holder"], "alpha");
    let metrics = as_user(&lab, A, &[gid], &["metrics"]);
    assert!(
        String::from_utf8_lossy(&metrics.stdout).contains("heartbeat_up 1"),
        "{}",
        said(&metrics)
    );

    let standby = as_user(&lab, A, &[gid], &["standby"]);
    assert_eq!(standby.status.code(), Some(4), "{}", said(&standby));
    assert!(
        String::from_utf8_lossy(&standby.stderr)
            .contains("permission denied: standby requires root"),
        "{}",
        said(&standby)
    );
    let stop = as_user(&lab, A, &[gid], &["stop"]);
    assert_eq!(stop.status.code(), Some(4), "{}", said(&stop));
    // Refused means nothing happened: alpha still holds g1 and runs.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(holder(&lab, A), "alpha", "{}", lab.log(A));
    assert!(lab.daemon_pid(A).is_some(), "the daemon stopped");
}
