//! `heartbeat check` on the example configuration and on each broken
//! variant in tests/fixtures/config/.

mod config_support;

use config_support::*;
use std::fs;
use std::io::Write;
use std::path::Path;

struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        example_copy(&tmp.path().join("ha.d"));
        fake_agents(&tmp.path().join("agents"), &EXAMPLE_AGENTS);
        Setup { tmp }
    }
    fn dir(&self) -> std::path::PathBuf {
        self.tmp.path().join("ha.d")
    }
    fn check(&self, node: &str, args: &[&str]) -> std::process::Output {
        check(&self.dir(), node, &self.tmp.path().join("agents"), args)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn example_configuration_is_valid_on_both_nodes() {
    let s = Setup::new();
    let out = s.check("alpha", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    assert!(stdout.contains("this node:     alpha"), "{stdout}");
    assert!(stdout.contains("peer:          bravo"), "{stdout}");
    assert!(stdout.contains("bcast eth1 (udp port 694)"), "{stdout}");
    assert!(
        stdout.contains("keepalive 1s, warntime 5s, deadtime 10s, initdead 30s"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "1. IPaddr 192.168.85.3/24/eth0  [in process: netlink and gratuitous ARP] builtin:IPaddr"
        ),
        "{stdout}"
    );
    let demo = s.dir().join("resource.d/httpd-demo");
    assert!(
        stdout.contains(&format!("4. httpd-demo  [heartbeat] {}", demo.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("3. Filesystem /dev/drbd0 /srv ext4"),
        "{stdout}"
    );
    let out = s.check("bravo", &[]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("peer:          alpha"));
}

#[test]
fn the_example_heartbeat_toml_is_valid_and_summarised() {
    let s = Setup::new();
    fs::copy(
        repo().join("ha.d/heartbeat.toml.example"),
        s.dir().join("heartbeat.toml"),
    )
    .unwrap();
    let out = s.check("alpha", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    for want in [
        "  check web: http_get http://192.168.85.3/health every 2s, timeout 1s, rise 2, fall 3",
        "  check web-port: tcp_check 192.168.85.3:80 every 5s, timeout 2s, rise 1, fall 2",
        "  a failing check: 2 restart(s) within 600s before moving",
        "mail:          every state change to root via /usr/sbin/sendmail",
    ] {
        assert!(stdout.contains(want), "no {want:?} in:\n{stdout}");
    }
}

#[test]
fn an_own_resource_d_ipaddr_wins_over_the_in_process_vip() {
    let s = Setup::new();
    let own = s.dir().join("resource.d/IPaddr");
    fs::write(&own, "#!/bin/sh\nexit 0\n").unwrap();
    set_mode(&own, 0o755);
    let out = s.check("alpha", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    let want = format!(
        "1. IPaddr 192.168.85.3/24/eth0  [heartbeat] {}",
        own.display()
    );
    assert!(stdout.contains(&want), "{stdout}");
}

#[test]
fn json_output_is_the_model_plus_warnings() {
    let s = Setup::new();
    let out = s.check("alpha", &["--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["config"]["local"], "alpha");
    assert_eq!(v["config"]["peer"], "bravo");
    assert_eq!(v["config"]["timings"]["deadtime"], 10000);
    assert_eq!(v["config"]["media"][0]["kind"], "bcast");
    assert_eq!(v["config"]["groups"][0]["id"], "192.168.85.3/24/eth0");
    assert_eq!(
        v["config"]["groups"][0]["resources"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(v["warnings"].is_array());
    assert_eq!(v["digest"].as_str().unwrap().len(), 16);
    // The secret never leaves the machine through check.
    assert!(!text(&out.stdout).contains("4f6d8a2c"));
}

fn overlay(variant: &Path, dir: &Path) {
    for f in ["ha.cf", "authkeys", "haresources", "heartbeat.toml"] {
        if let Ok(t) = fs::read(variant.join(f)) {
            fs::write(dir.join(f), t).unwrap();
        }
        if let Ok(t) = fs::read(variant.join(format!("{f}.append"))) {
            fs::OpenOptions::new()
                .append(true)
                .open(dir.join(f))
                .unwrap()
                .write_all(&t)
                .unwrap();
        }
    }
    let mode = fs::read_to_string(variant.join("mode"))
        .map_or(0o600, |m| u32::from_str_radix(m.trim(), 8).unwrap());
    set_mode(&dir.join("authkeys"), mode);
}

#[test]
fn every_broken_variant_is_rejected_at_its_line() {
    let root = repo().join("tests/fixtures/config");
    let mut seen = 0;
    let mut variants: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    variants.sort();
    for variant in variants {
        let s = Setup::new();
        overlay(&variant, &s.dir());
        let out = s.check("alpha", &[]);
        let stderr = text(&out.stderr);
        let name = variant.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(out.status.code(), Some(1), "{name}: stderr:\n{stderr}");
        for want in fs::read_to_string(variant.join("expect")).unwrap().lines() {
            let full = format!("{}/{want}", s.dir().display());
            assert!(
                stderr.lines().any(|l| l.starts_with(&full)),
                "{name}: expected a line starting with\n  {full}\ngot:\n{stderr}"
            );
        }
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} variants found");
}

#[test]
fn against_an_identical_copy_agrees() {
    let s = Setup::new();
    let other = s.tmp.path().join("peer");
    example_copy(&other);
    let out = s.check("alpha", &["--against", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("agree (digest "));
}

#[test]
fn against_a_differing_copy_lists_each_difference_and_fails() {
    let s = Setup::new();
    let other = s.tmp.path().join("peer");
    example_copy(&other);
    let cf = fs::read_to_string(other.join("ha.cf"))
        .unwrap()
        .replace("deadtime        10", "deadtime        12");
    fs::write(other.join("ha.cf"), cf).unwrap();
    fs::write(other.join("authkeys"), "auth 1\n1 sha1 another\n").unwrap();
    let out = s.check("alpha", &["--against", other.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("deadtime differs: 10000 ms here, 12000 ms in the other copy"),
        "{stderr}"
    );
    assert!(stderr.contains("different secret for key 1"), "{stderr}");
    assert!(!stderr.contains("another"), "{stderr}");
}

#[test]
fn against_an_invalid_copy_fails_with_its_errors() {
    let s = Setup::new();
    let other = s.tmp.path().join("peer");
    example_copy(&other);
    set_mode(&other.join("authkeys"), 0o640);
    let out = s.check("alpha", &["--against", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad permissions 0640"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_warns_when_a_drbd_resource_of_haresources_has_no_fence_peer_handler() {
    let s = Setup::new();
    let etc = s.tmp.path().join("etc");
    fs::create_dir_all(&etc).unwrap();
    fs::write(
        etc.join("drbd.conf"),
        "resource r0 { disk { fencing resource-only; } }\n",
    )
    .unwrap();
    let etc_arg = etc.display().to_string();
    let out = s.check("alpha", &["--drbd-etc", &etc_arg]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("WARN: DRBD resource r0 has no fence-peer handler"),
        "{stderr}"
    );
    fs::write(
        etc.join("drbd.conf"),
        "common { handlers { fence-peer \"/usr/sbin/heartbeat fence-peer\"; } }\nresource r0 { net { fencing resource-only; } }\n",
    )
    .unwrap();
    let out = s.check("alpha", &["--drbd-etc", &etc_arg]);
    assert!(!text(&out.stderr).contains("r0"), "{}", text(&out.stderr));
}
