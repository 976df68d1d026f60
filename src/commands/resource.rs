//! `heartbeat resource start|stop|status GROUP_OR_RESOURCE`: drive a chain by
//! hand, without the daemon (which it excludes through the resource lock).
//!
//! Exit status: start/stop 0 on success, 1 on failure; status 0 when every
//! member runs, 3 when every member is stopped (LSB), 1 otherwise.
use super::Globals;
use crate::config::{GroupId, ResourceGroup};
use crate::resources::{self, Action, AgentEnv, ResourceLock, ResourceStatus};

/// LSB's "not running" status, reused for a fully stopped group.
pub const STOPPED: i32 = 3;

pub fn run(g: &Globals, action: &str, target: &str) -> i32 {
    let Some(action) = parse_action(action) else {
        eprintln!("heartbeat resource: unknown action {action} (start, stop, status)");
        return super::exit::USAGE;
    };
    let cfg = match crate::daemon::load_config(g) {
        Ok(c) => c,
        Err(_) => return super::exit::INVALID,
    };
    let Some(group) = find_target(&cfg.groups, target) else {
        eprintln!(
            "heartbeat resource: no group or resource {target} in haresources (groups: {})",
            cfg.groups
                .iter()
                .map(|g| g.id.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return super::exit::INVALID;
    };
    execute(g, &group, action, &crate::daemon::agent_env(g, &cfg))
}

pub fn parse_action(action: &str) -> Option<Action> {
    match action {
        "start" => Some(Action::Start),
        "stop" => Some(Action::Stop),
        "status" => Some(Action::Status),
        _ => None,
    }
}

/// The group whose key is `target`, else a one-member group made of the
/// resource whose spec is `target` (so one resource can be driven alone).
pub fn find_target(groups: &[ResourceGroup], target: &str) -> Option<ResourceGroup> {
    if let Some(g) = groups.iter().find(|g| g.id.0 == target) {
        return Some(g.clone());
    }
    groups.iter().find_map(|g| {
        g.resources
            .iter()
            .find(|r| r.spec == target)
            .map(|r| ResourceGroup {
                id: GroupId(r.spec.clone()),
                preferred: g.preferred.clone(),
                resources: vec![r.clone()],
                monitor: None,
                line: g.line,
            })
    })
}

/// Take the resource lock for the duration of the action and run it.
pub fn execute(g: &Globals, group: &ResourceGroup, action: Action, env: &AgentEnv) -> i32 {
    let _lock = match ResourceLock::acquire(&g.run_dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("heartbeat resource: {e}");
            return super::exit::INVALID;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("heartbeat resource: cannot start the runtime: {e}");
            return super::exit::INVALID;
        }
    };
    rt.block_on(run_on_group(group, action, env))
}

/// Do the work; the caller holds the lock.
pub async fn run_on_group(group: &ResourceGroup, action: Action, env: &AgentEnv) -> i32 {
    match action {
        Action::Start => match resources::start_group(group, env).await {
            Ok(()) => super::exit::OK,
            Err(e) => {
                eprintln!("heartbeat resource: {e}");
                super::exit::INVALID
            }
        },
        Action::Stop => match resources::stop_group(group, env).await {
            Ok(()) => super::exit::OK,
            Err(e) => {
                eprintln!("heartbeat resource: {e}");
                super::exit::INVALID
            }
        },
        Action::Status => {
            let statuses = resources::status_group(group, env).await;
            for (spec, s) in &statuses {
                match s {
                    ResourceStatus::Running => println!("{spec} running"),
                    ResourceStatus::Stopped => println!("{spec} stopped"),
                    ResourceStatus::Unknown(why) => {
                        println!("{spec} stopped");
                        eprintln!("heartbeat resource: {spec}: {why}");
                    }
                }
            }
            status_exit(statuses.iter().map(|(_, s)| s))
        }
    }
}

fn status_exit<'a>(mut statuses: impl Iterator<Item = &'a ResourceStatus> + Clone) -> i32 {
    if statuses.clone().all(|s| *s == ResourceStatus::Running) {
        super::exit::OK
    } else if statuses.all(|s| *s == ResourceStatus::Stopped) {
        STOPPED
    } else {
        super::exit::INVALID
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_exit_is_lsb_like() {
        use ResourceStatus::*;
        assert_eq!(status_exit([Running, Running].iter()), 0);
        assert_eq!(status_exit([Stopped, Stopped].iter()), STOPPED);
        assert_eq!(status_exit([Running, Stopped].iter()), 1);
        assert_eq!(status_exit([Unknown("x".into())].iter()), 1);
    }
}
