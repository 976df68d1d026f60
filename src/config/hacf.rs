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
        return Err(format!("invalid time [{word}]: more than one decimal point"));
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
            self.cf.nodes.push(At { value: name, line: n });
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
            self.d
                .error(n, format!("baud multiply specified (already set on line {l})"));
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
                format!("baud must precede media statements (line {m} already defined a serial medium)"),
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
            self.d.error(n, "bcast: expected one or more interface names");
        }
        for w in words {
            if self.iface(n, "bcast", w) {
                self.add_medium(n, Medium::Bcast { iface: w.to_string() });
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
                    format!("mcast [{iface}] bad port [{}]: expected 1 to 65535", words[2]),
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
                    format!("mcast [{iface}] bad ttl [{}]: expected 0 to {MAX_MCAST_TTL}", words[3]),
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
                self.add_medium(n, Medium::Serial { device: PathBuf::from(w) });
            } else {
                self.d.error(
                    n,
                    format!("serial: invalid device [{w}]: expected an absolute path such as /dev/ttyS0"),
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
                format!("logfacility: invalid facility [{w}]: expected none or one of {}", SYSLOG_FACILITIES.join(", ")),
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
                format!("{name}: invalid value [{w}]: expected off (on and respawn are not supported)"),
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
                format!("autojoin: invalid value [{w}]: expected none (other and any are not supported)"),
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
                format!("monitor: group {} already has a monitor on line {l}", words[0]),
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
                    format!("rsc_timeout: invalid action [{other}]: expected start, stop or status"),
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
            at(l, &mut d, format!("{name} [0 ms] is invalid: must be more than 0"));
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
    if !(keepalive < warntime && warntime < deadtime)
        && !warntime.is_zero()
        && (cf.warntime.is_some() || deadtime_ok)
    {
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
    } else {
        let mut warn = |msg: String| match id_line {
            Some(l) => d.warn(l, msg),
            None => d.file_warn(msg),
        };
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
        failback_delay: cf.failback_delay.as_ref().map_or(Duration::ZERO, |a| a.value),
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
