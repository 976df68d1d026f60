//! How bytes travel between the two nodes: UDP (bcast, ucast, mcast) and
//! serial lines. Every outgoing message goes on every medium; every
//! incoming datagram or serial frame is handed to the daemon tagged with the
//! link it came in on. Nothing here parses or verifies messages.

mod serial;
mod udp;

use crate::config::{ClusterConfig, Medium};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub use serial::SerialLink;
pub use udp::UdpLink;

/// What arrived on one link.
#[derive(Debug)]
pub struct Received {
    pub link: usize,
    pub bytes: Vec<u8>,
    /// Serial links carry the classic text form; UDP the netstring form.
    pub classic: bool,
}

/// One message in both of the forms the media need.
pub struct Outgoing {
    pub netstring: Vec<u8>,
    pub classic: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{medium}: {source}")]
    Open {
        medium: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{medium}: interface {iface} has no IPv4 broadcast address (is it up and addressed?)")]
    NoBroadcast { medium: String, iface: String },
}

enum Link {
    Udp(Arc<UdpLink>),
    Serial(Arc<SerialLink>),
}

/// The open media of this node.
pub struct MediaSet {
    links: Vec<Link>,
    names: Vec<String>,
}

/// How long a failed serial link waits before it is reopened.
const REOPEN_DELAY: Duration = Duration::from_secs(1);

impl MediaSet {
    /// Open every medium of the configuration; any failure here is fatal (the
    /// admin sees it at start, not as a silent half-connected node).
    pub async fn open(
        cfg: &ClusterConfig,
        tx: mpsc::Sender<Received>,
    ) -> Result<MediaSet, MediaError> {
        let mut links = Vec::new();
        let mut names = Vec::new();
        for (idx, medium) in cfg.media.iter().enumerate() {
            names.push(medium.link_name());
            match medium {
                Medium::Serial { device } => {
                    let link = Arc::new(SerialLink::open(device, cfg.baud).map_err(|source| {
                        MediaError::Open {
                            medium: medium.to_string(),
                            source,
                        }
                    })?);
                    link.clone().spawn_reader(idx, tx.clone(), REOPEN_DELAY);
                    links.push(Link::Serial(link));
                }
                _ => {
                    let link = Arc::new(UdpLink::open(medium, cfg.udpport)?);
                    link.clone().spawn_reader(idx, tx.clone());
                    links.push(Link::Udp(link));
                }
            }
        }
        Ok(MediaSet { links, names })
    }

    /// Link names by index, as `cl_status listhblinks` prints them.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Send on every medium. A medium that fails is logged and left to
    /// recover; the others carry on.
    pub async fn send(&self, msg: &Outgoing) {
        for (i, link) in self.links.iter().enumerate() {
            let res = match link {
                Link::Udp(u) => u.send(&msg.netstring).await,
                Link::Serial(s) => s.send(&msg.classic).await,
            };
            if let Err(e) = res {
                tracing::debug!(link = %self.names[i], error = %e, "send failed");
            }
        }
    }
}
