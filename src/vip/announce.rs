//! Announcing a held address: one gratuitous ARP (or unsolicited neighbour
//! advertisement) before the start returns, so clients switch at once, then
//! the rest of the burst and a few repeats from a task of the daemon's own
//! runtime, and, when configured, a periodic refresh for as long as the
//! address stays (keepalived's `garp_master_refresh`), for switches and
//! hosts that forget.
//!
//! One task per address: a repeated start (a re-announce after a doubt)
//! replaces it and begins the burst again; a stop ends it, and so does the
//! address vanishing under it, so a released address is never announced.

use super::netlink::Netlink;
use crate::arp::{self, GarpMode};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How an address is announced after it is added (or started again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnouncePolicy {
    /// Announcements of the first burst, the first one before start returns.
    pub burst: u32,
    pub burst_interval: Duration,
    /// Single announcements after the burst, `repeat_interval` apart.
    pub repeats: u32,
    pub repeat_interval: Duration,
    /// After those, one announcement every `refresh` while the address is held.
    pub refresh: Option<Duration>,
    pub mode: GarpMode,
}

impl Default for AnnouncePolicy {
    /// The shell agent's plan: 3 at 200 ms, then 4 at 1 s; no refresh.
    fn default() -> Self {
        AnnouncePolicy {
            burst: 3,
            burst_interval: Duration::from_millis(200),
            repeats: 4,
            repeat_interval: Duration::from_secs(1),
            refresh: None,
            mode: GarpMode::Both,
        }
    }
}

impl AnnouncePolicy {
    /// The waits before each announcement after the first; the refresh,
    /// if any, repeats the last wait forever.
    fn waits(&self) -> impl Iterator<Item = Duration> + use<> {
        let burst = std::iter::repeat_n(self.burst_interval, self.burst.saturating_sub(1) as usize);
        let repeats = std::iter::repeat_n(self.repeat_interval, self.repeats as usize);
        let refresh = self.refresh.into_iter().flat_map(std::iter::repeat);
        burst.chain(repeats).chain(refresh)
    }
}

fn tasks() -> &'static Mutex<HashMap<IpAddr, JoinHandle<()>>> {
    static TASKS: OnceLock<Mutex<HashMap<IpAddr, JoinHandle<()>>>> = OnceLock::new();
    TASKS.get_or_init(Default::default)
}

/// Announce `addr` on `iface` now, and schedule the rest of `policy`.
/// The first announcement failing is returned (the address is up, but the
/// LAN may not know yet: the caller logs it, the start stands).
pub fn announce(iface: &str, addr: IpAddr, policy: AnnouncePolicy) -> Result<(), arp::ArpError> {
    let first = arp::announce(iface, addr, 1, Duration::ZERO, policy.mode);
    let iface = iface.to_string();
    let task = tokio::spawn(async move {
        for wait in policy.waits() {
            tokio::time::sleep(wait).await;
            if !still_held(addr, &iface).await {
                return;
            }
            if let Err(e) = arp::announce(&iface, addr, 1, Duration::ZERO, policy.mode) {
                tracing::warn!("repeating the announcement of {addr} on {iface}: {e}");
            }
        }
    });
    if let Some(old) = tasks()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(addr, task)
    {
        old.abort();
    }
    first
}

/// No more announcements of `addr` (it is being released).
pub fn silence(addr: IpAddr) {
    if let Some(t) = tasks()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&addr)
    {
        t.abort();
    }
}

async fn still_held(addr: IpAddr, iface: &str) -> bool {
    let Some(ifindex) = super::netlink::iface_index(iface) else {
        return false;
    };
    match Netlink::open() {
        Ok(nl) => matches!(nl.find(addr, Some(ifindex)).await, Ok(Some(_))),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plan_is_the_shell_agents() {
        let w: Vec<Duration> = AnnouncePolicy::default().waits().collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            w,
            vec![ms(200), ms(200), ms(1000), ms(1000), ms(1000), ms(1000)]
        );
    }

    #[test]
    fn a_refresh_keeps_announcing_after_the_repeats() {
        let p = AnnouncePolicy {
            refresh: Some(Duration::from_secs(30)),
            ..AnnouncePolicy::default()
        };
        let w: Vec<Duration> = p.waits().take(9).collect();
        assert_eq!(&w[6..], &[Duration::from_secs(30); 3]);
        let single = AnnouncePolicy {
            burst: 1,
            repeats: 0,
            ..AnnouncePolicy::default()
        };
        assert_eq!(single.waits().count(), 0);
    }
}
