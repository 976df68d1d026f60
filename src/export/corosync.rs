//! The Corosync side: ha.cf's nodes, media and deadtime → a
//! [`Membership`] (knet links, token, `two_node`), and its corosync.conf.
//!
//! Pure: node addresses come from the options, never from name lookups.

use super::Options;
use super::findings::Findings;
use super::mapping::plan_nodes;
use super::model::{Link, Membership};
use crate::config::{ClusterConfig, Medium};
use std::fmt::Write as _;

/// Where Corosync reads its key; the same on both nodes.
pub const KEYFILE: &str = "/etc/corosync/authkey";
/// Corosync's knet allows at most eight links.
const MAX_LINKS: usize = 8;

/// The membership for `cfg`; what cannot be carried over is a finding.
pub fn membership(cfg: &ClusterConfig, opts: &Options, findings: &mut Findings) -> Membership {
    let nodes = plan_nodes(cfg);
    let mut media: Vec<String> = Vec::new();
    for m in &cfg.media {
        match m {
            Medium::Serial { device } => findings.warn(
                format!("ha.cf serial {}", device.display()),
                "Corosync has no serial transport: the null-modem cable cannot be a link. Give it a second network link instead (a crossover cable between two spare ports) and pass its addresses as the second --addr value of each node",
            ),
            _ if !media.contains(&m.link_name()) => media.push(m.link_name()),
            _ => {}
        }
    }
    findings.note(
        "ha.cf udpport / media",
        format!(
            "Corosync's knet talks on UDP 5405 (one port per link from 5405 up), not heartbeat's {}: open it between the nodes",
            cfg.udpport
        ),
    );
    findings.note(
        "authkeys",
        "not carried over: Corosync signs and encrypts with its own key. The export writes a fresh one (authkey, made by corosync-keygen) when corosync-keygen is installed, else run `corosync-keygen` on one node; install it as /etc/corosync/authkey (mode 0400) on both nodes",
    );
    Membership {
        cluster_name: opts.cluster_name.clone(),
        links: links(cfg, &media, opts, findings),
        nodes,
        token: cfg.timings.deadtime,
        syslog_facility: cfg.logging.logfacility.clone(),
    }
}

/// One link per network medium (and per extra `--addr` value), each with
/// both nodes' addresses; without `--addr` the node names, resolved by
/// Corosync, on one link.
fn links(
    cfg: &ClusterConfig,
    media: &[String],
    opts: &Options,
    findings: &mut Findings,
) -> Vec<Link> {
    let given: Vec<&[String]> = cfg
        .nodes
        .iter()
        .filter_map(|n| opts.addrs.get(n).map(Vec::as_slice))
        .collect();
    if given.is_empty() {
        findings.warn(
            "corosync.conf nodelist",
            format!(
                "no --addr given: each node's link 0 address is its name ({}), which must resolve to the same address on both nodes (/etc/hosts); further media are not carried over. Give --addr NODE=IP[,IP…] for each node, one address per link",
                cfg.nodes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        );
        let from = media
            .first()
            .cloned()
            .unwrap_or_else(|| "the node names".into());
        return vec![Link {
            number: 0,
            from,
            addrs: cfg.nodes.iter().map(ToString::to_string).collect(),
        }];
    }
    let count = given.iter().map(|a| a.len()).max().unwrap_or(0);
    if given.len() != cfg.nodes.len() || given.iter().any(|a| a.len() != count) {
        findings.block(
            "--addr",
            "give every node the same number of addresses, one per link, in link order (--addr alpha=10.0.0.1,10.1.0.1 --addr bravo=10.0.0.2,10.1.0.2)",
        );
    }
    if count < media.len() {
        findings.warn(
            "--addr",
            format!("{} network media in ha.cf but {count} address(es) per node: only the first {count} become links", media.len()),
        );
    }
    if count > MAX_LINKS {
        findings.block(
            "--addr",
            format!("Corosync takes at most {MAX_LINKS} links"),
        );
    }
    (0..count.min(MAX_LINKS))
        .map(|i| Link {
            number: i as u8,
            from: media
                .get(i)
                .cloned()
                .unwrap_or_else(|| "--addr (new)".into()),
            addrs: given
                .iter()
                .map(|a| a.get(i).cloned().unwrap_or_default())
                .collect(),
        })
        .collect()
}

/// corosync.conf for `m`.
pub fn write(m: &Membership) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Written by `heartbeat export pacemaker` from ha.cf.");
    let _ = writeln!(s, "totem {{");
    let _ = writeln!(s, "    version: 2");
    let _ = writeln!(s, "    cluster_name: {}", m.cluster_name);
    let _ = writeln!(s, "    transport: knet");
    let _ = writeln!(
        s,
        "    # ha.cf deadtime: a node silent this long leaves the membership."
    );
    let _ = writeln!(s, "    token: {}", m.token.as_millis());
    let _ = writeln!(s, "    crypto_cipher: aes256");
    let _ = writeln!(s, "    crypto_hash: sha256");
    let _ = writeln!(
        s,
        "    # Made by corosync-keygen (the export leaves a fresh one beside this file)."
    );
    let _ = writeln!(s, "    keyfile: {KEYFILE}");
    for l in &m.links {
        let _ = writeln!(s, "    # link {} replaces ha.cf {}", l.number, l.from);
        let _ = writeln!(
            s,
            "    interface {{\n        linknumber: {}\n    }}",
            l.number
        );
    }
    let _ = writeln!(s, "}}\n\nnodelist {{");
    for (i, n) in m.nodes.iter().enumerate() {
        let _ = writeln!(
            s,
            "    node {{\n        name: {}\n        nodeid: {}",
            n.name, n.id
        );
        for l in &m.links {
            let addr = l.addrs.get(i).map(String::as_str).unwrap_or("");
            let _ = writeln!(s, "        ring{}_addr: {addr}", l.number);
        }
        let _ = writeln!(s, "    }}");
    }
    let _ = writeln!(s, "}}\n\nquorum {{\n    provider: corosync_votequorum");
    let _ = writeln!(
        s,
        "    # Two nodes, as under heartbeat: the survivor keeps quorum."
    );
    let _ = writeln!(s, "    two_node: 1\n}}\n\nlogging {{\n    to_stderr: no");
    match &m.syslog_facility {
        Some(f) => {
            let _ = writeln!(s, "    to_syslog: yes\n    syslog_facility: {f}");
        }
        None => {
            let _ = writeln!(s, "    to_syslog: no");
        }
    }
    let _ = writeln!(s, "    timestamp: on\n}}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::check::tests::{HACF_OK, HARES_OK};

    fn mapped(hacf: &str, addrs: &[(&str, &[&str])]) -> (Membership, Findings) {
        let (cfg, opts) = crate::export::test_input(hacf, HARES_OK, true, addrs);
        let mut findings = Findings::default();
        (membership(&cfg, &opts, &mut findings), findings)
    }

    #[test]
    fn deadtime_is_the_token_and_each_address_pair_a_link() {
        let hacf = format!("{HACF_OK}serial /dev/ttyS0\n");
        let (m, f) = mapped(
            &hacf,
            &[
                ("alpha", &["10.0.0.1", "10.1.0.1"]),
                ("bravo", &["10.0.0.2", "10.1.0.2"]),
            ],
        );
        assert_eq!(m.token, std::time::Duration::from_secs(10));
        assert_eq!(m.links.len(), 2);
        assert_eq!(m.links[1].addrs, ["10.1.0.1", "10.1.0.2"]);
        assert!(f.0.iter().any(|f| f.subject == "ha.cf serial /dev/ttyS0"));
        assert!(!f.blocking());
        let conf = write(&m);
        assert!(
            conf.contains("two_node: 1") && conf.contains("ring1_addr: 10.1.0.2"),
            "{conf}"
        );
    }

    #[test]
    fn uneven_addresses_block_the_export() {
        let (_, f) = mapped(
            HACF_OK,
            &[
                ("alpha", &["10.0.0.1", "10.1.0.1"]),
                ("bravo", &["10.0.0.2"]),
            ],
        );
        assert!(f.blocking());
        let (_, f) = mapped(HACF_OK, &[("alpha", &["10.0.0.1"])]);
        assert!(f.blocking(), "a node without addresses");
    }
}
