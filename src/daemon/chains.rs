//! Carrying out [`Effect::Run`](crate::core::Effect::Run) and
//! [`Effect::Notify`](crate::core::Effect::Notify): a chain action as a
//! task of its own (agents are child processes, so a slow one never blocks
//! the loop), its result turned into a typed [`ChainFailure`]; the notify
//! hook fire-and-forget.

use crate::action::{ChainAction, ChainFailure};
use crate::config::ResourceGroup;
use crate::ownership::GroupIdx;
use crate::resources::{self, AgentEnv, ResourceStatus, StartFailure, StopFailure};
use std::path::Path;
use std::time::{Duration, Instant};

/// Run one action of `group`'s chain.
pub async fn run(
    group: &ResourceGroup,
    action: ChainAction,
    env: &AgentEnv,
) -> Result<(), ChainFailure> {
    match action {
        ChainAction::Start => resources::start_group_fresh(group, env)
            .await
            .map_err(started),
        ChainAction::Stop => resources::stop_group(group, env).await.map_err(stopped),
        ChainAction::Restart => {
            resources::stop_group(group, env).await.map_err(stopped)?;
            resources::start_group_fresh(group, env)
                .await
                .map_err(started)
        }
        ChainAction::Reannounce => resources::reannounce_group(group, env)
            .await
            .map_err(started),
        ChainAction::Monitor | ChainAction::Probe => {
            let statuses = resources::status_group(group, env).await;
            // An agent that cannot tell may have something running.
            let partly = (statuses.iter()).any(|(_, s)| *s != ResourceStatus::Stopped);
            match statuses.iter().find(|(_, s)| *s != ResourceStatus::Running) {
                None => Ok(()),
                // A probe must know whether anything of the group runs.
                Some((spec, s)) if partly && action == ChainAction::Probe => {
                    Err(ChainFailure::new(spec.clone(), format!("{spec} is {s}")).still_running())
                }
                Some((spec, s)) => Err(ChainFailure::new(spec.clone(), format!("{spec} is {s}"))),
            }
        }
    }
}

fn started(e: StartFailure) -> ChainFailure {
    let failure = ChainFailure::new(e.resource.clone(), e.to_string());
    if e.rollback.is_some() {
        failure.still_running()
    } else {
        failure
    }
}

fn stopped(e: StopFailure) -> ChainFailure {
    let StopFailure::Hard { resource, .. } = &e;
    ChainFailure::new(resource.clone(), e.to_string()).still_running()
}

/// The notify hook (our addition, like keepalived's notify scripts):
/// CONFIG_DIR/notify, if executable, runs as `notify EVENT NODE SUBJECT`.
/// Fire and forget, bounded to 30 s; a failing hook is logged and changes
/// nothing.
pub fn notify(config_dir: &Path, env: &AgentEnv, event: &'static str, node: &str, subject: String) {
    use std::os::unix::fs::PermissionsExt;
    let hook = config_dir.join("notify");
    let Ok(meta) = std::fs::metadata(&hook) else {
        return;
    };
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return;
    }
    let mut cmd = resources::clean_command(&hook, env);
    cmd.args([event, node, subject.as_str()]).kill_on_drop(true);
    tokio::spawn(async move {
        match tokio::time::timeout(Duration::from_secs(30), cmd.status()).await {
            Ok(Ok(st)) if st.success() => {}
            Ok(Ok(st)) => tracing::warn!("notify hook for {event} {subject} exited with {st}"),
            Ok(Err(e)) => tracing::warn!("notify hook for {event} {subject} failed: {e}"),
            Err(_) => tracing::warn!("notify hook for {event} {subject} killed after 30 s"),
        }
    });
}

impl super::Driver {
    /// One state change, told to the notify hook and mailed.
    pub(super) fn notify(&self, event: crate::core::HookEvent, subject: String) {
        let node = self.cfg.local.as_str();
        if let Some(m) = &self.cfg.extensions.mail {
            self.mailer.send(m, event, node, &subject);
        }
        notify(&self.g.config_dir, &self.env, event.word(), node, subject);
    }

    /// A chain action as a task of its own, its result fed back as an input.
    pub(super) fn spawn_chain(
        &self,
        g: GroupIdx,
        action: ChainAction,
        duplicate_check: bool,
        force: bool,
    ) {
        let group: ResourceGroup = self.cfg.groups[g.0].clone();
        let mut env = (*self.env).clone();
        if force {
            // drbddisk promotes with --force (an operator's takeover --force).
            env.extra.push(("HA_DRBD_FORCE".into(), "1".into()));
        }
        env.duplicate_check = if duplicate_check {
            crate::vip::DuplicateCheck::Refuse
        } else {
            crate::vip::DuplicateCheck::Off
        };
        env.steps = crate::resources::StepLog::starting(Instant::now());
        let tx = self.chain_tx.clone();
        tokio::spawn(async move {
            let result = run(&group, action, &env).await;
            let _ = tx.send((g, action, result, env.steps.take())).await;
        });
    }
}
