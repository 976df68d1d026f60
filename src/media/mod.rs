//! How bytes travel between the two nodes: UDP (bcast, ucast, mcast) and
//! serial lines. Every outgoing message goes on every medium; every
//! incoming datagram or serial frame is handed to the daemon tagged with the
//! link it came in on. Nothing here parses or verifies messages.
//!
//! Sending never blocks the daemon's loop: each medium has its own bounded
//! queue ([`SendQueue`]) drained by its own writer task, so a serial line
//! whose far end stopped reading delays only itself, never the UDP
//! keepalives that keep the peer from declaring us dead.

mod queue;
mod serial;
mod udp;

use crate::config::{ClusterConfig, Medium};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

pub use queue::{Dropped, OutKind, SendQueue};
pub use serial::SerialLink;
pub use udp::{UdpLink, drop_redundant_own_ucast};

/// What arrived on one link.
#[derive(Debug)]
pub struct Received {
    pub link: usize,
    pub bytes: Vec<u8>,
    /// Serial links carry the classic text form; UDP the netstring form.
    pub classic: bool,
}

/// One message in both of the forms the media need.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub netstring: Vec<u8>,
    pub classic: Vec<u8>,
    /// Which message a full queue may drop first.
    pub kind: OutKind,
}

/// One medium's send counters, as `heartbeat status` may show them.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct LinkStats {
    /// Messages waiting in the queue (not counting one being written).
    pub queued: usize,
    pub dropped_keepalives: u64,
    pub dropped_other: u64,
    pub send_errors: u64,
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

impl Link {
    async fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Link::Udp(u) => u.send(bytes).await,
            Link::Serial(s) => s.send(bytes).await,
        }
    }

    fn classic(&self) -> bool {
        matches!(self, Link::Serial(_))
    }
}

/// How many messages wait for one medium before the oldest keepalive is
/// dropped. Small on purpose: a keepalive that waited behind sixteen others
/// is stale (at keepalive 1 s that is 16 s, far beyond any deadtime), and on
/// a 9600-baud line (~960 bytes/s) sixteen 200-byte frames already take over
/// 3 s to drain; a deeper queue would only deliver old news late. Sixteen
/// still absorbs a burst (report, ack, keepalive in one loop turn) on a
/// line that is merely slow.
const QUEUE_CAPACITY: usize = 16;

/// The queue between `MediaSet::send` and one medium's writer task.
struct LinkQueue {
    name: String,
    /// Serial lines carry the classic form, UDP the netstring form.
    classic: bool,
    queue: Mutex<SendQueue<Arc<[u8]>>>,
    ready: Notify,
    send_errors: AtomicU64,
}

impl LinkQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, SendQueue<Arc<[u8]>>> {
        // Nothing panics while holding it; if something did, the queue
        // itself is still consistent (every method leaves it whole).
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, kind: OutKind, bytes: Arc<[u8]>) {
        let dropped = self.lock().push(kind, bytes);
        if let Some(Dropped { first: true, kind }) = dropped {
            tracing::warn!(link = %self.name, dropped = ?kind, "send queue full; dropping its oldest messages, keepalives first");
        }
        self.ready.notify_one();
    }

    /// The writer: one message at a time, in order, for as long as the
    /// daemon runs. Awaiting a slow medium here stalls only this task.
    async fn run(self: Arc<Self>, link: Link) {
        loop {
            let next = {
                let mut q = self.lock();
                let next = q.pop();
                if next.is_none() && q.end_congestion() {
                    tracing::info!(link = %self.name, "send queue drained");
                }
                next
            };
            let Some((_, bytes)) = next else {
                // notify_one stores a permit when nobody waits, so a push
                // between the pop above and this await is not lost.
                self.ready.notified().await;
                continue;
            };
            if let Err(e) = link.send(&bytes).await {
                self.send_errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(link = %self.name, error = %e, "send failed");
            }
        }
    }
}

/// The open media of this node.
pub struct MediaSet {
    queues: Vec<Arc<LinkQueue>>,
    names: Vec<String>,
    /// Every reader and writer task: dropping the set (a reload replaced
    /// it) ends them all, and with them the sockets.
    writers: Vec<tokio::task::AbortHandle>,
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
        let mut set = MediaSet {
            queues: Vec::new(),
            names: Vec::new(),
            writers: Vec::new(),
        };
        for (idx, medium) in cfg.media.iter().enumerate() {
            let link = match medium {
                Medium::Serial { device } => {
                    let link = Arc::new(SerialLink::open(device, cfg.baud).map_err(|source| {
                        MediaError::Open {
                            medium: medium.to_string(),
                            source,
                        }
                    })?);
                    let reader = link.clone().spawn_reader(idx, tx.clone(), REOPEN_DELAY);
                    set.writers.push(reader);
                    Link::Serial(link)
                }
                _ => {
                    let link = Arc::new(UdpLink::open(medium, cfg.udpport)?);
                    set.writers.push(link.clone().spawn_reader(idx, tx.clone()));
                    Link::Udp(link)
                }
            };
            let queue = Arc::new(LinkQueue {
                name: medium.link_name(),
                classic: link.classic(),
                queue: Mutex::new(SendQueue::new(QUEUE_CAPACITY)),
                ready: Notify::new(),
                send_errors: AtomicU64::new(0),
            });
            set.names.push(medium.link_name());
            let writer = tokio::spawn(queue.clone().run(link));
            set.writers.push(writer.abort_handle());
            set.queues.push(queue);
        }
        Ok(set)
    }

    /// Link names by index, as `cl_status listhblinks` prints them.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Queue `out` on every medium and return at once. A medium that is
    /// slow or stuck loses its oldest keepalives (counted in
    /// [`MediaSet::stats`]); the others carry on.
    pub fn send(&self, out: Outgoing) {
        let netstring: Arc<[u8]> = out.netstring.into();
        let classic: Arc<[u8]> = out.classic.into();
        for queue in &self.queues {
            let bytes = if queue.classic { &classic } else { &netstring };
            queue.push(out.kind, bytes.clone());
        }
    }

    /// Send counters by link index (same order as [`MediaSet::names`]).
    pub fn stats(&self) -> Vec<LinkStats> {
        self.queues
            .iter()
            .map(|lq| {
                let q = lq.lock();
                LinkStats {
                    queued: q.len(),
                    dropped_keepalives: q.dropped_keepalives(),
                    dropped_other: q.dropped_other(),
                    send_errors: lq.send_errors.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}

impl Drop for MediaSet {
    fn drop(&mut self) {
        for w in &self.writers {
            w.abort();
        }
    }
}
