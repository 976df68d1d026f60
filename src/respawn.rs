//! `respawn USER /path/prog [ARGS]`: programs the daemon keeps running for
//! as long as it runs (the original's ipfail, a watchdog feeder, …). A
//! program that exits is started again after a pause; exit status 100 means
//! "do not restart me", as in the original. Runs under USER; gone with us.

use crate::config::Respawn;
use std::time::Duration;

/// Pause before a restart, so a program that fails at once does not spin.
const RESTART_DELAY: Duration = Duration::from_secs(1);
/// The original's "leave me dead" exit status.
const NO_RESTART: i32 = 100;

/// Start a supervisor task per program.
pub fn spawn_all(programs: &[Respawn]) {
    for p in programs {
        let p = p.clone();
        tokio::spawn(async move { supervise(p).await });
    }
}

async fn supervise(p: Respawn) {
    let words: Vec<String> = p.command.split_whitespace().map(str::to_string).collect();
    let Some((prog, args)) = words.split_first() else {
        return;
    };
    let user = match nix::unistd::User::from_name(&p.user) {
        Ok(Some(u)) => u,
        _ => {
            tracing::error!("respawn: no such user {}; not starting {prog}", p.user);
            return;
        }
    };
    loop {
        let mut cmd = tokio::process::Command::new(prog);
        cmd.args(args)
            .uid(user.uid.as_raw())
            .gid(user.gid.as_raw())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        match cmd.spawn() {
            Ok(mut child) => {
                tracing::info!(
                    "Starting child client \"{}\" ({}:{})",
                    p.command,
                    user.uid,
                    user.gid
                );
                match child.wait().await {
                    Ok(st) if st.code() == Some(NO_RESTART) => {
                        tracing::info!(
                            "respawn: {prog} exited with {NO_RESTART}; not restarting it"
                        );
                        return;
                    }
                    Ok(st) => tracing::warn!("Client {prog} died ({st}); restarting"),
                    Err(e) => tracing::warn!("respawn: waiting for {prog}: {e}"),
                }
            }
            Err(e) => tracing::error!("respawn: cannot start {prog}: {e}"),
        }
        tokio::time::sleep(RESTART_DELAY).await;
    }
}
