//! The local control socket (RUN_DIR/heartbeat.sock): how
//! `heartbeat status|standby|takeover|stop`, `cl_status`, `hb_standby` and
//! `hb_takeover` talk to the running daemon.
//!
//! One JSON request line, one JSON response line per connection. Framed and
//! atomic, unlike the original's FIFO, which lost script messages (spec §9.3).
//! Each connection's caller is checked (`access.rs`): the status for root
//! and the `haclient` group, changes for root only.
//! This module owns the protocol types; the client end (blocking, for the
//! CLI programs) is `client.rs`, the daemon's end `server.rs`. It never
//! decides anything about the cluster.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const SOCKET_NAME: &str = "heartbeat.sock";

pub fn socket_path(run_dir: &Path) -> PathBuf {
    run_dir.join(SOCKET_NAME)
}

pub use crate::ownership::Which;
pub use report::{
    GroupHolder, GroupStatus, LinkState, LinkStatus, LocalState, MaintenanceState, PeerStatus,
    RscStatus, SCHEMA_VERSION, StatusReport,
};

pub mod access;
mod client;
mod report;
mod server;

pub use client::{ControlError, OnProgress, request, request_with_progress};
pub use server::{ControlServer, MAX_REQUEST, Pending, REQUEST_TIMEOUT, accept_backoff, serve};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "lowercase")]
pub enum Request {
    Status,
    Standby {
        which: Which,
    },
    Takeover {
        which: Which,
        /// Start DRBD data of unknown currency (`takeover --force`).
        #[serde(default)]
        force: bool,
    },
    /// DRBD's fence-peer handler: have the peer outdate its copy.
    #[serde(rename = "fence-peer")]
    FencePeer {
        resource: String,
        timeout_ms: u64,
    },
    /// DRBD's after-resync-target handler: lift the fencing record.
    #[serde(rename = "unfence-peer")]
    UnfencePeer {
        resource: String,
    },
    /// Planned stop: hand everything to the peer, then exit.
    Shutdown,
    /// Maintenance mode on or off, on both nodes.
    Maintenance {
        on: bool,
    },
}

impl Request {
    /// Whether it changes anything (root only) or only reads.
    pub fn changes_state(&self) -> bool {
        match self {
            Request::Status => false,
            Request::Standby { .. }
            | Request::Takeover { .. }
            | Request::Shutdown
            | Request::FencePeer { .. }
            | Request::UnfencePeer { .. }
            | Request::Maintenance { .. } => true,
        }
    }

    /// The command's name, for a refusal.
    pub fn word(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Standby { .. } => "standby",
            Request::Takeover { .. } => "takeover",
            Request::Shutdown => "stop",
            Request::Maintenance { .. } => "maintenance",
            Request::FencePeer { .. } => "fence-peer",
            Request::UnfencePeer { .. } => "unfence-peer",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "lowercase")]
pub enum Response {
    Status(Box<StatusReport>),
    Done {
        ok: bool,
        message: String,
    },
    /// The answer to `fence-peer`: drbd.conf(5)'s exit code.
    Fence {
        code: i32,
        message: String,
    },
    /// The caller may not ask this (see `access.rs`); the client turns it
    /// into [`ControlError::Denied`].
    Refused {
        message: String,
    },
    /// A step of a standby, takeover or stop under way, sent before the
    /// `Done` answer, and only to a request line carrying
    /// `"progress":true` (older clients read exactly one line).
    /// `at_ms` counts from when the daemon got the request.
    Progress {
        at_ms: f64,
        line: String,
    },
}

/// How many progress lines wait for a slow client at most; more are
/// dropped (the daemon's loop never waits for a client).
pub const PROGRESS_QUEUE: usize = 64;

/// Reads one request line the way the daemon does. Public so that the fuzz
/// target `control_request` (fuzz/) exercises the daemon's own parser;
/// serde_json bounds the nesting depth (128) and the caller the line length.
pub fn parse_request(line: &[u8]) -> Result<Request, serde_json::Error> {
    serde_json::from_slice(line)
}
