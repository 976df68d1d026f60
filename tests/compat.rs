//! A mixed pair during an upgrade: our daemon (alpha) beside the original
//! Heartbeat 3.0.6 from Debian's `heartbeat` package (bravo), over the same
//! crossover link, same ha.cf and authkeys. Each must hear the other and
//! notice its death: the wire format, both signatures and the flow control
//! really interoperate. (Resource negotiation with an old node is not
//! supported; see docs/migration.md.)

use hb_lab::{self as lab, Flavor, Lab, LabConfig, NODES, ORIGINAL_DAEMON};
use std::time::{Duration, Instant};

const A: usize = 0;
const B: usize = 1;

fn nodestatus(lab: &Lab, of: usize) -> String {
    let out = lab.tool(A, "cl_status", &["nodestatus", NODES[of]]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn dump(lab: &Lab) {
    for i in [A, B] {
        eprintln!("==== {} ====\n{}", NODES[i], lab.log(i));
    }
}

#[test]
fn our_node_and_an_original_3_0_6_node_hear_each_other_and_detect_death() {
    let test = "our_node_and_an_original_3_0_6_node_hear_each_other_and_detect_death";
    if !hb_lab::skip::unless_root(test) {
        return;
    }
    // .ci/run installs Debian's heartbeat package; by hand: apt-get install heartbeat
    let original = std::path::Path::new(ORIGINAL_DAEMON).exists();
    let needs = format!("the original Heartbeat 3.0.6 ({ORIGINAL_DAEMON})");
    if !hb_lab::skip::unless(original, test, &needs) {
        return;
    }
    let mut c = LabConfig::new(
        &lab::unique_prefix("mix"),
        std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.peer_flavor = Some(Flavor::Original);
    c.shared_disk = false;
    c.resources = Some("Dummy::mixed".into());
    // The original's smallest sane timings; its warntime must be > keepalive.
    c.keepalive = "200ms".into();
    c.warntime = "1".into();
    c.deadtime = "2".into();
    c.initdead = "4".into();
    let mut lab = Lab::create(c).expect("lab");
    lab.start(A).unwrap();
    lab.start(B).unwrap();
    let paired = lab.wait_for(Duration::from_secs(20), |l| {
        nodestatus(l, B) == "active" || nodestatus(l, B) == "up"
    });
    if !paired {
        dump(&lab);
        panic!("our node never heard the original");
    }
    let heard_us = lab.wait_for(Duration::from_secs(20), |l| {
        let log = l.log(B);
        log.contains("Status update for node alpha") || log.contains("Link alpha:eth1 up")
    });
    if !heard_us {
        dump(&lab);
        panic!("the original never heard our node");
    }
    // No authentication complaint on either side.
    assert!(
        !lab.log(B).contains("authentication failed"),
        "the original rejected our packets"
    );
    let ours = lab.ctl(A, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap_or_default();
    assert!(
        status["counters"]["dropped_bad_digest"]
            .as_u64()
            .unwrap_or(0)
            == 0,
        "we rejected the original's packets: {}",
        status["counters"]
    );
    // Keep talking for a while: past the original's flow-control window.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(nodestatus(&lab, B), "active", "the pair fell apart");
    // Our node dies: the original notices, as it would notice one of its own.
    let t0 = Instant::now();
    lab.kill(A);
    let noticed = lab.wait_for(Duration::from_secs(8), |l| {
        l.log(B).contains("node alpha: is dead")
    });
    println!(
        "measured: the original noticed our death after {} ms",
        t0.elapsed().as_millis()
    );
    if !noticed {
        dump(&lab);
        panic!("the original never noticed our node's death");
    }
    // Ours comes back (a new generation) and pairs again.
    lab.start(A).unwrap();
    let again = lab.wait_for(Duration::from_secs(20), |l| nodestatus(l, B) == "active");
    if !again {
        dump(&lab);
        panic!("our restarted node did not pair with the original again");
    }
    // The original dies: we notice within its deadtime.
    let t0 = Instant::now();
    lab.kill(B);
    let dead = lab.wait_for(Duration::from_secs(6), |l| nodestatus(l, B) == "dead");
    println!(
        "measured: the original's death noticed after {} ms (deadtime 2 s)",
        t0.elapsed().as_millis()
    );
    if !dead {
        dump(&lab);
        panic!("the original's death went unnoticed");
    }
}
