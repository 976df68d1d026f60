//! What each subcommand of the `heartbeat` binary does. `main.rs` only
//! parses arguments; the bodies live here so the compatibility binaries
//! (`hb_takeover`, `hb_standby`, `cl_status`) and tests share them.

pub mod check;
pub mod cl_status;
pub mod colour;
pub mod ctl;
pub mod demo;
pub mod export;
pub mod fence;
pub mod resource;
pub mod send_arp;

pub use crate::globals::Globals;

/// Exit statuses shared by the subcommands.
pub mod exit {
    pub const OK: i32 = 0;
    pub const INVALID: i32 = 1;
    pub const USAGE: i32 = 2;
}
