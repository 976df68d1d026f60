//! The three files of /etc/ha.d (ha.cf, authkeys, haresources) → one
//! validated [`ClusterConfig`].

mod model;

pub use model::*;
