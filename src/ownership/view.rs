//! What ownership shows of itself to `heartbeat status` and `cl_status`:
//! each group's holder and local state, and the node's `rscstatus` word.

use super::{Ownership, RscHold};
use crate::config::GroupId;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalState {
    Stopped,
    Starting,
    Running,
    Stopping,
    /// Reported as held forever: only an operator can know it is safe.
    StopFailed,
}

impl LocalState {
    /// As `heartbeat status` prints it.
    pub fn word(self) -> &'static str {
        match self {
            LocalState::Stopped => "stopped",
            LocalState::Starting => "starting",
            LocalState::Running => "running",
            LocalState::Stopping => "stopping",
            LocalState::StopFailed => "stop-failed",
        }
    }

    pub(super) fn in_transition(self) -> bool {
        matches!(self, LocalState::Starting | LocalState::Stopping)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Me,
    Peer,
    Nobody,
    Both,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    pub id: GroupId,
    pub holder: Holder,
    pub local_state: LocalState,
    pub since: Instant,
    pub cause: String,
}

/// `cl_status rscstatus` words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RscStatus {
    None,
    Local,
    Foreign,
    All,
    Transition,
}

impl RscStatus {
    pub fn word(self) -> &'static str {
        match self {
            RscStatus::None => "none",
            RscStatus::Local => "local",
            RscStatus::Foreign => "foreign",
            RscStatus::All => "all",
            RscStatus::Transition => "transition",
        }
    }
}

impl Ownership {
    pub fn rsc_status(&self) -> RscStatus {
        let busy = self.groups.iter().any(|g| g.local.in_transition())
            || self.request.is_some()
            || self.serving_in_progress();
        if busy {
            return RscStatus::Transition;
        }
        match self.rsc_hold() {
            RscHold::None => RscStatus::None,
            RscHold::Local => RscStatus::Local,
            RscHold::Foreign => RscStatus::Foreign,
            RscHold::All => RscStatus::All,
        }
    }

    pub fn groups(&self) -> Vec<GroupView> {
        self.groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let peer_holds = self.peer_group(i).is_some_and(|p| p.holds);
                let holder = match (g.holds(), peer_holds) {
                    (true, true) => Holder::Both,
                    (true, false) => Holder::Me,
                    (false, true) => Holder::Peer,
                    (false, false) => Holder::Nobody,
                };
                GroupView {
                    id: g.id.clone(),
                    holder,
                    local_state: g.local,
                    since: g.since,
                    cause: g.cause.clone(),
                }
            })
            .collect()
    }
}
