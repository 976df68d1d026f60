//! Comparing the two nodes' configurations: the differences that would
//! make the pair misbehave, and a short digest the nodes exchange to notice
//! such differences at run time.
//!
//! Pure; never prints a secret (only says that keys differ).

use super::model::*;
use ring::digest::{SHA256, digest};
use std::fmt::Write as _;

fn media_kinds(c: &ClusterConfig) -> Vec<String> {
    let mut v: Vec<String> = c
        .media
        .iter()
        .map(|m| match m {
            // Interface names legitimately differ between the two machines.
            Medium::Bcast { .. } => format!("bcast (port {})", c.udpport),
            Medium::Ucast { .. } => format!("ucast (port {})", c.udpport),
            Medium::Mcast { group, port, .. } => format!("mcast {group}:{port}"),
            Medium::Serial { .. } => format!("serial ({} baud)", c.baud),
        })
        .collect();
    v.sort();
    v
}

fn sorted_nodes(c: &ClusterConfig) -> Vec<&str> {
    let mut v: Vec<&str> = c.nodes.iter().map(NodeName::as_str).collect();
    v.sort();
    v
}

fn group_text(g: &ResourceGroup) -> String {
    let specs: Vec<&str> = g.resources.iter().map(|r| r.spec.as_str()).collect();
    format!("{} {}", g.preferred, specs.join(" "))
}

/// Whether what `signer` signs verifies on `verifier`.
fn key_mismatch(signer: &AuthKeys, verifier: &AuthKeys) -> Option<String> {
    let k = signer.active_key();
    match verifier.get(k.id) {
        None => Some(format!("has no key {}", k.id)),
        Some(v) if v.method != k.method => Some(format!(
            "has key {} as {} instead of {}",
            k.id,
            v.method.name(),
            k.method.name()
        )),
        Some(v) if v.secret != k.secret => Some(format!("has a different secret for key {}", k.id)),
        Some(_) => None,
    }
}

/// Each difference between this node's configuration `a` and the peer's `b`
/// that would make the pair misbehave, as one sentence each.
pub fn compare(a: &ClusterConfig, b: &ClusterConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what} differs: {x} here, {y} in the other copy"));
        }
    };
    differ(
        "node list",
        sorted_nodes(a).join(" "),
        sorted_nodes(b).join(" "),
    );
    let (ta, tb) = (&a.timings, &b.timings);
    for (name, x, y) in [
        ("keepalive", ta.keepalive, tb.keepalive),
        ("warntime", ta.warntime, tb.warntime),
        ("deadtime", ta.deadtime, tb.deadtime),
        ("initdead", ta.initdead, tb.initdead),
        ("deadping", ta.deadping, tb.deadping),
        ("failback_delay", a.failback_delay, b.failback_delay),
    ] {
        differ(
            name,
            format!("{} ms", x.as_millis()),
            format!("{} ms", y.as_millis()),
        );
    }
    differ(
        "media",
        media_kinds(a).join(", "),
        media_kinds(b).join(", "),
    );
    differ(
        "auto_failback",
        format!("{:?}", a.auto_failback).to_lowercase(),
        format!("{:?}", b.auto_failback).to_lowercase(),
    );
    // A group's checks run on whichever node holds it: the same on both.
    differ("heartbeat.toml checks", checks_text(a), checks_text(b));
    if let Some(m) = key_mismatch(&a.auth, &b.auth) {
        out.push(format!(
            "authkeys: this node signs with key {} but the other copy {m}",
            a.auth.active
        ));
    }
    if let Some(m) = key_mismatch(&b.auth, &a.auth) {
        out.push(format!(
            "authkeys: the other copy signs with key {} but this node {m}",
            b.auth.active
        ));
    }
    for g in &a.groups {
        match b.groups.iter().find(|h| h.id == g.id) {
            None => out.push(format!(
                "haresources: group {} is missing in the other copy",
                g.id
            )),
            Some(h) => {
                if group_text(g) != group_text(h) {
                    out.push(format!(
                        "haresources: group {} differs: \"{}\" here, \"{}\" in the other copy",
                        g.id,
                        group_text(g),
                        group_text(h)
                    ));
                }
            }
        }
    }
    for h in &b.groups {
        if !a.groups.iter().any(|g| g.id == h.id) {
            out.push(format!(
                "haresources: group {} exists only in the other copy",
                h.id
            ));
        }
    }
    out
}

fn checks_text(c: &ClusterConfig) -> String {
    let ext = &c.extensions;
    let mut v: Vec<String> = (ext.checks.iter())
        .map(|ch| {
            format!(
                "{} of {}: {} {} every {} ms, timeout {} ms, rise {}, fall {}",
                ch.name,
                ch.group,
                ch.kind.word(),
                ch.kind.target(),
                ch.interval.as_millis(),
                ch.timeout.as_millis(),
                ch.rise,
                ch.fall
            )
        })
        .collect();
    v.extend((ext.restarts.iter()).map(|(g, p)| {
        format!(
            "{g}: {} restarts within {} ms",
            p.max_restarts,
            p.window.as_millis()
        )
    }));
    v.sort();
    if v.is_empty() {
        "none".into()
    } else {
        format!("[{}]", v.join("; "))
    }
}

/// Short hex digest of what both nodes must agree on: haresources, the
/// timings and the authentication method.
pub fn config_digest(c: &ClusterConfig) -> String {
    let mut s = String::new();
    for g in &c.groups {
        let _ = writeln!(s, "group {}", group_text(g));
    }
    let t = &c.timings;
    let _ = writeln!(
        s,
        "timings {} {} {} {} {}",
        t.keepalive.as_millis(),
        t.warntime.as_millis(),
        t.deadtime.as_millis(),
        t.initdead.as_millis(),
        t.deadping.as_millis()
    );
    let _ = writeln!(s, "auth {}", c.auth.active_key().method.name());
    let d = digest(&SHA256, s.as_bytes());
    d.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::check::tests::{AUTH_OK, Dir, HACF_OK, HARES_OK};

    fn cfg(hacf: &str, auth: &str, hares: &str, node: &str) -> ClusterConfig {
        Dir::new(hacf, auth, Some(hares)).load(node).unwrap().config
    }

    #[test]
    fn checks_that_differ_are_a_difference() {
        use crate::config::heartbeat_toml::{CheckConfig, CheckKind};
        let a = cfg(HACF_OK, AUTH_OK, HARES_OK, "alpha");
        let mut b = a.clone();
        b.extensions.checks.push(CheckConfig {
            name: "web".into(),
            group: a.groups[0].id.clone(),
            kind: CheckKind::TcpCheck {
                address: "10.0.0.5:80".into(),
            },
            interval: std::time::Duration::from_secs(2),
            timeout: std::time::Duration::from_secs(1),
            rise: 1,
            fall: 3,
            line: 1,
        });
        assert_eq!(
            compare(&a, &b),
            vec![
                "heartbeat.toml checks differs: none here, [web of 10.0.0.5/24/eth0: tcp_check \
                 10.0.0.5:80 every 2000 ms, timeout 1000 ms, rise 1, fall 3] in the other copy"
                    .to_string()
            ]
        );
    }

    #[test]
    fn the_same_files_on_both_nodes_agree() {
        let a = cfg(HACF_OK, AUTH_OK, HARES_OK, "alpha");
        let b = cfg(&HACF_OK.replace("eth1", "eth2"), AUTH_OK, HARES_OK, "bravo");
        assert_eq!(compare(&a, &b), Vec::<String>::new());
        assert_eq!(config_digest(&a), config_digest(&b));
    }

    #[test]
    fn differences_that_matter_are_listed() {
        let a = cfg(HACF_OK, AUTH_OK, HARES_OK, "alpha");
        let b = cfg(
            &HACF_OK
                .replace("keepalive 1", "keepalive 2")
                .replace("bcast eth1", "ucast eth1 10.0.0.2"),
            "auth 1\n1 sha1 s3cr3tB\n",
            "bravo 10.0.0.5/24/eth0 web\nalpha 10.0.0.6 web\n",
            "bravo",
        );
        let d = compare(&a, &b);
        let has = |s: &str| d.iter().any(|x| x.contains(s));
        assert!(
            has("keepalive differs: 1000 ms here, 2000 ms in the other copy"),
            "{d:?}"
        );
        assert!(
            has("media differs: bcast (port 694) here, ucast (port 694)"),
            "{d:?}"
        );
        assert!(
            has("this node signs with key 1 but the other copy has a different secret for key 1"),
            "{d:?}"
        );
        assert!(has("group 10.0.0.5/24/eth0 differs"), "{d:?}");
        assert!(has("group 10.0.0.6 exists only in the other copy"), "{d:?}");
        assert!(d.iter().all(|x| !x.contains("s3cr3t")), "{d:?}");
        assert_ne!(config_digest(&a), config_digest(&b));
    }

    #[test]
    fn node_list_and_missing_key_are_reported() {
        let a = cfg(HACF_OK, AUTH_OK, HARES_OK, "alpha");
        let b = cfg(
            &HACF_OK.replace("node alpha bravo", "node alpha charlie"),
            "auth 2\n2 md5 x\n",
            HARES_OK,
            "alpha",
        );
        let d = compare(&a, &b);
        assert!(
            d.iter().any(
                |x| x == "node list differs: alpha bravo here, alpha charlie in the other copy"
            ),
            "{d:?}"
        );
        assert!(
            d.iter().any(|x| x.contains("the other copy has no key 1")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|x| x.contains("the other copy signs with key 2 but this node has no key 2")),
            "{d:?}"
        );
    }

    #[test]
    fn digest_is_16_hex_chars_and_tracks_haresources() {
        let a = cfg(HACF_OK, AUTH_OK, HARES_OK, "alpha");
        let dg = config_digest(&a);
        assert_eq!(dg.len(), 16);
        assert!(dg.bytes().all(|b| b.is_ascii_hexdigit()));
        let b = cfg(
            HACF_OK,
            AUTH_OK,
            &HARES_OK.replace(" web", " MailTo::root"),
            "alpha",
        );
        assert_ne!(dg, config_digest(&b));
    }
}
