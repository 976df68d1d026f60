//! SIGHUP, which `systemctl reload` and many logrotate set-ups send: it
//! must never kill the daemon (the default action would, leaving its
//! resources up while the peer takes over). It reopens the log file and
//! asks the loop to reload the configuration (`reload.rs`).

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Catch SIGHUP for the life of the runtime; each one arrives on the
/// returned channel (several close together make one reload).
pub(super) fn watch() -> std::io::Result<mpsc::Receiver<()>> {
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            crate::logging::reopen();
            tracing::info!("SIGHUP: log file reopened; reloading the configuration");
            let _ = tx.try_send(());
        }
    });
    Ok(rx)
}
