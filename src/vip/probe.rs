//! The duplicate-address probe of a start: does another host already answer
//! for the address on this interface? The shell agent's method, in process:
//! forget the neighbour entry (a previous holder's stale one must not
//! count), send one ICMP echo out of the interface, and take a reply within
//! a second, or a neighbour entry the kernel resolved meanwhile (a host
//! that answers ARP or neighbour solicitations but filters ICMP), as "in use".
//!
//! Only runs when the start asks for it (until the peer was heard once),
//! so the second it may cost is never on a takeover's path.

use super::netlink::Netlink;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How long the echo may take to come back, as `ping -W 1`.
pub const PROBE_WAIT: Duration = Duration::from_secs(1);

/// What `duplicate_check` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DuplicateCheck {
    /// Fail the start when the address answers (the default).
    #[default]
    Refuse,
    /// Log and take it anyway.
    Warn,
    /// No probe.
    Off,
}

impl DuplicateCheck {
    /// The agent environment's `HA_IPADDR_DUPLICATE_CHECK` word.
    pub fn parse(word: &str) -> Option<DuplicateCheck> {
        match word {
            "refuse" => Some(DuplicateCheck::Refuse),
            "warn" => Some(DuplicateCheck::Warn),
            "off" => Some(DuplicateCheck::Off),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            DuplicateCheck::Refuse => "refuse",
            DuplicateCheck::Warn => "warn",
            DuplicateCheck::Off => "off",
        }
    }
}

/// True when some other host answers for `addr` on `iface`.
pub async fn in_use(nl: &Netlink, addr: IpAddr, iface: &str, ifindex: u32) -> bool {
    nl.forget_neighbour(addr, ifindex).await;
    let iface = iface.to_string();
    let echoed = tokio::task::spawn_blocking(move || echo(addr, &iface))
        .await
        .unwrap_or(Ok(false));
    match echoed {
        Ok(true) => true,
        Ok(false) => nl.neighbour_resolved(addr, ifindex).await,
        Err(e) => {
            tracing::info!(
                "duplicate address probe of {addr} could not send an echo ({e}); asking the neighbour table only"
            );
            nl.neighbour_resolved(addr, ifindex).await
        }
    }
}

/// One echo request to `addr` out of `iface`; true on a reply within PROBE_WAIT.
fn echo(addr: IpAddr, iface: &str) -> std::io::Result<bool> {
    let (domain, proto, request, reply) = match addr {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, 8u8, 0u8),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6, 128u8, 129u8),
    };
    let sock = Socket::new(domain, Type::RAW, Some(proto))?;
    sock.bind_device(Some(iface.as_bytes()))?;
    let ident = (std::process::id() & 0xffff) as u16;
    let mut msg = [0u8; 16];
    msg[0] = request;
    msg[4..6].copy_from_slice(&ident.to_be_bytes());
    msg[6..8].copy_from_slice(&1u16.to_be_bytes());
    if addr.is_ipv4() {
        // The kernel computes ICMPv6 checksums, not ICMPv4 ones.
        let sum = checksum(&msg);
        msg[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    sock.send_to(&msg, &SockAddr::from(SocketAddr::new(addr, 0)))?;
    let deadline = Instant::now() + PROBE_WAIT;
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1500];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left))?;
        let (n, from) = match sock.recv_from(&mut buf) {
            Ok(r) => r,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(e),
        };
        // SAFETY: recv_from initialised the first n bytes.
        let got: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        // Raw IPv4 sockets deliver the IP header too; IPv6 ones do not.
        let icmp = if addr.is_ipv4() {
            got.get(usize::from(got.first().map_or(0, |b| b & 0x0f)) * 4..)
        } else {
            Some(&got[..])
        };
        let from_addr = from.as_socket().map(|s| s.ip());
        if let Some(icmp) = icmp
            && from_addr == Some(addr)
            && icmp.first() == Some(&reply)
            && icmp.get(4..6) == Some(&ident.to_be_bytes()[..])
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The Internet checksum (RFC 1071).
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_an_echo_request_verifies_to_zero() {
        let mut m = [8u8, 0, 0, 0, 0x12, 0x34, 0, 1];
        let s = checksum(&m);
        m[2..4].copy_from_slice(&s.to_be_bytes());
        assert_eq!(checksum(&m), 0);
    }

    #[test]
    fn duplicate_check_words_round_trip() {
        for c in [
            DuplicateCheck::Refuse,
            DuplicateCheck::Warn,
            DuplicateCheck::Off,
        ] {
            assert_eq!(DuplicateCheck::parse(c.word()), Some(c));
        }
        assert_eq!(DuplicateCheck::parse("maybe"), None);
    }
}
