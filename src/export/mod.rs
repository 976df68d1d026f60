//! `heartbeat export pacemaker`: the same ha.d the daemon reads, turned
//! into a Pacemaker configuration (a CIB, or pcs or crmsh commands) and a
//! corosync.conf, with a list of everything that has no equivalent.
//!
//! Pure: [`export`] takes the loaded configuration and the [`Facts`] of
//! the machine and returns values; [`render`] turns them into file
//! contents. Reading the facts and writing the files is the command's job
//! (`commands/export.rs`). Decisions live in `mapping`, `agents` and
//! `corosync`; the writers (`cib`, `pcs`, `crmsh`) only print.

pub mod agents;
pub mod cib;
pub mod corosync;
pub mod crmsh;
pub mod findings;
pub mod mapping;
pub mod model;
pub mod pcs;

use crate::config::{ClusterConfig, NodeName};
use findings::{Findings, TOOLS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What the machine has that changes the mapping.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// systemd service names (without `.service`): a script of that name
    /// becomes `systemd:NAME`.
    pub systemd_units: BTreeSet<String>,
}

impl Facts {
    /// The service units installed in the usual unit directories.
    pub fn from_system() -> Facts {
        let dirs = [
            "/etc/systemd/system",
            "/lib/systemd/system",
            "/usr/lib/systemd/system",
        ];
        let systemd_units = dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(Path::new(d)).ok())
            .flatten()
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".service")
                    .map(String::from)
            })
            .filter(|n| !n.ends_with('@'))
            .collect();
        Facts { systemd_units }
    }
}

/// What the admin chose on the command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub cluster_name: String,
    /// Fencing off (`stonith-enabled=false`); without it nothing is written.
    pub disable_fencing: bool,
    /// Each node's addresses, one per Corosync link in link order.
    pub addrs: BTreeMap<NodeName, Vec<String>>,
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cib,
    Pcs,
    Crmsh,
}

/// Where fence devices go, written into every output.
pub const FENCING_PLACEHOLDER: &str = "Fencing: heartbeat v1 had none. Add one device per node here (for instance a stonith primitive of class stonith, type fence_ipmilan, with pcmk_host_list set to the node it fences), then set stonith-enabled=true.";

/// Everything the export decided.
pub struct Export {
    pub plan: model::Plan,
    pub membership: model::Membership,
    pub findings: Findings,
}

/// Maps `cfg`; when `findings.blocking()`, nothing may be written.
pub fn export(cfg: &ClusterConfig, facts: &Facts, opts: &Options) -> Export {
    let mut findings = Findings::default();
    let plan = mapping::plan(cfg, facts, opts, &mut findings);
    let membership = corosync::membership(cfg, opts, &mut findings);
    for r in &cfg.respawn {
        findings.warn(
            format!("ha.cf respawn {} {}", r.user, r.command),
            "Pacemaker does not supervise programs: run it as a systemd service with Restart=always and User=, on both nodes (or as a cloned systemd: resource if it must follow the cluster)",
        );
    }
    for (subject, instead) in TOOLS {
        findings.note(subject, instead);
    }
    Export {
        plan,
        membership,
        findings,
    }
}

/// The files to write: name and contents.
pub fn render(e: &Export, format: Format) -> Vec<(&'static str, String)> {
    let main = match format {
        Format::Cib => ("cib.xml", cib::write(&e.plan)),
        Format::Pcs => ("cluster.pcs.sh", pcs::write(&e.plan)),
        Format::Crmsh => ("cluster.crm", crmsh::write(&e.plan)),
    };
    let notes: String = e.findings.0.iter().map(|f| format!("{f}\n")).collect();
    vec![
        main,
        ("corosync.conf", corosync::write(&e.membership)),
        ("MIGRATION-NOTES.txt", notes),
    ]
}

/// For the mapping tests: `hacf` and `hares` loaded on alpha, and options
/// with these addresses.
#[cfg(test)]
pub(crate) fn test_input(
    hacf: &str,
    hares: &str,
    disable_fencing: bool,
    addrs: &[(&str, &[&str])],
) -> (ClusterConfig, Options) {
    use crate::config::check::tests::{AUTH_OK, Dir};
    let dir = Dir::new(hacf, AUTH_OK, Some(hares));
    let cfg = dir.load("alpha").unwrap().config;
    let addrs = addrs
        .iter()
        .map(|(n, a)| (NodeName::new(n), a.iter().map(|s| s.to_string()).collect()))
        .collect();
    let opts = Options {
        cluster_name: "t".into(),
        disable_fencing,
        addrs,
    };
    (cfg, opts)
}
