//! `heartbeat demo ARGS…`: runs `heartbeat-demo`, the demo cluster of the
//! workspace's lab crate, with ARGS as they are. The product crate holds
//! no namespace code; `cargo build` leaves both binaries side by side, so
//! this only finds and executes the other one.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;

const DEMO: &str = "heartbeat-demo";

/// Replaces this process with `heartbeat-demo ARGS…`; returns only when
/// that cannot be run.
pub fn run(args: &[OsString]) -> i32 {
    let beside = std::env::current_exe()
        .ok()
        .map(|me| me.with_file_name(DEMO))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| PathBuf::from(DEMO));
    let err = std::process::Command::new(&program).args(args).exec();
    eprintln!(
        "heartbeat demo: cannot run {}: {err} (it is built with heartbeat by `cargo build` in the source tree, not shipped in the package)",
        program.display()
    );
    1
}
