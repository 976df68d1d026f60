//! Health checks (heartbeat.toml's `[[check]]`) and state-change mail with
//! the real daemon in two network namespaces: a service answering 500 is
//! restarted, then its group moves; one slow answer moves nothing; a
//! hanging script is killed at its timeout while the daemon answers; a TCP
//! check of a closed port fails; a takeover is mailed event by event.
//! Root only (one skip line otherwise).

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{self as lab, Lab};
use lab_cluster::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// The VIP and the lab's web service, no disk.
fn web_config(tag: &str) -> hb_lab::LabConfig {
    let mut c = config(tag);
    c.resources = Some(format!("{}/24/eth0 webnode", lab::VIP));
    c.shared_disk = false;
    c
}

fn web_group() -> String {
    format!("{}/24/eth0", lab::VIP)
}

fn write_toml(lab: &Lab, i: usize, text: &str) {
    std::fs::write(lab.nodes[i].config_dir().join("heartbeat.toml"), text).unwrap();
}

/// Both nodes up, alpha running the group.
fn settle(lab: &mut Lab) {
    start_both(lab);
    let running = lab.wait_for(Duration::from_secs(15), |l| {
        status_json(l, A)["groups"][0]["local_state"] == "running"
    });
    check!(lab, running, "alpha never ran the group");
}

fn check_status(lab: &Lab, i: usize, n: usize) -> serde_json::Value {
    status_json(lab, i)["checks"][n].clone()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn an_http_check_answering_500_restarts_the_service_then_moves_the_group() {
    let name = "an_http_check_answering_500_restarts_the_service_then_moves_the_group";
    if !root(name) {
        return;
    }
    let mut lab = Lab::create(web_config("h500")).expect("lab");
    let toml = format!(
        "[group.\"{g}\"]\nmax_restarts = 2\nwindow = \"10m\"\n\n\
         [[check]]\nname = \"web\"\ngroup = \"{g}\"\nkind = \"http_get\"\n\
         url = \"http://{vip}/\"\nstatus = 200\ninterval = \"300ms\"\ntimeout = \"500ms\"\n\
         rise = 1\nfall = 2\n",
        g = web_group(),
        vip = lab::VIP
    );
    for i in [A, B] {
        write_toml(&lab, i, &toml);
    }
    settle(&mut lab);
    let healthy = lab.wait_for(Duration::from_secs(5), |l| {
        let c = check_status(l, A, 0);
        c["health"] == "healthy" && c["last_ok"] == true
    });
    check!(lab, healthy, "alpha's check: {}", check_status(&lab, A, 0));
    assert_eq!(
        check_status(&lab, B, 0)["health"],
        "idle",
        "bravo does not check what it does not run"
    );

    lab.set_web_mode(A, Some("500")).unwrap();
    let moved = lab.wait_for(Duration::from_secs(30), |l| {
        status_json(l, B)["groups"][0]["local_state"] == "running"
    });
    check!(lab, moved, "the group never moved to bravo");
    let log = lab.log(A);
    check!(
        lab,
        log.contains("Check web of resource group")
            && log.contains("failed: status 500, expected 200"),
        "no check failure line on alpha"
    );
    // Failing once, and still failing after each restart (a restart does
    // not make a failing check healthy: only `rise` successes do).
    let failed = count(&log, "failed: status 500, expected 200");
    let still = count(&log, "still fails: status 500, expected 200");
    check!(
        lab,
        failed == 1 && still == 2,
        "{failed} failed, {still} still failing"
    );
    // Two local restarts, as the policy allows, then the move.
    let restarts = count(&log, "failed its monitor; restarting it here");
    check!(lab, restarts == 2, "{restarts} restarts on alpha");
    check!(
        lab,
        log.contains("monitor failed and local restarts are exhausted"),
        "alpha never gave up the group"
    );
    // Bravo's service answers 200: its check is healthy and it stays.
    let healthy = lab.wait_for(Duration::from_secs(5), |l| {
        let c = check_status(l, B, 0);
        c["health"] == "healthy" && c["last_ok"] == true
    });
    check!(lab, healthy, "bravo's check: {}", check_status(&lab, B, 0));
    let a = check_status(&lab, A, 0);
    check!(lab, a["health"] == "idle", "alpha still checks: {a}");
    let text = stdout(&lab.ctl(B, &["status"]));
    check!(
        lab,
        text.contains("check web (http_get http://") && text.contains(": healthy,"),
        "status text: {text}"
    );
}

#[test]
fn a_single_slow_answer_moves_nothing() {
    if !root("a_single_slow_answer_moves_nothing") {
        return;
    }
    let mut lab = Lab::create(web_config("hslo")).expect("lab");
    let toml = format!(
        "[[check]]\nname = \"web\"\ngroup = \"{g}\"\nkind = \"http_get\"\n\
         url = \"http://{vip}/\"\ninterval = \"300ms\"\ntimeout = \"400ms\"\nrise = 1\nfall = 3\n",
        g = web_group(),
        vip = lab::VIP
    );
    write_toml(&lab, A, &toml);
    settle(&mut lab);
    let healthy = lab.wait_for(Duration::from_secs(5), |l| {
        check_status(l, A, 0)["last_ok"] == true
    });
    check!(lab, healthy, "alpha's check: {}", check_status(&lab, A, 0));
    lab.set_web_mode(A, Some("slow-once 1500")).unwrap();
    let mode = lab.nodes[A].run_dir().join("rsctmp/webnode.mode");
    // The server consumed the mode: the slow answer is under way.
    let taken = lab.wait_for(Duration::from_secs(5), |_| !mode.exists());
    check!(lab, taken, "the web server never answered slowly");
    // The check saw the timeout, then answers again; nothing moved.
    let saw_failure = lab.wait_for(Duration::from_secs(5), |l| {
        check_status(l, A, 0)["last_result"]
            .as_str()
            .is_some_and(|r| r.starts_with("no answer within"))
    });
    check!(lab, saw_failure, "the slow answer was never a failed check");
    let recovered = lab.wait_for(Duration::from_secs(5), |l| {
        check_status(l, A, 0)["last_ok"] == true
    });
    check!(lab, recovered, "the check never answered again");
    std::thread::sleep(Duration::from_secs(1));
    let log = lab.log(A);
    check!(
        lab,
        !log.contains("failed its monitor"),
        "a slow answer restarted the group"
    );
    let s = status_json(&lab, A);
    check!(
        lab,
        s["groups"][0]["local_state"] == "running" && s["checks"][0]["health"] == "healthy",
        "alpha: {s}"
    );
}

#[test]
fn a_hanging_check_script_is_killed_at_its_timeout_and_the_daemon_answers() {
    let name = "a_hanging_check_script_is_killed_at_its_timeout_and_the_daemon_answers";
    let Some(lab) = dummy_pair_with(name, |lab| {
        let pids = lab.dir.join("check-pids");
        let script = lab.dir.join("hang.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nsleep 1000 &\necho $! >> {}\nwait\n",
                pids.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        format!(
            "[[check]]\nname = \"hang\"\ngroup = \"Dummy::g1\"\nkind = \"misc_check\"\n\
             script = \"{}\"\ninterval = \"200ms\"\ntimeout = \"300ms\"\nfall = 1000\n",
            script.display()
        )
    }) else {
        return;
    };
    let killed = lab.wait_for(Duration::from_secs(10), |l| {
        check_status(l, A, 0)["last_result"] == "killed after 300 ms"
    });
    check!(lab, killed, "check: {}", check_status(&lab, A, 0));
    // The daemon answers at once while checks hang, again and again.
    for _ in 0..5 {
        let t0 = Instant::now();
        let s = status_json(&lab, A);
        let took = t0.elapsed();
        check!(
            lab,
            s["node"] == "alpha" && took < Duration::from_secs(2),
            "status took {took:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // Every sleep a finished run started is gone (the last may still run).
    let read_pids = || {
        let text = std::fs::read_to_string(lab.dir.join("check-pids")).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect::<Vec<i32>>()
    };
    let runs = lab.wait_for(Duration::from_secs(15), |_| read_pids().len() >= 3);
    let pids = read_pids();
    check!(lab, runs, "only {} check runs", pids.len());
    let alive: Vec<i32> = pids[..pids.len() - 1]
        .iter()
        .copied()
        .filter(|p| Path::new(&format!("/proc/{p}")).exists())
        .collect();
    check!(
        lab,
        alive.is_empty(),
        "check processes left running: {alive:?}"
    );
}

#[test]
fn a_tcp_check_of_a_closed_port_fails() {
    let name = "a_tcp_check_of_a_closed_port_fails";
    let Some(lab) = dummy_pair_with(name, |_| {
        "[group.\"Dummy::g1\"]\nmax_restarts = 1000\n\n\
         [[check]]\nname = \"port\"\ngroup = \"Dummy::g1\"\nkind = \"tcp_check\"\n\
         address = \"127.0.0.1:9\"\ninterval = \"300ms\"\ntimeout = \"1s\"\nfall = 2\n"
            .to_string()
    }) else {
        return;
    };
    let failing = lab.wait_for(Duration::from_secs(10), |l| {
        let c = check_status(l, A, 0);
        c["health"] == "failing" && c["last_ok"] == false
    });
    let c = check_status(&lab, A, 0);
    check!(lab, failing, "check: {c}");
    check!(
        lab,
        c["last_result"]
            .as_str()
            .is_some_and(|r| r.contains("refused")),
        "check: {c}"
    );
    let log = lab.log(A);
    check!(
        lab,
        log.contains("Check port of resource group Dummy::g1 failed: connect:"),
        "no failure line"
    );
}

/// A [`dummy_config`] pair, alpha holding `g1`, with alpha's heartbeat.toml
/// as `toml` makes it (given the lab, before the daemons start).
fn dummy_pair_with(name: &str, toml: impl FnOnce(&Lab) -> String) -> Option<Lab> {
    if !root(name) {
        return None;
    }
    let mut lab = Lab::create(dummy_config(name)).expect("lab");
    let text = toml(&lab);
    write_toml(&lab, A, &text);
    settle(&mut lab);
    Some(lab)
}

/// A fake sendmail appending each mail, with its arguments, to `out`.
fn fake_sendmail(dir: &Path, out: &Path) -> std::path::PathBuf {
    let path = dir.join("sendmail");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{{ echo \"=== sendmail $*\"; cat; }} >> {}\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// The X-Heartbeat-Event of each recorded mail, in order.
fn mailed_events(record: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(record).unwrap_or_default();
    text.split("=== sendmail ")
        .skip(1)
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("X-Heartbeat-Event: "))
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn a_takeover_is_mailed_one_event_at_a_time_in_order() {
    if !root("a_takeover_is_mailed_one_event_at_a_time_in_order") {
        return;
    }
    let mut lab = Lab::create(dummy_config("hmail")).expect("lab");
    let record = lab.nodes[B].dir.join("mails");
    let sendmail = fake_sendmail(&lab.nodes[B].dir, &record);
    write_toml(
        &lab,
        B,
        &format!(
            "[mail]\nto = [\"root\", \"ops@example.org\"]\nfrom = \"heartbeat@bravo\"\nsendmail = \"{}\"\n",
            sendmail.display()
        ),
    );
    // Alpha's mail cannot be sent: that is logged, and changes nothing.
    write_toml(
        &lab,
        A,
        "[mail]\nto = \"root\"\nsendmail = \"/bin/false\"\n",
    );
    settle(&mut lab);
    let up = lab.wait_for(Duration::from_secs(5), |_| {
        mailed_events(&record).contains(&"peer-up".to_string())
    });
    check!(lab, up, "bravo mailed {:?}", mailed_events(&record));
    lab.kill(A);
    let events = |_: &Lab| mailed_events(&record);
    let taken = lab.wait_for(Duration::from_secs(10), |l| {
        events(l).contains(&"acquired".to_string())
    });
    check!(lab, taken, "bravo mailed {:?}", events(&lab));
    let ev = events(&lab);
    let after_up: Vec<&str> = ev
        .iter()
        .map(String::as_str)
        .skip_while(|e| *e != "peer-up")
        .skip(1)
        .collect();
    let core: Vec<&str> = after_up
        .iter()
        .copied()
        .filter(|e| ["peer-dead", "acquired"].contains(e))
        .collect();
    check!(
        lab,
        core == ["peer-dead", "acquired"],
        "bravo mailed {ev:?}"
    );
    check!(
        lab,
        ev.contains(&"link-dead".to_string()),
        "no link-dead mail: {ev:?}"
    );
    let text = std::fs::read_to_string(&record).unwrap();
    check!(
        lab,
        text.contains("=== sendmail -t -oi\n")
            && text.contains("To: root, ops@example.org\n")
            && text.contains("Subject: heartbeat bravo: peer alpha is dead\n")
            && text.contains("Subject: heartbeat bravo: took over Dummy::g1\n"),
        "mails:\n{text}"
    );
    check!(
        lab,
        lab.log(A).contains("mail about peer-up to root not sent"),
        "alpha's failure was not logged"
    );
}

#[test]
fn a_reload_adds_a_check_to_a_running_group() {
    let name = "a_reload_adds_a_check_to_a_running_group";
    let Some(mut lab) = dummy_pair_with(name, |_| {
        "[mail]\nto = \"root\"\nsendmail = \"/bin/true\"\n".into()
    }) else {
        return;
    };
    assert!(
        status_json(&lab, A)["checks"]
            .as_array()
            .is_some_and(|c| c.is_empty())
    );
    write_toml(
        &lab,
        A,
        "[[check]]\nname = \"port\"\ngroup = \"Dummy::g1\"\nkind = \"tcp_check\"\n\
         address = \"127.0.0.1:9\"\ninterval = \"200ms\"\nfall = 1000\n",
    );
    lab.signal(A, nix::sys::signal::Signal::SIGHUP);
    let checked = lab.wait_for(Duration::from_secs(10), |l| {
        let c = check_status(l, A, 0);
        c["name"] == "port" && c["last_ok"] == false
    });
    check!(
        lab,
        checked,
        "after the reload: {}",
        status_json(&lab, A)["checks"]
    );
    check!(
        lab,
        lab.log(A).contains("Reload: 1 health checks: applied"),
        "no reload line"
    );
}

#[test]
fn a_standby_that_loses_its_peer_and_starts_nothing_says_so() {
    if !root("a_standby_that_loses_its_peer_and_starts_nothing_says_so") {
        return;
    }
    let mut lab = Lab::create(dummy_config("hlone")).expect("lab");
    let record = lab.nodes[B].dir.join("mails");
    let sendmail = fake_sendmail(&lab.nodes[B].dir, &record);
    let mail = format!(
        "[mail]\nto = \"root\"\nsendmail = \"{}\"\n",
        sendmail.display()
    );
    write_toml(&lab, B, &mail);
    settle(&mut lab);
    // In maintenance nobody takes over: bravo runs nothing once alpha dies.
    let on = lab.ctl(A, &["maintenance", "on"]);
    check!(lab, on.status.success(), "maintenance on: {}", stdout(&on));
    lab.kill(A);
    let told = lab.wait_for(Duration::from_secs(10), |_| {
        mailed_events(&record).contains(&"peer-dead-nothing-runs".to_string())
    });
    let ev = mailed_events(&record);
    check!(lab, told, "bravo mailed {ev:?}");
    let dead = ev.iter().position(|e| e == "peer-dead");
    let alone = ev.iter().position(|e| e == "peer-dead-nothing-runs");
    check!(lab, dead.is_some() && dead < alone, "bravo mailed {ev:?}");
    let text = std::fs::read_to_string(&record).unwrap();
    check!(
        lab,
        text.contains("Subject: heartbeat bravo: peer alpha is dead and bravo takes nothing\n"),
        "mails:\n{text}"
    );
}

#[test]
fn a_hanging_sendmail_is_killed_at_its_timeout_and_the_daemon_answers() {
    let name = "a_hanging_sendmail_is_killed_at_its_timeout_and_the_daemon_answers";
    let Some(lab) = dummy_pair_with(name, |lab| {
        let script = lab.dir.join("hung-sendmail");
        std::fs::write(&script, "#!/bin/sh\ncat >/dev/null\nsleep 1000\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        format!(
            "[mail]\nto = \"root\"\nsendmail = \"{}\"\ntimeout = \"300ms\"\n",
            script.display()
        )
    }) else {
        return;
    };
    let t0 = Instant::now();
    let s = status_json(&lab, A);
    check!(
        lab,
        s["node"] == "alpha" && t0.elapsed() < Duration::from_secs(2),
        "status: {s}"
    );
    let logged = lab.wait_for(Duration::from_secs(10), |l| {
        l.log(A).contains("mail about peer-up to root not sent:")
            && l.log(A).contains("killed after 300 ms")
    });
    check!(lab, logged, "the hung sendmail was not killed and logged");
}
