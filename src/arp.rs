//! Announcing an address that just moved here: gratuitous ARP for IPv4 (a
//! broadcast request and reply, sender = target = the address) through a raw
//! AF_PACKET socket, unsolicited neighbour advertisements for IPv6 (ICMPv6
//! type 136 with the override flag to ff02::1, hop limit 255).
//!
//! Owns the frames (pure builders, unit-tested) and the sockets that send
//! them. It never adds or removes addresses; that is the IPaddr agent's job.

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use thiserror::Error;

const ETH_P_ARP: u16 = 0x0806;
const BROADCAST: [u8; 6] = [0xff; 6];
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

#[derive(Debug, Error)]
pub enum ArpError {
    #[error("no such interface: {0}")]
    NoSuchInterface(String),
    #[error("not permitted to send raw packets on {iface} (needs root or CAP_NET_RAW)")]
    NotPermitted { iface: String },
    #[error("interface {iface} has no Ethernet address (type {hwtype})")]
    NotEthernet { iface: String, hwtype: u16 },
    #[error("sending on {iface}: {source}")]
    Io {
        iface: String,
        source: std::io::Error,
    },
}

/// Which gratuitous ARP frames an announcement carries. Most switches and
/// hosts update on a request; some only on a reply (keepalived's
/// `vrrp_garp_*` users know them), so both is the default, as the
/// original's send_arp did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GarpMode {
    #[default]
    Both,
    Request,
    Reply,
}

impl GarpMode {
    pub fn parse(word: &str) -> Option<GarpMode> {
        match word {
            "both" => Some(GarpMode::Both),
            "request" => Some(GarpMode::Request),
            "reply" => Some(GarpMode::Reply),
            _ => None,
        }
    }

    fn ops(self) -> &'static [ArpOp] {
        match self {
            GarpMode::Both => &[ArpOp::Request, ArpOp::Reply],
            GarpMode::Request => &[ArpOp::Request],
            GarpMode::Reply => &[ArpOp::Reply],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpOp {
    Request = 1,
    Reply = 2,
}

/// A whole Ethernet frame carrying a gratuitous ARP of `ip` from `mac`.
pub fn gratuitous_arp_frame(op: ArpOp, mac: [u8; 6], ip: Ipv4Addr) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&BROADCAST);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETH_P_ARP.to_be_bytes());
    f[14..16].copy_from_slice(&1u16.to_be_bytes()); // Ethernet
    f[16..18].copy_from_slice(&0x0800u16.to_be_bytes()); // IPv4
    f[18] = 6;
    f[19] = 4;
    f[20..22].copy_from_slice(&(op as u16).to_be_bytes());
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip.octets());
    // RFC 5227: target hardware address zero in a request; a reply names
    // everyone, as the original's send_arp does.
    if op == ArpOp::Reply {
        f[32..38].copy_from_slice(&BROADCAST);
    }
    f[38..42].copy_from_slice(&ip.octets());
    f
}

/// An ICMPv6 neighbour advertisement for `target` with the override flag
/// and our link-layer address; the kernel fills in the checksum.
pub fn unsolicited_na(mac: [u8; 6], target: Ipv6Addr) -> [u8; 32] {
    let mut m = [0u8; 32];
    m[0] = 136;
    m[1] = 0;
    // Override set, solicited and router clear: peers replace their entry.
    m[4] = 0x20;
    m[8..24].copy_from_slice(&target.octets());
    m[24] = 2; // option: target link-layer address
    m[25] = 1; // length in units of 8 octets
    m[26..32].copy_from_slice(&mac);
    m
}

/// Send `count` announcements of `addr` on `iface`, `interval` apart
/// (IPv6 ignores `mode`: a neighbour advertisement has one form).
pub fn announce(
    iface: &str,
    addr: IpAddr,
    count: u32,
    interval: Duration,
    mode: GarpMode,
) -> Result<(), ArpError> {
    let ifindex = nix::net::if_::if_nametoindex(iface)
        .map_err(|_| ArpError::NoSuchInterface(iface.to_string()))?;
    let mac = hw_address(iface)?;
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::PermissionDenied {
            ArpError::NotPermitted {
                iface: iface.to_string(),
            }
        } else {
            ArpError::Io {
                iface: iface.to_string(),
                source,
            }
        }
    };
    let mut send: Box<dyn FnMut() -> std::io::Result<()>> = match addr {
        IpAddr::V4(ip) => {
            let sock = packet_socket().map_err(io)?;
            let dest = packet_addr(ifindex);
            let frames: Vec<[u8; 42]> = mode
                .ops()
                .iter()
                .map(|op| gratuitous_arp_frame(*op, mac, ip))
                .collect();
            Box::new(move || {
                for f in &frames {
                    sock.send_to(f, &dest)?;
                }
                Ok(())
            })
        }
        IpAddr::V6(ip) => {
            let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).map_err(io)?;
            sock.bind_device(Some(iface.as_bytes())).map_err(io)?;
            sock.set_multicast_hops_v6(255).map_err(io)?;
            sock.set_unicast_hops_v6(255).map_err(io)?;
            sock.set_multicast_if_v6(ifindex).map_err(io)?;
            let dest = SockAddr::from(SocketAddrV6::new(ALL_NODES, 0, 0, ifindex));
            let msg = unsolicited_na(mac, ip);
            Box::new(move || sock.send_to(&msg, &dest).map(|_| ()))
        }
    };
    for i in 0..count {
        if i > 0 {
            std::thread::sleep(interval);
        }
        send().map_err(io)?;
    }
    tracing::debug!(iface, %addr, count, "announced {addr} on {iface}");
    Ok(())
}

/// A send-only packet socket (protocol 0: it receives nothing) of the
/// calling thread's network namespace, kept for the life of the process.
/// Closing an AF_PACKET socket waits for an RCU grace period in the kernel
/// (8–20 ms measured on these machines), which a takeover paid between its
/// first gratuitous ARP and the rest of its chain when each announcement
/// opened and closed its own. Keyed by namespace because tests announce
/// from several namespaces in one process.
fn packet_socket() -> std::io::Result<Arc<Socket>> {
    static SOCKETS: OnceLock<Mutex<HashMap<u64, Arc<Socket>>>> = OnceLock::new();
    let netns = std::fs::metadata("/proc/thread-self/ns/net")?.ino();
    let mut sockets = SOCKETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(s) = sockets.get(&netns) {
        return Ok(s.clone());
    }
    let s = Arc::new(Socket::new(
        Domain::PACKET,
        Type::RAW,
        Some(Protocol::from(0)),
    )?);
    sockets.insert(netns, s.clone());
    Ok(s)
}

/// The destination of a raw Ethernet frame: broadcast on `ifindex`.
fn packet_addr(ifindex: u32) -> SockAddr {
    let mut storage = socket2::SockAddrStorage::zeroed();
    // SAFETY: sockaddr_ll fits in the storage; we set every field the kernel
    // reads and report the exact length.
    unsafe {
        let ll = storage.view_as::<libc::sockaddr_ll>();
        ll.sll_family = libc::AF_PACKET as u16;
        ll.sll_protocol = ETH_P_ARP.to_be();
        ll.sll_ifindex = ifindex as i32;
        ll.sll_halen = 6;
        ll.sll_addr[..6].copy_from_slice(&BROADCAST);
        SockAddr::new(
            storage,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    }
}

/// The interface's MAC via SIOCGIFHWADDR (asks the kernel of our own
/// network namespace, unlike /sys which may belong to another).
fn hw_address(iface: &str) -> Result<[u8; 6], ArpError> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, None).map_err(|source| ArpError::Io {
        iface: iface.to_string(),
        source,
    })?;
    // SAFETY: ifreq is plain data; the name is NUL-terminated within IFNAMSIZ
    // and the ioctl writes only inside the struct.
    unsafe {
        let mut req: libc::ifreq = std::mem::zeroed();
        let name = iface.as_bytes();
        if name.len() >= req.ifr_name.len() {
            return Err(ArpError::NoSuchInterface(iface.to_string()));
        }
        for (d, s) in req.ifr_name.iter_mut().zip(name) {
            *d = *s as libc::c_char;
        }
        use std::os::fd::AsRawFd;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req) != 0 {
            return Err(ArpError::NoSuchInterface(iface.to_string()));
        }
        let sa = req.ifr_ifru.ifru_hwaddr;
        if sa.sa_family != libc::ARPHRD_ETHER {
            return Err(ArpError::NotEthernet {
                iface: iface.to_string(),
                hwtype: sa.sa_family,
            });
        }
        let mut mac = [0u8; 6];
        for (d, s) in mac.iter_mut().zip(sa.sa_data.iter()) {
            *d = *s as u8;
        }
        Ok(mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

    #[test]
    fn gratuitous_request_names_the_address_as_sender_and_target() {
        let ip = Ipv4Addr::new(10, 0, 0, 5);
        let f = gratuitous_arp_frame(ArpOp::Request, MAC, ip);
        assert_eq!(&f[0..6], &BROADCAST);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[22..28], &MAC);
        assert_eq!(&f[28..32], &ip.octets());
        assert_eq!(&f[32..38], &[0; 6]);
        assert_eq!(&f[38..42], &ip.octets());
    }

    #[test]
    fn gratuitous_reply_is_op_2_to_broadcast() {
        let f = gratuitous_arp_frame(ArpOp::Reply, MAC, Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(&f[20..22], &[0, 2]);
        assert_eq!(&f[32..38], &BROADCAST);
    }

    #[test]
    fn neighbour_advertisement_overrides_and_carries_our_mac() {
        let target: Ipv6Addr = "fd00::5".parse().unwrap();
        let m = unsolicited_na(MAC, target);
        assert_eq!(m[0], 136);
        assert_eq!(m[4] & 0xe0, 0x20);
        assert_eq!(&m[8..24], &target.octets());
        assert_eq!(&m[24..26], &[2, 1]);
        assert_eq!(&m[26..32], &MAC);
    }

    #[test]
    fn unknown_interface_is_named_in_the_error() {
        let e = announce(
            "nosuchif0",
            "10.0.0.1".parse().unwrap(),
            1,
            Duration::ZERO,
            GarpMode::Both,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "no such interface: nosuchif0");
    }
}
