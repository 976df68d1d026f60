//! A serial line whose far end stops reading (a stalled relay, a 9600-baud
//! line that cannot keep up) must cost the cluster that line only: the UDP
//! keepalives keep flowing, nobody is declared dead, no group moves.
//!
//! The lab's relay is a thread of this test, not a process we could
//! SIGSTOP; `Lab::stall_serial` does what a stopped relay does to the
//! daemons: it stops reading both pty masters, and fills the lines' kernel
//! buffers at once (a stopped relay gets there by itself after ~64 KiB,
//! some 20 s of lab traffic), so each daemon's next serial write would block.

mod support;
#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{self as lab, Lab, LabConfig, NODES};
use lab_cluster::{A, B, dump_logs};
use std::time::{Duration, Instant};
const DEADTIME: Duration = Duration::from_millis(500);

fn config(tag: &str) -> LabConfig {
    let mut c = LabConfig::new(
        &lab::unique_prefix(tag),
        std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.deadtime = format!("{}ms", DEADTIME.as_millis());
    c.resources = Some("Dummy::g1".into());
    c.shared_disk = false;
    c.serial = true;
    c
}

/// Node `i`'s `heartbeat status --json`, or `None` when it does not answer
/// (within the CLI's 5 s): its loop is blocked.
fn status(lab: &Lab, i: usize) -> Option<serde_json::Value> {
    let out = lab.ctl(i, &["status", "--json"]);
    serde_json::from_slice(&out.stdout).ok()
}

/// The state node `i` reports for its serial link (the one that is not eth1).
fn serial_state(st: &serde_json::Value) -> String {
    st["links"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["name"] != "eth1")
        .and_then(|l| l["state"].as_str())
        .unwrap_or("missing")
        .to_string()
}

fn holder(st: &serde_json::Value) -> String {
    st["groups"][0]["holder"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

/// Both nodes see the peer active, both links up, and the group settled on alpha.
fn settled(l: &Lab) -> bool {
    (0..2).all(|i| {
        status(l, i).is_some_and(|st| {
            st["peer_status"] == "active"
                && serial_state(&st) == "up"
                && st["links"]
                    .as_array()
                    .is_some_and(|ls| ls.iter().all(|x| x["state"] == "up"))
                && holder(&st) == NODES[A]
        })
    })
}

#[test]
fn a_stalled_serial_line_costs_only_that_line() {
    if !support::require_root("a_stalled_serial_line_costs_only_that_line") {
        return;
    }
    let mut lab = Lab::create(config("stl")).expect("lab");
    lab.start(A).expect("start alpha");
    lab.start(B).expect("start bravo");
    check!(
        lab,
        lab.wait_for(Duration::from_secs(20), settled),
        "the cluster never settled with both links up and g1 on alpha"
    );

    lab.stall_serial(true).expect("stall the serial line");
    let stall = DEADTIME * 10;
    let t0 = Instant::now();
    let mut seen_dead = [false; 2];
    while t0.elapsed() < stall {
        for (i, seen) in seen_dead.iter_mut().enumerate() {
            let at = t0.elapsed();
            let st = status(&lab, i);
            check!(
                lab,
                st.is_some(),
                "{} did not answer status {at:?} into the stall: its loop is blocked",
                NODES[i]
            );
            let st = st.unwrap_or_default();
            check!(
                lab,
                st["peer_status"] == "active",
                "{} sees its peer as {} {at:?} into the stall",
                NODES[i],
                st["peer_status"]
            );
            *seen |= serial_state(&st) == "dead";
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for (i, seen) in seen_dead.iter().enumerate() {
        check!(
            lab,
            *seen,
            "{} never reported the stalled serial link dead",
            NODES[i]
        );
    }
    let during: Vec<String> = (0..2)
        .map(|i| status(&lab, i).map(|s| holder(&s)).unwrap_or_default())
        .collect();
    lab.stall_serial(false).expect("resume the serial line");

    for (i, name) in NODES.iter().enumerate() {
        check!(
            lab,
            !lab.log(i).contains("is dead"),
            "{name} declared a death while only the serial line stalled"
        );
    }
    check!(
        lab,
        !lab.log(B).contains("Taking over"),
        "bravo took over while alpha was alive"
    );
    check!(
        lab,
        during == [NODES[A], NODES[A]],
        "g1 moved during the stall: holders {during:?}"
    );
    check!(
        lab,
        lab.wait_for(Duration::from_secs(10), settled),
        "the serial link did not come back up (or g1 moved) after the stall"
    );
}
