//! SIGHUP, which `systemctl reload` and many logrotate set-ups send: it
//! must never kill the daemon (the default action would, leaving its
//! resources up while the peer takes over). It reopens the log file and
//! re-reads authkeys, so a key is rotated one node at a time without a
//! restart (docs/configuration.md); other changes still need a restart.

use crate::config::AuthKeys;
use std::path::PathBuf;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

/// Catch SIGHUP for the life of the runtime; every valid authkeys read
/// comes out of the returned channel. A file that does not validate keeps
/// the keys in use.
pub(super) fn watch(config_dir: PathBuf) -> std::io::Result<mpsc::Receiver<AuthKeys>> {
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            crate::logging::reopen();
            match crate::config::load_authkeys(&config_dir) {
                Ok(keys) => {
                    if tx.send(keys).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!("SIGHUP: authkeys not reloaded, keeping the keys in use:\n{e}")
                }
            }
            tracing::warn!(
                "SIGHUP: log file reopened and authkeys re-read; other configuration changes need \
                 a restart of heartbeat"
            );
        }
    });
    Ok(rx)
}
