//! The paths and node name every part of the binary shares: set by the
//! command line or the environment, read by the subcommands and the daemon.

use std::path::PathBuf;

/// The options every subcommand shares (each also read from the
/// environment, so scripts and the systemd unit can set them once).
#[derive(Clone, Debug)]
pub struct Globals {
    pub config_dir: PathBuf,
    /// This node's name; `None` means `uname -n`.
    pub node: Option<String>,
    pub state_dir: PathBuf,
    pub run_dir: PathBuf,
}

impl Globals {
    /// For the compatibility programs, which take no options of ours.
    pub fn from_env() -> Globals {
        let var = |k: &str, d: &str| PathBuf::from(std::env::var_os(k).unwrap_or_else(|| d.into()));
        Globals {
            config_dir: var("HEARTBEAT_CONFIG_DIR", "/etc/ha.d"),
            node: std::env::var("HEARTBEAT_NODE").ok(),
            state_dir: var("HEARTBEAT_STATE_DIR", "/var/lib/heartbeat"),
            run_dir: var("HEARTBEAT_RUN_DIR", "/run/heartbeat"),
        }
    }

    /// The node name: `--node`, else the kernel's node name as the original uses.
    pub fn node_name(&self) -> String {
        match &self.node {
            Some(n) => n.clone(),
            None => nix::sys::utsname::uname()
                .map(|u| u.nodename().to_string_lossy().into_owned())
                .unwrap_or_else(|_| "localhost".to_string()),
        }
    }
}
