//! What the original's API told `cl_status` about ha.cf: its parameter
//! table (`hbparameter -p NAME`) and its node list with each node's type
//! (`listnodes`, `nodetype`). Scripts written for 3.0.6 read both, so we
//! rebuild them by the original's rules: every option directive recorded
//! as written (of several words the last wins), the directive defaults,
//! then the values it derived (warntime, initdead and deadping as `Nms`,
//! udpport, the log files, use_logd).
//!
//! Pure: gets ha.cf's text and the daemon's running timings; never opens
//! a file. `ping` hosts and `ping_group` names are nodes of type ping.

use super::hacf::{DEFAULT_UDPPORT, directives, option_words};
use std::collections::BTreeMap;
use std::time::Duration;

/// Option directives whose value the original recorded, with the default it
/// filled in when ha.cf did not set one (3.0.6's directive table).
const RECORDED: &[(&str, Option<&str>)] = &[
    ("cluster", Some("linux-ha")),
    ("hopfudge", Some("1")),
    ("keepalive", Some("1000ms")),
    ("deadtime", Some("30000ms")),
    ("deadping", None),
    ("initdead", None),
    ("warntime", None),
    ("watchdog", None),
    ("baud", Some("19200")),
    ("udpport", None),
    ("logfacility", None),
    ("logfile", None),
    ("debugfile", None),
    ("auto_failback", Some("legacy")),
    ("rtprio", None),
    ("hbgenmethod", Some("file")),
    ("realtime", Some("true")),
    ("debug", None),
    ("msgfmt", Some("classic")),
    ("use_logd", None),
    ("conn_logd_time", Some("60")),
    ("log_badpack", Some("true")),
    ("syslogmsgfmt", Some("true")),
    ("coredumps", Some("true")),
    ("coreroot", None),
    ("crm_daemon_dir", None),
    ("pacemaker", Some("false")),
    ("autojoin", Some("none")),
    ("uuidfrom", Some("file")),
    ("compression", Some("zlib")),
    ("compression_threshold", Some("2")),
    ("traditional_compression", Some("no")),
    ("max_rexmit_delay", Some("250")),
    ("record_config_changes", Some("on")),
    ("record_pengine_inputs", Some("on")),
    ("enable_config_writes", Some("on")),
    ("memreserve", Some("6500")),
    ("quorum_server", None),
    // Ours: recorded like the original's own timing directives.
    ("failback_delay", None),
];

/// Facilities the original counted as "no syslog" (its number ≤ 0).
const NO_SYSLOG: [&str; 2] = ["none", "kern"];

/// The timings the daemon runs with, for the values the original derived.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    pub deadtime: Duration,
    pub warntime: Duration,
    pub initdead: Duration,
}

/// The original's parameter table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameters(BTreeMap<String, String>);

impl Parameters {
    pub fn from_hacf(text: &str, running: Running) -> Parameters {
        let mut t = BTreeMap::new();
        for (_, name, rest) in directives(text) {
            // `crm` is the original's alias: it records `pacemaker`.
            let key = if name == "crm" { "pacemaker" } else { name };
            if RECORDED.iter().any(|(k, _)| *k == key)
                && let Some(last) = option_words(rest).last()
            {
                t.insert(key.to_string(), last.to_string());
            }
        }
        for (k, default) in RECORDED {
            if let Some(d) = default {
                t.entry(k.to_string()).or_insert_with(|| d.to_string());
            }
        }
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        t.entry("debug".into()).or_insert_with(|| "0".into());
        t.entry("warntime".into())
            .or_insert_with(|| ms(running.warntime));
        t.entry("initdead".into())
            .or_insert_with(|| ms(running.initdead));
        t.entry("deadping".into())
            .or_insert_with(|| ms(running.deadtime));
        t.entry("udpport".into())
            .or_insert_with(|| DEFAULT_UDPPORT.to_string());
        let syslog = t
            .get("logfacility")
            .is_some_and(|f| !NO_SYSLOG.contains(&f.as_str()));
        if syslog {
            for file in ["logfile", "debugfile"] {
                t.entry(file.into()).or_insert_with(|| "/dev/null".into());
            }
        } else if !t.contains_key("logfile") && !t.contains_key("debugfile") {
            t.entry("use_logd".into()).or_insert_with(|| "yes".into());
        }
        Parameters(t)
    }

    /// A parameter's value; `None` when the original would say it is unset.
    /// Names are case-sensitive, as ha.cf directives are.
    pub fn get(&self, name: &str) -> Option<&str> {
        let key = if name == "crm" { "pacemaker" } else { name };
        self.0.get(key).map(String::as_str)
    }
}

/// A node as the original's API lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    /// A cluster member (`node`).
    Normal,
    /// A `ping` host or a `ping_group`.
    Ping,
}

impl NodeType {
    pub fn word(self) -> &'static str {
        match self {
            NodeType::Normal => "normal",
            NodeType::Ping => "ping",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    /// Lower-cased, as the original stores every node name.
    pub name: String,
    pub kind: NodeType,
}

/// Every node ha.cf declares, in the order the original's node walk gives
/// them: the reverse of declaration (its table is built by prepending).
pub fn cluster_nodes(text: &str) -> Vec<ClusterNode> {
    let mut nodes = Vec::new();
    for (_, name, rest) in directives(text) {
        let words = option_words(rest);
        let (kind, names) = match name {
            "node" => (NodeType::Normal, &words[..]),
            "ping" => (NodeType::Ping, &words[..]),
            "ping_group" => (NodeType::Ping, &words[..words.len().min(1)]),
            _ => continue,
        };
        nodes.extend(names.iter().map(|n| ClusterNode {
            name: n.to_ascii_lowercase(),
            kind,
        }));
    }
    nodes.reverse();
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: Running = Running {
        deadtime: Duration::from_secs(2),
        warntime: Duration::from_secs(1),
        initdead: Duration::from_secs(12),
    };

    #[test]
    fn values_are_recorded_as_written_and_the_last_word_wins() {
        let p = Parameters::from_hacf(
            "keepalive 200ms\ndeadtime 2 # two seconds\nhopfudge 1,3\nnode a b\n",
            RUNNING,
        );
        assert_eq!(p.get("keepalive"), Some("200ms"));
        assert_eq!(p.get("deadtime"), Some("2"));
        assert_eq!(p.get("hopfudge"), Some("3"));
        // Not recorded by the original: node lines, media, unknown names.
        assert_eq!(p.get("node"), None);
        assert_eq!(p.get("bcast"), None);
        assert_eq!(p.get("Keepalive"), None);
    }

    #[test]
    fn unset_values_get_the_original_defaults_and_derived_values() {
        let p = Parameters::from_hacf("node a b\nbcast eth1\n", RUNNING);
        assert_eq!(p.get("keepalive"), Some("1000ms"));
        assert_eq!(p.get("cluster"), Some("linux-ha"));
        assert_eq!(p.get("auto_failback"), Some("legacy"));
        assert_eq!(p.get("warntime"), Some("1000ms"));
        assert_eq!(p.get("initdead"), Some("12000ms"));
        assert_eq!(p.get("deadping"), Some("2000ms"));
        assert_eq!(p.get("udpport"), Some("694"));
        assert_eq!(p.get("debug"), Some("0"));
        assert_eq!(p.get("watchdog"), None);
        // No log directive at all: the original turns the log daemon on.
        assert_eq!(p.get("use_logd"), Some("yes"));
    }

    #[test]
    fn crm_is_an_alias_of_pacemaker() {
        let p = Parameters::from_hacf("crm off\n", RUNNING);
        assert_eq!(p.get("pacemaker"), Some("off"));
        assert_eq!(p.get("crm"), Some("off"));
        let p = Parameters::from_hacf("", RUNNING);
        assert_eq!(p.get("crm"), Some("false"));
    }

    #[test]
    fn syslog_without_files_sends_the_files_to_dev_null() {
        let p = Parameters::from_hacf("logfacility local0\n", RUNNING);
        assert_eq!(p.get("logfile"), Some("/dev/null"));
        assert_eq!(p.get("debugfile"), Some("/dev/null"));
        assert_eq!(p.get("use_logd"), None);
        let p = Parameters::from_hacf("logfacility none\nlogfile /var/log/ha-log\n", RUNNING);
        assert_eq!(p.get("debugfile"), None);
        assert_eq!(p.get("use_logd"), None);
    }

    #[test]
    fn nodes_come_in_reverse_declaration_order_with_ping_types() {
        let nodes = cluster_nodes(
            "node Alpha\nping 10.0.0.1 10.0.0.2\nnode bravo\nping_group PG 10.0.0.3 10.0.0.4\n",
        );
        let got: Vec<(&str, NodeType)> = nodes.iter().map(|n| (n.name.as_str(), n.kind)).collect();
        assert_eq!(
            got,
            [
                ("pg", NodeType::Ping),
                ("bravo", NodeType::Normal),
                ("10.0.0.2", NodeType::Ping),
                ("10.0.0.1", NodeType::Ping),
                ("alpha", NodeType::Normal),
            ]
        );
    }
}
