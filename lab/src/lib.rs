//! A two-node cluster on one machine: network namespaces for the nodes and
//! a client, a crossover link, a LAN switch, a shared loop-device disk, and
//! a ha.d per node. The demo (`heartbeat-demo`, [`demo`]), the benchmarks
//! (`hb-bench`) and the root package's integration tests all build their
//! clusters with it, so what the demo shows is what the tests prove. This
//! crate is kept apart from the product crate `heartbeat`, which ships no
//! namespace code; the lab runs the `heartbeat` binary it is given.
//!
//! The same topology can run the original Heartbeat 3.0.6 or keepalived
//! instead of our daemon ([`Flavor`]), so the benchmarks compare like with
//! like.
//!
//! Everything it creates is owned by a [`Lab`] value and removed in `Drop`,
//! also when a test panics. It only ever addresses the namespaces it made.
//!
//! One concept per module: [`config`](LabConfig) and the fixed topology
//! names, the [`Lab`] fixture itself (`cluster`), its network (`topology`,
//! `netns`), shared disk (`disk`), node configs (`node_config`), daemon
//! processes (`daemon`), serial line (`serial`), probes (`observe`), a LAN
//! capture (`capture`), a DRBD emulator (`drbdemu`, run by `drbd`) and
//! Corosync and Pacemaker running an exported ha.d (`pacemaker`).
//! Everything is re-exported here, so users name it `hb_lab::X`.

pub mod capture;
mod cluster;
mod config;
mod daemon;
pub mod demo;
mod disk;
pub mod dns;
mod drbd;
pub mod drbdemu;
mod flavor;
mod netns;
mod node_config;
mod observe;
mod pacemaker;
mod serial;
pub mod sites;
pub mod skip;
pub mod systemd;
mod topology;
pub mod web;

pub use cluster::{Lab, LabNode};
pub use config::{
    ATTACKER_HOST, LAN_PREFIX, LabConfig, NODES, VIP, XOVER_PREFIX, parse_ms, unique_prefix,
};
pub use flavor::{
    Flavor, ORIGINAL_DAEMON, ORIGINAL_HACF, ORIGINAL_HB_STANDBY, in_daemon_namespaces,
};
pub use netns::in_netns;
pub use node_config::{WEBNODE, webnode_agent};
pub use observe::{http_get, http_probe};
