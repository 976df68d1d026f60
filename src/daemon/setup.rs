//! What the daemon does once, around the loop: load the configuration,
//! soft real-time, the agents' environment, releasing what a crashed
//! earlier run left active, and telling systemd how we are doing.

use crate::config::{self, ClusterConfig, LoadOptions};
use crate::globals::Globals;
use crate::resources::{self, AgentEnv};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Exit status for a configuration the daemon refuses (LSB "not configured",
/// as the original uses).
pub const EXIT_NOT_CONFIGURED: i32 = 6;

/// Load and validate the configuration; print errors the way `check` does.
pub fn load_config(g: &Globals) -> Result<ClusterConfig, i32> {
    let opts = LoadOptions {
        config_dir: g.config_dir.clone(),
        node: g.node_name(),
        agents: config::AgentSearch::for_config_dir(&g.config_dir),
    };
    match config::load(&opts) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("WARN: {w}");
            }
            let mut config = loaded.config;
            crate::media::drop_redundant_own_ucast(&mut config.media);
            Ok(config)
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("ERROR: {e}");
            }
            eprintln!("ERROR: Configuration error, heartbeat not started.");
            Err(EXIT_NOT_CONFIGURED)
        }
    }
}

/// Soft real-time as the original's `realtime on`: lock memory (pages as
/// they are touched, so the footprint stays what is used) and raise the
/// scheduling priority; children of ours (agents) do not inherit it.
pub fn enter_realtime() {
    // SAFETY: plain syscalls with constant arguments.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
    if rc != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "Cannot lock ourselves into memory; going on without (realtime degraded)"
        );
    }
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: param is a valid sched_param for the calling thread.
    let rc =
        unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
    if rc != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "Cannot raise scheduling priority; keepalives may be late under load"
        );
    }
}

/// The environment every agent gets (besides what the chain adds).
pub fn agent_env(g: &Globals, cfg: &ClusterConfig) -> AgentEnv {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "heartbeat".into());
    let rsctmp: PathBuf = g.run_dir.join("rsctmp");
    let _ = std::fs::create_dir_all(&rsctmp);
    AgentEnv {
        extra: vec![
            ("HEARTBEAT_BIN".into(), exe),
            ("HA_RSCTMP".into(), rsctmp.display().to_string()),
            ("HA_CONFIG_DIR".into(), g.config_dir.display().to_string()),
            // The original's shellfuncs name for this node.
            ("HA_CURHOST".into(), g.node_name()),
        ],
        announce: crate::vip::AnnouncePolicy {
            refresh: cfg.announce.refresh,
            mode: cfg.announce.mode,
            ..Default::default()
        },
        ..AgentEnv::default()
    }
}

/// Before anything else: a crashed earlier run may have left a group (a
/// VIP!) active. Ask every agent and stop what answers "running", so a
/// stale VIP never answers from two nodes (the original kept it).
/// A leftover that cannot be stopped keeps us out of the cluster: joining
/// would let the peer start the same group while it still runs here.
pub async fn release_leftovers(cfg: &ClusterConfig, env: &AgentEnv) -> Result<()> {
    for group in &cfg.groups {
        let statuses = resources::status_group(group, env).await;
        let running: Vec<&str> = statuses
            .iter()
            .filter(|(_, s)| matches!(s, resources::ResourceStatus::Running))
            .map(|(spec, _)| spec.as_str())
            .collect();
        if running.is_empty() {
            continue;
        }
        tracing::warn!(
            group = %group.id,
            "Found resources of group {} still active from an earlier run ({}); releasing them before joining",
            group.id,
            running.join(", ")
        );
        resources::stop_group(group, env).await.with_context(|| {
            format!(
                "CRIT: cannot release group {} left active by an earlier run; not joining the cluster \
                 (stop it by hand with `heartbeat resource stop`, then start heartbeat again)",
                group.id
            )
        })?;
    }
    Ok(())
}

/// Tell systemd (Type=notify) how we are doing; a no-op outside systemd.
pub fn sd_notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() else {
        return;
    };
    let path = PathBuf::from(path);
    let _ = if let Some(abs) = path.to_str().and_then(|p| p.strip_prefix('@')) {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())
            .and_then(|a| sock.send_to_addr(state.as_bytes(), &a))
    } else {
        sock.send_to(state.as_bytes(), &path)
    };
}
