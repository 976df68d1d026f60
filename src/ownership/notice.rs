//! What ownership tells the operator: one `Notice` per kind of event, with
//! typed fields, and the words for it written here and nowhere else. Many
//! of them are the original Heartbeat's ("Taking over resource group",
//! "Releasing resource group:") that admins and our own tests grep for:
//! changing a single byte of them breaks someone's monitoring.
//!
//! Ownership decides and emits `Output::Notice`; the daemon prints
//! `Display` at `level()`; the simulator matches on the variants. Nothing
//! here decides anything.

use super::{DeadCause, Generation, LocalState, Outcome, Which, YieldCause};
use crate::action::ChainFailure;
use crate::config::{GroupId, NodeName};
use std::fmt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Crit,
    Error,
    Warn,
    Info,
    Debug,
}

/// Why a group is started here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartReason {
    /// The peer is up, holds nothing of it, and this is its preferred node.
    Preferred,
    /// The peer yields it to us (and does not hold it).
    PeerReleased(NodeName),
    /// Membership gave up on the peer.
    PeerGone(DeadCause),
}

/// Why a group is given up here until an operator takeover (or the peer's
/// death) clears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupFailure {
    /// Its chain failed to start and rolled back.
    Start(ChainFailure),
    /// Its monitor failed once more than the policy allows restarts.
    MonitorExhausted,
}

/// Why an operator request, or a standby message of the peer, cannot run
/// now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Busy {
    ShuttingDown,
    /// A chain is running on one of our groups.
    InFlux {
        group: GroupId,
        state: LocalState,
    },
    /// One of our requests, or one of the peer's we serve, is not done.
    RequestRunning,
}

/// One event worth telling the operator, logged once where it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// ha.cf says `auto_failback legacy`.
    LegacyAutoFailback,
    /// Membership says the peer is up.
    PeerUp { peer: NodeName },
    /// Membership gave up on the peer: its groups may be taken here.
    AcquiringFromDeadPeer { peer: NodeName, cause: DeadCause },
    /// The peer's report has another number of groups than haresources.
    GroupCountMismatch {
        peer: NodeName,
        theirs: usize,
        ours: usize,
    },
    /// A report of a new incarnation of the peer.
    PeerRestarted {
        peer: NodeName,
        generation: Generation,
    },
    /// A start result for a group that was not starting.
    UnexpectedStarted { group: GroupId },
    /// A stop result for a group that was neither stopping nor restarting.
    UnexpectedStopped { group: GroupId },
    /// A start (or local restart) succeeded.
    Running { group: GroupId },
    /// A group failed here; `taker` is the peer that gets it, if it is up.
    Failed {
        group: GroupId,
        failure: GroupFailure,
        taker: Option<NodeName>,
    },
    /// A stop succeeded.
    Released { group: GroupId },
    /// A stop failed hard: the group stays held here for ever.
    StopFailed {
        group: GroupId,
        failure: ChainFailure,
        peer: NodeName,
    },
    /// An operator standby request was accepted.
    GoingStandby { which: Which },
    /// A standby keeps this group: the peer would not start it.
    StandbyKeeps { group: GroupId, peer: NodeName },
    /// A standby hands the selected groups to the peer.
    StandbyGives { peer: NodeName, which: Which },
    /// An operator takeover asks the peer to go standby.
    TakeoverAsks { which: Which, peer: NodeName },
    /// An operator takeover while the peer is dead needs no answer.
    TakeoverDirect { which: Which, peer: NodeName },
    /// Shutdown: everything is released.
    GivingUpAll,
    /// A monitor failure within the policy: the group restarts here.
    MonitorRestart {
        group: GroupId,
        restart: usize,
        max: u32,
        window: Duration,
    },
    /// Both nodes hold a group (after a partition or a freeze).
    Conflict {
        group: GroupId,
        epoch_here: u64,
        epoch_peer: u64,
        peer: NodeName,
        loser: NodeName,
        keeper: NodeName,
    },
    /// We won a conflict and the peer let go: announce the group again.
    Reannouncing { peer: NodeName, group: GroupId },
    /// The peer reaches more ping nodes than we do.
    ReachLower {
        peer: NodeName,
        peer_reach: u32,
        reach: u32,
    },
    /// We reach none of our ping nodes: cut off from the world, we take
    /// over nothing, whatever the peer does.
    CutOff { peer: NodeName },
    /// We no longer reach fewer ping nodes than the peer.
    ReachRecovered {
        peer: NodeName,
        peer_reach: u32,
        reach: u32,
    },
    /// The peer asked us to go standby while we are busy.
    PeerStandbyIgnored {
        which: Which,
        peer: NodeName,
        busy: Busy,
    },
    /// The peer asked us to go standby (its operator asked a takeover).
    PeerWantsTakeover { peer: NodeName, which: Which },
    /// auto_failback: the peer's groups go back to it.
    FailingBack { peer: NodeName, delay: Duration },
    /// A group we yield is being stopped here.
    Releasing { group: GroupId, cause: YieldCause },
    /// A group is being started here.
    Starting { group: GroupId, reason: StartReason },
    /// A group failed on both nodes.
    DownEverywhere { group: GroupId },
    /// The standby the peer asked for is done.
    ServedPeerStandby { peer: NodeName },
    /// One of our operator requests ended, as its answer says.
    RequestFinished { ok: bool, outcome: Outcome },
    /// Shutdown: every group is stopped.
    AllRelinquished,
    /// Shutdown: these groups failed to stop and stay held.
    ShutdownStopFailed { groups: Vec<GroupId> },
    /// Maintenance mode (its words live in `maintenance.rs`).
    Maintenance(super::MaintenanceNotice),
}

impl Notice {
    /// The level an admin wants it at.
    pub fn level(&self) -> Level {
        use Notice::*;
        match self {
            Maintenance(n) => n.level(),
            StopFailed { .. } | ShutdownStopFailed { .. } => Level::Crit,
            GroupCountMismatch { .. } | Failed { .. } | Conflict { .. } | DownEverywhere { .. } => {
                Level::Error
            }
            LegacyAutoFailback
            | AcquiringFromDeadPeer { .. }
            | UnexpectedStarted { .. }
            | UnexpectedStopped { .. }
            | StandbyKeeps { .. }
            | MonitorRestart { .. }
            | Reannouncing { .. }
            | ReachLower { .. }
            | CutOff { .. }
            | PeerStandbyIgnored { .. }
            | RequestFinished { ok: false, .. } => Level::Warn,
            PeerUp { .. }
            | PeerRestarted { .. }
            | Running { .. }
            | Released { .. }
            | GoingStandby { .. }
            | StandbyGives { .. }
            | TakeoverAsks { .. }
            | TakeoverDirect { .. }
            | GivingUpAll
            | ReachRecovered { .. }
            | PeerWantsTakeover { .. }
            | FailingBack { .. }
            | Releasing { .. }
            | Starting { .. }
            | ServedPeerStandby { .. }
            | RequestFinished { ok: true, .. }
            | AllRelinquished => Level::Info,
        }
    }
}

impl fmt::Display for Notice {
    // A table: one line per notice, so the words can be read (and grepped)
    // together.
    #[rustfmt::skip]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Notice::*;
        match self {
            LegacyAutoFailback => write!(f, "auto_failback legacy is deprecated; it is treated as auto_failback on"),
            PeerUp { peer } => write!(f, "{peer} is up; exchanging resource reports"),
            AcquiringFromDeadPeer { peer, cause } => write!(f, "Resources being acquired from {peer} ({cause})."),
            GroupCountMismatch { peer, theirs, ours } => write!(f, "{peer} reports {theirs} resource groups, we have {ours}: haresources differ; ignoring its resource reports"),
            PeerRestarted { peer, generation } => write!(f, "{peer} restarted (generation {generation}); forgetting its old state"),
            UnexpectedStarted { group } => write!(f, "unexpected start result for resource group {group} ignored"),
            UnexpectedStopped { group } => write!(f, "unexpected stop result for resource group {group} ignored"),
            Running { group } => write!(f, "Resource group {group} is running here"),
            Failed { group, failure, taker: Some(peer) } => write!(f, "Resource group {group}: {failure}; giving it to {peer}"),
            Failed { group, failure, taker: None } => write!(f, "Resource group {group}: {failure}; it stays down here until an operator takeover"),
            Released { group } => write!(f, "Resource group {group} released"),
            StopFailed { group, failure, peer } => write!(f, "Resource group {group} failed to stop: {failure}. It stays held here and will not be started on {peer}; an operator must clean it up and restart heartbeat"),
            GoingStandby { which } => write!(f, "Going standby [{which}]."),
            StandbyKeeps { group, peer } => write!(f, "standby: keeping resource group {group}: {peer} cannot take it"),
            StandbyGives { peer, which } => write!(f, "standby: {peer} can take our {which} resources"),
            TakeoverAsks { which, peer } => write!(f, "Takeover [{which}]: asking {peer} to go standby [{}]", which.mirrored()),
            TakeoverDirect { which, peer } => write!(f, "Takeover [{which}]: {peer} is dead, taking directly"),
            GivingUpAll => write!(f, "Giving up all HA resources."),
            MonitorRestart { group, restart, max, window } => write!(f, "Resource group {group} failed its monitor; restarting it here ({restart} of {max} within {window:?})"),
            Conflict { group, epoch_here, epoch_peer, peer, loser, keeper } => write!(f, "Both nodes hold resource group {group} (epoch {epoch_here} here, {epoch_peer} on {peer}); {loser} releases it, {keeper} keeps it"),
            Reannouncing { peer, group } => write!(f, "{peer} released resource group {group}; re-announcing it here"),
            ReachLower { peer, peer_reach, reach } => write!(f, "{peer} reaches {peer_reach} ping nodes, we reach {reach}: giving it our resources"),
            CutOff { peer } => write!(f, "we reach none of our ping nodes: taking over nothing, whatever {peer} does"),
            ReachRecovered { peer, peer_reach, reach } => write!(f, "we reach {reach} ping nodes again ({peer} reaches {peer_reach})"),
            PeerStandbyIgnored { which, peer, busy } => write!(f, "standby message [{which}] from {peer} ignored: {busy}"),
            PeerWantsTakeover { peer, which } => write!(f, "{peer} wants to take over; Going standby [{which}]."),
            FailingBack { peer, delay } => write!(f, "auto_failback: {peer} has been up for {delay:?}; giving back its resource groups"),
            Releasing { group, cause } => write!(f, "Releasing resource group: {group} ({cause})"),
            Starting { group, reason: StartReason::Preferred } => write!(f, "Acquiring resource group: {group} ({})", StartReason::Preferred),
            Starting { group, reason } => write!(f, "Taking over resource group {group} ({reason})"),
            DownEverywhere { group } => write!(f, "Resource group {group} could not be started on either node; it stays down until an operator takeover"),
            ServedPeerStandby { peer } => write!(f, "standby for {peer} complete: our resources released"),
            RequestFinished { outcome, .. } => write!(f, "{outcome}"),
            AllRelinquished => write!(f, "All HA resources relinquished."),
            ShutdownStopFailed { groups } => {
                write!(f, "Shutdown with resource groups that failed to stop:")?;
                groups.iter().try_for_each(|g| write!(f, " {g}"))
            }
            Maintenance(n) => write!(f, "{n}"),
        }
    }
}

impl fmt::Display for DeadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeadCause::Dead => "peer dead",
            DeadCause::InitDead => "peer not heard within initdead",
            DeadCause::Shutdown => "peer shutdown",
        })
    }
}

/// Also the `cause` of a group that is stopping, in `heartbeat status`.
impl fmt::Display for YieldCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            YieldCause::Standby => "standby",
            YieldCause::Failback => "auto_failback",
            YieldCause::Conflict => "both nodes held it, the peer keeps it",
            YieldCause::Reach => "the peer reaches more ping nodes",
            YieldCause::Failed => "monitor failure",
            YieldCause::Shutdown => "shutdown",
        })
    }
}

/// Also the `cause` of a group that is starting, in `heartbeat status`.
impl fmt::Display for StartReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartReason::Preferred => f.write_str("preferred node"),
            StartReason::PeerReleased(peer) => write!(f, "{peer} released it"),
            StartReason::PeerGone(cause) => write!(f, "{cause}"),
        }
    }
}

/// Also the `cause` of a failed group, in `heartbeat status`.
impl fmt::Display for GroupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupFailure::Start(e) => write!(f, "start failed: {e}"),
            GroupFailure::MonitorExhausted => {
                f.write_str("monitor failed and local restarts are exhausted")
            }
        }
    }
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Busy::ShuttingDown => f.write_str("heartbeat is shutting down"),
            Busy::InFlux { group, state } => write!(
                f,
                "local resources in flux (resource group {group} is {state:?})"
            ),
            Busy::RequestRunning => {
                f.write_str("another standby/takeover request is still running")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: &str) -> GroupId {
        GroupId(id.to_string())
    }

    fn n(name: &str) -> NodeName {
        NodeName::new(name)
    }

    /// Every line byte for byte: admins' monitoring and tests/*.rs grep
    /// the daemon's log for these words.
    #[test]
    #[rustfmt::skip]
    fn notices_keep_the_words_users_grep_for() {
        let failure = ChainFailure::new("IPaddr", "exit code 1");
        let cases: Vec<(Notice, Level, &str)> = vec![
            (Notice::LegacyAutoFailback, Level::Warn, "auto_failback legacy is deprecated; it is treated as auto_failback on"),
            (Notice::PeerUp { peer: n("bravo") }, Level::Info, "bravo is up; exchanging resource reports"),
            (Notice::AcquiringFromDeadPeer { peer: n("bravo"), cause: DeadCause::InitDead }, Level::Warn, "Resources being acquired from bravo (peer not heard within initdead)."),
            (Notice::GroupCountMismatch { peer: n("bravo"), theirs: 3, ours: 2 }, Level::Error, "bravo reports 3 resource groups, we have 2: haresources differ; ignoring its resource reports"),
            (Notice::PeerRestarted { peer: n("bravo"), generation: Generation(7) }, Level::Info, "bravo restarted (generation 7); forgetting its old state"),
            (Notice::UnexpectedStarted { group: g("ip-a") }, Level::Warn, "unexpected start result for resource group ip-a ignored"),
            (Notice::UnexpectedStopped { group: g("ip-a") }, Level::Warn, "unexpected stop result for resource group ip-a ignored"),
            (Notice::Running { group: g("ip-a") }, Level::Info, "Resource group ip-a is running here"),
            (Notice::Failed { group: g("ip-a"), failure: GroupFailure::Start(failure.clone()), taker: Some(n("bravo")) }, Level::Error, "Resource group ip-a: start failed: exit code 1; giving it to bravo"),
            (Notice::Failed { group: g("ip-a"), failure: GroupFailure::MonitorExhausted, taker: None }, Level::Error, "Resource group ip-a: monitor failed and local restarts are exhausted; it stays down here until an operator takeover"),
            (Notice::Released { group: g("ip-a") }, Level::Info, "Resource group ip-a released"),
            (Notice::StopFailed { group: g("ip-a"), failure, peer: n("bravo") }, Level::Crit, "Resource group ip-a failed to stop: exit code 1. It stays held here and will not be started on bravo; an operator must clean it up and restart heartbeat"),
            (Notice::GoingStandby { which: Which::All }, Level::Info, "Going standby [all]."),
            (Notice::StandbyKeeps { group: g("ip-a"), peer: n("bravo") }, Level::Warn, "standby: keeping resource group ip-a: bravo cannot take it"),
            (Notice::StandbyGives { peer: n("bravo"), which: Which::Local }, Level::Info, "standby: bravo can take our local resources"),
            (Notice::TakeoverAsks { which: Which::Local, peer: n("bravo") }, Level::Info, "Takeover [local]: asking bravo to go standby [foreign]"),
            (Notice::TakeoverDirect { which: Which::All, peer: n("bravo") }, Level::Info, "Takeover [all]: bravo is dead, taking directly"),
            (Notice::GivingUpAll, Level::Info, "Giving up all HA resources."),
            (Notice::MonitorRestart { group: g("ip-a"), restart: 2, max: 3, window: Duration::from_secs(60) }, Level::Warn, "Resource group ip-a failed its monitor; restarting it here (2 of 3 within 60s)"),
            (Notice::Conflict { group: g("ip-a"), epoch_here: 4, epoch_peer: 5, peer: n("bravo"), loser: n("alpha"), keeper: n("bravo") }, Level::Error, "Both nodes hold resource group ip-a (epoch 4 here, 5 on bravo); alpha releases it, bravo keeps it"),
            (Notice::Reannouncing { peer: n("bravo"), group: g("ip-a") }, Level::Warn, "bravo released resource group ip-a; re-announcing it here"),
            (Notice::ReachLower { peer: n("bravo"), peer_reach: 2, reach: 1 }, Level::Warn, "bravo reaches 2 ping nodes, we reach 1: giving it our resources"),
            (Notice::CutOff { peer: n("bravo") }, Level::Warn, "we reach none of our ping nodes: taking over nothing, whatever bravo does"),
            (Notice::ReachRecovered { peer: n("bravo"), peer_reach: 2, reach: 2 }, Level::Info, "we reach 2 ping nodes again (bravo reaches 2)"),
            (Notice::PeerStandbyIgnored { which: Which::Local, peer: n("alpha"), busy: Busy::InFlux { group: g("ip-a"), state: LocalState::Starting } }, Level::Warn, "standby message [local] from alpha ignored: local resources in flux (resource group ip-a is Starting)"),
            (Notice::PeerWantsTakeover { peer: n("alpha"), which: Which::Foreign }, Level::Info, "alpha wants to take over; Going standby [foreign]."),
            (Notice::FailingBack { peer: n("bravo"), delay: Duration::from_secs(10) }, Level::Info, "auto_failback: bravo has been up for 10s; giving back its resource groups"),
            (Notice::Releasing { group: g("ip-a"), cause: YieldCause::Conflict }, Level::Info, "Releasing resource group: ip-a (both nodes held it, the peer keeps it)"),
            (Notice::Starting { group: g("ip-a"), reason: StartReason::Preferred }, Level::Info, "Acquiring resource group: ip-a (preferred node)"),
            (Notice::Starting { group: g("ip-b"), reason: StartReason::PeerGone(DeadCause::Dead) }, Level::Info, "Taking over resource group ip-b (peer dead)"),
            (Notice::Starting { group: g("ip-b"), reason: StartReason::PeerReleased(n("bravo")) }, Level::Info, "Taking over resource group ip-b (bravo released it)"),
            (Notice::DownEverywhere { group: g("ip-a") }, Level::Error, "Resource group ip-a could not be started on either node; it stays down until an operator takeover"),
            (Notice::ServedPeerStandby { peer: n("alpha") }, Level::Info, "standby for alpha complete: our resources released"),
            (Notice::RequestFinished { ok: false, outcome: Outcome::PeerRefused { peer: n("bravo") } }, Level::Warn, "bravo refused the takeover request: its resources are in flux"),
            (Notice::RequestFinished { ok: true, outcome: Outcome::AllHeldBy { which: Which::All, holder: n("alpha") } }, Level::Info, "all resources now held by alpha"),
            (Notice::AllRelinquished, Level::Info, "All HA resources relinquished."),
            (Notice::ShutdownStopFailed { groups: vec![g("ip-a"), g("ip-b")] }, Level::Crit, "Shutdown with resource groups that failed to stop: ip-a ip-b"),
        ];
        for (notice, level, words) in cases {
            assert_eq!(notice.to_string(), words);
            assert_eq!(notice.level(), level, "{words}");
        }
    }
}
