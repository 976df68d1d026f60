//! ha.cf: text → the settings it declares, plus the checks that need only
//! ha.cf and the local node name.
//!
//! Pure: gets the file's text, never opens anything, never resolves host
//! names. Cross-file checks (monitor keys, rsc_timeout agents) live in
//! `check.rs`.
//!
//! This file owns the types (what ha.cf said, and what it means once
//! settled), the public defaults and the entry point [`parse`]. The
//! directives are read in `directive.rs` (dispatch and general settings),
//! `media.rs` (heartbeat media, udpport, baud) and `extensions.rs` (our own
//! `monitor` and `rsc_timeout`), with the shared value readers in
//! `parser.rs` and the word-level ones in `values.rs`; `settle.rs` applies
//! defaults and cross-checks.

mod directive;
mod extensions;
mod media;
mod parser;
mod settle;
mod values;

use super::diag::Diags;
use super::model::*;
use parser::Parser;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use settle::settle;
pub use values::{format_time, ms, parse_bool, parse_time};

pub const DEFAULT_UDPPORT: u16 = 694;
pub const DEFAULT_BAUD: u32 = 19200;
pub const BAUD_RATES: [u32; 7] = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
pub const DEFAULT_MONITOR_RESTARTS: u32 = 3;
pub const DEFAULT_MONITOR_WINDOW: Duration = Duration::from_secs(600);

/// A value and the line that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Start,
    Stop,
    Status,
}

/// `monitor GROUPKEY INTERVAL [MAX_RESTARTS [WINDOW]]` (ours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorDirective {
    pub group: String,
    pub policy: MonitorPolicy,
    pub line: usize,
}

/// `rsc_timeout AGENTNAME start|stop|status TIME` (ours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RscTimeout {
    pub agent: String,
    pub action: Action,
    pub timeout: Duration,
    pub line: usize,
}

/// Everything ha.cf said, before defaults and cross-checks.
#[derive(Clone, Debug, Default)]
pub struct HaCf {
    pub nodes: Vec<At<NodeName>>,
    pub keepalive: Option<At<Duration>>,
    pub warntime: Option<At<Duration>>,
    pub deadtime: Option<At<Duration>>,
    pub initdead: Option<At<Duration>>,
    pub deadping: Option<At<Duration>>,
    pub drbd_wfc_timeout: Option<At<Duration>>,
    pub udpport: Option<At<u16>>,
    pub baud: Option<At<u32>>,
    pub media: Vec<At<Medium>>,
    pub auto_failback: Option<At<AutoFailback>>,
    pub failback_delay: Option<At<Duration>>,
    pub garp_refresh: Option<At<Duration>>,
    pub garp_mode: Option<At<crate::arp::GarpMode>>,
    pub ping: Vec<IpAddr>,
    pub ping_groups: Vec<PingGroup>,
    pub logfile: Option<PathBuf>,
    pub debugfile: Option<PathBuf>,
    pub logfacility: Option<String>,
    pub use_logd: Option<bool>,
    pub realtime: Option<bool>,
    pub debug: Option<u32>,
    pub hopfudge: Option<u32>,
    pub respawn: Vec<Respawn>,
    pub monitors: Vec<MonitorDirective>,
    pub rsc_timeouts: Vec<RscTimeout>,
    pub metrics_listen: Option<At<std::net::SocketAddr>>,
}

/// The ha.cf part of the final model, defaults applied and validated.
#[derive(Clone, Debug)]
pub struct HaCfSettings {
    pub local: NodeName,
    pub peer: NodeName,
    pub nodes: Vec<NodeName>,
    pub timings: Timings,
    pub udpport: u16,
    pub baud: u32,
    pub media: Vec<Medium>,
    pub auto_failback: AutoFailback,
    /// Line of an explicit `auto_failback`, `None` when defaulted to legacy.
    pub auto_failback_line: Option<usize>,
    pub failback_delay: Duration,
    pub announce: VipAnnounce,
    pub ping: Vec<IpAddr>,
    pub ping_groups: Vec<PingGroup>,
    pub logging: Logging,
    pub realtime: bool,
    pub debug: u32,
    pub hopfudge: u32,
    pub respawn: Vec<Respawn>,
    pub monitors: Vec<MonitorDirective>,
    pub rsc_timeouts: Vec<RscTimeout>,
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// Strips the comment and surrounding blanks; `None` for an empty line.
fn significant(raw: &str) -> Option<&str> {
    let no_comment = raw.split('#').next().unwrap_or("");
    let t = no_comment.trim();
    (!t.is_empty()).then_some(t)
}

/// The directive lines of ha.cf as (line number, name, rest of the line),
/// comments and blank lines skipped: the one tokenizer behind [`parse`]
/// and the original's parameter table (`config::parameters`).
pub(crate) fn directives(text: &str) -> impl Iterator<Item = (usize, &str, &str)> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = significant(raw)?;
        let (name, rest) = match line.find(char::is_whitespace) {
            Some(pos) => (&line[..pos], line[pos..].trim()),
            None => (line, ""),
        };
        Some((i + 1, name, rest))
    })
}

pub(crate) use parser::option_words;

/// Parses ha.cf; errors and warnings go to `diags`.
pub fn parse(text: &str, file: &Path, diags: &mut Diags) -> HaCf {
    let mut p = Parser {
        d: diags.for_file(file),
        cf: HaCf::default(),
        first_udp_medium: None,
        first_serial: None,
    };
    for (n, name, rest) in directives(text) {
        p.directive(n, name, rest);
    }
    p.cf
}

#[cfg(test)]
mod tests;
