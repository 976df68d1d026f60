//! SIGHUP (`systemctl reload`) with the real daemons in namespaces: a new
//! deadtime applies without a death or a move; a broken ha.cf is refused
//! with its FILE:LINE in the log and the daemon runs on with the old one.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, NODES};
use nix::sys::signal::Signal;
use std::time::Duration;

use lab_cluster::{A, B};

fn lab_with_dummy(tag: &str) -> Option<Lab> {
    lab_cluster::dummy_pair(tag)
}

fn status(lab: &Lab, i: usize) -> serde_json::Value {
    let out = lab.ctl(i, &["status", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn edit_hacf(lab: &Lab, i: usize, f: impl Fn(String) -> String) {
    let path = lab.nodes[i].config_dir().join("ha.cf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
}

#[test]
fn sighup_with_a_new_deadtime_applies_it_without_a_death_or_a_move() {
    let Some(mut lab) = lab_with_dummy("reload-dt") else {
        return;
    };
    let before = status(&lab, A);
    assert_eq!(before["deadtime_ms"], 500);
    edit_hacf(&lab, A, |t| t.replace("deadtime 500ms", "deadtime 2"));
    lab.signal(A, Signal::SIGHUP);
    let applied = lab.wait_for(Duration::from_secs(5), |l| {
        status(l, A)["deadtime_ms"] == 2000
    });
    assert!(applied, "deadtime not applied:\n{}", lab.log(A));
    std::thread::sleep(Duration::from_secs(2));
    let (a, b) = (status(&lab, A), status(&lab, B));
    assert!(lab.daemon_pid(A).is_some() && a["peer_status"] == "active");
    assert_eq!(a["groups"][0]["holder"], NODES[A], "{a}");
    assert_eq!(a["counters"]["peer_deaths"].as_u64().unwrap_or(0), 0, "{a}");
    assert_eq!(b["counters"]["peer_deaths"].as_u64().unwrap_or(0), 0, "{b}");
    assert!(
        before["groups"][0]["since_secs"].as_f64() < a["groups"][0]["since_secs"].as_f64(),
        "the group did not move"
    );
    let log = lab.log(A);
    assert!(log.contains("Reload: timings"), "{log}");
    assert!(!log.contains("is dead"), "{log}");
    lab.kill_daemon(A);
}

#[test]
fn a_broken_hacf_is_refused_with_file_and_line_and_the_old_configuration_runs_on() {
    let Some(mut lab) = lab_with_dummy("reload-bad") else {
        return;
    };
    edit_hacf(&lab, A, |t| t.replace("deadtime 500ms", "deadtime soon"));
    lab.signal(A, Signal::SIGHUP);
    let logged = lab.wait_for(Duration::from_secs(5), |l| {
        l.log(A).contains("Reload refused")
    });
    let log = lab.log(A);
    assert!(logged, "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("Reload refused") && l.contains("ha.cf:"))
        .unwrap_or_else(|| panic!("no FILE:LINE in:\n{log}"));
    assert!(line.contains("deadtime"), "{line}");
    assert!(lab.daemon_pid(A).is_some());
    let s = status(&lab, A);
    assert_eq!(s["deadtime_ms"], 500, "{s}");
    assert_eq!(s["peer_status"], "active");
    lab.kill_daemon(A);
}
