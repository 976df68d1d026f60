//! Ping nodes (`ping HOST…`, `ping_group NAME HOST…`): how many of them this
//! node reaches, as the original's ipfail compared. ICMP echo from a raw
//! socket on a thread of its own (blocking I/O stays off the daemon's loop);
//! the count goes to the daemon whenever it changes. Decides nothing.

use crate::config::PingGroup;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// One thing to reach: a single host, or a group alive while any host answers.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub hosts: Vec<Ipv4Addr>,
}

/// Targets from ha.cf; IPv6 hosts are skipped with a warning (ICMPv6 echo is
/// not implemented).
pub fn targets(ping: &[IpAddr], groups: &[PingGroup]) -> Vec<Target> {
    let v4 = |a: &IpAddr| match a {
        IpAddr::V4(v) => Some(*v),
        IpAddr::V6(v) => {
            tracing::warn!("ping node {v}: IPv6 ping nodes are not supported; ignored");
            None
        }
    };
    let mut out: Vec<Target> = ping
        .iter()
        .filter_map(|a| {
            v4(a).map(|h| Target {
                name: h.to_string(),
                hosts: vec![h],
            })
        })
        .collect();
    out.extend(groups.iter().map(|g| Target {
        name: g.name.clone(),
        hosts: g.hosts.iter().filter_map(v4).collect(),
    }));
    out
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn echo_request(id: u16, seq: u16) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = 8; // echo request
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    p[8..16].copy_from_slice(b"hbping\0\0");
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// Run the pinger: probe every host each `interval`, count a target as
/// reached while one of its hosts answered within `deadping`, and send the
/// count on every change (and once at start).
pub fn spawn(
    targets: Vec<Target>,
    interval: Duration,
    deadping: Duration,
    tx: mpsc::Sender<u32>,
) -> io::Result<()> {
    use socket2::{Domain, Protocol, Socket, Type};
    let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    let id = (std::process::id() & 0xffff) as u16;
    std::thread::Builder::new()
        .name("ping".into())
        .spawn(move || {
            let hosts: Vec<Ipv4Addr> = targets.iter().flat_map(|t| t.hosts.clone()).collect();
            let mut last_reply: Vec<Option<Instant>> = vec![None; hosts.len()];
            let mut reported: Option<u32> = None;
            let mut seq: u16 = 0;
            let started = Instant::now();
            let mut next_probe = started;
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1500];
            loop {
                // A reload replaced this pinger: its channel is closed.
                if tx.is_closed() {
                    return;
                }
                let now = Instant::now();
                if now >= next_probe {
                    seq = seq.wrapping_add(1);
                    for h in &hosts {
                        let addr = SocketAddr::new(IpAddr::V4(*h), 0);
                        let _ = sock.send_to(&echo_request(id, seq), &addr.into());
                    }
                    next_probe = now + interval;
                }
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    // SAFETY: recv_from initialised the first n bytes.
                    let data: Vec<u8> = buf[..n]
                        .iter()
                        .map(|b| unsafe { b.assume_init() })
                        .collect();
                    let ihl = usize::from(data.first().copied().unwrap_or(0) & 0x0f) * 4;
                    let icmp = data.get(ihl..).unwrap_or(&[]);
                    let is_our_reply = icmp.len() >= 8
                        && icmp[0] == 0
                        && u16::from_be_bytes([icmp[4], icmp[5]]) == id;
                    if let (true, Some(src)) = (is_our_reply, from.as_socket_ipv4()) {
                        for (i, h) in hosts.iter().enumerate() {
                            if h == src.ip() {
                                last_reply[i] = Some(Instant::now());
                            }
                        }
                    }
                }
                let now = Instant::now();
                let alive = |h: &Ipv4Addr| {
                    hosts
                        .iter()
                        .zip(&last_reply)
                        .any(|(x, t)| x == h && t.is_some_and(|t| now.duration_since(t) < deadping))
                };
                let count = targets.iter().filter(|t| t.hosts.iter().any(alive)).count() as u32;
                // Until every target answered or deadping passed, a low count only
                // means the first replies are on their way: do not report it.
                let settled =
                    count as usize == targets.len() || now.duration_since(started) >= deadping;
                if settled && reported != Some(count) {
                    reported = Some(count);
                    if tx.blocking_send(count).is_err() {
                        return;
                    }
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksum_verifies_to_zero() {
        let p = echo_request(0x1234, 7);
        assert_eq!(checksum(&p), 0, "a correct ICMP checksum sums to zero");
        assert_eq!(p[0], 8);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn ping_groups_are_one_target_and_ipv6_hosts_are_skipped() {
        let t = targets(
            &["10.0.0.1".parse().unwrap(), "fe80::1".parse().unwrap()],
            &[PingGroup {
                name: "routers".into(),
                hosts: vec!["10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap()],
            }],
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].name, "routers");
        assert_eq!(t[1].hosts.len(), 2);
    }
}
