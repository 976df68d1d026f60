//! What heartbeat knows of DRBD: the resources its groups use, the state
//! drbdadm reports for each (role, disk, connection) parsed from DRBD 8.4's
//! and DRBD 9's output, and the report field that carries it to the peer.
//! Pure, except `observe.rs` (running drbdadm, at the daemon's edge) and
//! `conf.rs` (reading drbd.conf for `heartbeat check`). The decisions made
//! from these states live in `core::disks` and `core::fence`.

pub mod conf;
pub mod observe;

use crate::config::ResourceGroup;
use serde::{Deserialize, Serialize};
use std::fmt;

/// DRBD's disk states, worse first (as DRBD orders them); `Unknown` when
/// drbdadm could not tell (not installed, resource not up).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DiskState {
    Unknown,
    Diskless,
    Inconsistent,
    Outdated,
    Consistent,
    UpToDate,
}

impl DiskState {
    pub fn word(self) -> &'static str {
        match self {
            DiskState::Unknown => "DUnknown",
            DiskState::Diskless => "Diskless",
            DiskState::Inconsistent => "Inconsistent",
            DiskState::Outdated => "Outdated",
            DiskState::Consistent => "Consistent",
            DiskState::UpToDate => "UpToDate",
        }
    }

    pub fn parse(word: &str) -> DiskState {
        match word.trim() {
            "Diskless" | "Attaching" | "Failed" | "Negotiating" => DiskState::Diskless,
            "Inconsistent" => DiskState::Inconsistent,
            "Outdated" => DiskState::Outdated,
            "Consistent" => DiskState::Consistent,
            "UpToDate" => DiskState::UpToDate,
            _ => DiskState::Unknown,
        }
    }
}

impl fmt::Display for DiskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The replication link as `drbdadm cstate` words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// Connected, or resyncing (SyncSource, SyncTarget, …).
    Connected,
    /// Waiting for the peer (8.4's WFConnection, 9's Connecting).
    Connecting,
    /// Refuses to connect: after a split brain, or disconnected by hand.
    StandAlone,
    Unknown,
}

impl Link {
    pub fn word(self) -> &'static str {
        match self {
            Link::Connected => "Connected",
            Link::Connecting => "Connecting",
            Link::StandAlone => "StandAlone",
            Link::Unknown => "Unknown",
        }
    }

    pub fn parse(word: &str) -> Link {
        match word.trim() {
            "Connected" | "SyncSource" | "SyncTarget" | "WFBitMapS" | "WFBitMapT"
            | "WFSyncUUID" | "PausedSyncS" | "PausedSyncT" | "VerifyS" | "VerifyT"
            | "StartingSyncS" | "StartingSyncT" => Link::Connected,
            "StandAlone" => Link::StandAlone,
            "WFConnection" | "Connecting" | "WFReportParams" | "Unconnected" | "NetworkFailure"
            | "BrokenPipe" | "Timeout" | "Disconnecting" | "TearDown" | "ProtocolError" => {
                Link::Connecting
            }
            _ => Link::Unknown,
        }
    }
}

/// One resource as drbdadm reported it on this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrbdState {
    pub resource: String,
    pub primary: bool,
    pub disk: DiskState,
    /// The peer's disk as this node sees it (`DUnknown` when apart).
    pub peer_disk: DiskState,
    pub link: Link,
}

impl DrbdState {
    /// Nothing known: drbdadm did not answer.
    pub fn unknown(resource: &str) -> DrbdState {
        DrbdState {
            resource: resource.to_string(),
            primary: false,
            disk: DiskState::Unknown,
            peer_disk: DiskState::Unknown,
            link: Link::Unknown,
        }
    }

    /// From the outputs of `drbdadm role`, `dstate` and `cstate` (8.4:
    /// `Primary/Secondary`, 9: `Primary`; `UpToDate/Outdated` in both).
    /// With several resources (`all`), the worst line counts.
    pub fn from_drbdadm(resource: &str, role: &str, dstate: &str, cstate: &str) -> DrbdState {
        let first = |line: &str| line.split('/').next().unwrap_or("").trim().to_string();
        let disks: Vec<(DiskState, DiskState)> = dstate
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut p = l.split('/');
                let mine = DiskState::parse(p.next().unwrap_or(""));
                (mine, DiskState::parse(p.next().unwrap_or("")))
            })
            .collect();
        let links: Vec<Link> = cstate
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(Link::parse)
            .collect();
        let worst_link = if links.contains(&Link::StandAlone) {
            Link::StandAlone
        } else if links.contains(&Link::Connecting) {
            Link::Connecting
        } else if links.contains(&Link::Unknown) || links.is_empty() {
            Link::Unknown
        } else {
            Link::Connected
        };
        DrbdState {
            resource: resource.to_string(),
            primary: role.lines().any(|l| first(l) == "Primary"),
            disk: disks
                .iter()
                .map(|d| d.0)
                .min()
                .unwrap_or(DiskState::Unknown),
            peer_disk: disks
                .iter()
                .map(|d| d.1)
                .min()
                .unwrap_or(DiskState::Unknown),
            link: worst_link,
        }
    }

    /// `r0:UpToDate:Primary:Connected`, one item of the report's `drbd`
    /// field (an old peer ignores the field).
    pub fn field_item(&self) -> String {
        let role = if self.primary { "Primary" } else { "Secondary" };
        format!(
            "{}:{}:{role}:{}",
            self.resource,
            self.disk.word(),
            self.link.word()
        )
    }

    pub fn parse_item(item: &str) -> Option<DrbdState> {
        let mut p = item.split(':');
        let (res, disk, role, link) = (p.next()?, p.next()?, p.next()?, p.next()?);
        if res.is_empty() || p.next().is_some() {
            return None;
        }
        Some(DrbdState {
            resource: res.to_string(),
            primary: role == "Primary",
            disk: DiskState::parse(disk),
            peer_disk: DiskState::Unknown,
            link: Link::parse(link),
        })
    }
}

/// The report field: every resource's item, comma-separated.
pub fn report_field(states: &[DrbdState]) -> String {
    let items: Vec<String> = states.iter().map(DrbdState::field_item).collect();
    items.join(",")
}

pub fn parse_report_field(v: &str) -> Vec<DrbdState> {
    v.split(',').filter_map(DrbdState::parse_item).collect()
}

/// The DRBD resources each group uses, in haresources order: the
/// argument of `drbddisk::r0`, `all` for a bare `drbddisk` (as the
/// original's agent did), `drbd_resource=` of an OCF drbd agent.
pub fn resources_of(groups: &[ResourceGroup]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            g.resources
                .iter()
                .filter_map(|r| match r.name.as_str() {
                    "drbddisk" => Some(r.args.first().cloned().unwrap_or_else(|| "all".into())),
                    "drbd" | "drbd-attr" => r
                        .args
                        .iter()
                        .find_map(|a| a.strip_prefix("drbd_resource="))
                        .map(str::to_string),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// Resource `r0` in the given state, for the tests of the rules.
#[cfg(test)]
pub fn r0(disk: DiskState, primary: bool, link: Link) -> DrbdState {
    DrbdState {
        resource: "r0".into(),
        primary,
        disk,
        peer_disk: DiskState::Unknown,
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drbdadm_outputs_of_8_4_and_9_read_alike() {
        let v84 = DrbdState::from_drbdadm(
            "r0",
            "Primary/Secondary\n",
            "UpToDate/Outdated\n",
            "WFConnection\n",
        );
        let v9 = DrbdState::from_drbdadm("r0", "Primary\n", "UpToDate/Outdated\n", "Connecting\n");
        assert_eq!(v84, v9);
        assert!(v9.primary);
        assert_eq!(
            (v9.disk, v9.peer_disk, v9.link),
            (DiskState::UpToDate, DiskState::Outdated, Link::Connecting)
        );
        let sb = DrbdState::from_drbdadm(
            "all",
            "Secondary\nSecondary\n",
            "UpToDate/DUnknown\nOutdated/DUnknown\n",
            "Connected\nStandAlone\n",
        );
        assert_eq!((sb.disk, sb.link), (DiskState::Outdated, Link::StandAlone));
        assert_eq!(
            DrbdState::from_drbdadm("r0", "", "", "").disk,
            DiskState::Unknown
        );
    }

    #[test]
    fn the_report_field_round_trips_and_skips_garbage() {
        let s = DrbdState::from_drbdadm("r0", "Secondary", "Outdated/DUnknown", "Connecting");
        let back = parse_report_field(&format!(
            "{},bad,x:y",
            report_field(std::slice::from_ref(&s))
        ));
        assert_eq!(back.len(), 1);
        assert_eq!(
            (back[0].disk, back[0].link, back[0].primary),
            (DiskState::Outdated, Link::Connecting, false)
        );
    }
}
