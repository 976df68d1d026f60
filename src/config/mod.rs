//! The three files of /etc/ha.d (ha.cf, authkeys, haresources) → one
//! validated [`ClusterConfig`].
//!
//! Nothing here changes the system: loading is a pure function of the
//! files (and of which agents exist), so `heartbeat check` can run anywhere.

pub mod agents;
mod arguments;
pub mod authkeys;
pub(crate) mod check;
mod compare;
mod diag;
pub mod hacf;
pub mod haresources;
pub mod heartbeat_toml;
mod model;
pub mod parameters;

pub use agents::{AgentSearch, builtin_path, default_timeouts, resolve_agent};
pub use check::{AUTHKEYS, HACF, HARESOURCES, LoadOptions, Loaded, load, load_authkeys};
pub use compare::{compare, config_digest};
pub use diag::{ConfigErrors, Diagnostic, Diags};
pub use heartbeat_toml::{CheckConfig, CheckKind, Extensions, HEARTBEAT_TOML, MailConfig};
pub use model::*;
