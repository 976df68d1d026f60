//! The steps of one chain run, measured where the agents run, for the
//! transition's timeline (`core::timeline`). The daemon gives each chain run
//! a fresh log in its [`AgentEnv`](super::AgentEnv); without one (the CLI,
//! tests) nothing is recorded.

use super::agent::Action;
use crate::action::Step;
use crate::config::{AgentKind, Resource};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When the run began, and the steps so far.
type Log = Mutex<(Instant, Vec<Step>)>;

#[derive(Clone, Debug, Default)]
pub struct StepLog(Option<Arc<Log>>);

impl StepLog {
    /// A log whose times count from `began` (the chain run's start).
    pub fn starting(began: Instant) -> StepLog {
        StepLog(Some(Arc::new(Mutex::new((began, Vec::new())))))
    }

    /// `r`'s `action` just ended after `took`. Status calls are not steps.
    pub fn record(&self, r: &Resource, action: Action, ok: bool, took: Duration) {
        let Some(log) = &self.0 else {
            return;
        };
        let verb = match action {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Status => return,
        };
        // The in-process VIP sends its first announcement before its start
        // returns; so does the IPaddr shell agent (the rest of its burst
        // follows in the background).
        let vip = r.agent.kind == AgentKind::Vip || r.name == "IPaddr" || r.name == "IPaddr2";
        let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
        let ended_ms = log.0.elapsed().as_secs_f64() * 1000.0;
        log.1.push(Step {
            resource: r.spec.clone(),
            action: verb.to_string(),
            ended_ms,
            took_ms: took.as_secs_f64() * 1000.0,
            ok,
            announced: vip && ok && action == Action::Start,
        });
    }

    /// Everything recorded so far.
    pub fn take(&self) -> Vec<Step> {
        match &self.0 {
            Some(log) => std::mem::take(&mut log.lock().unwrap_or_else(|e| e.into_inner()).1),
            None => Vec::new(),
        }
    }
}
