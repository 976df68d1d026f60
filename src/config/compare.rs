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
        Some(v) if v.secret != k.secret => {
            Some(format!("has a different secret for key {}", k.id))
        }
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
        differ(name, format!("{} ms", x.as_millis()), format!("{} ms", y.as_millis()));
    }
    differ("media", media_kinds(a).join(", "), media_kinds(b).join(", "));
    differ(
        "auto_failback",
        format!("{:?}", a.auto_failback).to_lowercase(),
        format!("{:?}", b.auto_failback).to_lowercase(),
    );
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
