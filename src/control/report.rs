//! The answer to `heartbeat status`, as it crosses the control socket and as
//! `--json` prints it. States are enums here, so a caller matches on them
//! instead of comparing words; on the wire they are the words `cl_status`
//! prints, which scripts written for the original grep for.

use crate::core::counters::Counters;
pub use crate::membership::LinkState;
pub use crate::ownership::{LocalState, MaintenanceState, RscStatus};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The peer as `cl_status nodestatus` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerStatus {
    /// Never heard since this node started.
    Init,
    /// Heard, but it has not yet said it runs its resources.
    Up,
    /// Heard, and serving.
    Active,
    Dead,
}

impl PeerStatus {
    pub fn word(self) -> &'static str {
        match self {
            PeerStatus::Init => "init",
            PeerStatus::Up => "up",
            PeerStatus::Active => "active",
            PeerStatus::Dead => "dead",
        }
    }
}

/// Who holds a group, as status prints it: a node's name, `none`, or `both`
/// while a conflict is being resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum GroupHolder {
    Node(String),
    Nobody,
    Both,
}

impl From<String> for GroupHolder {
    fn from(s: String) -> Self {
        match s.as_str() {
            "none" => GroupHolder::Nobody,
            "both" => GroupHolder::Both,
            _ => GroupHolder::Node(s),
        }
    }
}

impl From<GroupHolder> for String {
    fn from(h: GroupHolder) -> String {
        h.to_string()
    }
}

impl fmt::Display for GroupHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupHolder::Node(n) => f.pad(n),
            GroupHolder::Nobody => f.pad("none"),
            GroupHolder::Both => f.pad("both"),
        }
    }
}

/// `Display` is the status word, padded as asked, for the enums above and
/// the ones borrowed from membership and ownership.
macro_rules! display_word {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.word())
            }
        }
    )*};
}
display_word!(
    PeerStatus,
    LinkState,
    LocalState,
    RscStatus,
    MaintenanceState
);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkStatus {
    pub name: String,
    pub state: LinkState,
    /// Seconds since this link last carried a packet of the peer's; none
    /// if it never did.
    #[serde(default)]
    pub last_heard_secs: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupStatus {
    pub id: String,
    pub preferred: String,
    pub holder: GroupHolder,
    /// This node's state of the group.
    pub local_state: LocalState,
    /// Seconds since the last transition.
    pub since_secs: f64,
    /// Why the last transition happened.
    pub cause: String,
}

/// The version of the JSON below. Raised when a field changes meaning or
/// goes away; new fields are added with defaults and keep it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatusReport {
    /// [`SCHEMA_VERSION`] of the daemon that answered (0: before versions).
    #[serde(default)]
    pub schema_version: u32,
    /// The daemon's own version (`CARGO_PKG_VERSION`).
    #[serde(default)]
    pub version: String,
    /// Seconds since the daemon started.
    #[serde(default)]
    pub uptime_secs: f64,
    pub node: String,
    pub peer: String,
    pub peer_status: PeerStatus,
    pub peer_generation: Option<u64>,
    pub generation: u64,
    pub links: Vec<LinkStatus>,
    pub rscstatus: RscStatus,
    pub groups: Vec<GroupStatus>,
    /// Ping nodes (and ping groups) reachable from this node.
    pub ping_reachable: u32,
    /// Dropped packets by reason, late heartbeats, …
    pub counters: Counters,
    pub keepalive_ms: u64,
    pub deadtime_ms: u64,
    pub warntime_ms: u64,
    pub initdead_ms: u64,
    /// Maintenance mode: `on`, `off`, or `settling` (left, probing).
    #[serde(default)]
    pub maintenance: MaintenanceState,
    /// The latest takeover, release, restart or re-announce, with where its
    /// time went.
    #[serde(default)]
    pub last_transition: Option<crate::core::Transition>,
    /// How long each resource's start and stop took, since the daemon
    /// started.
    #[serde(default)]
    pub agent_durations: Vec<crate::core::DurationSeries>,
    /// heartbeat.toml's health checks, each with its rise/fall state.
    #[serde(default)]
    pub checks: Vec<crate::core::CheckStatus>,
    /// The DRBD resources the groups use, as drbdadm reports them here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drbd: Vec<crate::core::DrbdStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON words are the `cl_status` words: one test per enum keeps the
    /// serde names and `word()` from drifting apart.
    fn same_words<T: Serialize + fmt::Display>(all: &[T]) {
        for v in all {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{v}\""));
        }
    }

    #[test]
    fn json_words_are_the_cl_status_words() {
        use PeerStatus as P;
        same_words(&[P::Init, P::Up, P::Active, P::Dead]);
        same_words(&[LinkState::Init, LinkState::Up, LinkState::Dead]);
        use LocalState as L;
        same_words(&[
            L::Stopped,
            L::Starting,
            L::Running,
            L::Stopping,
            L::StopFailed,
        ]);
        use RscStatus as R;
        same_words(&[R::None, R::Local, R::Foreign, R::All, R::Transition]);
        use MaintenanceState as M;
        same_words(&[M::Off, M::On, M::Settling]);
        assert_eq!(
            serde_json::to_string(&LocalState::StopFailed).unwrap(),
            "\"stop-failed\""
        );
    }

    #[test]
    fn a_holder_is_a_name_or_one_of_two_words() {
        for (word, h) in [
            ("alpha", GroupHolder::Node("alpha".into())),
            ("none", GroupHolder::Nobody),
            ("both", GroupHolder::Both),
        ] {
            let json = format!("\"{word}\"");
            assert_eq!(serde_json::to_string(&h).unwrap(), json);
            assert_eq!(serde_json::from_str::<GroupHolder>(&json).unwrap(), h);
        }
    }
}
