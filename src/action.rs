//! What the core asks of one resource group's chain, and how a failed run
//! comes back. One type for every layer: ownership decides, the `Node`
//! schedules (one action per group at a time), the daemon runs it through
//! `resources`, the simulator fakes it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One run of a group's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChainAction {
    /// Start left to right, rolling back on failure.
    Start,
    /// Stop right to left, with retries.
    Stop,
    /// Stop, then start again (a monitor-driven local restart).
    Restart,
    /// Re-run the start so addresses are announced again (gratuitous ARP)
    /// after the peer released a group both nodes held.
    Reannounce,
    /// Ask every agent for its status.
    Monitor,
    /// Ask every agent for its status to learn what runs here (maintenance
    /// mode): fails with `still_running` when only part of the group runs.
    Probe,
}

impl ChainAction {
    /// The verb as logs and the simulator's traces say it.
    pub fn word(self) -> &'static str {
        match self {
            ChainAction::Start => "start",
            ChainAction::Stop => "stop",
            ChainAction::Restart => "restart",
            ChainAction::Reannounce => "re-announce",
            ChainAction::Monitor => "monitor",
            ChainAction::Probe => "probe",
        }
    }

    /// Only asks the agents (monitor, probe): changes nothing that runs, so
    /// it is no transition, no `Acquiring`/`Releasing` line, no trouble.
    pub fn is_query(self) -> bool {
        matches!(self, ChainAction::Monitor | ChainAction::Probe)
    }
}

/// A chain run that did not succeed: which resource, and what its agent
/// did (exit code, timeout, refused to spawn) in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFailure {
    pub resource: String,
    pub detail: String,
    /// Something of the group may still run here: a stop failed even after
    /// its retries (or the rollback of a failed start did). The group must
    /// then stay held, never be started on the peer.
    pub still_running: bool,
}

impl ChainFailure {
    pub fn new(resource: impl Into<String>, detail: impl Into<String>) -> Self {
        ChainFailure {
            resource: resource.into(),
            detail: detail.into(),
            still_running: false,
        }
    }

    /// A failure that leaves part of the group running.
    pub fn still_running(mut self) -> Self {
        self.still_running = true;
        self
    }
}

impl fmt::Display for ChainFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// One resource's action inside a chain run, as the chain runner measured
/// it: the pieces of a transition's timeline (`core::timeline`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The haresources spec, e.g. `IPaddr::10.0.0.1/24`.
    pub resource: String,
    /// `start` or `stop`.
    pub action: String,
    /// When it ended, in milliseconds since the chain run began.
    pub ended_ms: f64,
    /// How long the agent took, in milliseconds (the agent-duration
    /// histogram of `heartbeat metrics`).
    #[serde(default)]
    pub took_ms: f64,
    pub ok: bool,
    /// A virtual address whose first announcement (gratuitous ARP or
    /// unsolicited neighbour advertisement) went out as this step ended.
    pub announced: bool,
}
