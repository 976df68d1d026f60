//! UDP media: `bcast IFACE`, `ucast IFACE ADDR`, `mcast IFACE GROUP PORT TTL LOOP`.
//!
//! One socket per medium, bound to the interface (SO_BINDTODEVICE) so a
//! message counts for the link it really crossed. Never parses payloads.

use super::{MediaError, Received};
use crate::config::Medium;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Larger than any valid packet so an oversized one is seen whole and
/// rejected by the decoder rather than silently truncated here.
const RECV_BUF: usize = 256 * 1024;

pub struct UdpLink {
    socket: UdpSocket,
    /// Where our messages go; `None` for a ucast line naming this machine
    /// (the original lets all nodes share one ha.cf that way).
    dest: Option<SocketAddr>,
    name: String,
}

impl UdpLink {
    pub fn open(medium: &Medium, udpport: u16) -> Result<UdpLink, MediaError> {
        let name = medium.to_string();
        let err = |source: io::Error| MediaError::Open {
            medium: name.clone(),
            source,
        };
        let (iface, port) = match medium {
            Medium::Bcast { iface } | Medium::Ucast { iface, .. } => (iface, udpport),
            Medium::Mcast { iface, port, .. } => (iface, *port),
            Medium::Serial { .. } => unreachable!("serial media are not UDP"),
        };
        let local = interface_ipv4(iface).map_err(err)?;
        let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
        sock.set_reuse_address(true).map_err(err)?;
        sock.set_reuse_port(true).map_err(err)?;
        sock.bind_device(Some(iface.as_bytes())).map_err(err)?;
        // Keepalives must not queue behind bulk traffic on a shared link.
        let _ = sock.set_tos_v4(0x10);
        let dest = match medium {
            Medium::Bcast { .. } => {
                sock.set_broadcast(true).map_err(err)?;
                let bcast = local.broadcast.ok_or_else(|| MediaError::NoBroadcast {
                    medium: name.clone(),
                    iface: iface.clone(),
                })?;
                Some(SocketAddr::V4(SocketAddrV4::new(bcast, port)))
            }
            Medium::Ucast { peer, .. } => {
                if local.all_local.contains(peer) {
                    None
                } else {
                    Some(SocketAddr::new(*peer, port))
                }
            }
            Medium::Mcast {
                group,
                ttl,
                loopback,
                ..
            } => {
                let addr = local.addr.unwrap_or(Ipv4Addr::UNSPECIFIED);
                sock.join_multicast_v4(group, &addr).map_err(err)?;
                sock.set_multicast_if_v4(&addr).map_err(err)?;
                sock.set_multicast_ttl_v4(u32::from(*ttl)).map_err(err)?;
                sock.set_multicast_loop_v4(*loopback).map_err(err)?;
                Some(SocketAddr::V4(SocketAddrV4::new(*group, port)))
            }
            Medium::Serial { .. } => None,
        };
        let bind = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port));
        sock.bind(&bind.into()).map_err(err)?;
        sock.set_nonblocking(true).map_err(err)?;
        let socket = UdpSocket::from_std(sock.into()).map_err(err)?;
        Ok(UdpLink { socket, dest, name })
    }

    pub async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        if let Some(dest) = self.dest {
            self.socket.send_to(bytes, dest).await?;
        }
        Ok(())
    }

    pub fn spawn_reader(
        self: Arc<Self>,
        link: usize,
        tx: mpsc::Sender<Received>,
    ) -> tokio::task::AbortHandle {
        tokio::spawn(async move {
            let mut buf = vec![0u8; RECV_BUF];
            loop {
                match self.socket.recv_from(&mut buf).await {
                    Ok((n, _from)) => {
                        let msg = Received {
                            link,
                            bytes: buf[..n].to_vec(),
                            classic: false,
                        };
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(link = %self.name, error = %e, "receive failed; retrying");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        })
        .abort_handle()
    }
}

/// Drops the `ucast` lines of `media` that name this machine where another
/// bcast or ucast line on the same interface (so on the same port) receives
/// already; returns how many. Such a line only ever receives (both nodes
/// may share one ha.cf), and two sockets bound alike share the incoming
/// packets by flow: the one that never heard its peer would be declared a
/// dead link after initdead while the link is fine.
pub fn drop_redundant_own_ucast(media: &mut Vec<Medium>) -> usize {
    let names_me = |m: &Medium| match m {
        Medium::Ucast { iface, peer } => {
            interface_ipv4(iface).is_ok_and(|a| a.all_local.contains(peer))
        }
        _ => false,
    };
    let shares_port = |a: &Medium, b: &Medium| match (a, b) {
        (
            Medium::Ucast { iface, .. },
            Medium::Bcast { iface: other } | Medium::Ucast { iface: other, .. },
        ) => iface == other,
        _ => false,
    };
    let own: Vec<bool> = media.iter().map(names_me).collect();
    let drop: Vec<bool> = (0..media.len())
        .map(|i| own[i] && (0..media.len()).any(|j| !own[j] && shares_port(&media[i], &media[j])))
        .collect();
    let mut i = 0;
    media.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    drop.iter().filter(|d| **d).count()
}

struct IfaceAddrs {
    addr: Option<Ipv4Addr>,
    broadcast: Option<Ipv4Addr>,
    all_local: Vec<IpAddr>,
}

/// The interface's IPv4 address and broadcast address, plus every address
/// of this machine (to recognise a ucast line naming ourselves).
fn interface_ipv4(iface: &str) -> io::Result<IfaceAddrs> {
    let mut out = IfaceAddrs {
        addr: None,
        broadcast: None,
        all_local: Vec::new(),
    };
    let mut seen_iface = false;
    for ifa in nix::ifaddrs::getifaddrs().map_err(io::Error::from)? {
        let Some(sin) = ifa
            .address
            .as_ref()
            .and_then(|a| a.as_sockaddr_in().copied())
        else {
            continue;
        };
        out.all_local.push(IpAddr::V4(sin.ip()));
        if ifa.interface_name == iface {
            seen_iface = true;
            out.addr.get_or_insert(sin.ip());
            if let Some(b) = ifa.broadcast.as_ref().and_then(|a| a.as_sockaddr_in()) {
                out.broadcast.get_or_insert(b.ip());
            }
        }
    }
    if !seen_iface && nix::net::if_::if_nametoindex(iface).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no such network interface {iface}"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ucast(iface: &str, peer: &str) -> Medium {
        Medium::Ucast {
            iface: iface.into(),
            peer: peer.parse().unwrap(),
        }
    }

    #[test]
    fn a_ucast_line_naming_this_machine_goes_only_where_another_line_receives() {
        // Loopback's address is this machine's on every host.
        let mut shared = vec![ucast("lo", "127.0.0.1"), ucast("lo", "192.0.2.9")];
        assert_eq!(drop_redundant_own_ucast(&mut shared), 1);
        assert_eq!(shared, [ucast("lo", "192.0.2.9")]);
        let mut alone = vec![ucast("lo", "127.0.0.1")];
        assert_eq!(drop_redundant_own_ucast(&mut alone), 0);
        assert_eq!(alone.len(), 1);
    }
}
