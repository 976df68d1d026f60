//! The words of every DRBD log line the node asks for: fencing asked and
//! answered, a takeover refused for the data's sake, split brain. Admins
//! grep for "cannot take over group" and "split brain".

use super::disks::Why;
use crate::config::{GroupId, NodeName};
use crate::drbd::DiskState;
use crate::ownership::Level;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrbdNotice {
    TakeoverRefused {
        group: GroupId,
        why: Why,
    },
    TakeoverWaits {
        group: GroupId,
        why: Why,
    },
    WaitOver {
        peer: NodeName,
    },
    Forced {
        by: &'static str,
    },
    FenceAsked {
        resource: String,
        peer: NodeName,
    },
    FenceAnswered {
        resource: String,
        peer: NodeName,
        code: i32,
        words: String,
    },
    OutdatedForPeer {
        resource: String,
        peer: NodeName,
        code: i32,
        said: String,
    },
    Unfenced {
        resource: String,
    },
    StandAlone {
        resource: String,
        disk: DiskState,
    },
    Reconnected {
        resource: String,
    },
}

/// drbd.conf(5)'s fence-peer exit codes, in words.
pub fn code_words(code: i32) -> &'static str {
    match code {
        3 => "peer's disk is Inconsistent",
        4 => "peer's disk was outdated",
        5 => "peer unreachable (or it could not outdate)",
        6 => "peer is Primary",
        7 => "peer was fenced",
        _ => "unexpected",
    }
}

impl DrbdNotice {
    pub fn level(&self) -> Level {
        match self {
            DrbdNotice::StandAlone { .. } => Level::Crit,
            DrbdNotice::TakeoverRefused { .. } | DrbdNotice::WaitOver { .. } => Level::Error,
            DrbdNotice::TakeoverWaits { .. } => Level::Warn,
            DrbdNotice::Forced { .. } => Level::Warn,
            DrbdNotice::FenceAnswered { code, .. } if *code != 4 && *code != 3 => Level::Warn,
            _ => Level::Info,
        }
    }
}

impl fmt::Display for DrbdNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrbdNotice::TakeoverRefused { group, why } => {
                write!(f, "cannot take over group {group}: {why}")
            }
            DrbdNotice::TakeoverWaits { group, why } => {
                write!(f, "group {group} does not start yet: {why}")
            }
            DrbdNotice::WaitOver { peer } => write!(
                f,
                "gave up waiting for {peer} (drbd_wfc_timeout): nothing with Consistent DRBD data \
                 starts until an operator runs `heartbeat takeover --force`"
            ),
            DrbdNotice::Forced { by } => write!(
                f,
                "operator forced a takeover ({by}): DRBD data of unknown currency will be promoted"
            ),
            DrbdNotice::FenceAsked { resource, peer } => {
                write!(
                    f,
                    "fence-peer: asking {peer} to outdate its copy of {resource}"
                )
            }
            DrbdNotice::FenceAnswered {
                resource,
                peer,
                code,
                words,
            } => write!(
                f,
                "fence-peer {resource}: exit code {code}, {} ({peer}: {words})",
                code_words(*code)
            ),
            DrbdNotice::OutdatedForPeer {
                resource,
                peer,
                code,
                said,
            } => write!(
                f,
                "{peer} asked to outdate our copy of {resource}: {} ({said})",
                code_words(*code)
            ),
            DrbdNotice::Unfenced { resource } => {
                write!(f, "{resource} resynced: its fencing is lifted")
            }
            DrbdNotice::StandAlone { resource, disk } => write!(
                f,
                "DRBD {resource} is StandAlone ({disk}): split brain, or disconnected by hand; \
                 the copies no longer replicate and nothing is discarded automatically: decide \
                 which node's changes to drop (`drbdadm connect --discard-my-data {resource}` \
                 there, `drbdadm connect {resource}` on the other)"
            ),
            DrbdNotice::Reconnected { resource } => write!(f, "DRBD {resource} replicates again"),
        }
    }
}
