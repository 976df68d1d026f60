//! The validated cluster model every other module consumes.
//!
//! Owns the types only; parsing lives in the sibling modules and never leaks
//! half-parsed state here: a `ClusterConfig` exists only when all three files
//! and the cross-file checks passed.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// A cluster node name. Stored lower-case: the original compares names
/// case-insensitively, so we normalise once at the edge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeName(String);

impl NodeName {
    pub fn new(name: &str) -> Self {
        NodeName(name.trim().to_ascii_lowercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resource group is named by its first resource, exactly as written in
/// haresources (the original's "group key", e.g. `IPaddr::10.0.0.5/24`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GroupId(pub String);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timings {
    #[serde(with = "ms")]
    pub keepalive: Duration,
    #[serde(with = "ms")]
    pub warntime: Duration,
    #[serde(with = "ms")]
    pub deadtime: Duration,
    #[serde(with = "ms")]
    pub initdead: Duration,
    #[serde(with = "ms")]
    pub deadping: Duration,
    /// Our addition (`drbd_wfc_timeout`): how long a node that comes up
    /// alone with DRBD data of unknown currency (Consistent) waits for its
    /// peer before only an operator's `takeover --force` may start it
    /// (DRBD's degr-wfc-timeout).
    #[serde(with = "ms")]
    pub drbd_wfc: Duration,
}

/// One heartbeat medium. Every message is sent on all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Medium {
    Bcast {
        iface: String,
    },
    Ucast {
        iface: String,
        peer: IpAddr,
    },
    Mcast {
        iface: String,
        group: Ipv4Addr,
        port: u16,
        ttl: u8,
        #[serde(rename = "loop")]
        loopback: bool,
    },
    Serial {
        device: PathBuf,
    },
}

impl Medium {
    /// The link name users see in logs and `cl_status listhblinks`: the local
    /// interface or device, as the original reports it.
    pub fn link_name(&self) -> String {
        match self {
            Medium::Bcast { iface } | Medium::Ucast { iface, .. } | Medium::Mcast { iface, .. } => {
                iface.clone()
            }
            Medium::Serial { device } => device.display().to_string(),
        }
    }
}

/// The medium as an ha.cf line would write it (`bcast eth1`,
/// `mcast eth1 239.0.0.1 694 1 0`), for logs and messages.
impl fmt::Display for Medium {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Medium::Bcast { iface } => write!(f, "bcast {iface}"),
            Medium::Ucast { iface, peer } => write!(f, "ucast {iface} {peer}"),
            Medium::Mcast {
                iface,
                group,
                port,
                ttl,
                loopback,
            } => write!(
                f,
                "mcast {iface} {group} {port} {ttl} {}",
                u8::from(*loopback)
            ),
            Medium::Serial { device } => write!(f, "serial {}", device.display()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoFailback {
    On,
    Off,
    Legacy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Crc,
    Md5,
    Sha1,
    Sha256,
}

impl AuthMethod {
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Crc => "crc",
            AuthMethod::Md5 => "md5",
            AuthMethod::Sha1 => "sha1",
            AuthMethod::Sha256 => "sha256",
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AuthKey {
    pub id: u8,
    pub method: AuthMethod,
    /// Never printed: `Debug` and the JSON model redact it.
    #[serde(skip)]
    pub secret: Vec<u8>,
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// All keys of authkeys; `active` signs, every key verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthKeys {
    pub active: u8,
    pub keys: BTreeMap<u8, AuthKey>,
}

impl AuthKeys {
    pub fn active_key(&self) -> &AuthKey {
        &self.keys[&self.active]
    }
    pub fn get(&self, id: u8) -> Option<&AuthKey> {
        self.keys.get(&id)
    }
}

/// How an agent is called, chosen by where it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "convention", rename_all = "lowercase")]
pub enum AgentKind {
    /// `script arg1 arg2 … start|stop|status` (resource.d and our resource-agents/).
    Heartbeat,
    /// `/etc/init.d/script start|stop|status`, LSB exit codes.
    Lsb,
    /// `ocf:PROVIDER:TYPE`, parameters as OCF_RESKEY_*, OCF exit codes.
    Ocf { provider: String, kind: String },
    /// `IPaddr` / `IPaddr2` served by the daemon itself (`crate::vip`);
    /// the path is a name only (`builtin:IPaddr`), nothing is executed.
    Vip,
    /// A systemd unit (`systemd:nginx`, `nginx.service`) driven through
    /// `systemctl`, as Pacemaker's systemd class does; the path is a name
    /// only (`systemd:nginx.service`).
    Systemd { unit: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub kind: AgentKind,
    pub path: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionTimeouts {
    #[serde(with = "ms")]
    pub start: Duration,
    #[serde(with = "ms")]
    pub stop: Duration,
    #[serde(with = "ms")]
    pub status: Duration,
}

/// One `Name::arg1::arg2` item of a haresources line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// As written in haresources (a bare IP stays a bare IP here).
    pub spec: String,
    /// Agent name after shorthand expansion (`IPaddr` for a bare IP).
    pub name: String,
    /// Arguments; for OCF agents each is `param=value`.
    pub args: Vec<String>,
    pub agent: Agent,
    pub timeouts: ActionTimeouts,
}

/// Optional local monitoring of a group (our addition, ha.cf `monitor`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MonitorPolicy {
    #[serde(with = "ms")]
    pub interval: Duration,
    /// Local restarts allowed within `window` before the group moves.
    pub max_restarts: u32,
    #[serde(with = "ms")]
    pub window: Duration,
}

/// One haresources line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceGroup {
    pub id: GroupId,
    pub preferred: NodeName,
    /// In start order.
    pub resources: Vec<Resource>,
    pub monitor: Option<MonitorPolicy>,
    /// haresources line the group starts on, for messages.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PingGroup {
    pub name: String,
    pub hosts: Vec<IpAddr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Logging {
    pub logfile: Option<PathBuf>,
    pub debugfile: Option<PathBuf>,
    /// `None` when unset or `none`.
    pub logfacility: Option<String>,
    pub use_logd: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Respawn {
    pub user: String,
    pub command: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterConfig {
    pub config_dir: PathBuf,
    /// This node (from `--node`, default `uname -n`).
    pub local: NodeName,
    /// The other node of the pair.
    pub peer: NodeName,
    pub nodes: Vec<NodeName>,
    pub timings: Timings,
    pub udpport: u16,
    pub baud: u32,
    pub media: Vec<Medium>,
    pub auto_failback: AutoFailback,
    /// Our addition (`failback_delay`): the returning node must be up this
    /// long before groups fail back to it.
    #[serde(with = "ms")]
    pub failback_delay: Duration,
    pub announce: VipAnnounce,
    pub ping: Vec<IpAddr>,
    pub ping_groups: Vec<PingGroup>,
    pub logging: Logging,
    pub realtime: bool,
    pub debug: u32,
    pub hopfudge: u32,
    pub respawn: Vec<Respawn>,
    /// ha.cf `metrics_listen` (ours): serve `GET /metrics` here.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub auth: AuthKeys,
    pub groups: Vec<ResourceGroup>,
    /// heartbeat.toml (ours): health checks and mail.
    pub extensions: super::heartbeat_toml::Extensions,
}

/// Our ha.cf extensions for the VIP's announcements (`garp_refresh TIME`,
/// `garp_mode both|request|reply`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VipAnnounce {
    /// One more announcement this often while the address is held.
    #[serde(rename = "refresh_ms", serialize_with = "opt_ms")]
    pub refresh: Option<Duration>,
    pub mode: crate::arp::GarpMode,
}

fn opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

/// Durations as integer milliseconds in the JSON model.
mod ms {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}
