//! The node core: every decision of the daemon, pure and sans-IO, in the
//! style of quinn-proto's `Connection`. [`Node`] owns membership, ownership,
//! the keepalive and report timers, the monitor schedule, one action lock
//! per group, the counters, the pending control requests and the shutdown
//! phases. Its whole interface is [`Node::handle`]`(now, Input) -> effects`
//! and [`Node::poll_timeout`]; it never touches a socket, a process or the
//! clock, so the simulator (`sim/`, tests only) drives pairs of real nodes
//! with a fake clock, fake media and fake agents.

mod checks;
pub mod counters;
pub mod disks;
mod drbd_notice;
pub mod fence;
mod gate;
pub mod histogram;
mod locks;
mod node;
pub mod notice;
mod peer;
mod progress;
mod receive;
pub mod reload;
mod requests;
#[cfg(test)]
mod sim;
mod status;
pub mod timeline;

pub use checks::{CheckIdx, CheckNotice, CheckOutcome, CheckStatus, Health};
pub use counters::{Counters, DropReason};
pub use disks::DrbdStatus;
pub use drbd_notice::DrbdNotice;
pub use histogram::{AgentDurations, DurationSeries};
pub use locks::Locks;
pub use node::Node;
pub use notice::{Notice, PeerNotice};
pub use receive::report_of;
pub use reload::ReloadNotice;
pub use timeline::{Timelines, Transition};

use crate::action::{ChainAction, ChainFailure, Step};
use crate::config::{
    AuthKeys, AutoFailback, ClusterConfig, GroupId, MonitorPolicy, NodeName, Timings,
};
use crate::control::{Request, Response};
use crate::media::Outgoing;
use crate::membership::LinkId;
use crate::ownership::{Generation, GroupIdx, Maintenance};
use std::time::Duration;

/// What the node needs to know, distilled from the configuration and the
/// daemon's start (generation, uuid, wall clock).
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub me: NodeName,
    pub peer: NodeName,
    /// ha.cf's `node` lines, for an old peer's `reqnodes`.
    pub nodes: Vec<NodeName>,
    /// Medium names, by [`LinkId`].
    pub links: Vec<String>,
    pub timings: Timings,
    pub auth: AuthKeys,
    /// The `ttl` we put on every message.
    pub ttl: u32,
    /// Digest of what both nodes must agree on (see `config::config_digest`).
    pub digest: String,
    pub groups: Vec<GroupSpec>,
    pub auto_failback: AutoFailback,
    pub failback_delay: Duration,
    pub generation: Generation,
    /// The maintenance flag as persisted (`STATE_DIR/hb_maintenance`).
    pub maintenance: Maintenance,
    pub uuid: [u8; 16],
    /// Wall-clock seconds at the `now` given to [`Node::new`]: the `ts`
    /// field is derived from it, so the node never reads a clock.
    pub wall_secs_at_start: u64,
    /// heartbeat.toml: the health checks and their groups' restarts.
    pub extensions: crate::config::Extensions,
}

#[derive(Clone, Debug)]
pub struct GroupSpec {
    pub id: GroupId,
    pub preferred: NodeName,
    pub monitor: Option<MonitorPolicy>,
    /// The haresources resources, for "Acquiring resource group:".
    pub line: String,
    /// Everything the chain runs (agents, arguments, timeouts): a reload
    /// compares it to see whether the group's resources changed.
    pub chain: String,
    /// The DRBD resources the group uses (see `drbd::resources_of`).
    pub drbd: Vec<String>,
}

impl NodeConfig {
    pub fn from_cluster(
        cfg: &ClusterConfig,
        generation: Generation,
        uuid: [u8; 16],
        wall_secs_at_start: u64,
    ) -> NodeConfig {
        NodeConfig {
            me: cfg.local.clone(),
            peer: cfg.peer.clone(),
            nodes: cfg.nodes.clone(),
            links: cfg.media.iter().map(|m| m.link_name()).collect(),
            timings: cfg.timings.clone(),
            auth: cfg.auth.clone(),
            ttl: cfg.nodes.len() as u32 + cfg.hopfudge,
            digest: crate::config::config_digest(cfg),
            groups: cfg
                .groups
                .iter()
                .zip(crate::drbd::resources_of(&cfg.groups))
                .map(|(g, drbd)| GroupSpec {
                    drbd,
                    id: g.id.clone(),
                    preferred: g.preferred.clone(),
                    monitor: g.monitor.clone(),
                    line: g
                        .resources
                        .iter()
                        .map(|r| r.spec.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    chain: format!("{:?}", g.resources),
                })
                .collect(),
            auto_failback: cfg.auto_failback,
            failback_delay: cfg.failback_delay,
            generation,
            maintenance: Maintenance::default(),
            uuid,
            wall_secs_at_start,
            extensions: cfg.extensions.clone(),
        }
    }
}

/// Which of the two encodings a medium carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UDP media: netstrings.
    Netstring,
    /// Serial lines: the classic text form.
    Classic,
}

/// The daemon's handle on one control-socket request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// What the I/O edges counted, for `status` (the node cannot see them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounters {
    pub log_lines_dropped: u64,
    pub keepalives_dropped_queued: u64,
}

#[derive(Clone, Debug)]
pub enum Input {
    /// Bytes from a medium, not yet verified.
    Packet {
        link: LinkId,
        bytes: Vec<u8>,
        encoding: Encoding,
    },
    /// A chain action asked for by [`Effect::Run`] finished.
    ChainDone {
        group: GroupIdx,
        action: ChainAction,
        result: Result<(), ChainFailure>,
        /// Each resource's action as the runner measured it.
        steps: Vec<Step>,
    },
    /// A control-socket request; answered by exactly one [`Effect::Answer`].
    Request {
        id: RequestId,
        request: Request,
        io: IoCounters,
        /// The asker wants [`Effect::Progress`] lines until its answer.
        progress: bool,
    },
    /// Ping nodes (and ping groups) reachable from here, once settled.
    Reach(u32),
    /// SIGTERM or SIGINT: a planned stop.
    Signal(&'static str),
    /// SIGHUP: the configuration as re-read and validated (see `reload.rs`).
    Reload(Box<NodeConfig>),
    /// A health check asked for by [`Effect::RunCheck`] finished (or
    /// was killed at its timeout).
    CheckDone {
        check: CheckIdx,
        epoch: u64,
        outcome: CheckOutcome,
    },
    /// DRBD resources as drbdadm reports them here (sent on change).
    Drbd(Vec<crate::drbd::DrbdState>),
    /// The `drbdadm outdate` asked for by [`Effect::Outdate`] ran: the
    /// state it left, and what drbdadm said.
    Outdated {
        resource: String,
        token: u64,
        state: crate::drbd::DrbdState,
        said: String,
    },
    /// [`Node::poll_timeout`] was reached (or any wake-up).
    Timer,
}

/// The state changes the `notify` hook and the mail are told about, in
/// their fixed words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookEvent {
    PeerDead,
    PeerUp,
    Acquired,
    /// A local restart (a monitor or check failure) succeeded.
    Restarted,
    StartFailed,
    Released,
    StopFailed,
    LinkDead,
    LinkUp,
    CheckFailed,
    CheckRecovered,
    /// The peer died and this node runs none of the groups: nobody does.
    PeerDeadNothingRuns,
    /// A group was not started for its DRBD data's sake (subject: group).
    TakeoverRefused,
    /// A DRBD resource went StandAlone (subject: resource).
    SplitBrain,
}

impl HookEvent {
    pub fn word(self) -> &'static str {
        match self {
            HookEvent::PeerDead => "peer-dead",
            HookEvent::PeerUp => "peer-up",
            HookEvent::Acquired => "acquired",
            HookEvent::Restarted => "restarted",
            HookEvent::StartFailed => "start-failed",
            HookEvent::Released => "released",
            HookEvent::StopFailed => "stop-failed",
            HookEvent::LinkDead => "link-dead",
            HookEvent::LinkUp => "link-up",
            HookEvent::CheckFailed => "check-failed",
            HookEvent::CheckRecovered => "check-recovered",
            HookEvent::PeerDeadNothingRuns => "peer-dead-nothing-runs",
            HookEvent::TakeoverRefused => "takeover-refused",
            HookEvent::SplitBrain => "split-brain",
        }
    }
}

#[derive(Debug)]
pub enum Effect {
    /// Put this signed message on every medium.
    Send(Outgoing),
    /// Run a chain action; answer with [`Input::ChainDone`]. Never two at
    /// once for one group.
    Run {
        group: GroupIdx,
        action: ChainAction,
        /// IPaddr's duplicate-address probe: on until the peer was heard
        /// (a peer we cannot hear may still serve the VIP); off after,
        /// when starts follow its release or its death.
        duplicate_check: bool,
        /// An operator forced this start (`takeover --force`): drbddisk
        /// may promote data of unknown currency.
        drbd_force: bool,
    },
    /// The peer asked us to outdate our copy of `resource`: run
    /// `drbdadm outdate` and answer with [`Input::Outdated`].
    Outdate {
        resource: String,
        token: u64,
    },
    Answer {
        id: RequestId,
        response: Response,
    },
    /// A step of the request's transition, said before its answer (only
    /// to a request that asked for progress); `at_ms` counts from when the
    /// request arrived.
    Progress {
        id: RequestId,
        at_ms: f64,
        line: String,
    },
    Log(Notice),
    /// Run a health check; answer with [`Input::CheckDone`] within its
    /// timeout.
    RunCheck {
        check: CheckIdx,
        epoch: u64,
        spec: Box<crate::config::CheckConfig>,
    },
    /// Run the `notify` hook (`notify EVENT NODE SUBJECT`) and mail it.
    Notify {
        event: HookEvent,
        subject: String,
    },
    /// The maintenance flag changed: persist it so a restarted daemon
    /// comes back in (or out of) maintenance.
    SaveMaintenance(Maintenance),
    /// A reload was decided: use the new configuration, except the old
    /// definition of `kept_groups` (every group when the set changed).
    Reconfigured {
        kept_groups: Vec<GroupIdx>,
    },
    /// A planned stop began (systemd's STOPPING=1).
    Stopping,
    /// Everything is handed over: exit.
    Exit,
}
