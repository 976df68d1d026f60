//! Two real daemons in two network namespaces (see `hb_lab`):
//! membership, death detection, links, bad packets, and the failover
//! stories users rely on. Each test builds its own lab with a unique prefix
//! and tears it down in `Drop`, also when it fails.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::capture::Capture;
use hb_lab::{self as lab, Lab, LabConfig, NODES};
use lab_cluster::*;
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// Wait until node `i`'s resources are settled in state `word` (the VIP can
/// answer before the rest of the chain has started; a request in that
/// window is refused as "in flux", as it should be).
fn wait_settled(lab: &Lab, i: usize, word: &str) -> bool {
    lab.wait_for(Duration::from_secs(10), |l| {
        stdout(&l.tool(i, "cl_status", &["rscstatus"])) == word
    })
}

/// A lab with both daemons up and alpha serving the VIP.
fn serving(c: LabConfig) -> Lab {
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    check!(
        lab,
        wait_answer(&lab, "alpha", Duration::from_secs(15)),
        "alpha never served the VIP"
    );
    lab
}

/// Crash bravo and time how long alpha takes to call it dead (printed as
/// a measurement with `medium`); `None` when it never does within 5 s.
fn time_bravos_death(lab: &mut Lab, medium: &str) -> Option<Duration> {
    let t0 = Instant::now();
    lab.kill(B);
    let dead = lab.wait_for(Duration::from_secs(5), |l| nodestatus(l, A, B) == "dead");
    let took = t0.elapsed();
    println!(
        "measured: death over {medium} detected {} ms after SIGKILL",
        took.as_millis()
    );
    dead.then_some(took)
}

fn wait_answer(lab: &Lab, who: &str, timeout: Duration) -> bool {
    lab.wait_for(timeout, |l| {
        l.probe(Duration::from_millis(100)).as_deref() == Some(who)
    })
}

#[test]
fn peers_see_each_other_and_a_killed_peer_is_declared_dead_within_deadtime() {
    if !root("peers_see_each_other_and_a_killed_peer_is_declared_dead_within_deadtime") {
        return;
    }
    let mut lab = Lab::create(dummy_config("mem")).expect("lab");
    start_both(&mut lab);
    let links = stdout(&lab.tool(A, "cl_status", &["listhblinks", NODES[B]]));
    check!(lab, links == "eth1", "listhblinks said {links:?}");
    let link = stdout(&lab.tool(A, "cl_status", &["hblinkstatus", NODES[B], "eth1"]));
    check!(lab, link == "up", "hblinkstatus said {link:?}");
    let hb = stdout(&lab.tool(A, "cl_status", &["hbstatus"]));
    check!(
        lab,
        hb == "Heartbeat is running on this machine.",
        "hbstatus said {hb:?}"
    );

    let took = time_bravos_death(&mut lab, "bcast (deadtime 500 ms)");
    check!(lab, took.is_some(), "bravo was never declared dead");
    let took = took.unwrap_or_default();
    // The claim: dead within deadtime (500 ms) after the last keepalive,
    // which left at most one keepalive (100 ms) before the kill; plus one
    // more keepalive of scheduling slack and 200 ms of cl_status polling.
    check!(
        lab,
        took < Duration::from_millis(500 + 2 * 100 + 200),
        "death took {took:?}"
    );
    check!(
        lab,
        // The last keepalive left up to one keepalive (100 ms) before the
        // kill, up to two on a loaded machine whose sender ran late: never
        // sooner than deadtime minus two keepalives.
        took >= Duration::from_millis(500 - 2 * 100),
        "declared dead too early: {took:?}"
    );
    // Log lines reach the file through the daemon's writer thread.
    let logged = lab.wait_for(Duration::from_secs(2), |l| {
        l.log(A).contains("node bravo: is dead")
    });
    check!(lab, logged, "no death log line");
}

#[test]
fn a_serial_line_alone_keeps_the_peer_alive_and_carries_death_detection() {
    if !root("a_serial_line_alone_keeps_the_peer_alive_and_carries_death_detection") {
        return;
    }
    let mut c = dummy_config("ser");
    c.serial = true;
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    // Pull the crossover cable: the serial line must keep the peer up.
    lab.set_link(A, "eth1", false).unwrap();
    lab.set_link(B, "eth1", false).unwrap();
    let eth_dead = lab.wait_for(Duration::from_secs(5), |l| {
        stdout(&l.tool(A, "cl_status", &["hblinkstatus", NODES[B], "eth1"])) == "dead"
    });
    check!(lab, eth_dead, "the cut UDP link was never reported dead");
    std::thread::sleep(Duration::from_secs(2));
    check!(
        lab,
        nodestatus(&lab, A, B) == "active",
        "peer declared dead while the serial line was up"
    );
    check!(
        lab,
        !lab.log(A).contains("is dead"),
        "a false death was logged"
    );
    let took = time_bravos_death(&mut lab, "the serial line");
    check!(
        lab,
        took.is_some(),
        "death over the serial line never detected"
    );
}

#[test]
fn forged_replayed_and_garbage_packets_are_counted_and_change_nothing() {
    if !root("forged_replayed_and_garbage_packets_are_counted_and_change_nothing") {
        return;
    }
    use heartbeat::config::{AuthKey, AuthKeys, AuthMethod, NodeName};
    use heartbeat::wire::{self, CommonFields, Message};
    let mut lab = Lab::create(dummy_config("bad")).expect("lab");
    start_both(&mut lab);
    let before = status_json(&lab, A);
    let bravo_hg = before["peer_generation"].as_u64().expect("peer generation");
    let keys = |secret: &str| AuthKeys {
        active: 1,
        keys: [(
            1,
            AuthKey {
                id: 1,
                method: AuthMethod::Sha1,
                secret: secret.as_bytes().to_vec(),
            },
        )]
        .into_iter()
        .collect(),
    };
    let packet = |secret: &str, hg: u64, seq: u64| {
        let mut m = Message::new();
        m.add("t", "status").add("st", "dead");
        wire::add_common_fields(
            &mut m,
            &CommonFields {
                src: NodeName::new("bravo"),
                srcuuid: [7; 16],
                seq: Some(seq),
                hg,
                ts: 0,
                ld: None,
                ttl: 3,
            },
        );
        wire::sign_netstring(&m, &keys(secret))
    };
    // A real replay: capture one of bravo's own packets on the wire (in
    // alpha's namespace) and send it again later.
    let captured = capture_from_bravo(&lab);
    std::thread::sleep(Duration::from_millis(300));
    let mut bad: Vec<Vec<u8>> = Vec::new();
    for i in 0..200 {
        bad.push(packet("wrong-secret", bravo_hg, 1_000_000 + i)); // forged
    }
    bad.push(captured.clone()); // replayed
    bad.push(packet("lab-secret-not-for-production", bravo_hg - 1, 5)); // older generation
    bad.push(b"###\n12:(0)t=sta".to_vec()); // truncated
    bad.push(vec![0xff; 3000]); // garbage
    send_as_bravo(&lab, bad);
    std::thread::sleep(Duration::from_millis(500));
    let after = status_json(&lab, A);
    check_counted(&lab, &after["counters"]);
    // 200 packets with a wrong key are one line (per reason, per ten
    // seconds), and the other reasons still get theirs.
    let log = lab.log(A);
    let lines = |reason: &str| log.matches(&format!("Dropped packet ({reason},")).count();
    check!(
        lab,
        lines("bad_digest") == 1,
        "{} bad-digest lines",
        lines("bad_digest")
    );
    check!(
        lab,
        lines("garbage") == 1,
        "{} garbage lines",
        lines("garbage")
    );
    check!(
        lab,
        nodestatus(&lab, A, B) == "active",
        "a bad packet changed the peer's state"
    );
    check!(
        lab,
        after["peer_generation"] == before["peer_generation"],
        "generation changed"
    );
    // A dead node's captured packets, replayed, do not bring it back.
    lab.kill(B);
    let dead = lab.wait_for(Duration::from_secs(5), |l| nodestatus(l, A, B) == "dead");
    check!(lab, dead, "bravo was never declared dead");
    for _ in 0..5 {
        send_as_bravo(&lab, vec![captured.clone()]);
        std::thread::sleep(Duration::from_millis(100));
    }
    check!(
        lab,
        nodestatus(&lab, A, B) == "dead",
        "a replayed packet brought dead bravo back"
    );
}

/// One of bravo's packets as it arrives on alpha's crossover interface.
fn capture_from_bravo(lab: &Lab) -> Vec<u8> {
    capture_packet(&lab.nodes[A].ns, "eth1", "10.213.8.2")
}

/// Send `packets` to alpha from bravo's address.
fn send_as_bravo(lab: &Lab, packets: Vec<Vec<u8>>) {
    send_packets(&lab.nodes[B].ns, "10.213.8.2", "10.213.8.1:694", &packets);
}

/// Every kind of bad packet sent was dropped and counted by its reason.
fn check_counted(lab: &Lab, c: &serde_json::Value) {
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    println!("counters after the attack: {c}");
    check!(
        lab,
        n("dropped_bad_digest") >= 200,
        "forged packets not counted: {c}"
    );
    // Within the reorder window an old sequence number counts as a
    // duplicate, beyond it as a replay: dropped either way.
    check!(
        lab,
        n("dropped_replay") + n("duplicate") >= 1,
        "replay not counted: {c}"
    );
    check!(
        lab,
        n("dropped_old_generation") >= 1,
        "old generation not counted: {c}"
    );
    let other: u64 = c
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| {
            k.starts_with("dropped_")
                && ![
                    "dropped_bad_digest",
                    "dropped_replay",
                    "dropped_old_generation",
                ]
                .contains(&k.as_str())
        })
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum();
    check!(
        lab,
        other >= 2,
        "truncated/garbage packets not counted: {c}"
    );
}

#[test]
fn killed_active_node_fails_over_the_vip_filesystem_and_service() {
    if !root("killed_active_node_fails_over_the_vip_filesystem_and_service") {
        return;
    }
    let mut lab = Lab::create(config("fov")).expect("lab");
    // bravo's notify hook records what it is told, in order.
    let record = lab.nodes[B].dir.join("notified");
    let hook = lab.nodes[B].config_dir().join("notify");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    start_both(&mut lab);
    check!(
        lab,
        wait_answer(&lab, "alpha", Duration::from_secs(15)),
        "alpha never served the VIP"
    );
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "VIP on {:?}",
        lab.vip_holders()
    );
    // Written on alpha's mount of the shared disk, served by alpha's service.
    let written = format!("written on alpha before the crash {}", std::process::id());
    lab.write_srv(A, "before-crash", &written)
        .expect("write on alpha's mount");
    let served = lab.fetch_srv("before-crash", Duration::from_secs(1));
    check!(
        lab,
        served.as_deref() == Some(written.as_str()),
        "alpha served {served:?}"
    );
    // On the disk, not in the directory under it (which both nodes see).
    check!(
        lab,
        !lab.srv_dir().join("before-crash").exists(),
        "the file was not written on the mounted disk"
    );
    let t0 = Instant::now();
    lab.kill(A);
    let moved = wait_answer(&lab, "bravo", Duration::from_secs(10));
    let took = t0.elapsed();
    println!(
        "measured: SIGKILL to VIP answering from bravo: {} ms (deadtime 500 ms)",
        took.as_millis()
    );
    check!(lab, moved, "the VIP never answered from bravo");
    // deadtime 500 ms, then IPaddr, Filesystem and webnode; room for a
    // loaded machine and the probe's polling.
    check!(lab, took < Duration::from_secs(3), "failover took {took:?}");
    // The filesystem moved with the service: bravo mounted the disk and
    // serves what alpha wrote on it.
    let served = lab.fetch_srv("before-crash", Duration::from_secs(1));
    check!(
        lab,
        served.as_deref() == Some(written.as_str()),
        "bravo served {served:?} instead of the file written on alpha"
    );
    // The daemon served the VIP itself, not through the shell agent.
    check!(
        lab,
        lab.log(B)
            .contains(&format!("added {}/24 to eth0", lab::VIP)),
        "bravo's log shows no in-process VIP add:\n{}",
        lab.log(B)
    );
    check!(
        lab,
        lab.log(B).contains("Taking over resource group"),
        "no takeover log line"
    );
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "VIP on {:?}",
        lab.vip_holders()
    );
    // Bravo's timeline of the takeover: every resource's start, in chain
    // order, the VIP's announcement first, the whole within the run.
    let t = &status_json(&lab, B)["last_transition"];
    let steps: Vec<&str> = t["steps"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["resource"].as_str()).collect())
        .unwrap_or_default();
    check!(
        lab,
        t["kind"] == "takeover" && t["result"] == "ok" && steps.len() >= 3,
        "bravo's last transition: {t}"
    );
    check!(
        lab,
        steps[0].starts_with(lab::VIP) && t["steps"][0]["announced"] == true,
        "the VIP is not the announced first step: {t}"
    );
    let announced = t["announced_ms"].as_f64().unwrap_or(f64::MAX);
    let ended = t["ended_ms"].as_f64().unwrap_or(0.0);
    let in_order = announced <= ended;
    check!(lab, in_order, "announced after the end: {t}");
    println!("measured: bravo's takeover timeline: {t}");
    let heard = lab.wait_for(Duration::from_secs(3), |_| {
        let r = std::fs::read_to_string(&record).unwrap_or_default();
        r.contains("peer-dead bravo alpha")
            && r.contains(&format!("acquired bravo {}/24/eth0", lab::VIP))
    });
    let r = std::fs::read_to_string(&record).unwrap_or_default();
    check!(lab, heard, "notify hook calls: {r:?}");
    check!(
        lab,
        r.find("peer-dead").unwrap() < r.find("acquired").unwrap(),
        "notify order: {r:?}"
    );
    if std::env::var_os("HB_SHOW_LOGS").is_some() {
        dump_logs(&lab);
    }
}

#[test]
fn a_daemon_crash_leaves_a_vip_that_the_restarted_daemon_releases_before_joining() {
    if !root("a_daemon_crash_leaves_a_vip_that_the_restarted_daemon_releases_before_joining") {
        return;
    }
    let mut c = config("stl");
    c.shared_disk = false;
    c.auto_failback = "off".into();
    let mut lab = serving(c);
    // Only the daemon dies: alpha's kernel keeps the VIP and its web service.
    lab.kill_daemon(A);
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "bravo did not take over"
    );
    check!(
        lab,
        lab.vip_holders() == vec![A, B],
        "the stale VIP should still be on alpha"
    );
    lab.start(A).unwrap();
    let released = lab.wait_for(Duration::from_secs(10), |l| l.vip_holders() == vec![B]);
    check!(
        lab,
        released,
        "restarted alpha kept the stale VIP: {:?}",
        lab.vip_holders()
    );
    check!(
        lab,
        lab.log(A).contains("still active from an earlier run"),
        "no log of the release"
    );
    check!(
        lab,
        lab.wait_for(Duration::from_secs(10), |l| nodestatus(l, B, A) == "active"),
        "no rejoin"
    );
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(3)),
        "client lost the VIP"
    );
}

#[test]
fn the_holder_refreshes_its_announcement_as_configured_and_the_releaser_falls_silent() {
    if !root("the_holder_refreshes_its_announcement_as_configured_and_the_releaser_falls_silent") {
        return;
    }
    let mut c = config("grf");
    c.auto_failback = "off".into();
    c.extra_hacf = vec!["garp_refresh 300ms".into(), "garp_mode reply".into()];
    let lab = serving(c);
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    let mac = |i: usize| {
        let out = lab.exec_in(
            &lab.nodes[i].ns,
            &["ip", "-o", "link", "show", "dev", "eth0"],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let words: Vec<&str> = text.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| *w == "link/ether")
            .expect("a MAC");
        words[at + 1].to_string()
    };
    let (mac_a, mac_b) = (mac(A), mac(B));
    // The client sees what a switch sees: replies only, and, once the
    // start's burst (3 at 200 ms) and repeats (4 at 1 s) are over, a
    // refresh every 300 ms from alpha for as long as it holds the VIP.
    std::thread::sleep(Duration::from_millis(4800));
    let cap = Capture::start(
        &lab.client_ns,
        "eth0",
        &format!("arp and host {}", lab::VIP),
    );
    std::thread::sleep(Duration::from_millis(1600));
    let from = |m: &str| {
        cap.lines()
            .iter()
            .filter(|l| l.contains(&format!("{m} >")))
            .count()
    };
    let replies = cap.count(&format!("Reply {} is-at {mac_a}", lab::VIP));
    check!(
        lab,
        replies >= 3,
        "{replies} replies from alpha in 1.6 s: {:#?}",
        cap.lines()
    );
    let requests = cap.announcements(lab::VIP) - cap.count("Reply");
    check!(
        lab,
        requests == 0,
        "gratuitous requests in reply mode: {:#?}",
        cap.lines()
    );
    let out = lab.tool(A, "hb_standby", &[]);
    check!(
        lab,
        out.status.success(),
        "hb_standby failed: {}",
        stdout(&out)
    );
    check!(
        lab,
        wait_settled(&lab, B, "foreign"),
        "bravo's hold never settled"
    );
    std::thread::sleep(Duration::from_millis(300));
    let alpha_then = from(&mac_a);
    let bravo_then = from(&mac_b);
    std::thread::sleep(Duration::from_millis(1200));
    check!(
        lab,
        from(&mac_a) == alpha_then,
        "alpha announced the VIP after releasing it: {:#?}",
        cap.lines()
    );
    check!(
        lab,
        from(&mac_b) > bravo_then,
        "bravo does not announce the VIP it took: {:#?}",
        cap.lines()
    );
}

#[test]
fn standby_and_clean_stop_move_the_vip_without_waiting_for_deadtime() {
    if !root("standby_and_clean_stop_move_the_vip_without_waiting_for_deadtime") {
        return;
    }
    let mut c = config("sby");
    // A long deadtime proves the moves do not wait for it.
    c.deadtime = "5".into();
    c.warntime = "3".into();
    c.initdead = "10".into();
    c.keepalive = "500ms".into();
    c.auto_failback = "off".into();
    let mut lab = serving(c);
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    // Each planned move: run the command on alpha; when it returns 0 the
    // move is complete (the VIP on `to` alone, at once: the tools wait for
    // the outcome, unlike the original's), it said `words`, and the client
    // is served from `to` well within deadtime (5 s).
    let planned_move = |lab: &Lab,
                        what: &str,
                        cmd: &dyn Fn(&Lab) -> std::process::Output,
                        to: usize,
                        words: &[&str]| {
        let t0 = Instant::now();
        let out = cmd(lab);
        let said = stdout(&out);
        check!(lab, out.status.success(), "{what} failed: {said}");
        let holders = lab.vip_holders();
        check!(
            lab,
            holders == vec![to],
            "{what} returned with the VIP on {holders:?}"
        );
        for w in words {
            check!(lab, said.contains(w), "{what} said {said:?}, not {w:?}");
        }
        check!(
            lab,
            wait_answer(lab, NODES[to], Duration::from_secs(2)),
            "{what} did not move the VIP"
        );
        println!(
            "measured: {what} to VIP on {}: {} ms",
            NODES[to],
            t0.elapsed().as_millis()
        );
    };
    planned_move(
        &lab,
        "hb_standby",
        &|l| l.tool(A, "hb_standby", &[]),
        B,
        &["Going standby [all].", "all resources now held by bravo"],
    );
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "VIP on {:?} after standby",
        lab.vip_holders()
    );
    // Bravo holds alpha's only group: the peer's groups are "foreign".
    let rsc = stdout(&lab.tool(B, "cl_status", &["rscstatus"]));
    check!(lab, rsc == "foreign", "bravo's rscstatus {rsc:?}");

    // hb_takeover from alpha brings it back.
    check!(
        lab,
        wait_settled(&lab, B, "foreign"),
        "bravo's hold never settled"
    );
    planned_move(
        &lab,
        "hb_takeover",
        &|l| l.tool(A, "hb_takeover", &[]),
        A,
        &["now held by alpha"],
    );

    // A clean stop hands over at once.
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    planned_move(&lab, "heartbeat stop", &|l| l.ctl(A, &["stop"]), B, &[]);
    check!(
        lab,
        lab.wait_exit(A, Duration::from_secs(5)),
        "alpha's daemon did not exit"
    );
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "VIP on {:?} after stop",
        lab.vip_holders()
    );
    tools_with_the_peer_gone(&lab);
}

/// Alpha is stopped, bravo runs alone: the original's words and exit
/// codes (1 for a dead node or a stopped daemon, 11 for an unknown node,
/// as the original's cl_status answers: tests/cl_status_compat.rs) and a standby nobody could take refused.
fn tools_with_the_peer_gone(lab: &Lab) {
    let answer = |i: usize, tool: &str, args: &[&str]| {
        let out = lab.tool(i, tool, args);
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        (out.status.code(), stdout(&out), err)
    };
    let dead = answer(B, "cl_status", &["nodestatus", NODES[A]]);
    check!(
        lab,
        dead.0 == Some(1) && dead.1 == "dead",
        "nodestatus of a stopped peer: {dead:?}"
    );
    let unknown = answer(B, "cl_status", &["nodestatus", "charlie"]);
    check!(
        lab,
        unknown.0 == Some(11) && unknown.2 == "Error. May be due to incorrect node name",
        "nodestatus of an unknown node: {unknown:?}"
    );
    let stopped = answer(A, "cl_status", &["hbstatus"]);
    check!(
        lab,
        stopped.0 == Some(1) && stopped.1 == "Heartbeat is stopped on this machine.",
        "hbstatus with the daemon stopped: {stopped:?}"
    );
    let refused = answer(B, "hb_standby", &[]);
    check!(
        lab,
        refused.0 == Some(1) && refused.1.contains("refused: alpha is not up"),
        "standby with nobody to take it: {refused:?}"
    );
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "the refused standby moved the VIP"
    );
}

/// Kill alpha, let bravo take over, restart alpha and count who serves
/// the client: until 4 s after bravo sees alpha rejoin (so "nothing moved"
/// is judged with alpha back, not while it is still starting), at least 6 s.
fn failback_story(tag: &str, auto_failback: &str, delay: Option<&str>) -> (Lab, usize) {
    let mut c = config(tag);
    c.auto_failback = auto_failback.into();
    if let Some(d) = delay {
        c.extra_hacf.push(format!("failback_delay {d}"));
    }
    let mut lab = serving(c);
    lab.kill(A);
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "no failover"
    );
    lab.start(A).unwrap();
    let mut switches = 0;
    let mut last = "bravo".to_string();
    let t0 = Instant::now();
    let mut rejoined: Option<Instant> = None;
    let watched = |r: Option<Instant>| {
        t0.elapsed() >= Duration::from_secs(6)
            && r.is_some_and(|r| r.elapsed() >= Duration::from_secs(4))
    };
    while !watched(rejoined) && t0.elapsed() < Duration::from_secs(20) {
        if let Some(who) = lab.probe(Duration::from_millis(100))
            && who != last
        {
            switches += 1;
            last = who;
        }
        if rejoined.is_none() && nodestatus(&lab, B, A) == "active" {
            rejoined = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check!(lab, rejoined.is_some(), "restarted alpha never rejoined");
    (lab, switches)
}

#[test]
fn auto_failback_on_gives_the_group_back_exactly_once() {
    if !root("auto_failback_on_gives_the_group_back_exactly_once") {
        return;
    }
    let (lab, switches) = failback_story("fbo", "on", None);
    check!(
        lab,
        switches == 1,
        "expected one switchover back, saw {switches}"
    );
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "VIP on {:?}",
        lab.vip_holders()
    );
}

#[test]
fn auto_failback_off_keeps_the_group_where_it_is() {
    if !root("auto_failback_off_keeps_the_group_where_it_is") {
        return;
    }
    let (lab, switches) = failback_story("fbf", "off", None);
    check!(lab, switches == 0, "expected no switchover, saw {switches}");
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "VIP on {:?}",
        lab.vip_holders()
    );
}

#[test]
fn failback_delay_waits_for_a_stable_peer() {
    if !root("failback_delay_waits_for_a_stable_peer") {
        return;
    }
    let mut c = config("fbd");
    c.extra_hacf.push("failback_delay 3".into());
    let mut lab = serving(c);
    lab.kill(A);
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "no failover"
    );
    lab.start(A).unwrap();
    check!(
        lab,
        lab.wait_for(Duration::from_secs(10), |l| nodestatus(l, B, A) == "active"),
        "no rejoin"
    );
    let rejoined = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "failed back before the delay"
    );
    check!(
        lab,
        wait_answer(&lab, "alpha", Duration::from_secs(10)),
        "never failed back"
    );
    println!(
        "measured: failback {} ms after rejoin (delay 3 s)",
        rejoined.elapsed().as_millis()
    );
}

/// An agent that refuses to start on bravo, to test rollback on the taking node.
const FAILS_ON_BRAVO: &str = "#!/bin/sh\nst=\"${HA_RSCTMP:-/tmp}/failsonbravo\"\ncase \"$1\" in\n\
start) [ \"${HA_CURHOST:-}\" = bravo ] && { echo refusing on bravo >&2; exit 1; }; touch \"$st\" ;;\n\
stop) rm -f \"$st\" ;;\nstatus) if [ -f \"$st\" ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n";

#[test]
fn a_start_failure_on_the_taking_node_rolls_back_and_the_group_returns() {
    if !root("a_start_failure_on_the_taking_node_rolls_back_and_the_group_returns") {
        return;
    }
    let mut c = config("sfl");
    c.shared_disk = false;
    c.auto_failback = "off".into();
    c.resources = Some(format!("{}/24/eth0 webnode failsonbravo", lab::VIP));
    c.extra_agents
        .push(("failsonbravo".into(), FAILS_ON_BRAVO.into()));
    let lab = serving(c);
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    let out = lab.tool(A, "hb_standby", &[]);
    let said = stdout(&out);
    println!("hb_standby: {said}");
    // Bravo fails the third resource, rolls back the first two, gives it
    // back; hb_standby waits for that and says so, failing.
    check!(
        lab,
        out.status.code() == Some(1)
            && said.starts_with("Going standby [all].")
            && said.contains("bravo could not take"),
        "hb_standby exit {:?}: {said}",
        out.status.code()
    );
    check!(
        lab,
        lab.log(B).contains("refusing on bravo") && lab.vip_holders() == vec![A],
        "the group is not back on alpha alone when hb_standby returned: VIP on {:?}",
        lab.vip_holders()
    );
    // Bravo undid its attempt resource by resource, right to left: the
    // refusing agent, the web service, the VIP; and none of them runs.
    let log_b = lab.log(B);
    let vip_stop = format!("Running {}/24/eth0 stop", lab::VIP);
    let order: Vec<Option<usize>> = [
        "Running failsonbravo stop",
        "Running webnode stop",
        &vip_stop,
    ]
    .iter()
    .map(|w| log_b.find(w))
    .collect();
    check!(
        lab,
        order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]),
        "bravo's rollback order {order:?}"
    );
    let listening = lab.exec_in(&lab.nodes[B].ns, &["ss", "-Hltn", "sport", "=", ":80"]);
    check!(
        lab,
        String::from_utf8_lossy(&listening.stdout).trim().is_empty(),
        "bravo's web service still listens: {}",
        String::from_utf8_lossy(&listening.stdout)
    );
    check!(
        lab,
        wait_answer(&lab, "alpha", Duration::from_secs(5)),
        "alpha does not serve again"
    );
    std::thread::sleep(Duration::from_millis(500));
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "VIP left on bravo: {:?}",
        lab.vip_holders()
    );
}

#[test]
fn partition_heal_keeps_one_holder_and_it_reannounces() {
    if !root("partition_heal_keeps_one_holder_and_it_reannounces") {
        return;
    }
    // No shared disk: both nodes hold the group during a partition, which
    // a shared disk without fencing cannot allow (see the frozen-node test).
    let mut c = config("prt");
    c.shared_disk = false;
    let lab = serving(c);
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    // Let IPaddr's background announcements of alpha's start (a few
    // seconds' worth) end, so only a real re-announce can win the client back.
    std::thread::sleep(Duration::from_secs(5));
    // Cut the crossover cable only: both nodes stay on the LAN.
    lab.set_link(A, "eth1", false).unwrap();
    let both = lab.wait_for(Duration::from_secs(10), |l| {
        l.vip_holders().len() == 2 && l.log(B).contains("is running here")
    });
    check!(lab, both, "bravo did not take over during the partition");
    // The client follows bravo's announcement.
    let mac_b = lab.lan_mac(B);
    let followed_b = lab.wait_for(Duration::from_secs(3), |l| {
        l.client_vip_mac().as_deref() == Some(mac_b.as_str())
    });
    check!(
        lab,
        followed_b,
        "client's VIP entry {:?} did not follow bravo",
        lab.client_vip_mac()
    );
    let keeper_log_before = lab.log(A).len();
    lab.set_link(A, "eth1", true).unwrap();
    // auto_failback on: the preferred node keeps it, the other releases:
    // one move, and nothing restarts. A client probes all through the
    // heal: the longest run without an answer is the dark period.
    let (mut dark, mut since_answer, t0) = (Duration::ZERO, Instant::now(), Instant::now());
    while t0.elapsed() < Duration::from_secs(4) {
        if lab.probe(Duration::from_millis(100)).is_some() {
            since_answer = Instant::now();
        }
        dark = dark.max(since_answer.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "measured: longest dark period through the heal: {} ms",
        dark.as_millis()
    );
    let healed = lab.wait_for(Duration::from_secs(10), |l| l.vip_holders() == vec![A]);
    check!(
        lab,
        healed,
        "VIP on {:?} after the partition healed",
        lab.vip_holders()
    );
    // Alpha re-announces once bravo's release is complete (a moment after
    // the VIP left bravo).
    let reannounced = lab.wait_for(Duration::from_secs(3), |l| {
        l.log(A).contains("Re-announcing")
    });
    check!(lab, reannounced, "alpha did not re-announce the VIP");
    // The re-announce brings the client's neighbour entry back to alpha.
    let mac_a = lab.lan_mac(A);
    let followed_a = lab.wait_for(Duration::from_secs(2), |l| {
        l.client_vip_mac().as_deref() == Some(mac_a.as_str())
    });
    check!(
        lab,
        followed_a,
        "client's VIP entry {:?}, alpha is {mac_a}",
        lab.client_vip_mac()
    );
    check!(
        lab,
        wait_answer(&lab, "alpha", Duration::from_secs(3)),
        "client does not reach alpha"
    );
    check!(
        lab,
        !lab.log(A).contains("Heartbeat restart") && !lab.log(B).contains("Heartbeat restart"),
        "a daemon restarted on heal"
    );
    // The keeper stopped and started nothing while it healed: it only
    // re-announced, and the client was never dark for long (one lost
    // probe round and the release-to-announce hand-off, not a restart).
    let keeper = lab.log(A)[keeper_log_before..].to_string();
    let restarted = keeper.lines().any(|l| {
        // A re-announce logs "Re-announcing resource group", never "Running … start".
        l.contains(" stop ") || (l.contains("Running ") && l.contains(" start "))
    });
    check!(
        lab,
        !restarted,
        "the keeper restarted resources on heal:\n{keeper}"
    );
    check!(
        lab,
        dark < Duration::from_millis(1500),
        "the client was dark {dark:?} during the heal"
    );
}

#[test]
fn a_frozen_node_resuming_gives_up_the_vip_and_the_survivor_reannounces() {
    if !root("a_frozen_node_resuming_gives_up_the_vip_and_the_survivor_reannounces") {
        return;
    }
    // No shared disk: a frozen node keeps its mount, and taking a shared
    // disk from a node that may resume needs fencing (DRBD refuses it).
    let mut c = config("frz");
    c.shared_disk = false;
    // Off, so what is tested is the conflict rule, not a failback after it.
    c.auto_failback = "off".into();
    let mut lab = serving(c);
    lab.signal(A, Signal::SIGSTOP);
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "no takeover from the frozen node"
    );
    let deaths_before = status_json(&lab, B)["counters"]["peer_deaths"].as_u64();
    lab.signal(A, Signal::SIGCONT);
    // Alpha knows it was frozen and reads bravo's queued packets before
    // judging it: bravo is alive, so alpha never declares it dead (a
    // false death would reach the same end state through a wrong path).
    let noticed = lab.wait_for(Duration::from_secs(5), |l| {
        l.log(A).contains("This node was stalled")
    });
    check!(lab, noticed, "alpha did not log that it was stalled");
    let one = lab.wait_for(Duration::from_secs(10), |l| l.vip_holders() == vec![B]);
    check!(
        lab,
        one,
        "VIP on {:?} after alpha resumed",
        lab.vip_holders()
    );
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(3)),
        "client lost the VIP"
    );
    let reannounced = lab.wait_for(Duration::from_secs(3), |l| {
        l.log(B).contains("Re-announcing")
    });
    check!(lab, reannounced, "bravo did not re-announce the VIP");
    check!(
        lab,
        !lab.log(A).contains("node bravo: is dead"),
        "the frozen node declared its live peer dead"
    );
    let a = status_json(&lab, A);
    check!(
        lab,
        a["counters"]["peer_deaths"].as_u64() == Some(0)
            && a["counters"]["local_stalls"].as_u64() >= Some(1),
        "alpha's counters: {}",
        a["counters"]
    );
    // Bravo's one death of alpha (the freeze) and no second one.
    let deaths_after = status_json(&lab, B)["counters"]["peer_deaths"].as_u64();
    check!(
        lab,
        deaths_after == deaths_before,
        "bravo saw alpha die again: {deaths_before:?} -> {deaths_after:?}"
    );
}

#[test]
fn cutting_udp_while_the_serial_line_stays_up_moves_nothing() {
    if !root("cutting_udp_while_the_serial_line_stays_up_moves_nothing") {
        return;
    }
    let mut c = config("udp");
    c.serial = true;
    let lab = serving(c);
    lab.set_link(A, "eth1", false).unwrap();
    std::thread::sleep(Duration::from_secs(3));
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "VIP moved: {:?}",
        lab.vip_holders()
    );
    check!(
        lab,
        !lab.log(B).contains("Taking over"),
        "bravo took over while serial was up"
    );
}

#[test]
fn a_monitored_service_is_restarted_locally_then_moved() {
    if !root("a_monitored_service_is_restarted_locally_then_moved") {
        return;
    }
    let mut c = config("mon");
    c.shared_disk = false;
    c.resources = Some(format!("{}/24/eth0 webnode", lab::VIP));
    c.extra_hacf
        .push(format!("monitor {}/24/eth0 300ms 2 60", lab::VIP));
    let lab = serving(c);
    // Kill the web server behind the agent's back (never pid 0: that would
    // be our own process group).
    let kill_web = |lab: &Lab| -> Option<i32> {
        let pidfile = lab.nodes[A].run_dir().join("rsctmp/webnode.pid");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .ok()?
            .trim()
            .parse()
            .ok()?;
        (pid > 1).then(|| {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
            pid
        })
    };
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    for round in 0..2 {
        // Kill only a settled service: killing it while its restart is
        // still finishing fails that start, and the group then (rightly)
        // moves to bravo.
        check!(
            lab,
            wait_settled(&lab, A, "local"),
            "round {round}: alpha never settled"
        );
        let killed = kill_web(&lab);
        check!(
            lab,
            killed.is_some(),
            "round {round}: no web server pid to kill"
        );
        std::thread::sleep(Duration::from_millis(200));
        let back = wait_answer(&lab, "alpha", Duration::from_secs(5));
        check!(
            lab,
            back,
            "round {round}: the service was not restarted on alpha"
        );
    }
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha never settled before the last kill"
    );
    kill_web(&lab);
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "the group never moved after 3 failures"
    );
}

#[test]
fn losing_the_ping_node_on_the_active_side_only_hands_over() {
    if !root("losing_the_ping_node_on_the_active_side_only_hands_over") {
        return;
    }
    let mut c = config("png");
    c.shared_disk = false;
    c.auto_failback = "off".into();
    // The client stands for the router every node must reach.
    c.extra_hacf.push(format!("ping {}.10", lab::LAN_PREFIX));
    c.extra_hacf.push("deadping 400ms".into());
    let lab = serving(c);
    let reach = |l: &Lab, i| status_json(l, i)["ping_reachable"].as_u64();
    check!(
        lab,
        lab.wait_for(Duration::from_secs(5), |l| reach(l, A) == Some(1)
            && reach(l, B) == Some(1)),
        "the ping node was not reached from both nodes"
    );
    std::thread::sleep(Duration::from_secs(1));
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "equal reach moved the group: {:?}",
        lab.vip_holders()
    );
    // Alpha loses its LAN: it no longer reaches the ping node, bravo does.
    lab.set_link(A, "eth0", false).unwrap();
    check!(
        lab,
        wait_answer(&lab, "bravo", Duration::from_secs(10)),
        "no handover after alpha lost its ping node"
    );
    check!(
        lab,
        lab.vip_holders() == vec![B],
        "VIP on {:?}",
        lab.vip_holders()
    );
}

/// An agent whose stop always fails while its status keeps saying running.
const STUCK: &str = "#!/bin/sh\nst=\"${HA_RSCTMP:-/tmp}/stuck\"\ncase \"$1\" in\n\
start) touch \"$st\" ;;\nstop) echo cannot stop >&2; exit 1 ;;\n\
status) if [ -f \"$st\" ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n";

#[test]
fn a_group_that_cannot_be_stopped_is_never_started_on_the_peer() {
    if !root("a_group_that_cannot_be_stopped_is_never_started_on_the_peer") {
        return;
    }
    let mut c = config("stk");
    c.shared_disk = false;
    c.resources = Some(format!("{}/24/eth0 webnode stuck", lab::VIP));
    c.extra_agents.push(("stuck".into(), STUCK.into()));
    let lab = serving(c);
    // A planned stop: everything else stops, `stuck` cannot; alpha must stay
    // up holding the group, and bravo must not take it.
    check!(
        lab,
        wait_settled(&lab, A, "local"),
        "alpha's group never settled"
    );
    let out = lab.ctl(A, &["stop"]);
    let said = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    check!(
        lab,
        out.status.code() == Some(1),
        "stop exit {:?}: {said}",
        out.status.code()
    );
    check!(
        lab,
        said.contains("STOP failure"),
        "stop did not explain: {said}"
    );
    std::thread::sleep(Duration::from_secs(1));
    check!(
        lab,
        lab.nodes[A].daemon.is_some() && lab.daemon_pid(A).is_some(),
        "alpha's daemon is gone"
    );
    check!(
        lab,
        nodestatus(&lab, B, A) == "active",
        "bravo thinks alpha left"
    );
    check!(
        lab,
        !lab.log(B).contains("Acquiring resource group"),
        "bravo started the stuck group"
    );
    check!(
        lab,
        lab.vip_holders().iter().all(|&i| i == A),
        "VIP on bravo: {:?}",
        lab.vip_holders()
    );
    check!(
        lab,
        lab.log(A).contains("STOP failure"),
        "no CRIT in alpha's log"
    );
}

#[test]
fn respawn_programs_are_started_and_restarted_when_they_die() {
    if !root("respawn_programs_are_started_and_restarted_when_they_die") {
        return;
    }
    let mut c = dummy_config("rsp");
    let dir = std::env::temp_dir().join(format!("hb-respawn-{}", c.prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("flaky");
    let record = dir.join("runs");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho run >> {}\nexit 1\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    c.extra_hacf
        .push(format!("respawn root {}", script.display()));
    let mut lab = Lab::create(c).expect("lab");
    lab.start(A).unwrap();
    let restarted = lab.wait_for(Duration::from_secs(6), |_| {
        std::fs::read_to_string(&record)
            .unwrap_or_default()
            .lines()
            .count()
            >= 2
    });
    let _ = std::fs::remove_dir_all(&dir);
    check!(lab, restarted, "the respawned program was not restarted");
}

#[test]
fn differing_configurations_are_reported_loudly() {
    if !root("differing_configurations_are_reported_loudly") {
        return;
    }
    let mut lab = Lab::create(dummy_config("dif")).expect("lab");
    // bravo's haresources names a second group alpha does not have.
    let hr = lab.nodes[B].config_dir().join("haresources");
    let mut text = std::fs::read_to_string(&hr).unwrap();
    text.push_str("bravo Dummy::extra\n");
    std::fs::write(&hr, text).unwrap();
    start_both(&mut lab);
    let said = lab.wait_for(Duration::from_secs(5), |l| {
        l.log(A).contains("Configuration differs") && l.log(B).contains("Configuration differs")
    });
    check!(
        lab,
        said,
        "the config mismatch was not reported on both nodes"
    );
}

#[test]
fn ucast_media_carry_membership_and_a_self_addressed_line_is_ignored() {
    if !root("ucast_media_carry_membership_and_a_self_addressed_line_is_ignored") {
        return;
    }
    let mut c = dummy_config("uca");
    // One ha.cf for both nodes, as the original allows: each node's line to
    // itself is ignored.
    c.bcast = false;
    c.extra_hacf
        .push(format!("ucast eth1 {}.1", lab::XOVER_PREFIX));
    c.extra_hacf
        .push(format!("ucast eth1 {}.2", lab::XOVER_PREFIX));
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    let took = time_bravos_death(&mut lab, "ucast");
    check!(lab, took.is_some(), "death over ucast not detected");
}

#[test]
fn a_late_heartbeat_is_logged_without_a_death() {
    if !root("a_late_heartbeat_is_logged_without_a_death") {
        return;
    }
    let mut c = dummy_config("lat");
    c.warntime = "400ms".into();
    c.deadtime = "2".into();
    c.initdead = "4".into();
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    // Freeze bravo past warntime (400 ms) and far short of deadtime (2 s),
    // so a late wake-up on a loaded machine cannot turn it into a death.
    lab.signal(B, Signal::SIGSTOP);
    std::thread::sleep(Duration::from_millis(700));
    lab.signal(B, Signal::SIGCONT);
    let late = lab.wait_for(Duration::from_secs(3), |l| {
        l.log(A).contains("Late heartbeat: Node bravo")
    });
    check!(lab, late, "no late-heartbeat warning");
    check!(
        lab,
        !lab.log(A).contains("is dead"),
        "a late heartbeat was taken for a death"
    );
    check!(
        lab,
        nodestatus(&lab, A, B) == "active",
        "bravo not active after the pause"
    );
}

#[test]
fn a_leftover_that_cannot_be_stopped_keeps_the_node_out_of_the_cluster() {
    if !root("a_leftover_that_cannot_be_stopped_keeps_the_node_out_of_the_cluster") {
        return;
    }
    let mut c = dummy_config("lft");
    c.resources = Some("stuck".into());
    c.extra_agents.push(("stuck".into(), STUCK.into()));
    let mut lab = Lab::create(c).expect("lab");
    // An earlier run left `stuck` running, and it refuses to stop.
    let rsctmp = lab.nodes[A].run_dir().join("rsctmp");
    std::fs::create_dir_all(&rsctmp).unwrap();
    std::fs::write(rsctmp.join("stuck"), "").unwrap();
    lab.start(A).unwrap();
    let exited = lab.wait_exit(A, Duration::from_secs(15));
    check!(lab, exited, "alpha joined with a leftover it cannot stop");
    let out = std::fs::read_to_string(lab.nodes[A].dir.join("daemon.out")).unwrap_or_default();
    check!(
        lab,
        out.contains("not joining the cluster"),
        "no explanation: {out}"
    );
}
