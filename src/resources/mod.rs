//! Resources: running agents one action at a time ([`agent`]), groups as
//! ordered chains with timeouts, rollback and stop retries ([`chain`]), and
//! the per-node lock that keeps two managers apart ([`lock`]).
//!
//! This module performs what it is asked to; it never decides which node
//! should hold a group.

pub mod agent;
pub mod chain;
pub mod lock;
pub mod steps;
pub mod systemd;

pub use agent::{
    AGENT_PATH, Action, ActionOutcome, AgentEnv, AgentError, KILL_GRACE, ResourceStatus,
    clean_command, run_action,
};
pub use chain::{
    STOP_RETRY_DELAY, STOP_TRIES, StartFailure, StopFailure, reannounce_group, start_group,
    start_group_fresh, status_group, status_of, stop_group,
};
pub use lock::{LockError, ResourceLock};
pub use steps::StepLog;
