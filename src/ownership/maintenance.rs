//! Maintenance mode: both nodes keep their membership but leave every
//! resource as it is — no takeover when the peer dies, no monitor restart,
//! no failback, no standby or takeover — while an operator replaces a
//! switch, a disk or the daemon itself.
//!
//! The flag is shared: it travels in the report (`mnt`, optional, so an old
//! peer ignores it) with a serial that grows on every operator change, and
//! the higher serial wins on both nodes, so `heartbeat maintenance on` on
//! one node puts both into maintenance. The daemon persists it (it comes
//! back after a restart) and, in maintenance, adopts what runs instead of
//! releasing it at boot: ownership asks for a probe of every group then.
//! Leaving probes every group again, adopts what runs and lets the rules
//! settle from there; the node says `settling` until its probes are in, and
//! neither node acts until both have settled.

use super::{
    ChainAction, ChainFailure, GroupIdx, LocalState, Notice, Outcome, Output, Ownership, Refusal,
    notify, set_state,
};
use crate::config::NodeName;
use std::fmt;
use std::time::Instant;

/// The shared flag, as persisted and as the report carries it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Maintenance {
    pub on: bool,
    /// Grows with every operator change; the higher one wins on both nodes.
    pub serial: u64,
}

impl Maintenance {
    /// Which of two flags both nodes should follow; on a tie, `on` (the
    /// safe side: nobody acts).
    fn wins_over(self, other: Maintenance) -> bool {
        (self.serial, self.on) > (other.serial, other.on)
    }
}

/// The report's `mnt` field: the flag, and whether the sender still probes
/// its groups after leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaintenanceReport {
    pub flag: Maintenance,
    pub settling: bool,
}

impl MaintenanceReport {
    /// `<serial>:<on|off|settling>`.
    pub fn field(&self) -> String {
        let word = match (self.flag.on, self.settling) {
            (true, _) => "on",
            (false, true) => "settling",
            (false, false) => "off",
        };
        format!("{}:{word}", self.flag.serial)
    }

    pub fn parse(v: &str) -> Option<MaintenanceReport> {
        let (serial, word) = v.split_once(':')?;
        if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let serial = serial.parse().ok()?;
        let (on, settling) = match word {
            "on" => (true, false),
            "off" => (false, false),
            "settling" => (false, true),
            _ => return None,
        };
        Some(MaintenanceReport {
            flag: Maintenance { on, serial },
            settling,
        })
    }
}

/// As `heartbeat status` shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaintenanceState {
    #[default]
    Off,
    On,
    /// Left, and probing or waiting for the peer to finish probing.
    Settling,
}

impl MaintenanceState {
    pub fn word(self) -> &'static str {
        match self {
            MaintenanceState::Off => "off",
            MaintenanceState::On => "on",
            MaintenanceState::Settling => "settling",
        }
    }
}

/// Who changed the flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangedBy {
    Operator,
    Peer(NodeName),
}

/// What maintenance tells the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaintenanceNotice {
    Entered {
        by: ChangedBy,
    },
    Left {
        by: ChangedBy,
        groups: usize,
    },
    /// The peer died; nothing is taken over.
    NoTakeover {
        peer: NodeName,
    },
    /// A monitor failure while hands are off: no restart.
    MonitorIgnored {
        group: crate::config::GroupId,
    },
    /// What a probe found.
    Probed {
        group: crate::config::GroupId,
        found: Found,
    },
    /// Every probe is in; the rules apply again.
    Settled,
    /// A stop in maintenance: the daemon exits and leaves resources running.
    ShutdownLeavesResources,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    Running,
    Stopped,
    /// Part of it runs: adopted in maintenance, stopped when leaving.
    Partly(ChainFailure),
}

impl MaintenanceNotice {
    pub fn level(&self) -> super::Level {
        match self {
            MaintenanceNotice::NoTakeover { .. } | MaintenanceNotice::MonitorIgnored { .. } => {
                super::Level::Warn
            }
            _ => super::Level::Info,
        }
    }
}

impl fmt::Display for ChangedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangedBy::Operator => f.write_str("operator request"),
            ChangedBy::Peer(p) => write!(f, "as {p} asked"),
        }
    }
}

impl fmt::Display for MaintenanceNotice {
    #[rustfmt::skip]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MaintenanceNotice::*;
        match self {
            Entered { by } => write!(f, "Maintenance mode on ({by}): membership goes on, resources are left as they are (no takeover, no monitor restarts, no failback)"),
            Left { by, groups } => write!(f, "Maintenance mode off ({by}): probing {groups} resource groups before the rules apply again"),
            NoTakeover { peer } => write!(f, "Maintenance mode: {peer} is dead, but nothing is taken over"),
            MonitorIgnored { group } => write!(f, "Maintenance mode: monitor of resource group {group} failed; not restarting it"),
            Probed { group, found: Found::Running } => write!(f, "Probe: resource group {group} runs here; adopted"),
            Probed { group, found: Found::Stopped } => write!(f, "Probe: resource group {group} does not run here"),
            Probed { group, found: Found::Partly(e) } => write!(f, "Probe: resource group {group} runs here only in part ({e})"),
            Settled => f.write_str("Maintenance mode left: every resource group probed; the rules apply again"),
            ShutdownLeavesResources => f.write_str("Maintenance mode: stopping heartbeat leaves every resource running"),
        }
    }
}

impl Ownership {
    /// Whether the rules are suspended: maintenance is on here, our probes
    /// after leaving are not all in, or the peer is in maintenance or still
    /// settling.
    pub fn hands_off(&self) -> bool {
        self.maintenance.on
            || self.probing.iter().any(|p| *p)
            || self
                .live()
                .and_then(|r| r.maintenance)
                .is_some_and(|m| m.flag.on || m.settling)
    }

    pub fn maintenance(&self) -> Maintenance {
        self.maintenance
    }

    pub fn maintenance_state(&self) -> MaintenanceState {
        if self.maintenance.on {
            MaintenanceState::On
        } else if self.hands_off() {
            MaintenanceState::Settling
        } else {
            MaintenanceState::Off
        }
    }

    /// The report's `mnt` field; none until maintenance was ever used, so
    /// reports stay what they were.
    pub(super) fn maintenance_report(&self) -> Option<MaintenanceReport> {
        (self.maintenance.serial > 0).then(|| MaintenanceReport {
            flag: self.maintenance,
            settling: self.probing.iter().any(|p| *p),
        })
    }

    /// At start: what was persisted. In maintenance, every group is probed
    /// so what runs is adopted, not left unaccounted for.
    pub(super) fn start_maintenance(&mut self, flag: Maintenance) {
        self.maintenance = flag;
        if flag.on {
            self.probe_all();
        }
    }

    pub(super) fn on_maintenance_request(&mut self, on: bool, out: &mut Vec<Output>) {
        if self.maintenance.on == on {
            let word = if on { "on" } else { "off" };
            return answer(out, true, Outcome::MaintenanceAlready { word });
        }
        if self.shutting_down {
            return out.push(Output::Refused(
                Refusal::MaintenanceShuttingDown.to_string(),
            ));
        }
        let peer_serial = (self.peer_view.as_ref())
            .and_then(|v| v.report.maintenance)
            .map_or(0, |m| m.flag.serial);
        let serial = self.maintenance.serial.max(peer_serial) + 1;
        self.change_maintenance(Maintenance { on, serial }, ChangedBy::Operator, out);
        if on {
            answer(out, true, Outcome::MaintenanceOn);
        } else {
            // Answered once every probe is in (`finish_probes`).
            self.maintenance_request = true;
            self.finish_probes(out);
        }
    }

    /// Follow the peer's flag when it wins over ours.
    pub(super) fn follow_peer_maintenance(&mut self, out: &mut Vec<Output>) {
        let Some(theirs) = self.live().and_then(|r| r.maintenance) else {
            return;
        };
        if theirs.flag.wins_over(self.maintenance) {
            let by = ChangedBy::Peer(self.peer.clone());
            self.change_maintenance(theirs.flag, by, out);
        }
    }

    fn change_maintenance(&mut self, flag: Maintenance, by: ChangedBy, out: &mut Vec<Output>) {
        let was_on = self.maintenance.on;
        self.maintenance = flag;
        out.push(Output::MaintenanceChanged(flag));
        if flag.on == was_on {
            return;
        }
        if flag.on {
            // Nothing moves from here on: a pending failback or request
            // would never finish.
            self.failback_due = None;
            if self.request.take().is_some() {
                answer(out, false, Outcome::MaintenanceInterrupted);
            }
            notify_m(out, MaintenanceNotice::Entered { by });
        } else {
            let groups = self.groups.len();
            notify_m(out, MaintenanceNotice::Left { by, groups });
            self.probe_all();
        }
    }

    fn probe_all(&mut self) {
        self.probing = vec![true; self.groups.len()];
        for i in 0..self.groups.len() {
            self.pending
                .push(Output::Run(GroupIdx(i), ChainAction::Probe));
        }
    }

    /// A probe's result: adopt what runs; in maintenance leave the rest be,
    /// after it stop what runs only in part (its start would fail on it).
    pub(super) fn on_probed(
        &mut self,
        now: Instant,
        g: GroupIdx,
        result: Result<(), ChainFailure>,
        out: &mut Vec<Output>,
    ) {
        let Some(slot) = self.probing.get_mut(g.0) else {
            return;
        };
        *slot = false;
        let maintenance = self.maintenance.on;
        let grp = &mut self.groups[g.0];
        let found = match result {
            Ok(()) => {
                if grp.local != LocalState::Running {
                    set_state(
                        grp,
                        now,
                        LocalState::Running,
                        "found running by probe".into(),
                    );
                }
                grp.failed = false;
                Found::Running
            }
            Err(e) if e.still_running && maintenance => {
                set_state(
                    grp,
                    now,
                    LocalState::Running,
                    format!("partly running: {e}"),
                );
                Found::Partly(e)
            }
            Err(e) if e.still_running => {
                set_state(
                    grp,
                    now,
                    LocalState::Stopping,
                    format!("partly running: {e}"),
                );
                out.push(Output::Run(g, ChainAction::Stop));
                Found::Partly(e)
            }
            Err(_) => {
                if matches!(grp.local, LocalState::Running | LocalState::StopFailed) {
                    set_state(grp, now, LocalState::Stopped, "not running (probe)".into());
                }
                Found::Stopped
            }
        };
        let group = grp.id.clone();
        notify_m(out, MaintenanceNotice::Probed { group, found });
        self.finish_probes(out);
    }

    /// Once every probe after leaving is in: say so, answer the operator.
    fn finish_probes(&mut self, out: &mut Vec<Output>) {
        if self.maintenance.on || self.probing.iter().any(|p| *p) {
            return;
        }
        if std::mem::take(&mut self.maintenance_request) {
            notify_m(out, MaintenanceNotice::Settled);
            answer(out, true, Outcome::MaintenanceOff);
        } else if !self.probing.is_empty() {
            notify_m(out, MaintenanceNotice::Settled);
        }
        self.probing.clear();
    }
}

fn notify_m(out: &mut Vec<Output>, n: MaintenanceNotice) {
    notify(out, Notice::Maintenance(n));
}

fn answer(out: &mut Vec<Output>, ok: bool, outcome: Outcome) {
    let summary = outcome.to_string();
    out.push(Output::RequestDone { ok, summary });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_field_round_trips_and_refuses_garbage() {
        for (on, settling, text) in [
            (true, false, "3:on"),
            (false, false, "4:off"),
            (false, true, "5:settling"),
        ] {
            let serial = text[..1].parse().unwrap();
            let r = MaintenanceReport {
                flag: Maintenance { on, serial },
                settling,
            };
            assert_eq!(r.field(), text);
            assert_eq!(MaintenanceReport::parse(text), Some(r));
        }
        for bad in ["", "on", "+1:on", "1:maybe", ":on"] {
            assert_eq!(MaintenanceReport::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_higher_serial_wins_and_a_tie_goes_to_on() {
        let m = |on, serial| Maintenance { on, serial };
        assert!(m(false, 2).wins_over(m(true, 1)));
        assert!(m(true, 2).wins_over(m(false, 2)));
        assert!(!m(false, 2).wins_over(m(true, 2)));
        assert!(!m(true, 2).wins_over(m(true, 2)));
    }
}
