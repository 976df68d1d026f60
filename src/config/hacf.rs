//! ha.cf: text → the settings it declares, plus the checks that need only
//! ha.cf and the local node name.
//!
//! Pure: gets the file's text, never opens anything, never resolves host
//! names. Cross-file checks (monitor keys, rsc_timeout agents) live in
//! `check.rs`.

use super::diag::{Diags, FileDiags};
use super::model::*;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_UDPPORT: u16 = 694;
pub const DEFAULT_BAUD: u32 = 19200;
pub const BAUD_RATES: [u32; 7] = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
pub const DEFAULT_MONITOR_RESTARTS: u32 = 3;
pub const DEFAULT_MONITOR_WINDOW: Duration = Duration::from_secs(600);
const MAX_MCAST_TTL: u8 = 4;
/// Linux interface names are at most IFNAMSIZ-1 bytes.
const MAX_IFNAME: usize = 15;

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

/// A value and the line that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Start,
    Stop,
    Status,
}

/// `monitor GROUPKEY INTERVAL [MAX_RESTARTS [WINDOW]]` (ours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorDirective {
    pub group: String,
    pub policy: MonitorPolicy,
    pub line: usize,
}

/// `rsc_timeout AGENTNAME start|stop|status TIME` (ours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RscTimeout {
    pub agent: String,
    pub action: Action,
    pub timeout: Duration,
    pub line: usize,
}

/// Everything ha.cf said, before defaults and cross-checks.
#[derive(Clone, Debug, Default)]
pub struct HaCf {
    pub nodes: Vec<At<NodeName>>,
    pub keepalive: Option<At<Duration>>,
    pub warntime: Option<At<Duration>>,
    pub deadtime: Option<At<Duration>>,
    pub initdead: Option<At<Duration>>,
    pub deadping: Option<At<Duration>>,
    pub udpport: Option<At<u16>>,
    pub baud: Option<At<u32>>,
    pub media: Vec<At<Medium>>,
    pub auto_failback: Option<At<AutoFailback>>,
    pub failback_delay: Option<At<Duration>>,
    pub ping: Vec<IpAddr>,
    pub ping_groups: Vec<PingGroup>,
    pub logfile: Option<PathBuf>,
    pub debugfile: Option<PathBuf>,
    pub logfacility: Option<String>,
    pub use_logd: Option<bool>,
    pub realtime: Option<bool>,
    pub debug: Option<u32>,
    pub hopfudge: Option<u32>,
    pub respawn: Vec<Respawn>,
    pub monitors: Vec<MonitorDirective>,
    pub rsc_timeouts: Vec<RscTimeout>,
}

/// The ha.cf part of the final model, defaults applied and validated.
#[derive(Clone, Debug)]
pub struct HaCfSettings {
    pub local: NodeName,
    pub peer: NodeName,
    pub nodes: Vec<NodeName>,
    pub timings: Timings,
    pub udpport: u16,
    pub baud: u32,
    pub media: Vec<Medium>,
    pub auto_failback: AutoFailback,
    /// Line of an explicit `auto_failback`, `None` when defaulted to legacy.
    pub auto_failback_line: Option<usize>,
    pub failback_delay: Duration,
    pub ping: Vec<IpAddr>,
    pub ping_groups: Vec<PingGroup>,
    pub logging: Logging,
    pub realtime: bool,
    pub debug: u32,
    pub hopfudge: u32,
    pub respawn: Vec<Respawn>,
    pub monitors: Vec<MonitorDirective>,
    pub rsc_timeouts: Vec<RscTimeout>,
}

/// Parses a time the way the original's `cl_get_msec` does: digits and dots,
/// then nothing (seconds), `ms…` (milliseconds) or `us`/`usec`
/// (microseconds); rounded to the nearest millisecond.
pub fn parse_time(word: &str) -> Result<Duration, String> {
    let split = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(word.len());
    let (number, unit) = word.split_at(split);
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "invalid time [{word}]: expected a number of seconds, or a number followed by ms or us"
        ));
    }
    if number.matches('.').count() > 1 {
        return Err(format!(
            "invalid time [{word}]: more than one decimal point"
        ));
    }
    let micros_per_unit: f64 = if unit.is_empty() {
        1e6
    } else if unit.starts_with("ms") {
        1e3
    } else if unit == "us" || unit == "usec" {
        1.0
    } else {
        return Err(format!(
            "invalid time [{word}]: unknown unit [{unit}] (expected none for seconds, ms or us)"
        ));
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid time [{word}]: not a number"))?;
    let millis = (value * micros_per_unit / 1e3).round();
    // About 31 years; anything beyond is a typo, and it keeps Duration math safe.
    if !millis.is_finite() || millis > 1e12 {
        return Err(format!("invalid time [{word}]: too large"));
    }
    Ok(Duration::from_millis(millis as u64))
}

/// The original's boolean words (`true on yes y 1` / `false off no n 0`).
pub fn parse_bool(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

pub fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Strips the comment and surrounding blanks; `None` for an empty line.
fn significant(raw: &str) -> Option<&str> {
    let no_comment = raw.split('#').next().unwrap_or("");
    let t = no_comment.trim();
    (!t.is_empty()).then_some(t)
}

struct Parser<'a> {
    d: FileDiags<'a>,
    cf: HaCf,
    first_udp_medium: Option<usize>,
    first_serial: Option<usize>,
}

/// Parses ha.cf; errors and warnings go to `diags`.
pub fn parse(text: &str, file: &Path, diags: &mut Diags) -> HaCf {
    let mut p = Parser {
        d: diags.for_file(file),
        cf: HaCf::default(),
        first_udp_medium: None,
        first_serial: None,
    };
    for (i, raw) in text.lines().enumerate() {
        let Some(line) = significant(raw) else {
            continue;
        };
        let (name, rest) = match line.find(char::is_whitespace) {
            Some(pos) => (&line[..pos], line[pos..].trim()),
            None => (line, ""),
        };
        p.directive(i + 1, name, rest);
    }
    p.cf
}

fn option_words(rest: &str) -> Vec<&str> {
    rest.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect()
}

impl Parser<'_> {
    fn directive(&mut self, n: usize, name: &str, rest: &str) {
        let words = option_words(rest);
        let whole: Vec<&str> = rest.split_whitespace().collect();
        match name {
            "node" => self.node(n, &words),
            "keepalive" => self.time(n, name, &words, |c| &mut c.keepalive),
            "warntime" => self.time(n, name, &words, |c| &mut c.warntime),
            "deadtime" => self.time(n, name, &words, |c| &mut c.deadtime),
            "initdead" => self.time(n, name, &words, |c| &mut c.initdead),
            "deadping" => self.time(n, name, &words, |c| &mut c.deadping),
            "failback_delay" => self.time(n, name, &words, |c| &mut c.failback_delay),
            "udpport" => self.udpport(n, &words),
            "baud" => self.baud(n, &words),
            "bcast" => self.bcast(n, &words),
            "ucast" => self.ucast(n, &whole),
            "mcast" => self.mcast(n, &whole),
            "serial" => self.serial(n, &words),
            "auto_failback" => self.auto_failback(n, &words),
            "nice_failback" => self.nice_failback(n, &words),
            "ping" => self.ping(n, &words),
            "ping_group" => self.ping_group(n, &words),
            "respawn" => self.respawn(n, &whole),
            "logfile" => {
                if let Some(w) = self.one(n, name, &words) {
                    self.cf.logfile = Some(PathBuf::from(w));
                }
            }
            "debugfile" => {
                if let Some(w) = self.one(n, name, &words) {
                    self.cf.debugfile = Some(PathBuf::from(w));
                }
            }
            "logfacility" => self.logfacility(n, &words),
            "use_logd" => {
                if let Some(b) = self.boolean(n, name, &words) {
                    self.cf.use_logd = Some(b);
                }
            }
            "realtime" => {
                if let Some(b) = self.boolean(n, name, &words) {
                    self.cf.realtime = Some(b);
                }
            }
            "coredumps" => {
                self.boolean(n, name, &words);
            }
            "debug" => {
                if let Some(v) = self.integer(n, name, &words, 0, 255) {
                    self.cf.debug = Some(v);
                }
            }
            "hopfudge" => {
                if let Some(v) = self.integer(n, name, &words, 0, 255) {
                    self.cf.hopfudge = Some(v);
                }
            }
            "rtprio" => {
                self.integer(n, name, &words, 1, 99);
            }
            "crm" | "pacemaker" => self.crm(n, name, &words),
            "autojoin" => self.autojoin(n, &words),
            "msgfmt" => {
                if let Some(w) = self.one(n, name, &words)
                    && w != "classic"
                    && w != "netstring"
                {
                    self.d.error(
                        n,
                        format!("msgfmt: invalid value [{w}]: expected classic or netstring"),
                    );
                }
            }
            "hbgenmethod" => {
                if let Some(w) = self.one(n, name, &words)
                    && w != "file"
                    && w != "time"
                {
                    self.d.error(
                        n,
                        format!("hbgenmethod: invalid value [{w}]: expected file or time"),
                    );
                }
            }
            "traditional_compression" => {
                if self.boolean(n, name, &words) == Some(true) {
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
            "monitor" => self.monitor(n, &whole),
            "rsc_timeout" => self.rsc_timeout(n, &whole),
            _ if IGNORED.contains(&name) => {}
            _ if NOT_IMPLEMENTED.contains(&name) => self
                .d
                .warn(n, format!("{name} is not implemented and is ignored")),
            _ => self.d.warn(
                n,
                format!("unknown directive [{name}] ignored (directive names are case-sensitive)"),
            ),
        }
    }

    /// Exactly one value; the original silently kept the last of several.
    fn one<'w>(&mut self, n: usize, name: &str, words: &[&'w str]) -> Option<&'w str> {
        match words {
            [w] => Some(w),
            [] => {
                self.d.error(n, format!("{name}: missing value"));
                None
            }
            _ => {
                self.d.error(
                    n,
                    format!(
                        "{name}: expected one value, got {} ({})",
                        words.len(),
                        words.join(" ")
                    ),
                );
                None
            }
        }
    }

    fn time(
        &mut self,
        n: usize,
        name: &str,
        words: &[&str],
        slot: fn(&mut HaCf) -> &mut Option<At<Duration>>,
    ) {
        if let [num, unit] = words
            && parse_time(num).is_ok()
            && (unit.starts_with("ms") || *unit == "us" || *unit == "usec")
        {
            self.d.error(
                n,
                format!(
                    "{name}: no space allowed between number and unit: write {num}{unit} \
                     instead of \"{num} {unit}\""
                ),
            );
            return;
        }
        let Some(w) = self.one(n, name, words) else {
            return;
        };
        match parse_time(w) {
            Ok(d) => {
                let s = slot(&mut self.cf);
                if let Some(prev) = s.as_ref() {
                    let prev_line = prev.line;
                    self.d.warn(
                        n,
                        format!("{name} given again; this line overrides line {prev_line}"),
                    );
                }
                *slot(&mut self.cf) = Some(At { value: d, line: n });
            }
            Err(e) => self.d.error(n, format!("{name}: {e}")),
        }
    }

    fn boolean(&mut self, n: usize, name: &str, words: &[&str]) -> Option<bool> {
        let w = self.one(n, name, words)?;
        let b = parse_bool(w);
        if b.is_none() {
            self.d.error(
                n,
                format!(
                    "{name}: invalid value [{w}]: expected a boolean \
                     (on/off, yes/no, true/false, y/n, 1/0)"
                ),
            );
        }
        b
    }

    fn integer(&mut self, n: usize, name: &str, words: &[&str], min: u32, max: u32) -> Option<u32> {
        let w = self.one(n, name, words)?;
        match w.parse::<u32>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.d.error(
                    n,
                    format!("{name}: invalid value [{w}]: expected an integer from {min} to {max}"),
                );
                None
            }
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

    fn udpport(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "udpport", words) else {
            return;
        };
        match w.parse::<u16>() {
            Ok(p) if p > 0 => self.cf.udpport = Some(At { value: p, line: n }),
            _ => {
                self.d.error(
                    n,
                    format!("udpport: invalid port [{w}]: expected an integer from 1 to 65535"),
                );
                return;
            }
        }
        if let Some(m) = self.first_udp_medium {
            self.d.error(
                n,
                format!(
                    "udpport must precede media statements (line {m} already defined a UDP \
                     medium with the previous port)"
                ),
            );
        }
    }

    fn baud(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "baud", words) else {
            return;
        };
        if let Some(prev) = &self.cf.baud {
            let l = prev.line;
            self.d.error(
                n,
                format!("baud multiply specified (already set on line {l})"),
            );
            return;
        }
        match w.parse::<u32>() {
            Ok(b) if BAUD_RATES.contains(&b) => self.cf.baud = Some(At { value: b, line: n }),
            _ => {
                let list: Vec<String> = BAUD_RATES.iter().map(u32::to_string).collect();
                self.d.error(
                    n,
                    format!(
                        "baud: invalid baud rate [{w}]: expected one of {}",
                        list.join(", ")
                    ),
                );
                return;
            }
        }
        if let Some(m) = self.first_serial {
            self.d.error(
                n,
                format!(
                    "baud must precede media statements (line {m} already defined a serial medium)"
                ),
            );
        }
    }

    fn iface(&mut self, n: usize, dir: &str, iface: &str) -> bool {
        let ok = !iface.is_empty()
            && iface.len() <= MAX_IFNAME
            && !iface.contains('/')
            && iface != "."
            && iface != "..";
        if !ok {
            self.d.error(
                n,
                format!("{dir}: invalid interface name [{iface}] (at most {MAX_IFNAME} characters, no '/')"),
            );
        }
        ok
    }

    fn add_medium(&mut self, n: usize, m: Medium) {
        match m {
            Medium::Serial { .. } => {
                self.first_serial.get_or_insert(n);
            }
            _ => {
                self.first_udp_medium.get_or_insert(n);
            }
        }
        self.cf.media.push(At { value: m, line: n });
    }

    fn bcast(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d
                .error(n, "bcast: expected one or more interface names");
        }
        for w in words {
            if self.iface(n, "bcast", w) {
                self.add_medium(
                    n,
                    Medium::Bcast {
                        iface: w.to_string(),
                    },
                );
            }
        }
    }

    fn ucast(&mut self, n: usize, words: &[&str]) {
        let [iface, peer] = words else {
            self.d.error(
                n,
                format!(
                    "ucast: expected \"ucast INTERFACE PEER-IP\", got {} word(s)",
                    words.len()
                ),
            );
            return;
        };
        if !self.iface(n, "ucast", iface) {
            return;
        }
        match peer.parse::<IpAddr>() {
            Ok(peer) => self.add_medium(
                n,
                Medium::Ucast {
                    iface: iface.to_string(),
                    peer,
                },
            ),
            Err(_) => self.d.error(
                n,
                format!("ucast: invalid peer address [{peer}]: expected an IP address (host names are not resolved)"),
            ),
        }
    }

    fn mcast(&mut self, n: usize, words: &[&str]) {
        let Some(iface) = words.first() else {
            self.d
                .error(n, "mcast: expected \"mcast INTERFACE GROUP PORT TTL LOOP\"");
            return;
        };
        const FIELDS: [&str; 4] = ["group", "port", "ttl", "loop"];
        if words.len() < 5 {
            let missing = FIELDS[words.len() - 1];
            self.d.error(
                n,
                format!("mcast [{iface}] missing {missing}: expected \"mcast INTERFACE GROUP PORT TTL LOOP\""),
            );
            return;
        }
        if words.len() > 5 {
            self.d.error(
                n,
                format!("mcast [{iface}]: too many fields: expected \"mcast INTERFACE GROUP PORT TTL LOOP\""),
            );
            return;
        }
        if !self.iface(n, "mcast", iface) {
            return;
        }
        let mut ok = true;
        let group = match words[1].parse::<Ipv4Addr>() {
            Ok(g) if g.is_multicast() => Some(g),
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad group [{}]: expected an IPv4 multicast address (224.0.0.0 to 239.255.255.255)",
                        words[1]
                    ),
                );
                ok = false;
                None
            }
        };
        let port = match words[2].parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad port [{}]: expected 1 to 65535",
                        words[2]
                    ),
                );
                ok = false;
                0
            }
        };
        let ttl = match words[3].parse::<u8>() {
            Ok(t) if t <= MAX_MCAST_TTL => t,
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad ttl [{}]: expected 0 to {MAX_MCAST_TTL}",
                        words[3]
                    ),
                );
                ok = false;
                0
            }
        };
        let loopback = match words[4] {
            "0" => false,
            "1" => true,
            other => {
                self.d.error(
                    n,
                    format!("mcast [{iface}] bad loop [{other}]: expected 0 or 1"),
                );
                ok = false;
                false
            }
        };
        if let (true, Some(group)) = (ok, group) {
            self.add_medium(
                n,
                Medium::Mcast {
                    iface: iface.to_string(),
                    group,
                    port,
                    ttl,
                    loopback,
                },
            );
        }
    }

    fn serial(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d.error(n, "serial: expected one or more device paths");
        }
        for w in words {
            if w.starts_with('/') {
                self.add_medium(
                    n,
                    Medium::Serial {
                        device: PathBuf::from(w),
                    },
                );
            } else {
                self.d.error(
                    n,
                    format!(
                        "serial: invalid device [{w}]: expected an absolute path such as /dev/ttyS0"
                    ),
                );
            }
        }
    }

    fn set_failback(&mut self, n: usize, v: AutoFailback) {
        if let Some(prev) = &self.cf.auto_failback {
            let l = prev.line;
            self.d.warn(
                n,
                format!("auto_failback given again; this line overrides line {l}"),
            );
        }
        self.cf.auto_failback = Some(At { value: v, line: n });
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
        self.set_failback(n, v);
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
        self.set_failback(n, v);
    }

    fn ip(&mut self, n: usize, dir: &str, w: &str) -> Option<IpAddr> {
        let ip = w.parse::<IpAddr>().ok();
        if ip.is_none() {
            self.d.error(
                n,
                format!("{dir}: invalid address [{w}]: expected an IP address (host names are not resolved)"),
            );
        }
        ip
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

    fn monitor(&mut self, n: usize, words: &[&str]) {
        const USAGE: &str = "expected \"monitor GROUPKEY INTERVAL [MAX_RESTARTS [WINDOW]]\"";
        if !(2..=4).contains(&words.len()) {
            self.d.error(n, format!("monitor: {USAGE}"));
            return;
        }
        let interval = match parse_time(words[1]) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.d.error(n, "monitor: interval must be more than 0");
                None
            }
            Err(e) => {
                self.d.error(n, format!("monitor: interval: {e}"));
                None
            }
        };
        let max_restarts = match words.get(2).map(|w| (w, w.parse::<u32>())) {
            None => Some(DEFAULT_MONITOR_RESTARTS),
            Some((_, Ok(v))) => Some(v),
            Some((w, Err(_))) => {
                self.d.error(
                    n,
                    format!("monitor: invalid restart count [{w}]: expected a whole number (0 = move at the first failure)"),
                );
                None
            }
        };
        let window = match words.get(3).map(|w| parse_time(w)) {
            None => Some(DEFAULT_MONITOR_WINDOW),
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                self.d.error(n, format!("monitor: window: {e}"));
                None
            }
        };
        let (Some(interval), Some(max_restarts), Some(window)) = (interval, max_restarts, window)
        else {
            return;
        };
        if let Some(prev) = self.cf.monitors.iter().find(|m| m.group == words[0]) {
            let l = prev.line;
            self.d.error(
                n,
                format!(
                    "monitor: group {} already has a monitor on line {l}",
                    words[0]
                ),
            );
            return;
        }
        self.cf.monitors.push(MonitorDirective {
            group: words[0].to_string(),
            policy: MonitorPolicy {
                interval,
                max_restarts,
                window,
            },
            line: n,
        });
    }

    fn rsc_timeout(&mut self, n: usize, words: &[&str]) {
        let [agent, action, time] = words else {
            self.d.error(
                n,
                "rsc_timeout: expected \"rsc_timeout AGENTNAME start|stop|status TIME\"",
            );
            return;
        };
        let action = match *action {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "status" => Action::Status,
            other => {
                self.d.error(
                    n,
                    format!(
                        "rsc_timeout: invalid action [{other}]: expected start, stop or status"
                    ),
                );
                return;
            }
        };
        match parse_time(time) {
            Ok(d) if d.is_zero() => self.d.error(n, "rsc_timeout: timeout must be more than 0"),
            Ok(timeout) => self.cf.rsc_timeouts.push(RscTimeout {
                agent: agent.to_string(),
                action,
                timeout,
                line: n,
            }),
            Err(e) => self.d.error(n, format!("rsc_timeout: {e}")),
        }
    }
}

/// The original's initdead default: deadtime when above 10 s, 12 s below
/// 6 s, else twice deadtime.
fn default_initdead(deadtime: Duration) -> Duration {
    if deadtime > Duration::from_secs(10) {
        deadtime
    } else if deadtime < Duration::from_secs(6) {
        Duration::from_secs(12)
    } else {
        deadtime * 2
    }
}

/// Applies defaults and the checks that need only ha.cf and the local node
/// name. `None` when something was wrong (already reported).
pub fn settle(cf: HaCf, local: &str, file: &Path, diags: &mut Diags) -> Option<HaCfSettings> {
    let errors_before = diags.errors.len();
    let mut d = diags.for_file(file);
    let line = |a: &Option<At<Duration>>| a.as_ref().map(|a| a.line);
    let val = |a: &Option<At<Duration>>| a.as_ref().map(|a| a.value);

    let keepalive = val(&cf.keepalive).unwrap_or(Duration::from_secs(1));
    let deadtime = val(&cf.deadtime).unwrap_or(Duration::from_secs(30));
    let warntime = val(&cf.warntime).unwrap_or(deadtime / 2);
    let initdead = val(&cf.initdead).unwrap_or_else(|| default_initdead(deadtime));
    let deadping = val(&cf.deadping).unwrap_or(deadtime);
    // Report the check at the line that set the later of the two values.
    let at = |l: Option<usize>, d: &mut FileDiags, msg: String| match l {
        Some(l) => d.error(l, msg),
        None => d.file_error(msg),
    };
    let ka_line = line(&cf.keepalive);
    let dt_line = line(&cf.deadtime).or(ka_line);
    let wt_line = line(&cf.warntime).or(dt_line);
    let id_line = line(&cf.initdead).or(dt_line);

    for (name, v, l) in [
        ("keepalive", keepalive, ka_line),
        ("deadtime", deadtime, line(&cf.deadtime)),
        ("warntime", warntime, line(&cf.warntime)),
    ] {
        if v.is_zero() {
            at(
                l,
                &mut d,
                format!("{name} [0 ms] is invalid: must be more than 0"),
            );
        }
    }
    if deadtime <= keepalive * 2 && !deadtime.is_zero() {
        at(
            dt_line,
            &mut d,
            format!(
                "deadtime [{} ms] is too small compared to keepalive [{} ms]: deadtime must be more than twice keepalive",
                ms(deadtime),
                ms(keepalive)
            ),
        );
    }
    // With a defaulted warntime the deadtime check above already said it all.
    let deadtime_ok = deadtime > keepalive * 2;
    let warntime_between = keepalive < warntime && warntime < deadtime;
    // A zero warntime was reported above.
    if !warntime_between && !warntime.is_zero() && (cf.warntime.is_some() || deadtime_ok) {
        at(
            wt_line,
            &mut d,
            format!(
                "warntime [{} ms] must be between keepalive [{} ms] and deadtime [{} ms] (keepalive < warntime < deadtime)",
                ms(warntime),
                ms(keepalive),
                ms(deadtime)
            ),
        );
    }
    if initdead < deadtime {
        at(
            id_line,
            &mut d,
            format!(
                "initdead [{} ms] is smaller than deadtime [{} ms]: initdead must be at least deadtime",
                ms(initdead),
                ms(deadtime)
            ),
        );
    } else if let Some(l) = line(&cf.initdead) {
        // Only an explicit value warns: the original's default for a long
        // deadtime is deadtime itself, and nagging about defaults helps nobody.
        let mut warn = |msg: String| d.warn(l, msg);
        if initdead < deadtime * 2 {
            warn(format!(
                "initdead [{} ms] is less than twice deadtime [{} ms]; slow network start-up may make the peer look dead",
                ms(initdead),
                ms(deadtime)
            ));
        } else if initdead < Duration::from_secs(10) {
            warn(format!(
                "initdead [{} ms] may be too small: it should be >= deadtime and >= 10 seconds",
                ms(initdead)
            ));
        }
    }
    if let Some(dp) = &cf.deadping
        && dp.value <= keepalive * 2
    {
        d.error(
            dp.line,
            format!(
                "deadping [{} ms] is too small compared to keepalive [{} ms]: must be more than twice keepalive",
                ms(dp.value),
                ms(keepalive)
            ),
        );
    }

    if cf.media.is_empty() {
        d.file_error("no heartbeat media defined: add a bcast, ucast, mcast or serial line");
    }

    let local_name = NodeName::new(local);
    let (local_name, peer) = check_nodes(&cf.nodes, &local_name, &mut d);

    let auto_failback = cf
        .auto_failback
        .as_ref()
        .map_or(AutoFailback::Legacy, |a| a.value);
    let logging = Logging {
        logfile: cf.logfile.clone(),
        debugfile: cf.debugfile.clone(),
        logfacility: cf.logfacility.clone(),
        use_logd: cf.use_logd,
    };
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(HaCfSettings {
        local: local_name,
        peer: peer?,
        nodes: cf.nodes.iter().map(|n| n.value.clone()).collect(),
        timings: Timings {
            keepalive,
            warntime,
            deadtime,
            initdead,
            deadping,
        },
        udpport: cf.udpport.as_ref().map_or(DEFAULT_UDPPORT, |a| a.value),
        baud: cf.baud.as_ref().map_or(DEFAULT_BAUD, |a| a.value),
        media: cf.media.iter().map(|m| m.value.clone()).collect(),
        auto_failback,
        auto_failback_line: cf.auto_failback.as_ref().map(|a| a.line),
        failback_delay: cf
            .failback_delay
            .as_ref()
            .map_or(Duration::ZERO, |a| a.value),
        ping: cf.ping,
        ping_groups: cf.ping_groups,
        logging,
        realtime: cf.realtime.unwrap_or(true),
        debug: cf.debug.unwrap_or(0),
        hopfudge: cf.hopfudge.unwrap_or(1),
        respawn: cf.respawn,
        monitors: cf.monitors,
        rsc_timeouts: cf.rsc_timeouts,
    })
}

/// The pair: the local node must be listed, with exactly one other node.
fn check_nodes(
    nodes: &[At<NodeName>],
    local: &NodeName,
    d: &mut FileDiags,
) -> (NodeName, Option<NodeName>) {
    let Some(first) = nodes.first() else {
        d.file_error("no nodes defined: add \"node NAME1 NAME2\" naming both nodes of the pair");
        return (local.clone(), None);
    };
    if !nodes.iter().any(|n| &n.value == local) {
        d.error(
            first.line,
            format!(
                "current node [{local}] not in configuration: nodes are named by `uname -n` \
                 (or --node) and must be declared with a node line"
            ),
        );
        // Counting peers would only repeat the same mistake.
        return (local.clone(), None);
    }
    let others: Vec<&At<NodeName>> = nodes.iter().filter(|n| &n.value != local).collect();
    match others.as_slice() {
        [peer] => (local.clone(), Some(peer.value.clone())),
        [] => {
            d.error(
                first.line,
                format!("only one node ({local}) declared: heartbeat runs two-node clusters; add the peer with a node line"),
            );
            (local.clone(), None)
        }
        [_, extra, ..] => {
            let names: Vec<&str> = others.iter().map(|n| n.value.as_str()).collect();
            d.error(
                extra.line,
                format!(
                    "{} other nodes declared ({}): heartbeat runs two-node clusters, so exactly one peer is allowed",
                    others.len(),
                    names.join(", ")
                ),
            );
            (local.clone(), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "node alpha bravo\nbcast eth1\nauto_failback on\n";

    fn run(text: &str) -> (Option<HaCfSettings>, Diags) {
        let mut d = Diags::default();
        let f = Path::new("ha.cf");
        let cf = parse(text, f, &mut d);
        let s = settle(cf, "alpha", f, &mut d);
        (s, d)
    }

    /// Runs BASE plus `extra` (extra starts on line 4).
    fn with(extra: &str) -> (Option<HaCfSettings>, Diags) {
        run(&format!("{BASE}{extra}"))
    }

    fn ok(extra: &str) -> HaCfSettings {
        let (s, d) = with(extra);
        assert!(d.errors.is_empty(), "unexpected errors: {:?}", d.errors);
        s.unwrap()
    }

    #[track_caller]
    fn expect_err(extra: &str, line: Option<usize>, needle: &str) {
        let (_, d) = with(extra);
        assert!(!d.errors.is_empty(), "{extra:?} should fail");
        assert!(
            d.errors
                .iter()
                .any(|e| e.line == line && e.message.contains(needle)),
            "no error at line {line:?} containing {needle:?}: {:?}",
            d.errors
        );
    }

    #[track_caller]
    fn expect_warn(extra: &str, line: Option<usize>, needle: &str) {
        let (_, d) = with(extra);
        assert!(
            d.warnings
                .iter()
                .any(|e| e.line == line && e.message.contains(needle)),
            "no warning at line {line:?} containing {needle:?}: {:?}",
            d.warnings
        );
    }

    fn s(x: u64) -> Duration {
        Duration::from_secs(x)
    }

    #[test]
    fn time_values_follow_cl_get_msec() {
        assert_eq!(parse_time("2"), Ok(s(2)));
        assert_eq!(parse_time("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_time("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_time("500msec"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_time("1500us"), Ok(Duration::from_millis(2)));
        assert_eq!(parse_time("2000usec"), Ok(Duration::from_millis(2)));
        for bad in ["", "-1", "abc", "1.5x", "1s", "1.2.3", ".5", "5 ms"] {
            assert!(parse_time(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn defaults_match_the_original() {
        let c = ok("");
        assert_eq!(c.timings.keepalive, s(1));
        assert_eq!(c.timings.deadtime, s(30));
        assert_eq!(c.timings.warntime, s(15));
        assert_eq!(c.timings.initdead, s(30));
        assert_eq!(c.timings.deadping, s(30));
        assert_eq!((c.udpport, c.baud, c.hopfudge, c.debug), (694, 19200, 1, 0));
        assert!(c.realtime);
        assert_eq!(c.failback_delay, Duration::ZERO);
        assert_eq!(c.local.as_str(), "alpha");
        assert_eq!(c.peer.as_str(), "bravo");
    }

    #[test]
    fn initdead_default_depends_on_deadtime() {
        assert_eq!(ok("deadtime 5\nwarntime 2\n").timings.initdead, s(12));
        assert_eq!(ok("deadtime 8\nwarntime 2\n").timings.initdead, s(16));
        assert_eq!(ok("deadtime 20\n").timings.initdead, s(20));
    }

    #[test]
    fn deadtime_must_exceed_twice_keepalive_with_values_in_ms() {
        expect_err(
            "deadtime 2\n",
            Some(4),
            "deadtime [2000 ms] is too small compared to keepalive [1000 ms]",
        );
        expect_err(
            "keepalive 500ms\ndeadtime 1\n",
            Some(5),
            "deadtime [1000 ms] is too small compared to keepalive [500 ms]",
        );
    }

    #[test]
    fn warntime_must_lie_between_keepalive_and_deadtime() {
        expect_err("warntime 0\n", Some(4), "warntime [0 ms] is invalid");
        expect_err(
            "warntime 30\n",
            Some(4),
            "warntime [30000 ms] must be between keepalive [1000 ms] and deadtime [30000 ms]",
        );
        expect_err(
            "keepalive 2\nwarntime 2\n",
            Some(5),
            "must be between keepalive",
        );
        assert_eq!(ok("warntime 10\n").timings.warntime, s(10));
    }

    #[test]
    fn initdead_below_deadtime_is_fatal_and_below_twice_warns() {
        expect_err(
            "deadtime 5\nwarntime 2\ninitdead 4\n",
            Some(6),
            "initdead [4000 ms] is smaller than deadtime [5000 ms]",
        );
        expect_warn(
            "deadtime 20\ninitdead 30\n",
            Some(5),
            "less than twice deadtime",
        );
        expect_warn(
            "deadtime 4\nwarntime 2\ninitdead 8\n",
            Some(6),
            "may be too small",
        );
        let (_, d) = with("deadtime 20\ninitdead 40\n");
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn deadping_must_exceed_twice_keepalive() {
        expect_err("deadping 2\n", Some(4), "deadping [2000 ms] is too small");
        assert_eq!(ok("deadping 3\n").timings.deadping, s(3));
    }

    #[test]
    fn space_between_number_and_unit_is_an_error() {
        expect_err(
            "keepalive 500 ms\n",
            Some(4),
            "no space allowed between number and unit",
        );
    }

    #[test]
    fn bad_time_and_several_values_are_errors() {
        expect_err(
            "keepalive 1.5x\n",
            Some(4),
            "keepalive: invalid time [1.5x]",
        );
        expect_err("keepalive 2 3\n", Some(4), "expected one value, got 2");
        expect_err("keepalive\n", Some(4), "keepalive: missing value");
    }

    #[test]
    fn repeated_time_warns_and_last_wins() {
        expect_warn("keepalive 2\nkeepalive 1\n", Some(5), "overrides line 4");
        assert_eq!(ok("keepalive 2\nkeepalive 1\n").timings.keepalive, s(1));
    }

    #[test]
    fn unknown_and_capitalised_directives_only_warn() {
        expect_warn("foo 1\n", Some(4), "unknown directive [foo]");
        expect_warn("Keepalive 1\n", Some(4), "unknown directive [Keepalive]");
        ok("foo 1\n");
    }

    #[test]
    fn comments_and_blank_lines_are_ignored() {
        let c = ok("\n   # only a comment\nkeepalive 2 # trailing\n\r\n");
        assert_eq!(c.timings.keepalive, s(2));
    }

    #[test]
    fn udpport_range_and_placement() {
        assert_eq!(
            run("udpport 700\nnode alpha bravo\nbcast eth1\n")
                .0
                .unwrap()
                .udpport,
            700
        );
        expect_err("udpport 0\n", Some(4), "udpport: invalid port [0]");
        expect_err("udpport 65536\n", Some(4), "invalid port [65536]");
        expect_err(
            "udpport 700\n",
            Some(4),
            "udpport must precede media statements (line 2",
        );
        // A serial line before udpport is fine: it does not use the port.
        let (s, d) = run("serial /dev/ttyS0\nudpport 700\nnode alpha bravo\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(s.unwrap().udpport, 700);
    }

    #[test]
    fn baud_values_placement_and_repetition() {
        let (s, d) = run("baud 38400\nserial /dev/ttyS0\nnode alpha bravo\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(s.unwrap().baud, 38400);
        expect_err("baud 12345\n", Some(4), "invalid baud rate [12345]");
        expect_err(
            "serial /dev/ttyS0\nbaud 9600\n",
            Some(5),
            "baud must precede media statements (line 4",
        );
        expect_err(
            "baud 9600\nbaud 9600\n",
            Some(5),
            "baud multiply specified (already set on line 4)",
        );
    }

    #[test]
    fn bcast_takes_several_interfaces() {
        let c = ok("bcast eth2, eth3\n");
        let names: Vec<String> = c.media.iter().map(Medium::link_name).collect();
        assert_eq!(names, ["eth1", "eth2", "eth3"]);
        expect_err(
            "bcast averyveryverylongname0\n",
            Some(4),
            "invalid interface name",
        );
        expect_err(
            "bcast\n",
            Some(4),
            "bcast: expected one or more interface names",
        );
    }

    #[test]
    fn ucast_needs_interface_and_ip() {
        let c = ok("ucast eth1 10.0.0.2\n");
        assert_eq!(
            c.media[1],
            Medium::Ucast {
                iface: "eth1".into(),
                peer: "10.0.0.2".parse().unwrap()
            }
        );
        expect_err(
            "ucast eth1\n",
            Some(4),
            "expected \"ucast INTERFACE PEER-IP\"",
        );
        expect_err(
            "ucast eth1 bravo.example\n",
            Some(4),
            "host names are not resolved",
        );
    }

    #[test]
    fn mcast_fields_are_validated() {
        let c = ok("mcast eth1 239.0.0.1 694 1 0\n");
        assert_eq!(
            c.media[1],
            Medium::Mcast {
                iface: "eth1".into(),
                group: Ipv4Addr::new(239, 0, 0, 1),
                port: 694,
                ttl: 1,
                loopback: false
            }
        );
        expect_err(
            "mcast eth1 239.0.0.1 694 9 0\n",
            Some(4),
            "mcast [eth1] bad ttl [9]",
        );
        expect_err(
            "mcast eth1 239.0.0.1 694 1 2\n",
            Some(4),
            "mcast [eth1] bad loop [2]",
        );
        expect_err(
            "mcast eth1 10.0.0.1 694 1 0\n",
            Some(4),
            "bad group [10.0.0.1]",
        );
        expect_err("mcast eth1 239.0.0.1 0 1 0\n", Some(4), "bad port [0]");
        expect_err(
            "mcast eth1 239.0.0.1 694\n",
            Some(4),
            "mcast [eth1] missing ttl",
        );
        expect_err(
            "mcast eth1 239.0.0.1 694 1 0 7\n",
            Some(4),
            "too many fields",
        );
    }

    #[test]
    fn serial_needs_absolute_device() {
        let c = ok("serial /dev/ttyS0\n");
        assert_eq!(
            c.media[1],
            Medium::Serial {
                device: "/dev/ttyS0".into()
            }
        );
        expect_err("serial ttyS0\n", Some(4), "expected an absolute path");
    }

    #[test]
    fn at_least_one_medium_is_required() {
        let (s, d) = run("node alpha bravo\n");
        assert!(s.is_none());
        assert_eq!(d.errors[0].line, None);
        assert!(d.errors[0].message.contains("no heartbeat media defined"));
    }

    #[test]
    fn auto_failback_words() {
        assert_eq!(ok("").auto_failback, AutoFailback::On);
        assert_eq!(ok("auto_failback off\n").auto_failback, AutoFailback::Off);
        assert_eq!(
            ok("auto_failback legacy\n").auto_failback,
            AutoFailback::Legacy
        );
        assert_eq!(ok("auto_failback yes\n").auto_failback, AutoFailback::On);
        assert_eq!(ok("auto_failback 0\n").auto_failback, AutoFailback::Off);
        expect_err(
            "auto_failback maybe\n",
            Some(4),
            "auto_failback: invalid value [maybe]: expected on, off or legacy",
        );
        let (s, _) = run("node alpha bravo\nbcast eth1\n");
        let s = s.unwrap();
        assert_eq!(
            (s.auto_failback, s.auto_failback_line),
            (AutoFailback::Legacy, None)
        );
    }

    #[test]
    fn nice_failback_is_mapped_and_warned() {
        let (s, d) = run("node alpha bravo\nbcast eth1\nnice_failback on\n");
        assert_eq!(s.unwrap().auto_failback, AutoFailback::Off);
        assert!(
            d.warnings[0]
                .message
                .contains("nice_failback flag is obsolete")
        );
        let (s, _) = run("node alpha bravo\nbcast eth1\nnice_failback off\n");
        assert_eq!(s.unwrap().auto_failback, AutoFailback::Legacy);
    }

    #[test]
    fn nodes_must_be_local_plus_exactly_one_peer() {
        let (s, d) = run("node nodeb nodec\nbcast eth1\n");
        assert!(s.is_none());
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert!(
            d.errors[0]
                .message
                .contains("current node [alpha] not in configuration")
        );
        assert_eq!(d.errors[0].line, Some(1));
        let (_, d) = run("node alpha\nbcast eth1\n");
        assert!(
            d.errors[0]
                .message
                .contains("heartbeat runs two-node clusters")
        );
        let (_, d) = run("node alpha bravo\nnode charlie\nbcast eth1\n");
        assert_eq!(d.errors[0].line, Some(2));
        assert!(
            d.errors[0]
                .message
                .contains("2 other nodes declared (bravo, charlie)")
        );
        let (_, d) = run("bcast eth1\n");
        assert!(d.errors[0].message.contains("no nodes defined"));
    }

    #[test]
    fn node_names_are_case_insensitive() {
        let (s, d) = run("node ALPHA Bravo\nbcast eth1\nnode bravo\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(s.unwrap().peer.as_str(), "bravo");
        assert!(d.warnings[0].message.contains("node bravo listed twice"));
    }

    #[test]
    fn ping_and_ping_group() {
        let c = ok("ping 10.0.0.254 10.0.0.253\nping_group g1 10.0.1.1 10.0.1.2\n");
        assert_eq!(c.ping.len(), 2);
        assert_eq!(c.ping_groups[0].name, "g1");
        assert_eq!(c.ping_groups[0].hosts.len(), 2);
        expect_err("ping router\n", Some(4), "ping: invalid address [router]");
        expect_err("ping_group g1\n", Some(4), "expected \"ping_group NAME IP");
    }

    #[test]
    fn respawn_keeps_the_whole_command() {
        let c = ok("respawn hacluster /usr/lib/heartbeat/ipfail -v\n");
        assert_eq!(c.respawn[0].user, "hacluster");
        assert_eq!(c.respawn[0].command, "/usr/lib/heartbeat/ipfail -v");
        expect_err("respawn hacluster ipfail\n", Some(4), "respawn: expected");
    }

    #[test]
    fn logging_directives() {
        let c = ok(
            "logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nlogfacility local0\nuse_logd no\n",
        );
        assert_eq!(
            c.logging.logfile.as_deref(),
            Some(Path::new("/var/log/ha-log"))
        );
        assert_eq!(
            c.logging.debugfile.as_deref(),
            Some(Path::new("/var/log/ha-debug"))
        );
        assert_eq!(c.logging.logfacility.as_deref(), Some("local0"));
        assert_eq!(c.logging.use_logd, Some(false));
        assert_eq!(ok("logfacility none\n").logging.logfacility, None);
        expect_err(
            "logfacility local9\n",
            Some(4),
            "logfacility: invalid facility [local9]",
        );
        expect_err(
            "use_logd perhaps\n",
            Some(4),
            "use_logd: invalid value [perhaps]: expected a boolean",
        );
    }

    #[test]
    fn scalar_options() {
        let c = ok(
            "realtime off\ndebug 2\nhopfudge 3\nrtprio 50\ncoredumps yes\nhbgenmethod time\nmsgfmt netstring\n",
        );
        assert!(!c.realtime);
        assert_eq!((c.debug, c.hopfudge), (2, 3));
        expect_err(
            "debug x\n",
            Some(4),
            "debug: invalid value [x]: expected an integer from 0 to 255",
        );
        expect_err(
            "rtprio 0\n",
            Some(4),
            "rtprio: invalid value [0]: expected an integer from 1 to 99",
        );
        expect_err("hbgenmethod clock\n", Some(4), "expected file or time");
        expect_err("msgfmt xml\n", Some(4), "expected classic or netstring");
    }

    #[test]
    fn unsupported_modes_are_errors_that_say_so() {
        expect_err("crm on\n", Some(4), "Pacemaker (CRM) mode is not supported");
        expect_err(
            "pacemaker respawn\n",
            Some(4),
            "Pacemaker (CRM) mode is not supported",
        );
        expect_err("crm maybe\n", Some(4), "crm: invalid value [maybe]");
        ok("crm off\npacemaker no\n");
        expect_err("autojoin any\n", Some(4), "autojoin any is not supported");
        expect_err(
            "autojoin other\n",
            Some(4),
            "autojoin other is not supported",
        );
        ok("autojoin none\n");
        expect_err(
            "stonith baytech /etc/ha.d/conf/stonith.baytech\n",
            Some(4),
            "STONITH is not supported",
        );
        expect_err(
            "stonith_host * baytech 10.0.0.3 login pw\n",
            Some(4),
            "stonith_host: STONITH is not supported",
        );
        expect_err(
            "traditional_compression yes\n",
            Some(4),
            "traditional_compression yes is not supported",
        );
        ok("traditional_compression no\n");
    }

    #[test]
    fn irrelevant_directives_are_accepted_and_unimplemented_ones_warn() {
        let (s, d) = with("apiauth ipfail uid=hacluster\nconn_logd_time 60\ncompression bz2\n");
        assert!(s.is_some() && d.warnings.is_empty(), "{:?}", d.warnings);
        expect_warn(
            "watchdog /dev/watchdog\n",
            Some(4),
            "watchdog is not implemented",
        );
    }

    #[test]
    fn failback_delay_extension() {
        assert_eq!(ok("failback_delay 90\n").failback_delay, s(90));
        expect_err(
            "failback_delay soon\n",
            Some(4),
            "failback_delay: invalid time [soon]",
        );
    }

    #[test]
    fn monitor_extension_defaults_and_errors() {
        let c = ok("monitor IPaddr::10.0.0.5/24 10\nmonitor web 5s-bad\n"
            .split_once("monitor web")
            .unwrap()
            .0);
        let m = &c.monitors[0];
        assert_eq!(m.group, "IPaddr::10.0.0.5/24");
        assert_eq!(
            m.policy,
            MonitorPolicy {
                interval: s(10),
                max_restarts: 3,
                window: s(600)
            }
        );
        let c = ok("monitor web 10 5 300\n");
        assert_eq!(
            c.monitors[0].policy,
            MonitorPolicy {
                interval: s(10),
                max_restarts: 5,
                window: s(300)
            }
        );
        expect_err(
            "monitor web\n",
            Some(4),
            "expected \"monitor GROUPKEY INTERVAL",
        );
        expect_err("monitor web 0\n", Some(4), "interval must be more than 0");
        expect_err(
            "monitor web 10 many\n",
            Some(4),
            "invalid restart count [many]",
        );
        expect_err(
            "monitor web 10 3 forever\n",
            Some(4),
            "monitor: window: invalid time [forever]",
        );
        expect_err(
            "monitor web 10\nmonitor web 20\n",
            Some(5),
            "already has a monitor on line 4",
        );
    }

    #[test]
    fn rsc_timeout_extension() {
        let c = ok("rsc_timeout Filesystem start 300\n");
        assert_eq!(
            c.rsc_timeouts[0],
            RscTimeout {
                agent: "Filesystem".into(),
                action: Action::Start,
                timeout: s(300),
                line: 4
            }
        );
        expect_err(
            "rsc_timeout Filesystem begin 300\n",
            Some(4),
            "invalid action [begin]",
        );
        expect_err(
            "rsc_timeout Filesystem start\n",
            Some(4),
            "expected \"rsc_timeout AGENTNAME",
        );
        expect_err(
            "rsc_timeout Filesystem start 0\n",
            Some(4),
            "timeout must be more than 0",
        );
    }

    #[test]
    fn many_errors_are_collected_in_one_pass() {
        let (_, d) = with("udpport 0\nkeepalive x\nbaud 1\n");
        let lines: Vec<Option<usize>> = d.errors.iter().map(|e| e.line).collect();
        assert!(
            lines.contains(&Some(4)) && lines.contains(&Some(5)) && lines.contains(&Some(6)),
            "{lines:?}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), local in "[a-z]{0,8}") {
            let mut d = Diags::default();
            let cf = parse(&text, Path::new("ha.cf"), &mut d);
            let _ = settle(cf, &local, Path::new("ha.cf"), &mut d);
        }

        #[test]
        fn directive_shaped_text_never_panics(
            lines in proptest::collection::vec(
                ("(node|keepalive|deadtime|warntime|initdead|deadping|udpport|baud|bcast|ucast|mcast|serial|auto_failback|monitor|rsc_timeout|ping_group|respawn)",
                 "[ 0-9a-z.:/,]{0,30}"),
                0..12)
        ) {
            let text: String = lines.iter().map(|(d, r)| format!("{d} {r}\n")).collect();
            let mut d = Diags::default();
            let cf = parse(&text, Path::new("ha.cf"), &mut d);
            let _ = settle(cf, "alpha", Path::new("ha.cf"), &mut d);
        }

        #[test]
        fn parse_time_never_panics(w in "\\PC{0,20}") {
            let _ = parse_time(&w);
        }
    }
}
