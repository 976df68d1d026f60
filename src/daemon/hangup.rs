//! SIGHUP, which `systemctl reload` and many logrotate set-ups send: it
//! must never kill the daemon (the default action would, leaving its
//! resources up while the peer takes over). For now it reopens the log
//! file and says that re-reading the configuration is not supported yet.

use tokio::signal::unix::{SignalKind, signal};

/// Catch SIGHUP for the life of the runtime.
pub(super) fn watch() -> std::io::Result<()> {
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            crate::logging::reopen();
            tracing::warn!(
                "SIGHUP: log file reopened; configuration reload is not supported yet \
                 (restart heartbeat to apply ha.cf changes)"
            );
        }
    });
    Ok(())
}
