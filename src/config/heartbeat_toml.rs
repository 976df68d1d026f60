//! `heartbeat.toml`, our own extension file beside ha.cf: health checks
//! (`[[check]]`, keepalived's HTTP_GET, TCP_CHECK and MISC_CHECK), the
//! local restarts a failing check allows (`[group."KEY"]`) and where state
//! changes are mailed (`[mail]`). ha.cf's one-directive-per-line format
//! cannot say "a check with seven settings" cleanly, and an old Heartbeat
//! node never reads this file, so a mixed pair stays compatible.
//!
//! Optional: without the file nothing is checked and nothing is mailed.
//! Every problem is reported as `FILE:LINE: message`, like ha.cf's.

use super::diag::{Diags, FileDiags};
use super::hacf::{DEFAULT_MONITOR_RESTARTS, DEFAULT_MONITOR_WINDOW, parse_time};
use super::model::{GroupId, MonitorPolicy, ResourceGroup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

pub const HEARTBEAT_TOML: &str = "heartbeat.toml";

const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
const DEFAULT_SENDMAIL: &str = "/usr/sbin/sendmail";
const DEFAULT_MAIL_TIMEOUT: Duration = Duration::from_secs(30);

/// What heartbeat.toml adds to the cluster configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Extensions {
    pub checks: Vec<CheckConfig>,
    pub mail: Option<MailConfig>,
    /// `[group."KEY"]`: local restarts allowed before a group whose check
    /// fails moves (ha.cf's `monitor` policy wins where both exist).
    pub restarts: BTreeMap<GroupId, MonitorPolicy>,
}

impl Extensions {
    /// The restart policy for `group` when one of its checks fails: its
    /// `[group]` table, else the defaults of ha.cf's `monitor`; `None`
    /// when the group has no check.
    pub fn restart_policy(&self, group: &GroupId) -> Option<MonitorPolicy> {
        if !self.checks.iter().any(|c| &c.group == group) {
            return None;
        }
        Some(self.restarts.get(group).cloned().unwrap_or(MonitorPolicy {
            interval: Duration::ZERO,
            max_restarts: DEFAULT_MONITOR_RESTARTS,
            window: DEFAULT_MONITOR_WINDOW,
        }))
    }
}

/// One `[[check]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckConfig {
    pub name: String,
    pub group: GroupId,
    pub kind: CheckKind,
    #[serde(rename = "interval_ms", serialize_with = "ms")]
    pub interval: Duration,
    #[serde(rename = "timeout_ms", serialize_with = "ms")]
    pub timeout: Duration,
    /// Consecutive successes that make a failing check healthy again.
    pub rise: u32,
    /// Consecutive failures that make a healthy check failing.
    pub fall: u32,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckKind {
    /// Plain HTTP/1.0 (no TLS): `GET path` on host:port.
    HttpGet {
        url: String,
        host: String,
        port: u16,
        path: String,
        status: u16,
        body: Option<String>,
    },
    /// A TCP connection to `address` (HOST:PORT) is accepted.
    TcpCheck { address: String },
    /// `script args…` exits with `exit`.
    MiscCheck {
        script: PathBuf,
        args: Vec<String>,
        exit: i32,
    },
}

impl CheckKind {
    /// keepalived's name for the kind, as status prints it.
    pub fn word(&self) -> &'static str {
        match self {
            CheckKind::HttpGet { .. } => "http_get",
            CheckKind::TcpCheck { .. } => "tcp_check",
            CheckKind::MiscCheck { .. } => "misc_check",
        }
    }

    /// What is checked, in one short phrase.
    pub fn target(&self) -> String {
        match self {
            CheckKind::HttpGet { url, .. } => url.clone(),
            CheckKind::TcpCheck { address } => address.clone(),
            CheckKind::MiscCheck { script, .. } => script.display().to_string(),
        }
    }
}

/// `[mail]`: every state change worth a mail goes to `to` through
/// `sendmail`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailConfig {
    pub to: Vec<String>,
    pub from: Option<String>,
    pub sendmail: PathBuf,
    #[serde(rename = "timeout_ms", serialize_with = "ms")]
    pub timeout: Duration,
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

// ----- the file as written -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    check: Vec<Spanned<RawCheck>>,
    mail: Option<Spanned<RawMail>>,
    #[serde(default)]
    group: BTreeMap<Spanned<String>, Spanned<RawGroup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    name: Option<String>,
    group: Spanned<String>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    status: Option<Spanned<u16>>,
    body: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    script: Option<Spanned<String>>,
    args: Option<Spanned<Vec<String>>>,
    exit: Option<Spanned<i32>>,
    interval: Option<Spanned<Time>>,
    timeout: Option<Spanned<Time>>,
    rise: Option<Spanned<u32>>,
    fall: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    to: Spanned<OneOrMany>,
    from: Option<String>,
    sendmail: Option<String>,
    timeout: Option<Spanned<Time>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    max_restarts: Option<u32>,
    window: Option<Spanned<Time>>,
}

/// A time as ha.cf writes it (`"2s"`, `"500ms"`) or whole seconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Time {
    Secs(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The line of byte offset `at` in `text`. The toml parser puts an error
/// found at the end of the input (an unclosed string) just past the final
/// newline: that is the last line, not one after it.
fn line_of(text: &str, at: usize) -> usize {
    let line = text[..at.min(text.len())].matches('\n').count() + 1;
    line.min(text.lines().count().max(1))
}

/// Parse and validate the file's text; `groups` are haresources' groups
/// (a check must name one). Problems go to `diags`; what is valid is kept.
pub fn parse(text: &str, path: &Path, groups: &[ResourceGroup], diags: &mut Diags) -> Extensions {
    let mut d = diags.for_file(path);
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            d.error_at(line, e.message().trim().to_string());
            return Extensions::default();
        }
    };
    let mut p = Parse { text, d, groups };
    let mut ext = Extensions::default();
    for c in raw.check {
        if let Some(check) = p.check(c) {
            if let Some(prev) = ext.checks.iter().find(|o| o.name == check.name) {
                let msg = format!(
                    "check: the name [{}] is already used on line {}; give each check its own `name`",
                    check.name, prev.line
                );
                p.d.error(check.line, msg);
            } else {
                ext.checks.push(check);
            }
        }
    }
    ext.mail = raw.mail.and_then(|m| p.mail(m));
    for (key, g) in raw.group {
        if let Some(policy) = p.group(&key, g) {
            ext.restarts.insert(GroupId(key.into_inner()), policy);
        }
    }
    ext
}

struct Parse<'a> {
    text: &'a str,
    d: FileDiags<'a>,
    groups: &'a [ResourceGroup],
}

impl Parse<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        line_of(self.text, s.span().start)
    }

    fn time(
        &mut self,
        what: &str,
        t: Option<Spanned<Time>>,
        default: Duration,
    ) -> Option<Duration> {
        let Some(t) = t else {
            return Some(default);
        };
        let line = self.line(&t);
        let parsed = match t.into_inner() {
            Time::Secs(s) => Ok(Duration::from_secs(s)),
            Time::Text(w) => parse_duration(&w),
        };
        match parsed {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.d.error(line, format!("{what}: must be more than 0"));
                None
            }
            Err(e) => {
                self.d.error(line, format!("{what}: {e}"));
                None
            }
        }
    }

    fn count(&mut self, what: &str, v: Option<Spanned<u32>>, default: u32) -> Option<u32> {
        match v {
            None => Some(default),
            Some(v) if *v.get_ref() == 0 => {
                let line = self.line(&v);
                self.d.error(line, format!("{what}: must be 1 or more"));
                None
            }
            Some(v) => Some(v.into_inner()),
        }
    }

    /// A group key of haresources, or an error at the key's line.
    fn group_id(&mut self, key: &Spanned<String>) -> Option<GroupId> {
        if let Some(g) = self.groups.iter().find(|g| g.id.0 == *key.get_ref()) {
            return Some(g.id.clone());
        }
        let keys: Vec<&str> = self.groups.iter().map(|g| g.id.0.as_str()).collect();
        let line = self.line(key);
        self.d.error(
            line,
            format!(
                "[{}] is not a group key of haresources (the first resource of a line; keys: {})",
                key.get_ref(),
                keys.join(", ")
            ),
        );
        None
    }

    fn check(&mut self, c: Spanned<RawCheck>) -> Option<CheckConfig> {
        let line = self.line(&c);
        let c = c.into_inner();
        let group = self.group_id(&c.group);
        let kind = self.kind(&c);
        let interval = self.time("interval", c.interval, DEFAULT_INTERVAL);
        let timeout = self.time("timeout", c.timeout, DEFAULT_TIMEOUT);
        let rise = self.count("rise", c.rise, 1);
        let fall = self.count("fall", c.fall, 1);
        let (group, kind, interval, timeout, rise, fall) =
            (group?, kind?, interval?, timeout?, rise?, fall?);
        let name = c
            .name
            .unwrap_or_else(|| format!("{}:{}", kind.word(), kind.target()));
        Some(CheckConfig {
            name,
            group,
            kind,
            interval,
            timeout,
            rise,
            fall,
            line,
        })
    }

    /// The kind and its own settings; a setting of another kind is an
    /// error (a `url` on a tcp_check is a mistake, not a no-op).
    fn kind(&mut self, c: &RawCheck) -> Option<CheckKind> {
        let line = self.line(&c.kind);
        let kind = c.kind.get_ref().to_ascii_lowercase();
        let allowed: &[&str] = match kind.as_str() {
            "http_get" => &["url", "status", "body"],
            "tcp_check" => &["address"],
            "misc_check" => &["script", "args", "exit"],
            other => {
                self.d.error(
                    line,
                    format!("kind: unknown check kind [{other}]: expected http_get, tcp_check or misc_check"),
                );
                return None;
            }
        };
        let given = [
            ("url", c.url.as_ref().map(|s| s.span())),
            ("status", c.status.as_ref().map(|s| s.span())),
            ("body", c.body.as_ref().map(|s| s.span())),
            ("address", c.address.as_ref().map(|s| s.span())),
            ("script", c.script.as_ref().map(|s| s.span())),
            ("args", c.args.as_ref().map(|s| s.span())),
            ("exit", c.exit.as_ref().map(|s| s.span())),
        ];
        let mut ok = true;
        for (field, span) in given {
            if let Some(span) = span
                && !allowed.contains(&field)
            {
                let l = line_of(self.text, span.start);
                self.d
                    .error(l, format!("{field}: not a setting of a {kind} check"));
                ok = false;
            }
        }
        let built = match kind.as_str() {
            "http_get" => self.http_get(c, line),
            "tcp_check" => self.tcp_check(c, line),
            _ => self.misc_check(c, line),
        };
        built.filter(|_| ok)
    }

    fn http_get(&mut self, c: &RawCheck, line: usize) -> Option<CheckKind> {
        let Some(url) = &c.url else {
            self.d.error(
                line,
                "http_get: `url` is required, e.g. url = \"http://10.0.0.100/\"",
            );
            return None;
        };
        let (host, port, path) = match split_url(url.get_ref()) {
            Ok(parts) => parts,
            Err(e) => {
                let l = self.line(url);
                self.d.error(l, format!("url: {e}"));
                return None;
            }
        };
        Some(CheckKind::HttpGet {
            url: url.get_ref().clone(),
            host,
            port,
            path,
            status: c.status.as_ref().map_or(200, |s| *s.get_ref()),
            body: c.body.as_ref().map(|b| b.get_ref().clone()),
        })
    }

    fn tcp_check(&mut self, c: &RawCheck, line: usize) -> Option<CheckKind> {
        let Some(address) = &c.address else {
            self.d.error(
                line,
                "tcp_check: `address` is required, e.g. address = \"10.0.0.100:80\"",
            );
            return None;
        };
        if let Err(e) = split_host_port(address.get_ref(), None) {
            let l = self.line(address);
            self.d.error(l, format!("address: {e}"));
            return None;
        }
        Some(CheckKind::TcpCheck {
            address: address.get_ref().clone(),
        })
    }

    fn misc_check(&mut self, c: &RawCheck, line: usize) -> Option<CheckKind> {
        let Some(script) = &c.script else {
            self.d
                .error(line, "misc_check: `script` is required (an absolute path)");
            return None;
        };
        if !script.get_ref().starts_with('/') {
            let l = self.line(script);
            self.d.error(
                l,
                format!("script: [{}] is not an absolute path", script.get_ref()),
            );
            return None;
        }
        Some(CheckKind::MiscCheck {
            script: PathBuf::from(script.get_ref()),
            args: c
                .args
                .as_ref()
                .map(|a| a.get_ref().clone())
                .unwrap_or_default(),
            exit: c.exit.as_ref().map_or(0, |e| *e.get_ref()),
        })
    }

    fn mail(&mut self, m: Spanned<RawMail>) -> Option<MailConfig> {
        let m = m.into_inner();
        let line = self.line(&m.to);
        let to = match m.to.into_inner() {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        if to.is_empty() || to.iter().any(|a| a.trim().is_empty() || a.starts_with('-')) {
            self.d.error(
                line,
                "mail: `to` needs one or more addresses (none may begin with '-')",
            );
            return None;
        }
        let timeout = self.time("mail timeout", m.timeout, DEFAULT_MAIL_TIMEOUT)?;
        Some(MailConfig {
            to,
            from: m.from,
            sendmail: PathBuf::from(m.sendmail.as_deref().unwrap_or(DEFAULT_SENDMAIL)),
            timeout,
        })
    }

    fn group(&mut self, key: &Spanned<String>, g: Spanned<RawGroup>) -> Option<MonitorPolicy> {
        let id = self.group_id(key)?;
        let line = self.line(&g);
        if self
            .groups
            .iter()
            .any(|g| g.id == id && g.monitor.is_some())
        {
            self.d.error(
                line,
                format!("group [{id}]: its restarts are set by ha.cf's `monitor` line; set them in one place"),
            );
            return None;
        }
        let g = g.into_inner();
        let window = self.time("window", g.window, DEFAULT_MONITOR_WINDOW)?;
        Some(MonitorPolicy {
            interval: Duration::ZERO,
            max_restarts: g.max_restarts.unwrap_or(DEFAULT_MONITOR_RESTARTS),
            window,
        })
    }
}

/// ha.cf's times (`500ms`, `2` for seconds) and the units a TOML reader
/// expects besides (`2s`, `10m`, `1h`).
fn parse_duration(w: &str) -> Result<Duration, String> {
    let scaled = |n: &str, by: u32| parse_time(n).map(|d| d * by);
    match w.trim() {
        t if t.ends_with("ms") || t.ends_with("us") => parse_time(t),
        t if t.ends_with('s') => scaled(&t[..t.len() - 1], 1),
        t if t.ends_with('m') => scaled(&t[..t.len() - 1], 60),
        t if t.ends_with('h') => scaled(&t[..t.len() - 1], 3600),
        t => parse_time(t),
    }
    .map_err(|e| format!("{e}; also s, m or h, e.g. \"2s\""))
}

/// `http://HOST[:PORT][/PATH]` → host, port, path. https is refused:
/// the check speaks plain HTTP/1.0 only.
fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "[{url}] must begin with http:// (https is not supported: check the plain port, or use a misc_check with curl)"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (host, port) = split_host_port(authority, Some(80))?;
    Ok((host, port, path.to_string()))
}

/// `HOST:PORT`, `[V6]:PORT` (the port optional when `default` is given).
pub fn split_host_port(s: &str, default: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, rest) = v6.split_once(']').ok_or(format!("[{s}]: unclosed '['"))?;
        (h, rest.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("[{s}]: expected HOST:PORT"));
    }
    let port = match (port, default) {
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or(format!("[{s}]: invalid port [{p}]"))?,
        (None, Some(d)) => d,
        (None, None) => return Err(format!("[{s}]: expected HOST:PORT (the port is missing)")),
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests;
