//! One haresources resource → one Pacemaker primitive: which agent
//! replaces it and how its `::`-separated arguments become named
//! parameters. A DRBD resource comes back marked, because it leaves the
//! group and becomes a promotable clone.
//!
//! Pure: what the machine has (systemd units) comes in as [`Facts`].

use super::Facts;
use super::findings::Findings;
use super::model::{AgentRef, Nv, Op, Primitive, nv};
use crate::config::{AgentKind, MonitorPolicy, Resource};
use std::collections::BTreeSet;

/// A mapped resource: a group member, or a DRBD resource for a clone.
pub enum Mapped {
    Member(Primitive),
    Drbd {
        resource: String,
        primitive: Primitive,
    },
}

/// Resource ids handed out so far: every id of a CIB must be unique.
#[derive(Default)]
pub struct Ids(BTreeSet<String>);

impl Ids {
    /// `base` made a valid XML id, with `-2`, `-3` … when already taken.
    pub fn unique(&mut self, base: &str) -> String {
        let clean = xml_id(base);
        let mut id = clean.clone();
        let mut n = 2;
        while !self.0.insert(id.clone()) {
            id = format!("{clean}-{n}");
            n += 1;
        }
        id
    }
}

/// Letters, digits, `-`, `_` and `.`; starts with a letter.
fn xml_id(base: &str) -> String {
    let mut out = String::new();
    for c in base.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            c
        } else {
            '-'
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out = out.trim_end_matches('-').to_string();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out,
        _ => format!("r-{out}"),
    }
}

/// The ops every primitive gets: start and stop with the resource's
/// timeouts (defaults or `rsc_timeout`), a monitor when the group has one.
fn ops(r: &Resource, monitor: Option<&MonitorPolicy>) -> Vec<Op> {
    let mut ops = vec![
        Op::once("start", r.timeouts.start),
        Op::once("stop", r.timeouts.stop),
    ];
    if let Some(m) = monitor {
        ops.push(Op {
            name: "monitor",
            interval: m.interval,
            timeout: r.timeouts.status,
            role: None,
        });
    }
    ops
}

/// Named parameters from positional arguments; extra arguments are reported.
fn positional(r: &Resource, names: &[&str], subject: &str, findings: &mut Findings) -> Vec<Nv> {
    if r.args.len() > names.len() {
        findings.warn(
            subject,
            format!(
                "arguments after the {} named ones are dropped: {}",
                names.len(),
                r.args[names.len()..].join(" ")
            ),
        );
    }
    names.iter().zip(&r.args).map(|(k, v)| nv(k, v)).collect()
}

/// `ip[/cidr[/iface[/broadcast]]]` → IPaddr2's parameters.
fn ip_params(spec: &str) -> Vec<Nv> {
    let names = ["ip", "cidr_netmask", "nic", "broadcast"];
    names
        .iter()
        .zip(spec.split('/'))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| nv(k, v))
        .collect()
}

/// The ClusterLabs agent that does what a heartbeat-style agent of this
/// name does, with its positional parameters' names.
fn known(name: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match name {
        "Filesystem" => ("Filesystem", &["device", "directory", "fstype", "options"]),
        "MailTo" => ("MailTo", &["email", "subject"]),
        "Dummy" => ("Dummy", &[]),
        "apache" => ("apache", &["configfile"]),
        "IPsrcaddr" => ("IPsrcaddr", &["ipaddress"]),
        "LVM" => ("LVM", &["volgrpname"]),
        "Delay" => ("Delay", &["startdelay", "stopdelay"]),
        "Xinetd" => ("Xinetd", &["service"]),
        "portblock" => ("portblock", &["protocol", "portno", "action"]),
        _ => return None,
    })
}

/// The id's stem: the agent and its most telling argument.
fn id_base(r: &Resource) -> String {
    let first = r.args.first().map(String::as_str).unwrap_or("");
    match r.name.as_str() {
        "IPaddr" | "IPaddr2" => format!("ip-{}", first.split('/').next().unwrap_or("")),
        "Filesystem" => {
            let dir = r.args.get(1).map(String::as_str).unwrap_or(first);
            let dir = dir.trim_matches('/');
            format!("fs-{}", if dir.is_empty() { "root" } else { dir })
        }
        "drbddisk" => format!("drbd-{first}"),
        _ if r.name.starts_with("ocf:") => r.name.rsplit(':').next().unwrap_or("").to_lowercase(),
        _ if first.is_empty() => r.name.to_lowercase(),
        _ => format!("{}-{first}", r.name.to_lowercase()),
    }
}

/// Maps one resource of the group on haresources line `line`.
pub fn map_resource(
    r: &Resource,
    line: usize,
    monitor: Option<&MonitorPolicy>,
    facts: &Facts,
    ids: &mut Ids,
    findings: &mut Findings,
) -> Option<Mapped> {
    let subject = format!("haresources:{line} {}", r.spec);
    let (agent, params) = match (&r.agent.kind, r.name.as_str()) {
        (AgentKind::Ocf { provider, kind }, _) => {
            let params = r
                .args
                .iter()
                .filter_map(|a| a.split_once('='))
                .map(|(k, v)| nv(k, v))
                .collect();
            (AgentRef::ocf(provider, kind), params)
        }
        (AgentKind::Heartbeat, "drbddisk") => return drbd(r, line, &subject, ids, findings),
        // The daemon serves these in process; Pacemaker's IPaddr2 does the same job.
        (AgentKind::Vip, _) | (AgentKind::Heartbeat, "IPaddr" | "IPaddr2") => {
            let spec = r.args.first().map(String::as_str).unwrap_or("");
            (AgentRef::ocf("heartbeat", "IPaddr2"), ip_params(spec))
        }
        (AgentKind::Heartbeat, name) if known(name).is_some() => {
            let (kind, names) = known(name).expect("checked");
            let params = positional(r, names, &subject, findings);
            if kind == "Filesystem" && params.len() < 3 {
                findings.block(
                    &subject,
                    "Pacemaker's Filesystem needs the filesystem type: write it as the third argument (Filesystem::DEVICE::DIR::ext4)",
                );
            }
            (AgentRef::ocf("heartbeat", kind), params)
        }
        (AgentKind::Systemd { unit }, _) => {
            let name = unit.strip_suffix(".service").unwrap_or(unit);
            (AgentRef::Systemd(name.into()), Vec::new())
        }
        (AgentKind::Heartbeat, name) => (script(r, name, &subject, facts, findings), Vec::new()),
        (AgentKind::Lsb, name) => (init_script(r, name, &subject, facts, findings), Vec::new()),
    };
    Some(Mapped::Member(Primitive {
        id: ids.unique(&id_base(r)),
        agent,
        params,
        meta: Vec::new(),
        ops: ops(r, monitor),
        origin: subject,
    }))
}

/// `drbddisk::RES` → the primitive of a promotable `ocf:linbit:drbd` clone.
fn drbd(
    r: &Resource,
    line: usize,
    subject: &str,
    ids: &mut Ids,
    findings: &mut Findings,
) -> Option<Mapped> {
    let Some(res) = r.args.first() else {
        findings.block(
            subject,
            "drbddisk without a resource means every DRBD resource; Pacemaker needs one clone per resource: write drbddisk::RESOURCE once per resource",
        );
        return None;
    };
    let t = &r.timeouts;
    let monitor = |secs, role| Op {
        name: "monitor",
        interval: std::time::Duration::from_secs(secs),
        timeout: t.status,
        role: Some(role),
    };
    let primitive = Primitive {
        id: ids.unique(&format!("drbd-{res}")),
        agent: AgentRef::ocf("linbit", "drbd"),
        params: vec![nv("drbd_resource", res)],
        meta: Vec::new(),
        // Different intervals per role: Pacemaker refuses two monitors with one interval.
        ops: vec![
            Op::once("start", t.start),
            Op::once("promote", t.start),
            Op::once("demote", t.stop),
            Op::once("stop", t.stop),
            monitor(29, super::model::Role::Promoted),
            monitor(31, super::model::Role::Unpromoted),
        ],
        origin: format!("haresources:{line} {}", r.spec),
    };
    Some(Mapped::Drbd {
        resource: res.clone(),
        primitive,
    })
}

/// A heartbeat-style script of the admin's own (resource.d): Pacemaker
/// cannot pass it positional arguments, so it becomes an LSB resource the
/// admin installs, and we say so.
fn script(
    r: &Resource,
    name: &str,
    subject: &str,
    facts: &Facts,
    findings: &mut Findings,
) -> AgentRef {
    if facts.systemd_units.contains(name) {
        findings.warn(
            subject,
            format!("mapped to systemd:{name} (a unit of that name exists here); the script {} is not used by Pacemaker", r.agent.path.display()),
        );
        return AgentRef::Systemd(name.into());
    }
    let args = if r.args.is_empty() {
        String::new()
    } else {
        format!(
            " It takes arguments ({}), which an LSB script cannot: make /etc/init.d/{name} a wrapper running `{} {} \"$1\"`.",
            r.args.join(" "),
            r.agent.path.display(),
            r.args.join(" ")
        )
    };
    findings.warn(
        subject,
        format!(
            "{} is a heartbeat-style script with no Pacemaker equivalent: mapped to lsb:{name}, so install it as /etc/init.d/{name} on both nodes (status must exit 0 when running, 3 when stopped), or better write a systemd unit (systemd:{name}) or an OCF agent.{args}",
            r.agent.path.display()
        ),
    );
    AgentRef::Lsb(name.into())
}

/// An /etc/init.d script: `systemd:` when a unit of that name exists
/// (on systemd machines the init script is only a wrapper), else `lsb:`.
fn init_script(
    r: &Resource,
    name: &str,
    subject: &str,
    facts: &Facts,
    findings: &mut Findings,
) -> AgentRef {
    if !r.args.is_empty() {
        findings.warn(
            subject,
            format!(
                "Pacemaker calls init scripts and units without arguments: {} dropped",
                r.args.join(" ")
            ),
        );
    }
    if facts.systemd_units.contains(name) {
        AgentRef::Systemd(name.into())
    } else {
        AgentRef::Lsb(name.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_xml_ids_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.unique("ip-10.0.0.5"), "ip-10.0.0.5");
        assert_eq!(ids.unique("ip-10.0.0.5"), "ip-10.0.0.5-2");
        assert_eq!(ids.unique("fs-srv/www"), "fs-srv-www");
        assert_eq!(
            ids.unique("mailto-root@example.org"),
            "mailto-root-example.org"
        );
        assert_eq!(ids.unique("9lives"), "r-9lives");
        assert_eq!(ids.unique("a  b//c"), "a-b-c");
    }

    #[test]
    fn ip_spec_is_split_into_ipaddr2_parameters() {
        assert_eq!(
            ip_params("10.0.0.5/24/eth0/10.0.0.255"),
            vec![
                nv("ip", "10.0.0.5"),
                nv("cidr_netmask", "24"),
                nv("nic", "eth0"),
                nv("broadcast", "10.0.0.255")
            ]
        );
        assert_eq!(ip_params("10.0.0.5"), vec![nv("ip", "10.0.0.5")]);
        assert_eq!(
            ip_params("10.0.0.5//eth0"),
            vec![nv("ip", "10.0.0.5"), nv("nic", "eth0")]
        );
    }
}
