//! The virtual IP in process: `IPaddr` and `IPaddr2` items of haresources
//! served by the daemon itself over rtnetlink, with the announcement sent
//! from the same task, instead of forking the shell agent (and its `ip`,
//! `awk` and `send-arp` children) on both nodes of every move. That fork
//! and exec was nearly all of a takeover's time; an address add and one
//! gratuitous ARP take well under a millisecond.
//!
//! Behaves as `resource-agents/IPaddr` (which stays for manual use, OCF and
//! Pacemaker): interface from the route lookup and prefix from the longest
//! connected route by default, label `IFACE:hb`, IPv6 without DAD, the
//! duplicate-address probe when asked for, idempotent start (a repeated
//! start re-announces), status from the address table, and a stop that
//! succeeds whenever the address is not there, whatever else vanished.
//! A user's own `resource.d/IPaddr` still wins the agent lookup.

mod announce;
pub mod netlink;
pub mod probe;
pub mod spec;

pub use announce::AnnouncePolicy;
pub use probe::DuplicateCheck;
pub use spec::{NAMES, VipSpec, VipSpecError};

use crate::resources::ResourceStatus;
use netlink::{Held, Netlink, NetlinkError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum VipError {
    #[error(transparent)]
    Spec(#[from] VipSpecError),
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    #[error("no such interface: {0}")]
    NoSuchInterface(String),
    #[error("no interface reaches {0}; give one as IP/CIDR/IFACE")]
    NoRoute(std::net::IpAddr),
    #[error("refusing to add {addr}: another host already answers for it on {iface}")]
    InUse {
        addr: std::net::IpAddr,
        iface: String,
    },
}

/// What a start or a status needs beside the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VipOptions {
    pub duplicate_check: DuplicateCheck,
    pub announce: AnnouncePolicy,
}

/// Add the address unless it is here already, then announce it.
pub async fn start(v: &VipSpec, opts: VipOptions) -> Result<(), VipError> {
    let nl = Netlink::open()?;
    if let Some(held) = present(&nl, v).await? {
        announce_on(&held.iface, v, opts);
        return Ok(());
    }
    let (ifindex, iface) = match &v.iface {
        Some(name) => (
            netlink::iface_index(name).ok_or_else(|| VipError::NoSuchInterface(name.clone()))?,
            name.clone(),
        ),
        None => {
            let i = nl
                .route_dev(v.addr)
                .await?
                .ok_or(VipError::NoRoute(v.addr))?;
            (i, netlink::iface_name(i).ok_or(VipError::NoRoute(v.addr))?)
        }
    };
    let prefix = match v.prefix {
        Some(p) => p,
        None => nl
            .connected_prefix(v.addr, ifindex)
            .await?
            .unwrap_or(v.host_prefix()),
    };
    probe_duplicate(&nl, v, &iface, ifindex, opts.duplicate_check).await?;
    let (broadcast, label) = match v.addr {
        std::net::IpAddr::V4(a) => (
            v.broadcast.or(spec::broadcast_of(a, prefix)),
            Some(spec::label(&iface)),
        ),
        std::net::IpAddr::V6(_) => (None, None),
    };
    nl.add(v.addr, prefix, ifindex, broadcast, label).await?;
    tracing::info!("added {}/{prefix} to {iface}", v.addr);
    announce_on(&iface, v, opts);
    Ok(())
}

/// Remove the address wherever it is configured; nothing to do when it is
/// not there (even when its interface is gone: the OCF stop contract).
pub async fn stop(v: &VipSpec) -> Result<(), VipError> {
    announce::silence(v.addr);
    let nl = Netlink::open()?;
    let Some(held) = present(&nl, v).await? else {
        return Ok(());
    };
    nl.del(v.addr, &held).await?;
    tracing::info!("removed {}/{} from {}", v.addr, held.prefix, held.iface);
    Ok(())
}

pub async fn status(v: &VipSpec) -> Result<ResourceStatus, VipError> {
    let nl = Netlink::open()?;
    Ok(match present(&nl, v).await? {
        Some(_) => ResourceStatus::Running,
        None => ResourceStatus::Stopped,
    })
}

/// Where the address is configured: on its interface when one is named
/// (a vanished interface holds nothing), else anywhere.
async fn present(nl: &Netlink, v: &VipSpec) -> Result<Option<Held>, VipError> {
    let ifindex = match &v.iface {
        Some(name) => match netlink::iface_index(name) {
            Some(i) => Some(i),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(nl.find(v.addr, ifindex).await?)
}

async fn probe_duplicate(
    nl: &Netlink,
    v: &VipSpec,
    iface: &str,
    ifindex: u32,
    check: DuplicateCheck,
) -> Result<(), VipError> {
    if check == DuplicateCheck::Off || !probe::in_use(nl, v.addr, iface, ifindex).await {
        return Ok(());
    }
    if check == DuplicateCheck::Warn {
        tracing::warn!(
            "{} already answers on {iface}; taking it anyway (duplicate_check=warn)",
            v.addr
        );
        return Ok(());
    }
    Err(VipError::InUse {
        addr: v.addr,
        iface: iface.to_string(),
    })
}

fn announce_on(iface: &str, v: &VipSpec, opts: VipOptions) {
    if let Err(e) = announce::announce(iface, v.addr, opts.announce) {
        // The address is up; the LAN learns it at the first ARP it sends.
        tracing::warn!("could not announce {} on {iface}: {e}", v.addr);
    } else {
        tracing::info!("announced {} on {iface}", v.addr);
    }
}
