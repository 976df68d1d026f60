//! systemd's watchdog (`WatchdogSec=` in the unit): `WATCHDOG=1` at half
//! the interval systemd asks for in `WATCHDOG_USEC`, from a task on the
//! daemon's one runtime thread. That thread also runs the main loop, the
//! media and the control socket, so a loop stuck in a blocking call (the
//! failure the watchdog is for) stops these pings too and systemd restarts
//! the daemon. A no-op outside systemd or without `WatchdogSec=`.

use std::time::Duration;

/// The ping interval systemd asks for, if any (half of `WATCHDOG_USEC`,
/// and only when `WATCHDOG_PID` is unset or names us).
fn interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.parse::<u32>().ok() != Some(std::process::id())
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Start pinging for the life of the runtime.
pub(super) fn start() {
    let Some(every) = interval() else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            super::setup::sd_notify("WATCHDOG=1");
        }
    });
}
