//! The kernel's address, route and neighbour tables over rtnetlink: what
//! `ip addr`, `ip route get` and `ip neigh` do for the shell agent, without
//! a fork and exec per question (each was a few milliseconds of every
//! takeover). One connection per action: it lives in the network namespace
//! and the runtime of its caller, which differ between the daemon, the CLI
//! and the tests.

use futures_util::TryStreamExt;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use rtnetlink::packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourState};
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use std::net::{IpAddr, Ipv4Addr};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum NetlinkError {
    #[error("cannot open a netlink socket: {0}")]
    Open(std::io::Error),
    #[error("{what}: {source}")]
    Kernel {
        what: String,
        source: rtnetlink::Error,
    },
}

/// An address as the kernel holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub ifindex: u32,
    pub iface: String,
    pub prefix: u8,
}

pub struct Netlink {
    handle: rtnetlink::Handle,
}

fn kernel(what: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> NetlinkError {
    let what = what.into();
    move |source| NetlinkError::Kernel { what, source }
}

fn family(addr: IpAddr) -> AddressFamily {
    if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

impl Netlink {
    pub fn open() -> Result<Netlink, NetlinkError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(NetlinkError::Open)?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// Where `addr` is configured (on `ifindex` only, when given).
    pub async fn find(
        &self,
        addr: IpAddr,
        ifindex: Option<u32>,
    ) -> Result<Option<Held>, NetlinkError> {
        let mut req = self.handle.address().get().set_address_filter(addr);
        if let Some(i) = ifindex {
            req = req.set_link_index_filter(i);
        }
        let mut found = req.execute();
        while let Some(m) = found
            .try_next()
            .await
            .map_err(kernel("listing addresses"))?
        {
            if address_of(&m) == Some(addr) {
                let ifindex = m.header.index;
                return Ok(Some(Held {
                    ifindex,
                    iface: iface_name(ifindex).unwrap_or_else(|| ifindex.to_string()),
                    prefix: m.header.prefix_len,
                }));
            }
        }
        Ok(None)
    }

    /// The interface the kernel would send to `addr` through (`ip route get`).
    pub async fn route_dev(&self, addr: IpAddr) -> Result<Option<u32>, NetlinkError> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = family(addr);
        msg.header.destination_prefix_length = if addr.is_ipv4() { 32 } else { 128 };
        msg.attributes
            .push(RouteAttribute::Destination(route_address(addr)));
        let mut routes = self.handle.route().get(msg).execute();
        match routes.try_next().await {
            Ok(Some(r)) => Ok(oif(&r)),
            // No route at all (ENETUNREACH): no interface reaches it.
            Ok(None) | Err(rtnetlink::Error::NetlinkError(_)) => Ok(None),
            Err(e) => Err(kernel("looking up the route")(e)),
        }
    }

    /// The longest prefix of a non-default route through `ifindex` that
    /// covers `addr` (`ip route show match ADDR dev IFACE`).
    pub async fn connected_prefix(
        &self,
        addr: IpAddr,
        ifindex: u32,
    ) -> Result<Option<u8>, NetlinkError> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = family(addr);
        let mut routes = self.handle.route().get(msg).execute();
        let mut best: Option<u8> = None;
        while let Some(r) = routes.try_next().await.map_err(kernel("listing routes"))? {
            let len = r.header.destination_prefix_length;
            if len == 0 || oif(&r) != Some(ifindex) {
                continue;
            }
            let covers = r.attributes.iter().any(|a| match a {
                RouteAttribute::Destination(d) => {
                    route_ip(d).is_some_and(|net| same_prefix(net, addr, len))
                }
                _ => false,
            });
            if covers && best.is_none_or(|b| len > b) {
                best = Some(len);
            }
        }
        Ok(best)
    }

    /// `ip addr add ADDR/PREFIX [brd B] dev IFACE label L` (IPv6: `nodad`).
    pub async fn add(
        &self,
        addr: IpAddr,
        prefix: u8,
        ifindex: u32,
        broadcast: Option<Ipv4Addr>,
        label: Option<String>,
    ) -> Result<(), NetlinkError> {
        let mut req = self.handle.address().add(ifindex, addr, prefix);
        let m = req.message_mut();
        // The builder puts a computed broadcast of its own; ours (or none,
        // for /31 and /32) replaces it.
        m.attributes
            .retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
        if let Some(b) = broadcast {
            m.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = label {
            m.attributes.push(AddressAttribute::Label(l));
        }
        if addr.is_ipv6() {
            // The peer that held it a moment ago must not make DAD fail.
            m.attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        req.execute()
            .await
            .map_err(kernel(format!("cannot add {addr}/{prefix}")))
    }

    /// `ip addr del ADDR/PREFIX dev IFACE`.
    pub async fn del(&self, addr: IpAddr, held: &Held) -> Result<(), NetlinkError> {
        let mut m = AddressMessage::default();
        m.header.family = family(addr);
        m.header.prefix_len = held.prefix;
        m.header.index = held.ifindex;
        m.attributes.push(AddressAttribute::Local(addr));
        m.attributes.push(AddressAttribute::Address(addr));
        self.handle
            .address()
            .del(m)
            .execute()
            .await
            .map_err(kernel(format!(
                "cannot remove {addr}/{} from {}",
                held.prefix, held.iface
            )))
    }

    /// Forget the neighbour entry of `addr` on `ifindex` (a previous
    /// holder's stale entry must not look like a live duplicate).
    pub async fn forget_neighbour(&self, addr: IpAddr, ifindex: u32) {
        if let Ok(Some(m)) = self.neighbour(addr, ifindex).await {
            let _ = self.handle.neighbours().del(m).execute().await;
        }
    }

    /// True when the neighbour table resolved `addr` on `ifindex`.
    pub async fn neighbour_resolved(&self, addr: IpAddr, ifindex: u32) -> bool {
        matches!(self.neighbour(addr, ifindex).await, Ok(Some(m))
            if !matches!(m.header.state, NeighbourState::Incomplete | NeighbourState::Failed)
                && m.attributes.iter().any(|a| matches!(a, NeighbourAttribute::LinkLayerAddress(l) if !l.is_empty())))
    }

    async fn neighbour(
        &self,
        addr: IpAddr,
        ifindex: u32,
    ) -> Result<Option<rtnetlink::packet_route::neighbour::NeighbourMessage>, NetlinkError> {
        let mut all = self.handle.neighbours().get().execute();
        while let Some(m) = all.try_next().await.map_err(kernel("listing neighbours"))? {
            let dest = m.attributes.iter().find_map(|a| match a {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => Some(IpAddr::V4(*a)),
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => Some(IpAddr::V6(*a)),
                _ => None,
            });
            if m.header.ifindex == ifindex && dest == Some(addr) {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }
}

fn address_of(m: &AddressMessage) -> Option<IpAddr> {
    // IPv4 point-to-point addresses carry the peer in Address, ours in Local.
    let local = m.attributes.iter().find_map(|a| match a {
        AddressAttribute::Local(ip) => Some(*ip),
        _ => None,
    });
    local.or_else(|| {
        m.attributes.iter().find_map(|a| match a {
            AddressAttribute::Address(ip) => Some(*ip),
            _ => None,
        })
    })
}

fn oif(r: &RouteMessage) -> Option<u32> {
    r.attributes.iter().find_map(|a| match a {
        RouteAttribute::Oif(i) => Some(*i),
        _ => None,
    })
}

fn route_address(addr: IpAddr) -> RouteAddress {
    match addr {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

/// True when `a` and `b` agree in their first `len` bits.
pub fn same_prefix(a: IpAddr, b: IpAddr, len: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The name of interface `ifindex` in our network namespace.
pub fn iface_name(ifindex: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: the buffer holds IF_NAMESIZE bytes as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success the buffer holds a NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// The index of interface `name` in our network namespace.
pub fn iface_index(name: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_compare_the_leading_bits_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_prefix(ip("10.1.2.0"), ip("10.1.2.77"), 24));
        assert!(!same_prefix(ip("10.1.3.0"), ip("10.1.2.77"), 24));
        assert!(same_prefix(ip("0.0.0.0"), ip("10.1.2.77"), 0));
        assert!(same_prefix(ip("fd00::"), ip("fd00::5"), 64));
        assert!(!same_prefix(ip("fd01::"), ip("fd00::5"), 64));
        assert!(!same_prefix(ip("10.0.0.0"), ip("fd00::5"), 8));
    }
}
