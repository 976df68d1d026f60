//! What the export builds before anything is written: one Pacemaker
//! cluster (resources, constraints, options) and one Corosync membership,
//! as plain values. The writers (`cib`, `pcs`, `crmsh`, `corosync`) only
//! turn a [`Plan`] into text; every decision is made in `mapping`.

use crate::config::hacf::format_time;
use std::fmt;
use std::time::Duration;

/// The score of the preferred node's location preference. Stickiness is
/// set above or below it to say whether a group fails back.
pub const PREFERENCE: i64 = 100;
/// Per-resource stickiness for `auto_failback off`. A group's stickiness
/// is the sum of its members', so one member already outweighs the
/// preference.
pub const STAY: i64 = 200;

/// A Pacemaker score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Infinity,
    MinusInfinity,
    Value(i64),
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Score::Infinity => f.write_str("INFINITY"),
            Score::MinusInfinity => f.write_str("-INFINITY"),
            Score::Value(v) => write!(f, "{v}"),
        }
    }
}

/// The role of a promotable clone's instance (Pacemaker 2.1 names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Promoted,
    Unpromoted,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Promoted => "Promoted",
            Role::Unpromoted => "Unpromoted",
        })
    }
}

/// Which agent a primitive runs, as `class[:provider]:type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentRef {
    Ocf { provider: String, kind: String },
    Lsb(String),
    Systemd(String),
}

impl AgentRef {
    pub fn ocf(provider: &str, kind: &str) -> AgentRef {
        AgentRef::Ocf {
            provider: provider.into(),
            kind: kind.into(),
        }
    }
    pub fn class(&self) -> &'static str {
        match self {
            AgentRef::Ocf { .. } => "ocf",
            AgentRef::Lsb(_) => "lsb",
            AgentRef::Systemd(_) => "systemd",
        }
    }
    pub fn provider(&self) -> Option<&str> {
        match self {
            AgentRef::Ocf { provider, .. } => Some(provider),
            _ => None,
        }
    }
    pub fn kind(&self) -> &str {
        match self {
            AgentRef::Ocf { kind, .. } => kind,
            AgentRef::Lsb(k) | AgentRef::Systemd(k) => k,
        }
    }
    /// Agents that ship with Pacemaker or ClusterLabs' resource-agents, so
    /// pcs can read their meta-data on any Pacemaker node.
    pub fn ships_with_pacemaker(&self) -> bool {
        matches!(self, AgentRef::Ocf { provider, .. } if provider == "heartbeat" || provider == "pacemaker")
    }
}

impl fmt::Display for AgentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.provider() {
            Some(p) => write!(f, "{}:{p}:{}", self.class(), self.kind()),
            None => write!(f, "{}:{}", self.class(), self.kind()),
        }
    }
}

/// One operation of a primitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub name: &'static str,
    pub interval: Duration,
    pub timeout: Duration,
    pub role: Option<Role>,
}

impl Op {
    pub fn once(name: &'static str, timeout: Duration) -> Op {
        Op {
            name,
            interval: Duration::ZERO,
            timeout,
            role: None,
        }
    }
    /// `op NAME interval=… timeout=… [role=…]`, as pcs and crmsh both
    /// write an operation.
    pub fn words(&self) -> String {
        let role = self.role.map(|r| format!(" role={r}")).unwrap_or_default();
        format!(
            "op {} interval={} timeout={}{role}",
            self.name,
            format_time(self.interval),
            format_time(self.timeout)
        )
    }
    /// The op's id suffix: `start-0`, `monitor-29000` (Pacemaker's habit).
    pub fn id_suffix(&self) -> String {
        let role = self
            .role
            .map(|r| format!("-{}", r.to_string().to_lowercase()))
            .unwrap_or_default();
        format!("{}-{}{role}", self.name, self.interval.as_millis())
    }
}

/// A `name=value` pair (instance or meta attribute).
pub type Nv = (String, String);

pub fn nv(k: &str, v: impl ToString) -> Nv {
    (k.to_string(), v.to_string())
}

/// Text fit for a comment that ends up in the CIB as an XML comment
/// (crmsh turns `#` lines into them): no `--`, no trailing `-`.
pub fn comment_text(text: &str) -> String {
    let mut t = text.replace("--", "- -");
    while t.contains("--") {
        t = t.replace("--", "- -");
    }
    t.trim_end_matches('-').to_string()
}

/// `k=v k=v`, each value through `quote` (the shell's or crmsh's).
pub fn assignments(pairs: &[Nv], quote: fn(&str) -> String) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primitive {
    pub id: String,
    pub agent: AgentRef,
    pub params: Vec<Nv>,
    pub meta: Vec<Nv>,
    pub ops: Vec<Op>,
    /// Where it came from (`haresources:3 Filesystem::/dev/drbd0::/srv`), for comments.
    pub origin: String,
}

/// One haresources line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub members: Vec<Primitive>,
    /// Inherited by every member (failure handling from `monitor`).
    pub meta: Vec<Nv>,
    pub description: String,
}

/// A clone running on both nodes: DRBD (promotable) or a ping monitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloneSet {
    pub id: String,
    pub primitive: Primitive,
    pub meta: Vec<Nv>,
}

impl CloneSet {
    pub fn promotable(&self) -> bool {
        self.meta
            .iter()
            .any(|(k, v)| k == "promotable" && v == "true")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// `rsc` (in `role`, when given) prefers `node` by `score`.
    Location {
        id: String,
        rsc: String,
        role: Option<Role>,
        node: String,
        score: Score,
    },
    /// Where node attribute `attribute` is defined, its value is `rsc`'s
    /// score there (`score-attribute`): more ping nodes reached, more
    /// preferred, as heartbeat's ping rule.
    ByAttribute {
        id: String,
        rsc: String,
        attribute: String,
    },
    Colocation {
        id: String,
        rsc: String,
        with: String,
        with_role: Option<Role>,
        score: Score,
    },
    Order(Ordering),
}

/// `then` does `then_action` only after `first` did `first_action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ordering {
    pub id: String,
    pub first: String,
    pub first_action: &'static str,
    pub then: String,
    pub then_action: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanNode {
    pub id: u32,
    pub name: String,
}

/// The Pacemaker side of the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub cluster_name: String,
    pub nodes: Vec<PlanNode>,
    /// Per-resource stickiness (`rsc_defaults`).
    pub stickiness: i64,
    pub clones: Vec<CloneSet>,
    pub groups: Vec<Group>,
    pub constraints: Vec<Constraint>,
}

impl Plan {
    /// Cluster options (`crm_config`), in writing order.
    pub fn properties(&self) -> Vec<Nv> {
        // Only written when the admin asked for fencing off: heartbeat v1
        // had none, and Pacemaker refuses to start resources without a
        // device while it is on.
        vec![
            nv("stonith-enabled", false),
            nv("cluster-name", &self.cluster_name),
        ]
    }
}

/// One Corosync knet link: the same interface on both nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub number: u8,
    /// The heartbeat medium it replaces (`bcast eth1`), for the comment.
    pub from: String,
    /// Each node's address on it, in node order (a name when none was
    /// given: Corosync resolves it).
    pub addrs: Vec<String>,
}

/// The Corosync side of the export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub cluster_name: String,
    pub nodes: Vec<PlanNode>,
    pub links: Vec<Link>,
    pub token: Duration,
    pub syslog_facility: Option<String>,
}
