//! Our agents pass Debian's `ocf-tester` (OCF compliance: meta-data against
//! ra-api-1.dtd, validate-all, monitor codes, idempotent start and stop).
//! Skipped with one line when ocf-tester (or xmllint, which it needs) is
//! missing; IPaddr and Filesystem need root and run in a namespace / on a
//! loop device.

mod support;

use std::process::Command;
use support::agents::{AgentWorld, agent_dir, heartbeat_bin};
use support::{LoopDevice, MountGuard, Netns, addr, require_root, unique_prefix, veth};

fn have_tester(name: &str) -> bool {
    support::require_program(name, "ocf-tester") && support::require_program(name, "xmllint")
}

/// ocf-tester's command line for `agent` with `-o` parameters, in `w`'s environment.
fn tester(w: &AgentWorld, agent: &str, params: &[String], mut cmd: Command) -> Command {
    cmd.env_clear()
        .env("PATH", &w.env.path_env)
        .env("LANG", "C");
    for (k, v) in &w.env.extra {
        cmd.env(k, v);
    }
    cmd.args(["-v", "-n", &format!("t{agent}")]);
    for p in params {
        cmd.args(["-o", p]);
    }
    cmd.arg(agent_dir().join(agent));
    cmd
}

fn assert_passes(mut cmd: Command, agent: &str) {
    let out = cmd.output().expect("ocf-tester");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("passed all tests"),
        "ocf-tester failed for {agent}:\n{text}"
    );
}

#[test]
fn dummy_passes_ocf_tester() {
    if !have_tester("dummy_passes_ocf_tester") {
        return;
    }
    let w = AgentWorld::new();
    let cmd = tester(&w, "Dummy", &[], Command::new("ocf-tester"));
    assert_passes(cmd, "Dummy");
}

#[test]
fn mailto_passes_ocf_tester() {
    if !have_tester("mailto_passes_ocf_tester") {
        return;
    }
    let w = AgentWorld::new();
    let cmd = tester(
        &w,
        "MailTo",
        &["email=root@localhost".into()],
        Command::new("ocf-tester"),
    );
    assert_passes(cmd, "MailTo");
    assert!(w.mails().contains("takeover"));
}

#[test]
fn drbddisk_passes_ocf_tester_against_the_fake_drbdadm() {
    if !have_tester("drbddisk_passes_ocf_tester_against_the_fake_drbdadm") {
        return;
    }
    let w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    w.drbd("bravo", "r0", "Secondary", "UpToDate");
    let cmd = tester(
        &w,
        "drbddisk",
        &["resource=r0".into()],
        Command::new("ocf-tester"),
    );
    assert_passes(cmd, "drbddisk");
}

#[test]
fn filesystem_passes_ocf_tester() {
    if !have_tester("filesystem_passes_ocf_tester") || !require_root("filesystem_passes_ocf_tester")
    {
        return;
    }
    let dev = LoopDevice::ext4(32);
    let w = AgentWorld::new();
    let mp = w.dir.path().join("mnt");
    let _m = MountGuard(mp.clone());
    let cmd = tester(
        &w,
        "Filesystem",
        &[
            format!("device={}", dev.device),
            format!("directory={}", mp.display()),
            "fstype=ext4".into(),
        ],
        Command::new("ocf-tester"),
    );
    assert_passes(cmd, "Filesystem");
}

#[test]
fn ipaddr_passes_ocf_tester_in_a_namespace() {
    if !have_tester("ipaddr_passes_ocf_tester_in_a_namespace")
        || !require_root("ipaddr_passes_ocf_tester_in_a_namespace")
    {
        return;
    }
    let p = unique_prefix("ocf");
    let n = Netns::new(&format!("{p}n"));
    let peer = Netns::new(&format!("{p}p"));
    veth(&n, "eth0", &peer, "eth0");
    addr(&n, "eth0", "10.224.0.1/24");
    let w = AgentWorld::new();
    assert_eq!(
        w.env
            .extra
            .iter()
            .find(|(k, _)| k == "HEARTBEAT_BIN")
            .map(|(_, v)| v.as_str()),
        Some(heartbeat_bin())
    );
    let cmd = tester(
        &w,
        "IPaddr",
        &["ip=10.224.0.100".into(), "nic=eth0".into()],
        n.command("ocf-tester"),
    );
    assert_passes(cmd, "IPaddr");
}

/// A namespace with BIND 9 serving the lab zone on its loopback.
fn dns_world(test: &str) -> Option<(Netns, hb_lab::dns::DnsServer)> {
    let have_named = hb_lab::dns::named_program().is_ok();
    if !have_tester(test)
        || !require_root(test)
        || !hb_lab::skip::unless(have_named, test, "named (bind9)")
    {
        return None;
    }
    let n = Netns::new(&unique_prefix("dns"));
    let server = hb_lab::dns::DnsServer::start(&n.name, "127.0.0.1").expect("named");
    Some((n, server))
}

#[test]
fn dnsupdate_passes_ocf_tester_against_bind() {
    let Some((n, server)) = dns_world("dnsupdate_passes_ocf_tester_against_bind") else {
        return;
    };
    let w = AgentWorld::new();
    let name = format!("www.{}", hb_lab::dns::ZONE);
    let params = |extra: &[&str]| -> Vec<String> {
        let mut p = vec![
            format!("name={name}"),
            "server=127.0.0.1".into(),
            format!("keyfile={}", server.key_path().display()),
            "ttl=30".into(),
        ];
        p.extend(extra.iter().map(|s| s.to_string()));
        p
    };
    let cmd = tester(&w, "DNSupdate", &params(&[]), n.command("ocf-tester"));
    assert_passes(cmd, "DNSupdate");
    // Stop left the record (the other site's start replaces it).
    assert_eq!(server.query(&n.name, &name, "A"), ["127.0.0.1"]);
    let cmd = tester(
        &w,
        "DNSupdate",
        &params(&["remove=1"]),
        n.command("ocf-tester"),
    );
    assert_passes(cmd, "DNSupdate");
    assert!(
        server.query(&n.name, &name, "A").is_empty(),
        "remove=1 left the record"
    );
}

#[test]
fn dnsupdate_with_a_wrong_key_fails_with_the_servers_refusal() {
    let Some((n, server)) = dns_world("dnsupdate_with_a_wrong_key_fails_with_the_servers_refusal")
    else {
        return;
    };
    let w = AgentWorld::new();
    let name = format!("www.{}", hb_lab::dns::ZONE);
    let run_as = |node: &str, key: &std::path::Path, action: &str| {
        let mut cmd = n.command(&agent_dir().join("DNSupdate").display().to_string());
        cmd.env_clear()
            .env("PATH", &w.env.path_env)
            .env("HA_RSCTMP", w.rsctmp())
            .args([name.as_str(), "127.0.0.1"])
            .arg(key)
            .args(["60", "alpha=192.0.2.7,bravo=192.0.2.8", action])
            .env("HA_CURHOST", node);
        cmd.output().unwrap()
    };
    let run = |key: &std::path::Path, action: &str| run_as("bravo", key, action);
    let out = run(&server.wrong_key_path(), "start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The server's words, from the update itself (not from the check after it).
    assert!(err.contains("NOTAUTH(BADSIG)"), "{err}");
    assert!(!err.contains("accepted the update"), "{err}");
    assert!(server.query(&n.name, &name, "A").is_empty());
    assert_eq!(
        run(&server.wrong_key_path(), "status").status.code(),
        Some(3)
    );
    // The right key: bravo's entry of the address list is published.
    let out = run(&server.key_path(), "start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.query(&n.name, &name, "A"), ["192.0.2.8"]);
    assert_eq!(run(&server.key_path(), "status").status.code(), Some(0));
    // Status asks the server: for alpha (same state, its own address) the
    // name does not point here.
    assert_eq!(
        run_as("alpha", &server.key_path(), "status").status.code(),
        Some(3)
    );
}

#[test]
fn agents_and_fakes_are_posix_sh_and_shellcheck_clean() {
    if !support::require_program(
        "agents_and_fakes_are_posix_sh_and_shellcheck_clean",
        "shellcheck",
    ) {
        return;
    }
    let fakes = support::agents::fake_bin();
    let files = [
        agent_dir().join("hb-agent-lib.sh"),
        agent_dir().join("Dummy"),
        agent_dir().join("MailTo"),
        agent_dir().join("drbddisk"),
        agent_dir().join("Filesystem"),
        agent_dir().join("IPaddr"),
        agent_dir().join("DNSupdate"),
        fakes.join("drbdadm"),
        fakes.join("sendmail"),
    ];
    for f in &files {
        let head = std::fs::read_to_string(f).unwrap();
        assert!(
            head.starts_with("#!/bin/sh\n") || head.starts_with("# shellcheck shell=sh"),
            "{} is not a POSIX sh script",
            f.display()
        );
    }
    let out = Command::new("shellcheck")
        .args(["-s", "sh", "-x"])
        .args(&files)
        .current_dir(agent_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
