//! Every log line the node core asks for, as a typed value. The words live
//! here and only here: many are the original's, which admins grep for
//! ("node X: is dead", "Late heartbeat", "Acquiring resource group"), and
//! tests grep for them too. The daemon prints `Display` at `level()`.

use crate::action::{ChainAction, ChainFailure};
use crate::config::{GroupId, NodeName};
use crate::membership::DeathCause;
use crate::ownership::{self, Level, Which};
use std::fmt;
use std::time::Duration;

/// What the node says about its peer and the media between them; most of
/// these lines are the original's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerNotice {
    PeerRestartSeen {
        peer: NodeName,
    },
    PeerStatusUp {
        peer: NodeName,
    },
    PeerDead {
        peer: NodeName,
        silent_for: Duration,
        cause: DeathCause,
    },
    LateHeartbeat {
        peer: NodeName,
        interval: Duration,
        beyond_deadtime: bool,
    },
    LinkUp {
        peer: NodeName,
        link: String,
    },
    LinkDead {
        peer: NodeName,
        link: String,
    },
    PeerRestarted {
        peer: NodeName,
        old_hg: u64,
        new_hg: u64,
    },
    PeerReturned {
        peer: NodeName,
        silent_for: Duration,
    },
    /// Came back with a lower generation than its dead one.
    PeerRolledBack {
        peer: NodeName,
        old_hg: u64,
        new_hg: u64,
    },
    PeerShutdownNotice {
        peer: NodeName,
    },
    ConfigDiffers {
        peer: NodeName,
        ours: String,
        theirs: String,
    },
    /// After a reload on either node: expected until the other reloads.
    ConfigDiffersAfterReload {
        peer: NodeName,
        ours: String,
        theirs: String,
    },
    ConfigAgrees {
        peer: NodeName,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Peer(PeerNotice),
    /// DRBD: fencing, refused takeovers, split brain (`core/drbd_notice.rs`).
    Drbd(super::drbd_notice::DrbdNotice),
    LocalStall {
        gap: Duration,
    },
    /// Rate-limited: one line per ten seconds however many arrive.
    PacketDropped {
        reason: &'static str,
        detail: String,
        total_dropped: u64,
    },
    /// A chain action begins (`line` is the haresources resources).
    ChainBegins {
        action: ChainAction,
        group: GroupId,
        preferred: NodeName,
        line: String,
    },
    ReannounceFailed {
        group: GroupId,
        failure: ChainFailure,
    },
    MonitorNotRunning {
        group: GroupId,
        failure: ChainFailure,
    },
    RequestRefused {
        reason: String,
    },
    TakingOver {
        which: Which,
    },
    ShutdownBegins {
        cause: &'static str,
    },
    ShutdownComplete,
    /// Groups that could not be stopped keep the daemon running.
    ShutdownBlocked {
        groups: Vec<GroupId>,
        peer: NodeName,
    },
    PingReach {
        reachable: u32,
    },
    /// A decision of the ownership machine (its words live in
    /// `ownership/notice.rs`).
    Ownership(ownership::Notice),
    /// What a reload applied or refused (words in `reload.rs`).
    Reload(super::ReloadNotice),
    /// A health check changed (words in `checks.rs`).
    Check(super::CheckNotice),
}

impl Notice {
    pub fn level(&self) -> Level {
        match self {
            Notice::Peer(n) => n.level(),
            Notice::LocalStall { .. }
            | Notice::PacketDropped { .. }
            | Notice::MonitorNotRunning { .. }
            | Notice::RequestRefused { .. } => Level::Warn,
            Notice::ShutdownBlocked { .. } => Level::Crit,
            Notice::ReannounceFailed { .. } => Level::Error,
            Notice::Ownership(n) => n.level(),
            Notice::Reload(n) => n.level(),
            Notice::Check(n) => n.level(),
            Notice::Drbd(n) => n.level(),
            _ => Level::Info,
        }
    }
}

impl PeerNotice {
    pub fn level(&self) -> Level {
        match self {
            PeerNotice::PeerDead { .. } | PeerNotice::LinkDead { .. } => Level::Warn,
            PeerNotice::LateHeartbeat {
                beyond_deadtime: true,
                ..
            }
            | PeerNotice::PeerReturned { .. } => Level::Crit,
            PeerNotice::LateHeartbeat { .. } => Level::Warn,
            PeerNotice::ConfigDiffers { .. } | PeerNotice::PeerRolledBack { .. } => Level::Error,
            PeerNotice::ConfigDiffersAfterReload { .. } => Level::Warn,
            _ => Level::Info,
        }
    }
}

fn ms(d: &Duration) -> u128 {
    d.as_millis()
}

fn death_words(cause: DeathCause) -> &'static str {
    match cause {
        DeathCause::Silence => "silent on every medium",
        DeathCause::Initdead => "never heard within initdead",
        DeathCause::Shutdown => "it shut down",
    }
}

/// The original's words for the two moves admins grep for (`Acquiring`,
/// `Releasing`, with the haresources line); ours for the rest.
fn chain_begins(
    f: &mut fmt::Formatter<'_>,
    action: ChainAction,
    group: &impl fmt::Display,
    preferred: &impl fmt::Display,
    line: &impl fmt::Display,
) -> fmt::Result {
    match action {
        ChainAction::Start => write!(f, "Acquiring resource group: {preferred} {line}"),
        ChainAction::Stop => write!(f, "Releasing resource group: {preferred} {line}"),
        ChainAction::Restart => write!(f, "Restarting resource group: {group}"),
        ChainAction::Reannounce => write!(f, "Re-announcing resource group: {group}"),
        ChainAction::Monitor => write!(f, "Monitoring resource group: {group}"),
        ChainAction::Probe => write!(f, "Probing resource group: {group}"),
    }
}

impl fmt::Display for PeerNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerNotice::PeerRestartSeen { peer } => write!(f, "Heartbeat restart on node {peer}"),
            PeerNotice::PeerStatusUp { peer } => {
                write!(f, "Status update for node {peer}: status up")
            }
            PeerNotice::PeerDead {
                peer,
                silent_for,
                cause,
            } => write!(
                f,
                "node {peer}: is dead (silent {} ms, {})",
                ms(silent_for),
                death_words(*cause)
            ),
            PeerNotice::LateHeartbeat {
                peer,
                interval,
                beyond_deadtime,
            } => write!(
                f,
                "Late heartbeat: Node {peer}: interval {} ms{}",
                ms(interval),
                if *beyond_deadtime {
                    " (> deadtime)"
                } else {
                    ""
                }
            ),
            PeerNotice::LinkUp { peer, link } => write!(f, "Link {peer}:{link} up."),
            PeerNotice::LinkDead { peer, link } => write!(f, "Link {peer}:{link} dead."),
            PeerNotice::PeerRestarted {
                peer,
                old_hg,
                new_hg,
            } => write!(
                f,
                "Heartbeat restart on node {peer} (generation {old_hg} -> {new_hg})"
            ),
            PeerNotice::PeerReturned { peer, silent_for } => write!(
                f,
                "Cluster node {peer} returning after partition (silent {} ms). Resolving any doubly held \
                 group without restarting (see docs/failover.md)",
                ms(silent_for)
            ),
            PeerNotice::PeerRolledBack {
                peer,
                old_hg,
                new_hg,
            } => write!(
                f,
                "Node {peer} came back with generation {new_hg}, lower than its previous {old_hg}: its \
                 state directory (hb_generation) was restored from an older copy; accepted as a new \
                 incarnation after {old_hg} was dead for deadtime. Fix the state directory's backup"
            ),
            PeerNotice::PeerShutdownNotice { peer } => {
                write!(f, "Received shutdown notice from '{peer}'.")
            }
            PeerNotice::ConfigDiffers { peer, ours, theirs } => write!(
                f,
                "Configuration differs from {peer}'s (haresources, timings or auth method; ours {ours}, \
                 theirs {theirs}): compare with `heartbeat check --against`"
            ),
            PeerNotice::ConfigDiffersAfterReload { peer, ours, theirs } => write!(
                f,
                "Configuration differs from {peer}'s since a reload (ours {ours}, theirs {theirs}); \
                 expected until both nodes are reloaded with the same files"
            ),
            PeerNotice::ConfigAgrees { peer } => {
                write!(f, "Configuration agrees with {peer}'s again")
            }
        }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Peer(n) => n.fmt(f),
            Notice::LocalStall { gap } => write!(
                f,
                "This node was stalled {} ms; reading queued packets before judging the peer",
                ms(gap)
            ),
            Notice::PacketDropped {
                reason,
                detail,
                total_dropped,
            } => write!(
                f,
                "Dropped packet ({reason}, {total_dropped} dropped so far): {detail}"
            ),
            Notice::ChainBegins {
                action,
                group,
                preferred,
                line,
            } => chain_begins(f, *action, group, preferred, line),
            Notice::ReannounceFailed { group, failure } => {
                write!(f, "re-announce of {group} failed: {failure}")
            }
            Notice::MonitorNotRunning { group, failure } => {
                write!(
                    f,
                    "Monitor: resource group {group} is not running ({failure})"
                )
            }
            Notice::RequestRefused { reason } => write!(f, "Request refused: {reason}"),
            Notice::TakingOver { which } => {
                write!(f, "Taking over [{}] on request.", which)
            }
            Notice::ShutdownBegins { cause } => write!(
                f,
                "Heartbeat shutdown in progress. Giving up all HA resources. (cause: {cause})"
            ),
            Notice::ShutdownComplete => f.write_str("Heartbeat shutdown complete."),
            Notice::ShutdownBlocked { groups, peer } => write!(
                f,
                "Resource STOP failure: {} still held here; not stopping, so {peer} will not take \
                 them. Stop the resources by hand, then stop heartbeat again.",
                groups
                    .iter()
                    .map(|g| g.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Notice::PingReach { reachable } => {
                write!(f, "Ping nodes reachable from here: {reachable}")
            }
            Notice::Ownership(n) => n.fmt(f),
            Notice::Reload(n) => n.fmt(f),
            Notice::Check(n) => n.fmt(f),
            Notice::Drbd(n) => n.fmt(f),
        }
    }
}
