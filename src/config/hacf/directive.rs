//! Per-directive parsing of ha.cf: the dispatch from directive name to
//! reader, and the general directives (nodes, failback, ping, respawn,
//! logging, tuning, and the modes this heartbeat refuses).

use super::At;
use super::parser::{Parser, Slot, option_words};
use super::values::parse_bool;
use crate::config::model::{AutoFailback, NodeName, PingGroup, Respawn};
use std::path::PathBuf;
use std::time::Duration;

const SYSLOG_FACILITIES: [&str; 20] = [
    "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user",
    "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// Directives the original accepts that change nothing for a two-node v1
/// cluster; we accept them silently too.
const IGNORED: [&str; 13] = [
    "coreroot",
    "memreserve",
    "max_rexmit_delay",
    "log_badpack",
    "syslogmsgfmt",
    "conn_logd_time",
    "cluster",
    "uuidfrom",
    "env",
    "apiauth",
    "compression",
    "compression_threshold",
    "quorum_server",
];

/// Accepted but not implemented, and an admin might rely on them: warn.
const NOT_IMPLEMENTED: [&str; 2] = ["watchdog", "failfast"];

impl Parser<'_> {
    /// Reads one directive line. Each family of directives says whether it
    /// knows the name; a name none knows is ignored or warned about.
    pub(super) fn directive(&mut self, n: usize, name: &str, rest: &str) {
        // Most directives take blank- or comma-separated options; ucast,
        // mcast, respawn, monitor and rsc_timeout need the words as written.
        let words = option_words(rest);
        let whole: Vec<&str> = rest.split_whitespace().collect();
        let known = self.timing_directive(n, name, &words)
            || self.cluster_directive(n, name, &words, &whole)
            || self.setting_directive(n, name, &words)
            || self.refused_directive(n, name, &words);
        if !known {
            self.other_directive(n, name);
        }
    }

    /// keepalive, warntime, deadtime, initdead, deadping, failback_delay,
    /// garp_refresh.
    fn timing_directive(&mut self, n: usize, name: &str, words: &[&str]) -> bool {
        let slot: Slot<At<Duration>> = match name {
            "keepalive" => |c| &mut c.keepalive,
            "warntime" => |c| &mut c.warntime,
            "deadtime" => |c| &mut c.deadtime,
            "initdead" => |c| &mut c.initdead,
            "deadping" => |c| &mut c.deadping,
            "failback_delay" => |c| &mut c.failback_delay,
            "garp_refresh" => |c| &mut c.garp_refresh,
            "drbd_wfc_timeout" => |c| &mut c.drbd_wfc_timeout,
            _ => return false,
        };
        self.time(n, name, words, slot);
        true
    }

    /// What the cluster is: nodes, media, failback, ping nodes, respawned
    /// programs and our own extensions.
    fn cluster_directive(&mut self, n: usize, name: &str, words: &[&str], whole: &[&str]) -> bool {
        match name {
            "node" => self.node(n, words),
            "udpport" => self.udpport(n, words),
            "baud" => self.baud(n, words),
            "bcast" => self.bcast(n, words),
            "ucast" => self.ucast(n, whole),
            "mcast" => self.mcast(n, whole),
            "serial" => self.serial(n, words),
            "auto_failback" => self.auto_failback(n, words),
            "garp_mode" => self.garp_mode(n, words),
            "nice_failback" => self.nice_failback(n, words),
            "ping" => self.ping(n, words),
            "ping_group" => self.ping_group(n, words),
            "respawn" => self.respawn(n, whole),
            "monitor" => self.monitor(n, whole),
            "rsc_timeout" => self.rsc_timeout(n, whole),
            "metrics_listen" => self.metrics_listen(n, words),
            _ => return false,
        }
        true
    }

    /// Logging and tuning: single values, some only checked because we
    /// have no use for them (coredumps, rtprio, msgfmt, hbgenmethod).
    fn setting_directive(&mut self, n: usize, name: &str, words: &[&str]) -> bool {
        match name {
            "logfile" => {
                let path = self.one(n, name, words).map(PathBuf::from);
                self.set(|c| &mut c.logfile, path);
            }
            "debugfile" => {
                let path = self.one(n, name, words).map(PathBuf::from);
                self.set(|c| &mut c.debugfile, path);
            }
            "logfacility" => self.logfacility(n, words),
            "use_logd" => {
                let b = self.boolean(n, name, words);
                self.set(|c| &mut c.use_logd, b);
            }
            "realtime" => {
                let b = self.boolean(n, name, words);
                self.set(|c| &mut c.realtime, b);
            }
            "coredumps" => {
                self.boolean(n, name, words);
            }
            "debug" => {
                let v = self.integer(n, name, words, 0, 255);
                self.set(|c| &mut c.debug, v);
            }
            "hopfudge" => {
                let v = self.integer(n, name, words, 0, 255);
                self.set(|c| &mut c.hopfudge, v);
            }
            "rtprio" => {
                self.integer(n, name, words, 1, 99);
            }
            "msgfmt" => self.either(n, name, words, ["classic", "netstring"]),
            "hbgenmethod" => self.either(n, name, words, ["file", "time"]),
            _ => return false,
        }
        true
    }

    /// Modes of the original this heartbeat does not offer: errors that say
    /// so and how to write the line instead.
    fn refused_directive(&mut self, n: usize, name: &str, words: &[&str]) -> bool {
        match name {
            "crm" | "pacemaker" => self.crm(n, name, words),
            "autojoin" => self.autojoin(n, words),
            "traditional_compression" => {
                if self.boolean(n, name, words) == Some(true) {
                    self.d.error(
                        n,
                        "traditional_compression yes is not supported: heartbeat never \
                         compresses messages; remove the line or set it to no",
                    );
                }
            }
            "stonith" | "stonith_host" => self.d.error(
                n,
                format!(
                    "{name}: STONITH is not supported by this heartbeat; remove the line \
                     (fence with an external tool if you need it)"
                ),
            ),
            _ => return false,
        }
        true
    }

    /// A name no family knows: accepted silently, warned about as not
    /// implemented, or warned about as unknown.
    fn other_directive(&mut self, n: usize, name: &str) {
        if IGNORED.contains(&name) {
            return;
        }
        if NOT_IMPLEMENTED.contains(&name) {
            self.d
                .warn(n, format!("{name} is not implemented and is ignored"));
        } else {
            self.d.warn(
                n,
                format!("unknown directive [{name}] ignored (directive names are case-sensitive)"),
            );
        }
    }

    /// Stores a value that was read fine; a bad one was already reported.
    fn set<T>(&mut self, slot: Slot<T>, value: Option<T>) {
        if let Some(v) = value {
            *slot(&mut self.cf) = Some(v);
        }
    }

    /// One of two words, checked only: nothing here depends on the choice.
    fn either(&mut self, n: usize, name: &str, words: &[&str], [a, b]: [&str; 2]) {
        if let Some(w) = self.one(n, name, words)
            && w != a
            && w != b
        {
            self.d.error(
                n,
                format!("{name}: invalid value [{w}]: expected {a} or {b}"),
            );
        }
    }

    fn node(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d.error(n, "node: expected one or more node names");
        }
        for w in words {
            let name = NodeName::new(w);
            if self.cf.nodes.iter().any(|x| x.value == name) {
                self.d.warn(n, format!("node {name} listed twice"));
                continue;
            }
            self.cf.nodes.push(At {
                value: name,
                line: n,
            });
        }
    }

    fn auto_failback(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "auto_failback", words) else {
            return;
        };
        let v = if w.eq_ignore_ascii_case("legacy") {
            AutoFailback::Legacy
        } else {
            match parse_bool(w) {
                Some(true) => AutoFailback::On,
                Some(false) => AutoFailback::Off,
                None => {
                    self.d.error(
                        n,
                        format!("auto_failback: invalid value [{w}]: expected on, off or legacy"),
                    );
                    return;
                }
            }
        };
        self.set_at(n, "auto_failback", |c| &mut c.auto_failback, v);
    }

    /// Our extension: how the VIP's gratuitous ARP is sent.
    fn garp_mode(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "garp_mode", words) else {
            return;
        };
        let Some(mode) = crate::arp::GarpMode::parse(&w.to_ascii_lowercase()) else {
            self.d.error(
                n,
                format!("garp_mode: invalid value [{w}]: expected both, request or reply"),
            );
            return;
        };
        self.set_at(n, "garp_mode", |c| &mut c.garp_mode, mode);
    }

    fn nice_failback(&mut self, n: usize, words: &[&str]) {
        let Some(b) = self.boolean(n, "nice_failback", words) else {
            return;
        };
        self.d.warn(
            n,
            "nice_failback flag is obsolete; use auto_failback on|off instead",
        );
        // The original's mapping: nice (no failback) is auto_failback off.
        let v = if b {
            AutoFailback::Off
        } else {
            AutoFailback::Legacy
        };
        self.set_at(n, "auto_failback", |c| &mut c.auto_failback, v);
    }

    fn ping(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d.error(n, "ping: expected one or more IP addresses");
        }
        for w in words {
            if let Some(ip) = self.ip(n, "ping", w) {
                self.cf.ping.push(ip);
            }
        }
    }

    fn ping_group(&mut self, n: usize, words: &[&str]) {
        let Some((name, hosts)) = words.split_first().filter(|(_, h)| !h.is_empty()) else {
            self.d
                .error(n, "ping_group: expected \"ping_group NAME IP [IP...]\"");
            return;
        };
        let mut ips = Vec::new();
        for h in hosts {
            if let Some(ip) = self.ip(n, "ping_group", h) {
                ips.push(ip);
            }
        }
        self.cf.ping_groups.push(PingGroup {
            name: name.to_string(),
            hosts: ips,
        });
    }

    fn respawn(&mut self, n: usize, words: &[&str]) {
        match words {
            [user, prog, ..] if prog.starts_with('/') => self.cf.respawn.push(Respawn {
                user: user.to_string(),
                command: words[1..].join(" "),
            }),
            _ => self.d.error(
                n,
                "respawn: expected \"respawn USER /absolute/path/to/program [ARGS...]\"",
            ),
        }
    }

    fn logfacility(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "logfacility", words) else {
            return;
        };
        if w == "none" {
            self.cf.logfacility = None;
        } else if SYSLOG_FACILITIES.contains(&w) {
            self.cf.logfacility = Some(w.to_string());
        } else {
            self.d.error(
                n,
                format!(
                    "logfacility: invalid facility [{w}]: expected none or one of {}",
                    SYSLOG_FACILITIES.join(", ")
                ),
            );
        }
    }

    fn crm(&mut self, n: usize, name: &str, words: &[&str]) {
        let Some(w) = self.one(n, name, words) else {
            return;
        };
        if w.eq_ignore_ascii_case("respawn") || parse_bool(w) == Some(true) {
            self.d.error(
                n,
                format!(
                    "{name} {w}: Pacemaker (CRM) mode is not supported; this heartbeat only \
                     runs haresources (v1) clusters: remove the line or write \"{name} off\""
                ),
            );
        } else if parse_bool(w).is_none() {
            self.d.error(
                n,
                format!(
                    "{name}: invalid value [{w}]: expected off (on and respawn are not supported)"
                ),
            );
        }
    }

    fn autojoin(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "autojoin", words) else {
            return;
        };
        match w {
            "none" => {}
            "other" | "any" => self.d.error(
                n,
                format!(
                    "autojoin {w} is not supported: the two nodes are fixed by the node \
                     lines; remove the line or write \"autojoin none\""
                ),
            ),
            _ => self.d.error(
                n,
                format!(
                    "autojoin: invalid value [{w}]: expected none (other and any are not supported)"
                ),
            ),
        }
    }
}
