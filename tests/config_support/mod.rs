//! Helpers shared by the config integration tests: copies of the example
//! ha.d/ in temp dirs, fake agents, running the real binary.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a directory tree, keeping the executable bits (resource.d scripts).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A private copy of the example configuration; git does not keep mode
/// 0600, so authkeys is fixed here.
pub fn example_copy(to: &Path) {
    copy_tree(&repo().join("ha.d"), to);
    set_mode(&to.join("authkeys"), 0o600);
}

pub fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Executables that do nothing, standing in for the project's agents so
/// the tests do not depend on which agents are built yet.
pub fn fake_agents(dir: &Path, names: &[&str]) {
    fs::create_dir_all(dir).unwrap();
    for n in names {
        let p = dir.join(n);
        fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        set_mode(&p, 0o755);
    }
}

pub const EXAMPLE_AGENTS: [&str; 4] = ["IPaddr", "drbddisk", "Filesystem", "MailTo"];

/// Runs `heartbeat --config-dir DIR --node NODE check ARGS…` with agents
/// looked up in `agents` only.
pub fn check(dir: &Path, node: &str, agents: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heartbeat"))
        .arg("--config-dir")
        .arg(dir)
        .args(["--node", node, "check"])
        .args(args)
        .env_remove("HEARTBEAT_CONFIG_DIR")
        .env_remove("HEARTBEAT_NODE")
        .env("HEARTBEAT_AGENT_DIR", agents)
        .env("HEARTBEAT_OCF_ROOT", agents.join("ocf"))
        .output()
        .expect("run heartbeat")
}
