//! Data-aware takeover: what the node knows of its DRBD resources (as
//! drbdadm reported them here, and as the peer's report says they are
//! there), and the rule that decides whether a group may start with them.
//! A group whose data is Outdated or Inconsistent, or whose peer is known
//! to hold newer data, never starts; data of unknown currency
//! (Consistent, after both nodes went down) waits for the peer and then
//! needs an operator's `takeover --force`. Pure: the node hooks these
//! calls in, the driver feeds the states.

use crate::config::NodeName;
use crate::drbd::{DiskState, DrbdState, Link};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

/// Why a group may not start here, in the log's and status' words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Our copy is not usable (Outdated, Inconsistent, Diskless);
    /// `by`: the node that had it outdated, and when (HH:MM:SS UTC).
    Bad {
        resource: String,
        disk: DiskState,
        by: Option<(NodeName, String)>,
    },
    /// The peer wrote while we were apart: its copy is newer.
    PeerNewer { resource: String, peer: NodeName },
    /// Our copy is Consistent and the peer is away: wait for it (DRBD's
    /// wfc); `over` once the wait is over (only an operator starts it).
    Waiting {
        resource: String,
        peer: NodeName,
        wfc: Duration,
        over: bool,
    },
    /// A held start when this node stops.
    ShuttingDown,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Bad { resource, disk, by } => {
                write!(f, "{resource} is {disk}")?;
                match by {
                    Some((node, at)) => write!(f, " (outdated by {node} at {at})"),
                    None => Ok(()),
                }
            }
            Why::PeerNewer { resource, peer } => write!(
                f,
                "{peer} holds newer data of {resource} (it was Primary without replication)"
            ),
            Why::Waiting {
                resource,
                peer,
                wfc,
                over: false,
            } => write!(
                f,
                "{resource} is Consistent, not known UpToDate: waiting up to {}s for {peer} \
                 (drbd_wfc_timeout), then only `heartbeat takeover --force` starts it",
                wfc.as_secs()
            ),
            Why::Waiting {
                resource,
                peer,
                wfc,
                over: true,
            } => write!(
                f,
                "{resource} is Consistent and {peer} did not come back within {}s: \
                 start it with `heartbeat takeover --force` only if this copy is the newest",
                wfc.as_secs()
            ),
            Why::ShuttingDown => f.write_str("this node is stopping"),
        }
    }
}

/// The rule for one resource: may a group using it start here?
/// `local`: its state here (`None`: never observed); `peer`: the
/// peer's last report of it; `forced`: an operator's `takeover --force`.
pub fn judge(
    local: Option<&DrbdState>,
    peer: Option<&DrbdState>,
    forced: bool,
) -> Result<(), Verdict> {
    let Some(local) = local else { return Ok(()) };
    if forced || local.primary {
        return Ok(());
    }
    match local.disk {
        // drbdadm gave no answer: DRBD itself refuses what it must.
        DiskState::Unknown | DiskState::UpToDate => {}
        DiskState::Consistent if local.link == Link::Connected => {}
        DiskState::Consistent => return Err(Verdict::Wait),
        bad => return Err(Verdict::Bad(bad)),
    }
    // A peer that was Primary while apart from us wrote what we lack.
    let newer = peer.is_some_and(|p| p.primary && p.link != Link::Connected);
    if newer && local.link != Link::Connected {
        return Err(Verdict::PeerNewer);
    }
    Ok(())
}

/// [`judge`]'s refusal, before words are put on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Bad(DiskState),
    PeerNewer,
    Wait,
}

/// One resource for `heartbeat status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrbdStatus {
    pub resource: String,
    pub role: String,
    pub disk: String,
    pub peer_disk: String,
    pub connection: String,
    /// The peer had our copy outdated (`NODE at HH:MM:SS`).
    #[serde(default)]
    pub outdated_by: Option<String>,
    /// We had the peer's copy outdated, at HH:MM:SS.
    #[serde(default)]
    pub peer_fenced_at: Option<String>,
}

/// What changed in an observation that the log must say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskEvent {
    /// The resource went StandAlone: split brain (or a manual disconnect).
    StandAlone { resource: String, disk: DiskState },
    /// It replicates again.
    Reconnected { resource: String },
}

#[derive(Clone, Debug)]
pub struct Disks {
    local: BTreeMap<String, DrbdState>,
    peer: BTreeMap<String, DrbdState>,
    outdated_by: BTreeMap<String, (NodeName, String)>,
    peer_fenced: BTreeMap<String, String>,
    standalone: BTreeSet<String>,
    forced: bool,
    wfc_until: Instant,
    wfc: Duration,
    /// Starts held back until the peer's DRBD connects or the wait ends
    /// (by group index), and whether that end was logged.
    held: BTreeSet<usize>,
    wait_logged: bool,
}

impl Disks {
    pub fn new(now: Instant, wfc: Duration) -> Disks {
        Disks {
            local: BTreeMap::new(),
            peer: BTreeMap::new(),
            outdated_by: BTreeMap::new(),
            peer_fenced: BTreeMap::new(),
            standalone: BTreeSet::new(),
            forced: false,
            wfc_until: now + wfc,
            wfc,
            held: BTreeSet::new(),
            wait_logged: false,
        }
    }

    /// drbdadm's latest answers here; the changes the log must say.
    pub fn observe(&mut self, states: Vec<DrbdState>) -> Vec<DiskEvent> {
        let mut events = Vec::new();
        for s in states {
            let res = s.resource.clone();
            if s.link == Link::StandAlone && self.standalone.insert(res.clone()) {
                events.push(DiskEvent::StandAlone {
                    resource: res.clone(),
                    disk: s.disk,
                });
            } else if s.link == Link::Connected && self.standalone.remove(&res) {
                events.push(DiskEvent::Reconnected {
                    resource: res.clone(),
                });
            }
            if s.disk == DiskState::UpToDate {
                // Resynced (or promoted): an old "outdated by" is history.
                self.outdated_by.remove(&res);
            }
            self.local.insert(res, s);
        }
        events
    }

    /// The peer's report (`drbd` field) as last heard.
    pub fn peer_report(&mut self, states: Vec<DrbdState>) {
        self.peer = states
            .into_iter()
            .map(|s| (s.resource.clone(), s))
            .collect();
    }

    /// The report field for our own states (`None` when we have none).
    pub fn report_field(&self) -> Option<String> {
        let states: Vec<DrbdState> = self.local.values().cloned().collect();
        (!states.is_empty()).then(|| crate::drbd::report_field(&states))
    }

    /// Whether a group using `resources` may start now; the first reason
    /// why not.
    pub fn check(&self, now: Instant, resources: &[String], peer: &NodeName) -> Result<(), Why> {
        for r in resources {
            let verdict = judge(self.local.get(r), self.peer.get(r), self.forced);
            let resource = r.clone();
            match verdict {
                Ok(()) => {}
                Err(Verdict::Bad(disk)) => {
                    let by = self.outdated_by.get(r).cloned();
                    return Err(Why::Bad { resource, disk, by });
                }
                Err(Verdict::PeerNewer) => {
                    let peer = peer.clone();
                    return Err(Why::PeerNewer { resource, peer });
                }
                Err(Verdict::Wait) => {
                    let over = now >= self.wfc_until;
                    let (peer, wfc) = (peer.clone(), self.wfc);
                    return Err(Why::Waiting {
                        resource,
                        peer,
                        wfc,
                        over,
                    });
                }
            }
        }
        Ok(())
    }

    /// An operator's `takeover --force`: the next starts skip the rule.
    pub fn force(&mut self, on: bool) {
        self.forced = on;
    }

    pub fn forced(&self) -> bool {
        self.forced
    }

    /// When the wait for the peer ends, if a start waits for it.
    pub fn next_deadline(&self) -> Option<Instant> {
        (!self.held.is_empty()).then_some(self.wfc_until)
    }

    /// The wait just ended with starts still held: say so once.
    pub fn wait_over(&mut self, now: Instant) -> bool {
        let over = !self.held.is_empty() && now >= self.wfc_until && !self.wait_logged;
        self.wait_logged |= over;
        over
    }

    /// Hold group `g`'s start until [`Disks::check`] says more.
    pub fn hold(&mut self, g: usize) {
        self.held.insert(g);
    }

    /// The held starts, released: the caller checks each again.
    pub fn take_held(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.held).into_iter().collect()
    }

    pub fn is_held(&self, g: usize) -> bool {
        self.held.contains(&g)
    }

    /// Our copy of `resource` was outdated at the peer's request.
    pub fn outdated_by(&mut self, resource: &str, peer: NodeName, at: String) {
        self.outdated_by.insert(resource.to_string(), (peer, at));
    }

    /// We had the peer's copy outdated.
    pub fn peer_fenced(&mut self, resource: &str, at: String) {
        self.peer_fenced.insert(resource.to_string(), at);
    }

    /// after-resync-target: whatever fencing recorded for `resource` is over.
    pub fn unfence(&mut self, resource: &str) {
        self.outdated_by.remove(resource);
        self.peer_fenced.remove(resource);
    }

    /// Every resource for `heartbeat status`.
    pub fn status(&self) -> Vec<DrbdStatus> {
        self.local
            .values()
            .map(|s| DrbdStatus {
                resource: s.resource.clone(),
                role: if s.primary { "Primary" } else { "Secondary" }.into(),
                disk: s.disk.word().into(),
                peer_disk: s.peer_disk.word().into(),
                connection: s.link.word().into(),
                outdated_by: (self.outdated_by.get(&s.resource))
                    .map(|(n, at)| format!("{n} at {at}")),
                peer_fenced_at: self.peer_fenced.get(&s.resource).cloned(),
            })
            .collect()
    }
}

/// HH:MM:SS (UTC) of a wall-clock second, for "outdated by alpha at …".
pub fn clock(wall_secs: u64) -> String {
    let s = wall_secs % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::drbd::r0 as st;

    #[test]
    fn outdated_inconsistent_and_diskless_data_never_start() {
        for d in [
            DiskState::Outdated,
            DiskState::Inconsistent,
            DiskState::Diskless,
        ] {
            let l = st(d, false, Link::Connecting);
            assert_eq!(judge(Some(&l), None, false), Err(Verdict::Bad(d)));
        }
        let up = st(DiskState::UpToDate, false, Link::Connecting);
        assert_eq!(judge(Some(&up), None, false), Ok(()));
        assert_eq!(
            judge(None, None, false),
            Ok(()),
            "nothing observed: DRBD decides"
        );
    }

    #[test]
    fn a_peer_that_wrote_without_us_has_newer_data() {
        let me = st(DiskState::UpToDate, false, Link::Connecting);
        let writing = st(DiskState::UpToDate, true, Link::Connecting);
        assert_eq!(
            judge(Some(&me), Some(&writing), false),
            Err(Verdict::PeerNewer)
        );
        let replicating = st(DiskState::UpToDate, true, Link::Connected);
        assert_eq!(judge(Some(&me), Some(&replicating), false), Ok(()));
    }

    #[test]
    fn consistent_data_waits_for_the_peer_unless_forced() {
        let me = st(DiskState::Consistent, false, Link::Connecting);
        assert_eq!(judge(Some(&me), None, false), Err(Verdict::Wait));
        assert_eq!(judge(Some(&me), None, true), Ok(()));
        let connected = st(DiskState::Consistent, false, Link::Connected);
        assert_eq!(judge(Some(&connected), None, false), Ok(()));
    }

    #[test]
    fn the_refusal_names_who_outdated_us_and_the_wait_ends_once() {
        let t0 = Instant::now();
        let peer = NodeName::new("alpha");
        let mut d = Disks::new(t0, Duration::from_secs(5));
        d.observe(vec![st(DiskState::Outdated, false, Link::Connecting)]);
        d.outdated_by("r0", peer.clone(), clock(43_381));
        let why = d.check(t0, &["r0".into()], &peer).unwrap_err();
        assert_eq!(
            why.to_string(),
            "r0 is Outdated (outdated by alpha at 12:03:01)"
        );
        d.observe(vec![st(DiskState::Consistent, false, Link::Connecting)]);
        assert!(matches!(
            d.check(t0, &["r0".into()], &peer),
            Err(Why::Waiting { over: false, .. })
        ));
        assert_eq!(d.next_deadline(), None, "nothing held yet");
        d.hold(0);
        assert_eq!(d.next_deadline(), Some(t0 + Duration::from_secs(5)));
        let later = t0 + Duration::from_secs(6);
        assert!(!d.wait_over(t0));
        assert!(d.wait_over(later) && !d.wait_over(later));
        assert_eq!(d.take_held(), vec![0]);
        assert_eq!(d.next_deadline(), None);
        assert!(matches!(
            d.check(later, &["r0".into()], &peer),
            Err(Why::Waiting { over: true, .. })
        ));
        d.force(true);
        assert_eq!(d.check(later, &["r0".into()], &peer), Ok(()));
    }

    #[test]
    fn standalone_is_reported_once_until_reconnected() {
        let mut d = Disks::new(Instant::now(), Duration::ZERO);
        let sb = st(DiskState::UpToDate, true, Link::StandAlone);
        assert_eq!(d.observe(vec![sb.clone()]).len(), 1);
        assert!(d.observe(vec![sb]).is_empty());
        let back = d.observe(vec![st(DiskState::UpToDate, true, Link::Connected)]);
        assert_eq!(
            back,
            vec![DiskEvent::Reconnected {
                resource: "r0".into()
            }]
        );
    }
}
