//! A resource group as a chain: start left to right with rollback, stop
//! right to left with retries, status of every member.
//!
//! Owns ordering and failure policy. It never decides whether a group should
//! run here (that is `ownership.rs`) and never reboots or kills anything but
//! the agents it started: a stop that cannot be completed is reported as
//! [`StopFailure::Hard`] and the caller keeps the group held.

use super::agent::{Action, AgentEnv, AgentError, ResourceStatus, run_action};
use crate::config::{Resource, ResourceGroup};
use std::time::Duration;
use thiserror::Error;

/// Tries of a failing stop before status decides (the original: 10, a reboot after).
pub const STOP_TRIES: u32 = 3;
/// Pause between two stop tries.
pub const STOP_RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Debug, Error)]
#[error("start of {resource} failed: {error}{}", rollback_note(.rollback))]
pub struct StartFailure {
    /// The spec of the resource that failed to start.
    pub resource: String,
    pub error: AgentError,
    /// Set when undoing the partial start could not stop something: that
    /// resource may still run and the caller must treat the group as held.
    pub rollback: Option<Box<StopFailure>>,
}

fn rollback_note(r: &Option<Box<StopFailure>>) -> String {
    match r {
        Some(f) => format!("; rollback incomplete: {f}"),
        None => String::new(),
    }
}

#[derive(Debug, Error)]
pub enum StopFailure {
    #[error(
        "Resource STOP failure of {resource}: still running after {STOP_TRIES} tries ({error}); the group stays held"
    )]
    Hard { resource: String, error: AgentError },
}

/// Status of one resource; an agent that cannot answer is `Unknown`.
pub async fn status_of(r: &Resource, env: &AgentEnv) -> ResourceStatus {
    match run_action(r, Action::Status, env).await {
        Ok(o) => o.status,
        Err(e) => ResourceStatus::Unknown(e.to_string()),
    }
}

/// Start left to right; what already runs is left alone. On a failure,
/// everything this call started (and the failed one) is stopped again in
/// reverse order, so the group is not left half up.
pub async fn start_group(g: &ResourceGroup, env: &AgentEnv) -> Result<(), StartFailure> {
    start_chain(g, env, true).await
}

/// Start for a group the caller knows is stopped here (the daemon: it
/// released leftovers at boot and tracks every start and stop since). No
/// status call before each start: agents' starts are idempotent, and the
/// status round trips were a third of a takeover's time.
pub async fn start_group_fresh(g: &ResourceGroup, env: &AgentEnv) -> Result<(), StartFailure> {
    start_chain(g, env, false).await
}

async fn start_chain(
    g: &ResourceGroup,
    env: &AgentEnv,
    skip_running: bool,
) -> Result<(), StartFailure> {
    let mut started: Vec<&Resource> = Vec::new();
    for r in &g.resources {
        if skip_running && status_of(r, env).await == ResourceStatus::Running {
            tracing::info!(resource = %r.spec, group = %g.id, "Resource {} already running", r.spec);
            continue;
        }
        tracing::info!(resource = %r.spec, group = %g.id, "Running {} start", r.spec);
        if let Err(error) = timed(r, Action::Start, env).await {
            tracing::error!(
                resource = %r.spec, group = %g.id,
                "CRIT: Giving up resources due to failure of {}: {error}", r.spec
            );
            started.push(r);
            let rollback = stop_all(started.iter().rev().copied(), env)
                .await
                .err()
                .map(Box::new);
            return Err(StartFailure {
                resource: r.spec.clone(),
                error,
                rollback,
            });
        }
        started.push(r);
    }
    Ok(())
}

/// Stop right to left. Every member is stopped even if one hard-fails; the
/// first hard failure is returned.
pub async fn stop_group(g: &ResourceGroup, env: &AgentEnv) -> Result<(), StopFailure> {
    stop_all(g.resources.iter().rev(), env).await
}

/// Every member's status, in group order.
pub async fn status_group(g: &ResourceGroup, env: &AgentEnv) -> Vec<(String, ResourceStatus)> {
    let mut out = Vec::with_capacity(g.resources.len());
    for r in &g.resources {
        out.push((r.spec.clone(), status_of(r, env).await));
    }
    out
}

/// Announce a held group again (after a partition heals): start every
/// member again, running or not. Starts are idempotent, and IPaddr re-sends
/// its gratuitous ARP on a repeated start. Nothing is rolled back: the
/// group stays held whatever one member says.
pub async fn reannounce_group(g: &ResourceGroup, env: &AgentEnv) -> Result<(), StartFailure> {
    let mut first = None;
    for r in &g.resources {
        if let Err(error) = timed(r, Action::Start, env).await {
            tracing::error!(resource = %r.spec, group = %g.id, "re-announce of {} failed: {error}", r.spec);
            first.get_or_insert(StartFailure {
                resource: r.spec.clone(),
                error,
                rollback: None,
            });
        }
    }
    first.map_or(Ok(()), Err)
}

/// A start or stop, its end recorded in the run's step log.
async fn timed(r: &Resource, action: Action, env: &AgentEnv) -> Result<(), AgentError> {
    let began = std::time::Instant::now();
    let result = run_action(r, action, env).await.map(|_| ());
    env.steps.record(r, action, result.is_ok(), began.elapsed());
    result
}

async fn stop_all<'a>(
    rs: impl Iterator<Item = &'a Resource>,
    env: &AgentEnv,
) -> Result<(), StopFailure> {
    let mut first = None;
    for r in rs {
        if let Err(f) = stop_one(r, env).await {
            tracing::error!(resource = %r.spec, "CRIT: {f}");
            first.get_or_insert(f);
        }
    }
    first.map_or(Ok(()), Err)
}

async fn stop_one(r: &Resource, env: &AgentEnv) -> Result<(), StopFailure> {
    tracing::info!(resource = %r.spec, "Running {} stop", r.spec);
    let mut last = None;
    for attempt in 1..=STOP_TRIES {
        match timed(r, Action::Stop, env).await {
            Ok(_) => return Ok(()),
            Err(e) => {
                last = Some(e);
                if attempt < STOP_TRIES {
                    tracing::warn!(resource = %r.spec, "Retrying failed stop operation [{}]", r.spec);
                    tokio::time::sleep(STOP_RETRY_DELAY).await;
                }
            }
        }
    }
    let error = last.expect("at least one try ran");
    match status_of(r, env).await {
        ResourceStatus::Stopped => {
            tracing::warn!(
                resource = %r.spec,
                "Resource script for {} probably not LSB-compliant: stop failed ({error}) but status says stopped",
                r.spec
            );
            Ok(())
        }
        _ => Err(StopFailure::Hard {
            resource: r.spec.clone(),
            error,
        }),
    }
}
