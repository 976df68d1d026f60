//! Crafted peers, end to end: a third namespace on the crossover and on the
//! LAN (`LabConfig::attacker`) sends the real daemons wrong keys, replays,
//! impossible generations and sequence numbers, spoofed names and uuids
//! and malformed fields; a real peer restarts and rolls its generation
//! back; the key is rotated node by node with SIGHUP; the control socket
//! is flooded. Each rule is tested exactly in `core/sim/hostile.rs` and
//! `membership`; these prove the daemons apply them.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{ATTACKER_HOST, LAN_PREFIX, Lab, XOVER_PREFIX};
use heartbeat::config::{AuthKey, AuthKeys, AuthMethod, NodeName};
use heartbeat::wire::{self, CommonFields, Message};
use lab_cluster::*;
use nix::sys::signal::Signal;
use std::time::Duration;

const SECRET: &str = "lab-secret-not-for-production";

fn keys(id: u8, secret: &str) -> AuthKeys {
    AuthKeys {
        active: id,
        keys: [(
            id,
            AuthKey {
                id,
                method: AuthMethod::Sha1,
                secret: secret.as_bytes().to_vec(),
            },
        )]
        .into_iter()
        .collect(),
    }
}

/// What a crafted keepalive says about its sender.
struct Claim<'a> {
    src: &'a str,
    uuid: [u8; 16],
    hg: u64,
    seq: u64,
    extra: &'a [(&'a str, &'a str)],
}

fn crafted(c: &Claim, signing: &AuthKeys) -> Vec<u8> {
    let mut m = Message::new();
    m.add("t", "status").add("st", "active");
    wire::add_common_fields(
        &mut m,
        &CommonFields {
            src: NodeName::new(c.src),
            srcuuid: c.uuid,
            seq: Some(c.seq),
            hg: c.hg,
            ts: 0,
            ld: None,
            ttl: 3,
        },
    );
    for (k, v) in c.extra {
        m.add(k, *v);
    }
    wire::sign_netstring(&m, signing)
}

fn hostile_lab(tag: &str) -> Lab {
    let mut c = dummy_config(tag);
    c.attacker = true;
    // Heartbeats on the LAN too, so the attacker is on both media.
    c.extra_hacf.push("bcast eth0".into());
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    lab
}

/// Send `packets` from the attacker to alpha over the crossover and the LAN.
fn attack(lab: &Lab, packets: &[Vec<u8>]) {
    let x = lab.attacker_ns.clone().expect("an attacker namespace");
    for (prefix, _) in [(XOVER_PREFIX, "eth1"), (LAN_PREFIX, "eth0")] {
        let from = format!("{prefix}.{ATTACKER_HOST}");
        send_packets(&x, &from, &format!("{prefix}.1:694"), packets);
    }
}

fn counter(c: &serde_json::Value, name: &str) -> u64 {
    c[name].as_u64().unwrap_or(0)
}

/// Lines that mean membership or a group changed on node `i`.
fn changes(lab: &Lab, i: usize) -> Vec<String> {
    lab.log(i)
        .lines()
        .filter(|l| {
            [
                "is dead",
                "restart on node",
                "came back with generation",
                "returning after partition",
                "Taking over resource group",
                "Releasing resource group",
                "Late heartbeat",
            ]
            .iter()
            .any(|w| l.contains(w))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn crafted_packets_from_a_third_namespace_are_dropped_counted_logged_once_and_change_nothing() {
    if !root(
        "crafted_packets_from_a_third_namespace_are_dropped_counted_logged_once_and_change_nothing",
    ) {
        return;
    }
    let lab = hostile_lab("hos");
    // A capture taken by the attacker on the shared crossover, replayed later.
    let x = lab.attacker_ns.clone().unwrap();
    let captured = capture_packet(&x, "eth1", &format!("{XOVER_PREFIX}.2"));
    std::thread::sleep(Duration::from_millis(500));
    let before = status_json(&lab, A);
    let hg = before["peer_generation"].as_u64().expect("peer generation");
    let rsc = stdout(&lab.tool(A, "cl_status", &["rscstatus"]));
    let (changes_a, changes_b) = (changes(&lab, A), changes(&lab, B));
    let key = keys(1, SECRET);
    // The attacker's capture also tells bravo's uuid.
    let real = wire::verify_netstring(&captured, &key).expect("a packet of bravo's");
    let uuid = wire::header(&real).unwrap().srcuuid.expect("bravo's uuid");
    let bravo = |hg: u64, seq: u64| Claim {
        src: "bravo",
        uuid,
        hg,
        seq,
        extra: &[],
    };
    let dup_hg = format!("{:x}", hg + 1);
    // (the counter it lands in, the packet)
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "dropped_bad_digest",
            crafted(&bravo(hg, 1 << 20), &keys(1, "wrong-secret")),
        ),
        (
            "dropped_unknown_key",
            crafted(&bravo(hg, 1 << 20), &keys(7, SECRET)),
        ),
        ("dropped_old_generation", crafted(&bravo(hg - 1, 5), &key)),
        (
            "dropped_future_generation",
            crafted(&bravo(u64::MAX, 5), &key),
        ),
        (
            "dropped_future_generation",
            crafted(&bravo(hg + (1 << 33), 5), &key),
        ),
        ("dropped_future_seq", crafted(&bravo(hg, u64::MAX), &key)),
        (
            "dropped_uuid_mismatch",
            crafted(
                &Claim {
                    uuid: [0xee; 16],
                    ..bravo(hg, 1 << 20)
                },
                &key,
            ),
        ),
        (
            "dropped_unknown_node",
            crafted(
                &Claim {
                    src: "mallory",
                    ..bravo(hg, 1)
                },
                &key,
            ),
        ),
        (
            "dropped_own_name",
            crafted(
                &Claim {
                    src: "alpha",
                    ..bravo(hg, 1)
                },
                &key,
            ),
        ),
        (
            "dropped_duplicate_field",
            crafted(
                &Claim {
                    extra: &[("hg", &dup_hg)],
                    ..bravo(hg, 1)
                },
                &key,
            ),
        ),
        ("dropped_truncated", b"###\n12:(0)t=sta".to_vec()),
        ("dropped_oversized", b"###\n9999999:".to_vec()),
        ("dropped_garbage", vec![0xff; 3000]),
    ];
    for _ in 0..20 {
        let packets: Vec<Vec<u8>> = cases.iter().map(|(_, p)| p.clone()).collect();
        attack(&lab, &packets);
        attack(&lab, std::slice::from_ref(&captured));
        std::thread::sleep(Duration::from_millis(25));
    }
    // Twice deadtime: a lockout of the real peer would show as a death.
    std::thread::sleep(Duration::from_millis(1200));
    let after = status_json(&lab, A);
    let c = &after["counters"];
    println!("counters after the attack: {c}");
    let log = lab.log(A);
    for (name, _) in &cases {
        check!(lab, counter(c, name) >= 20, "{name} not counted: {c}");
        let reason = name.trim_start_matches("dropped_");
        let lines = log.matches(&format!("Dropped packet ({reason},")).count();
        check!(lab, lines == 1, "{reason} logged {lines} times");
    }
    // The replayed capture is within the reorder window or beyond it.
    check!(
        lab,
        counter(c, "duplicate") + counter(c, "dropped_replay") >= 20,
        "replay not counted: {c}"
    );
    check!(
        lab,
        after["peer_generation"] == before["peer_generation"],
        "generation changed"
    );
    check!(
        lab,
        nodestatus(&lab, A, B) == "active",
        "bravo's state changed"
    );
    check!(
        lab,
        nodestatus(&lab, B, A) == "active",
        "alpha's state changed"
    );
    check!(
        lab,
        stdout(&lab.tool(A, "cl_status", &["rscstatus"])) == rsc,
        "a group moved"
    );
    check!(
        lab,
        changes(&lab, A) == changes_a && changes(&lab, B) == changes_b,
        "membership or a group changed: {:?}",
        changes(&lab, A)
    );
}

#[test]
fn a_restarted_peer_is_accepted_and_a_rolled_back_one_is_reported_then_accepted() {
    if !root("a_restarted_peer_is_accepted_and_a_rolled_back_one_is_reported_then_accepted") {
        return;
    }
    let mut lab = Lab::create(dummy_config("rbk")).expect("lab");
    start_both(&mut lab);
    let hg = |lab: &Lab| status_json(lab, A)["peer_generation"].as_u64();
    let first = hg(&lab).expect("peer generation");
    // Restart bravo within deadtime: a new generation, taken at once.
    lab.kill_daemon(B);
    lab.start(B).expect("restart bravo");
    let restarted = lab.wait_for(Duration::from_secs(10), |l| hg(l) == Some(first + 1));
    check!(lab, restarted, "the restarted bravo was not accepted");
    // Restore bravo's state directory from "a backup": generation first - 5.
    lab.kill_daemon(B);
    let file = lab.nodes[B].state_dir().join("hb_generation");
    std::fs::write(&file, format!("{:>15}\n", first - 5)).unwrap();
    lab.start(B).expect("start the rolled-back bravo");
    let reported = lab.wait_for(Duration::from_secs(10), |l| {
        l.log(A).contains("state directory was restored")
    });
    check!(lab, reported, "the rollback was not reported");
    let accepted = lab.wait_for(Duration::from_secs(10), |l| {
        hg(l) == Some(first - 4) && nodestatus(l, A, B) == "active"
    });
    check!(lab, accepted, "the rolled-back bravo stayed locked out");
    check!(
        lab,
        lab.log(A).contains(&format!(
            "came back with generation {}, lower than its previous {}",
            first - 4,
            first + 1
        )),
        "no line naming the rollback"
    );
}

#[test]
fn a_key_is_rotated_one_node_at_a_time_with_sighup_and_nothing_dies_or_moves() {
    if !root("a_key_is_rotated_one_node_at_a_time_with_sighup_and_nothing_dies_or_moves") {
        return;
    }
    let mut lab = Lab::create(dummy_config("rot")).expect("lab");
    start_both(&mut lab);
    let rsc = stdout(&lab.tool(A, "cl_status", &["rscstatus"]));
    let quiet = [changes(&lab, A), changes(&lab, B)];
    let both = |auth: u8| format!("auth {auth}\n1 sha1 {SECRET}\n2 sha1 second-secret\n");
    let steps = [
        (A, both(1)),
        (B, both(1)),
        (A, both(2)),
        (B, both(2)),
        (A, "auth 2\n2 sha1 second-secret\n".to_string()),
        (B, "auth 2\n2 sha1 second-secret\n".to_string()),
    ];
    for (i, text) in steps {
        let before = lab.log(i).matches("Reload: authkeys: signing").count();
        std::fs::write(lab.nodes[i].config_dir().join("authkeys"), &text).unwrap();
        lab.signal(i, Signal::SIGHUP);
        let reloaded = lab.wait_for(Duration::from_secs(5), |l| {
            l.log(i).matches("Reload: authkeys: signing").count() > before
        });
        check!(lab, reloaded, "node {i} never reloaded authkeys");
        // Several deadtimes at each step.
        std::thread::sleep(Duration::from_millis(1500));
        for n in [A, B] {
            let c = status_json(&lab, n)["counters"].clone();
            let dropped: u64 = c
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| k.starts_with("dropped_"))
                        .filter_map(|(_, v)| v.as_u64())
                        .sum()
                })
                .unwrap_or(0);
            check!(
                lab,
                dropped == 0,
                "node {n} dropped packets during the rotation: {c}"
            );
            check!(
                lab,
                changes(&lab, n) == quiet[n],
                "node {n}: {:?}",
                changes(&lab, n)
            );
        }
        check!(
            lab,
            stdout(&lab.tool(A, "cl_status", &["rscstatus"])) == rsc,
            "a group moved"
        );
    }
    // Now only key 2 is in use: alpha's packets verify with it alone.
    let packet = capture_packet(&lab.nodes[B].ns, "eth1", &format!("{XOVER_PREFIX}.1"));
    check!(
        lab,
        wire::verify_netstring(&packet, &keys(2, "second-secret")).is_ok(),
        "alpha does not sign with key 2"
    );
}

#[test]
fn a_control_socket_storm_is_answered_or_refused_and_keepalives_are_never_late() {
    if !root("a_control_socket_storm_is_answered_or_refused_and_keepalives_are_never_late") {
        return;
    }
    let mut lab = Lab::create(dummy_config("ctl")).expect("lab");
    start_both(&mut lab);
    let quiet = [changes(&lab, A), changes(&lab, B)];
    let late = [A, B].map(|n| counter(&status_json(&lab, n)["counters"], "late_heartbeats"));
    let sock = lab.nodes[A].run_dir().join("heartbeat.sock");
    let ns = lab.nodes[A].ns.clone();
    let (answered, refused, oversized) = hb_lab::in_netns(&ns, || {
        use std::io::{Read, Write};
        use std::os::unix::net::UnixStream;
        // Silent clients hold connections while the storm runs.
        let silent: Vec<UnixStream> = (0..20)
            .filter_map(|_| UnixStream::connect(&sock).ok())
            .collect();
        let mut big = UnixStream::connect(&sock).unwrap();
        let _ = big.write_all(&vec![b'x'; 200_000]);
        let mut oversized = String::new();
        let _ = big.read_to_string(&mut oversized);
        let threads: Vec<_> = (0..1000)
            .map(|_| {
                let sock = sock.clone();
                std::thread::spawn(move || -> Option<bool> {
                    let mut s = UnixStream::connect(&sock).ok()?;
                    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
                    s.write_all(b"{\"request\":\"status\"}\n").ok()?;
                    let mut answer = String::new();
                    s.read_to_string(&mut answer).ok()?;
                    Some(answer.contains("\"response\":\"status\""))
                })
            })
            .collect();
        let results: Vec<Option<bool>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        drop(silent);
        let answered = results.iter().filter(|r| **r == Some(true)).count();
        let refused = results.iter().filter(|r| r.is_none()).count();
        (answered, refused, oversized)
    })
    .unwrap();
    println!(
        "measured: control socket storm: {answered} of 1000 status requests answered, {refused} refused"
    );
    check!(
        lab,
        answered + refused == 1000,
        "a request got a wrong answer"
    );
    check!(lab, answered > 0, "no request was answered");
    check!(
        lab,
        oversized.contains("longer than 65536 bytes"),
        "oversized request answered {oversized:?}"
    );
    std::thread::sleep(Duration::from_millis(500));
    for n in [A, B] {
        check!(
            lab,
            changes(&lab, n) == quiet[n],
            "node {n}: {:?}",
            changes(&lab, n)
        );
        let c = status_json(&lab, n)["counters"].clone();
        check!(
            lab,
            counter(&c, "late_heartbeats") == late[n],
            "late heartbeats on node {n}: {c}"
        );
    }
}
