//! `heartbeat maintenance on|off` with the real daemons in namespaces: on
//! one node puts both in; a dead holder is not taken over; a restarted
//! daemon comes back in maintenance and adopts what runs; off settles and
//! the group stays where it runs.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, NODES};
use std::time::Duration;

use lab_cluster::{A, B};

fn status(lab: &Lab, i: usize) -> serde_json::Value {
    let out = lab.ctl(i, &["status", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn ctl_ok(lab: &Lab, i: usize, args: &[&str]) -> String {
    let out = lab.ctl(i, args);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{args:?}: {text}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        lab.log(i)
    );
    text
}

#[test]
fn maintenance_keeps_hands_off_survives_a_restart_and_settles_without_a_move() {
    let Some(mut lab) = lab_cluster::dummy_pair("maintenance") else {
        return;
    };

    ctl_ok(&lab, B, &["maintenance", "on"]);
    let both = lab.wait_for(Duration::from_secs(5), |l| {
        status(l, A)["maintenance"] == "on" && status(l, B)["maintenance"] == "on"
    });
    assert!(both, "alpha did not follow:\n{}", lab.log(A));
    let text = String::from_utf8_lossy(&lab.ctl(A, &["status"]).stdout).to_string();
    assert!(text.contains("maintenance: on"), "{text}");
    let standby = lab.ctl(A, &["standby"]);
    assert!(!standby.status.success(), "standby must be refused");

    // alpha's daemon dies: bravo sees it dead and takes nothing over.
    lab.crash_daemon(A);
    let dead = lab.wait_for(Duration::from_secs(5), |l| {
        l.log(B).contains("is dead, but nothing is taken over")
    });
    assert!(dead, "{}", lab.log(B));
    std::thread::sleep(Duration::from_secs(1));
    let b = status(&lab, B);
    assert_eq!(b["groups"][0]["local_state"], "stopped", "{b}");

    // alpha comes back in maintenance and adopts what still runs.
    lab.start(A).expect("restart alpha");
    let adopted = lab.wait_for(Duration::from_secs(10), |l| {
        let a = status(l, A);
        a["maintenance"] == "on" && a["groups"][0]["local_state"] == "running"
    });
    assert!(adopted, "{}", lab.log(A));
    assert!(!lab.log(A).contains("releasing them before joining"));

    let answer = ctl_ok(&lab, A, &["maintenance", "off"]);
    assert!(answer.contains("maintenance mode off"), "{answer}");
    let off = lab.wait_for(Duration::from_secs(10), |l| {
        status(l, A)["maintenance"] == "off" && status(l, B)["maintenance"] == "off"
    });
    assert!(off, "{}\n{}", lab.log(A), lab.log(B));
    std::thread::sleep(Duration::from_secs(2));
    let (a, b) = (status(&lab, A), status(&lab, B));
    assert_eq!(a["groups"][0]["holder"], NODES[A], "{a}");
    assert_eq!(b["groups"][0]["local_state"], "stopped", "{b}");
    let log_a = lab.log(A);
    assert!(!log_a.contains("Releasing resource group"), "{log_a}");
    assert_eq!(
        log_a.matches("is running here").count(),
        1,
        "only the first start: {log_a}"
    );
}
