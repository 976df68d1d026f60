//! The annotated samples of Debian's `heartbeat` package
//! (/usr/share/doc/heartbeat: ha.cf.gz, haresources.gz, authkeys) parse with
//! our parsers once their example lines are uncommented.
//!
//! The directory comes from HEARTBEAT_DEBIAN_SAMPLES; CI provides it with
//! `apt-get download heartbeat && dpkg -x heartbeat_*.deb DIR`.

mod config_support;

use config_support::*;
use heartbeat::config::{AgentSearch, ConfigErrors, LoadOptions, Loaded, load};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("HEARTBEAT_DEBIAN_SAMPLES").map(PathBuf::from);
    let needs = "Debian's heartbeat sample files (HEARTBEAT_DEBIAN_SAMPLES, set by .ci/run)";
    hb_lab::skip::unless(dir.is_some(), "config_debian_samples", needs).then_some(dir?)
}

/// A sample, plain or gzipped (Debian compresses the larger ones).
fn sample(dir: &Path, name: &str) -> String {
    if let Ok(t) = fs::read_to_string(dir.join(name)) {
        return t;
    }
    let gz = dir.join(format!("{name}.gz"));
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(&gz)
        .output()
        .expect("run gzip");
    assert!(
        out.status.success(),
        "cannot read {} or {}",
        name,
        gz.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Uncomments every line whose text after `#` starts with one of `wanted`
/// (blanks compared loosely); each must match at least once so a changed
/// sample fails loudly instead of testing less.
fn uncomment(text: &str, wanted: &[&str]) -> String {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut hits = vec![0; wanted.len()];
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if let Some(body) = l.strip_prefix('#') {
                let b = norm(body);
                if let Some(i) = wanted.iter().position(|w| b.starts_with(&norm(w))) {
                    hits[i] += 1;
                    return body.to_string();
                }
            }
            l.to_string()
        })
        .collect();
    for (w, h) in wanted.iter().zip(hits) {
        assert!(h > 0, "sample line {w:?} not found");
    }
    out.join("\n") + "\n"
}

fn load_dir(
    dir: &Path,
    node: &str,
    hacf: &str,
    authkeys: &str,
    hares: Option<&str>,
) -> Result<Loaded, ConfigErrors> {
    fs::write(dir.join("ha.cf"), hacf).unwrap();
    fs::write(dir.join("authkeys"), authkeys).unwrap();
    set_mode(&dir.join("authkeys"), 0o600);
    if let Some(h) = hares {
        fs::write(dir.join("haresources"), h).unwrap();
    }
    fake_agents(&dir.join("resource.d"), &["IPaddr", "httpd", "Filesystem"]);
    load(&LoadOptions {
        config_dir: dir.to_path_buf(),
        node: node.into(),
        agents: AgentSearch {
            resource_d: dir.join("resource.d"),
            project_agents: dir.join("none"),
            init_d: dir.join("none"),
            ocf_root: dir.join("none"),
        },
    })
}

const HACF_LINES: [&str; 25] = [
    "debugfile /var/log/ha-debug",
    "logfile /var/log/ha-log",
    "keepalive 2",
    "deadtime 30",
    "warntime 10",
    "initdead 120",
    "udpport 694",
    "baud 19200",
    "serial /dev/ttyS0",
    "bcast eth0 ",
    "mcast eth0 225.0.0.1 694 1 0",
    "ucast eth0 192.168.1.2",
    "node ken3",
    "node kathy",
    "ping 10.10.10.254",
    "ping_group group1 10.10.10.254 10.10.10.253",
    "respawn hacluster /usr/lib/heartbeat/ipfail",
    "apiauth ipfail gid=haclient uid=hacluster",
    "hopfudge 1",
    "deadping 30",
    "hbgenmethod time",
    "realtime off",
    "debug 1",
    "conn_logd_time 60",
    "compression_threshold 2",
];

#[test]
fn ha_cf_sample_parses_once_its_examples_are_uncommented() {
    let Some(dir) = samples() else { return };
    let text = sample(&dir, "ha.cf");
    let tmp = tempfile::tempdir().unwrap();
    let auth = "auth 1\n1 sha1 k\n";

    // As shipped: every active line is understood; only nodes and media are missing.
    let e = load_dir(tmp.path(), "ken3", &text, auth, None).unwrap_err();
    assert!(
        e.0.iter()
            .all(|d| d.message.contains("no heartbeat media")
                || d.message.contains("no nodes defined")),
        "{e}"
    );

    let on = uncomment(&text, &HACF_LINES);
    let l = load_dir(tmp.path(), "ken3", &on, auth, None).unwrap_or_else(|e| panic!("{e}"));
    let c = &l.config;
    assert_eq!((c.local.as_str(), c.peer.as_str()), ("ken3", "kathy"));
    assert_eq!(c.timings.keepalive.as_secs(), 2);
    assert_eq!(c.timings.initdead.as_secs(), 120);
    assert_eq!(c.media.len(), 4, "{:?}", c.media);
    assert_eq!(c.logging.logfacility.as_deref(), Some("local0"));
    assert_eq!(c.ping_groups[0].hosts.len(), 2);
    assert_eq!(c.respawn[0].user, "hacluster");
    assert!(!c.realtime);

    // The sample's STONITH examples are refused with a reason.
    let st = uncomment(&on, &["stonith_host *"]);
    let line = st
        .lines()
        .position(|l| l.starts_with("stonith_host"))
        .unwrap()
        + 1;
    let e = load_dir(tmp.path(), "ken3", &st, auth, None).unwrap_err();
    assert!(
        e.0.iter()
            .any(|d| d.line == Some(line) && d.message.contains("STONITH is not supported")),
        "{e}"
    );
}

#[test]
fn authkeys_sample_parses_once_its_examples_are_uncommented() {
    let Some(dir) = samples() else { return };
    let text = sample(&dir, "authkeys");
    let tmp = tempfile::tempdir().unwrap();
    let hacf = "node ken3 kathy\nbcast eth0\nauto_failback on\n";
    let e = load_dir(tmp.path(), "ken3", hacf, &text, None).unwrap_err();
    assert!(
        e.0.iter()
            .any(|d| d.message.contains("missing auth directive")),
        "{e}"
    );

    let on = uncomment(&text, &["auth 1", "1 crc", "2 sha1 HI!", "3 md5 Hello!"]);
    let l = load_dir(tmp.path(), "ken3", hacf, &on, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.config.auth.active, 1);
    assert_eq!(l.config.auth.keys.len(), 3);
    assert_eq!(l.config.auth.get(2).unwrap().secret, b"HI!");
    assert!(
        l.warnings
            .iter()
            .any(|w| w.message.contains("crc authenticates nothing"))
    );
}

#[test]
fn haresources_sample_parses_with_agents_resolved() {
    let Some(dir) = samples() else { return };
    let text = sample(&dir, "haresources");
    let tmp = tempfile::tempdir().unwrap();
    let hacf = "node just.linux-ha.org node1\nbcast eth0\nauto_failback on\n";
    let auth = "auth 1\n1 sha1 k\n";

    let l =
        load_dir(tmp.path(), "node1", hacf, auth, Some(&text)).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        l.config.groups.is_empty(),
        "the shipped sample is all comments"
    );

    let on = uncomment(
        &text,
        &[
            "just.linux-ha.org 135.9.216.110 135.9.215.111 135.9.216.112 httpd",
            "just.linux-ha.org 135.9.216.3/28/eth0/135.9.216.12 httpd",
            "node1 10.0.0.170 Filesystem::/dev/sda1::/data1::ext2",
        ],
    );
    let l = load_dir(tmp.path(), "node1", hacf, auth, Some(&on)).unwrap_or_else(|e| panic!("{e}"));
    let g = &l.config.groups;
    assert_eq!(g.len(), 3);
    assert_eq!(g[0].id.0, "135.9.216.110");
    assert_eq!(g[0].resources.len(), 4);
    assert_eq!(g[1].resources[0].name, "IPaddr");
    assert_eq!(g[1].resources[0].args, ["135.9.216.3/28/eth0/135.9.216.12"]);
    assert_eq!(g[2].preferred.as_str(), "node1");
    assert_eq!(g[2].resources[1].args, ["/dev/sda1", "/data1", "ext2"]);
    assert_eq!(
        g[2].resources[1].agent.path,
        tmp.path().join("resource.d/Filesystem")
    );
}
