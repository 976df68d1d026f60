//! What a lab cluster is made of before it exists: the fixed names and
//! addresses of its topology, [`LabConfig`] (timings, resources, which
//! cluster manager runs), unique name prefixes and ha.cf time values.

use crate::Flavor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The node names of every lab cluster.
pub const NODES: [&str; 2] = ["alpha", "bravo"];
/// The LAN all nodes and the client share (inside our namespaces only).
pub const LAN_PREFIX: &str = "10.213.7";
pub const VIP: &str = "10.213.7.100";
/// The crossover link carrying heartbeats.
pub const XOVER_PREFIX: &str = "10.213.8";
/// The last byte of the attacker's address on the LAN and the crossover
/// (see [`LabConfig::attacker`]).
pub const ATTACKER_HOST: u8 = 66;

#[derive(Clone, Debug)]
pub struct LabConfig {
    /// Short unique tag; namespace names are `{prefix}a`, `{prefix}b`, …
    pub prefix: String,
    pub heartbeat_bin: PathBuf,
    pub keepalive: String,
    pub warntime: String,
    pub deadtime: String,
    pub initdead: String,
    pub auto_failback: String,
    /// Extra ha.cf lines (e.g. `failback_delay 2`, `monitor …`).
    pub extra_hacf: Vec<String>,
    /// The resources after the preferred node on the haresources line;
    /// `None` gives the default chain (VIP, Filesystem on the shared disk, web service).
    pub resources: Option<String>,
    /// Also join the nodes with a serial line (a pty pair relayed by us).
    pub serial: bool,
    /// Use bcast on the crossover link (default) — off leaves serial only.
    pub bcast: bool,
    /// Directory with extra agents copied to each node's resource.d.
    pub extra_agents: Vec<(String, String)>,
    /// Make the shared ext4 disk (needed by the default chain).
    pub shared_disk: bool,
    /// Which cluster manager the nodes run.
    pub flavor: Flavor,
    /// Run bravo with another flavor than alpha (a mixed pair during an
    /// upgrade: our daemon beside the original).
    pub peer_flavor: Option<Flavor>,
    /// The web service runs on both nodes all the time, started by the
    /// lab, as keepalived deployments run it; the cluster moves only what
    /// `resources` names (for the bench's "VIP only" class).
    pub service_on_both: bool,
    /// Add a third namespace, the attacker, on the LAN and on the
    /// crossover (which then runs through a bridge instead of one veth
    /// pair); its address is `.`[`ATTACKER_HOST`] on both.
    pub attacker: bool,
    /// Run the DRBD emulator for resource `r0` on both nodes (see
    /// [`Lab::drbdadm`](crate::Lab::drbdadm) and docs/drbd-emulator.md).
    pub drbd: bool,
    /// Extra `key = value` lines for both emulators' emu.conf (`format =
    /// 8.4`, `fencing = resource-only`, `fence-peer = …`, `resync-ms = …`).
    pub drbd_conf: Vec<String>,
    /// Two sites without a shared LAN instead of the LAN and crossover:
    /// each node behind its own uplink and VPN tunnel to a router, which
    /// also reaches a DNS server, a client and the internet (see
    /// [`sites`](crate::sites)). No VIP, shared disk or bcast there.
    pub sites: bool,
    /// Resource-level fencing through the node's own daemon, as a user
    /// sets it up: `fencing resource-only`, `fence-peer` calling
    /// `heartbeat fence-peer` and `after-resync-target` calling
    /// `heartbeat unfence-peer` (see docs/guide.md).
    pub drbd_fencing: bool,
}

impl LabConfig {
    pub fn new(prefix: &str, heartbeat_bin: &Path) -> LabConfig {
        LabConfig {
            prefix: prefix.to_string(),
            heartbeat_bin: heartbeat_bin.to_path_buf(),
            keepalive: "100ms".into(),
            warntime: "300ms".into(),
            deadtime: "500ms".into(),
            initdead: "2".into(),
            auto_failback: "on".into(),
            extra_hacf: Vec::new(),
            resources: None,
            serial: false,
            bcast: true,
            extra_agents: Vec::new(),
            shared_disk: true,
            flavor: Flavor::Ours,
            peer_flavor: None,
            service_on_both: false,
            attacker: false,
            drbd: false,
            drbd_conf: Vec::new(),
            sites: false,
            drbd_fencing: false,
        }
    }
}

/// A unique short prefix for namespace and interface names (≤ 15 chars).
pub fn unique_prefix(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(3)
        .collect();
    format!("h{tag}{:x}{n:x}", std::process::id() & 0xfff)
}

/// Milliseconds of an ha.cf time value (`500ms`, `2`), read by the same
/// parser the daemon uses for ha.cf.
pub fn parse_ms(v: &str) -> Option<u64> {
    heartbeat::config::hacf::parse_time(v)
        .ok()
        .map(|d| d.as_millis() as u64)
}
