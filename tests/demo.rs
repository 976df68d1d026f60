//! `heartbeat demo --scenario …` as CI runs it: each story must go as
//! expected (exit 0) and leave no namespace, loop device or process behind.

use std::process::Command;

fn scenario(name: &str) {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: demo scenario {name} needs root");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_heartbeat"))
        .args(["demo", "--scenario", name])
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(out.status.success(), "scenario {name} failed:\n{text}");
    assert!(text.contains("VIP answers from"), "no timeline in:\n{text}");
    // The namespaces it announced are gone.
    let line = text
        .lines()
        .find(|l| l.starts_with("demo cluster:"))
        .expect("topology line");
    let prefix = line
        .split("namespaces ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .map(|ns| ns.trim_end_matches('a').to_string())
        .expect("namespace names");
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&list.stdout);
    assert!(
        !left.contains(&prefix),
        "namespaces of {prefix} left behind:\n{left}"
    );
    let loops = Command::new("losetup").arg("-a").output().unwrap();
    let loops = String::from_utf8_lossy(&loops.stdout);
    assert!(
        !loops.contains(&format!("heartbeat-lab-{prefix}")),
        "loop device left: {loops}"
    );
}

#[test]
fn demo_failover_story_succeeds_and_cleans_up() {
    scenario("failover");
}

#[test]
fn demo_switchover_story_succeeds_and_cleans_up() {
    scenario("switchover");
}

#[test]
fn demo_failback_story_succeeds_and_cleans_up() {
    scenario("failback");
}
