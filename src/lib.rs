//! heartbeat: a two-node active/passive cluster manager that reads the
//! configuration of Linux-HA Heartbeat v1 unchanged.
//!
//! Data flows one way: files → [`config::ClusterConfig`] → packets, ticks and
//! requests → the pure state machines ([`membership`], [`ownership`]) →
//! actions that [`daemon`] performs (send, start or stop a chain, log).

pub mod action;
pub mod arp;
pub mod commands;
pub mod config;
pub mod control;
pub mod core;
pub mod daemon;
pub mod drbd;
pub mod export;
pub mod generation;
pub mod globals;
pub mod logging;
pub mod media;
pub mod membership;
pub mod metrics;
pub mod ownership;
pub mod ping;
pub mod resources;
pub mod respawn;
pub mod vip;
pub mod wire;
