//! Health checks (heartbeat.toml's `[[check]]`): when each check is due,
//! its rise/fall state machine, and what a change means for its group.
//! The driver runs a due check at the I/O edge (`daemon/checks.rs`) and
//! feeds its result back as [`Input::CheckDone`](super::Input::CheckDone);
//! everything decided about it is decided here.
//!
//! keepalived's semantics: a healthy check becomes failing after `fall`
//! consecutive failures and healthy again after `rise` consecutive
//! successes, so one slow answer moves nothing. A check that becomes
//! failing is a monitor failure of its group: ownership restarts the group
//! here within its restart policy, then moves it — the path ha.cf's
//! `monitor` takes. Only the node running a group checks it.

use super::node::Node;
use super::{Effect, GroupSpec, HookEvent, NodeConfig, Notice};
use crate::config::{CheckConfig, GroupId, MonitorPolicy};
use crate::ownership::{self, GroupIdx, Level, LocalState};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Instant;

/// A check, by its position in heartbeat.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckIdx(pub usize);

/// What one run of a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    pub ok: bool,
    /// What it saw, in a few words ("status 500, expected 200").
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Its group does not run here: not checked.
    Idle,
    Healthy,
    Failing,
}

/// What a result changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Unchanged,
    /// Healthy → failing (`fall` failures in a row).
    Failed,
    /// Failing still, `fall` more failures in a row (after a restart).
    StillFailing,
    /// Failing → healthy (`rise` successes in a row).
    Recovered,
}

/// The rise/fall counters of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiseFall {
    pub health: Health,
    pub successes: u32,
    pub failures: u32,
}

impl RiseFall {
    pub const IDLE: RiseFall = RiseFall {
        health: Health::Idle,
        successes: 0,
        failures: 0,
    };

    /// Count one result.
    pub fn record(&mut self, ok: bool, rise: u32, fall: u32) -> Verdict {
        if ok {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
        }
        match (self.health, ok) {
            (Health::Failing, true) if self.successes >= rise => {
                self.health = Health::Healthy;
                Verdict::Recovered
            }
            (Health::Healthy | Health::Idle, false) if self.failures >= fall => {
                self.health = Health::Failing;
                Verdict::Failed
            }
            (Health::Failing, false) if self.failures.is_multiple_of(fall) => Verdict::StillFailing,
            _ => Verdict::Unchanged,
        }
    }
}

#[derive(Clone, Debug)]
struct Slot {
    spec: CheckConfig,
    group: GroupIdx,
    state: RiseFall,
    /// Bumped on every arm and disarm: a result from before is stale.
    epoch: u64,
    next_run: Option<Instant>,
    in_flight: bool,
    last: Option<(Instant, CheckOutcome)>,
}

/// Every check of the node and its schedule.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    slots: Vec<Slot>,
}

impl Checks {
    /// `groups`: the group ids in haresources order (a check of a group
    /// that is not there is left out; `heartbeat check` refuses it).
    pub fn new(specs: &[CheckConfig], groups: &[GroupId]) -> Checks {
        let slots = specs
            .iter()
            .filter_map(|spec| {
                let g = groups.iter().position(|id| *id == spec.group)?;
                Some(Slot {
                    spec: spec.clone(),
                    group: GroupIdx(g),
                    state: RiseFall::IDLE,
                    epoch: 0,
                    next_run: None,
                    in_flight: false,
                    last: None,
                })
            })
            .collect();
        Checks { slots }
    }

    /// The group started (or restarted) here: check it from one interval
    /// on, the counts afresh. A check failing before a restart stays
    /// failing until `rise` successes say otherwise.
    pub fn arm(&mut self, g: GroupIdx, now: Instant) {
        for s in self.slots.iter_mut().filter(|s| s.group == g) {
            s.epoch += 1;
            s.in_flight = false;
            s.next_run = Some(now + s.spec.interval);
            s.state.successes = 0;
            s.state.failures = 0;
            if s.state.health == Health::Idle {
                s.state.health = Health::Healthy;
            }
        }
    }

    /// No more runs until the next [`arm`](Self::arm), results under way
    /// ignored; the state stays (a restart is under way).
    pub fn pause(&mut self, g: GroupIdx) {
        for s in self.slots.iter_mut().filter(|s| s.group == g) {
            s.epoch += 1;
            s.in_flight = false;
            s.next_run = None;
        }
    }

    /// The group no longer runs here.
    pub fn disarm(&mut self, g: GroupIdx) {
        self.pause(g);
        for s in self.slots.iter_mut().filter(|s| s.group == g) {
            s.state = RiseFall::IDLE;
        }
    }

    /// The checks due now, each marked as running, with its epoch.
    pub fn due(&mut self, now: Instant) -> Vec<(CheckIdx, u64, CheckConfig)> {
        let mut due = Vec::new();
        for (i, s) in self.slots.iter_mut().enumerate() {
            if !s.in_flight && s.next_run.is_some_and(|t| t <= now) {
                s.in_flight = true;
                due.push((CheckIdx(i), s.epoch, s.spec.clone()));
            }
        }
        due
    }

    /// The next check due (a running one answers as an input anyway).
    pub fn next_deadline(&self) -> Option<Instant> {
        (self.slots.iter())
            .filter(|s| !s.in_flight)
            .filter_map(|s| s.next_run)
            .min()
    }

    /// A result: the next run is one interval on. `None` for a stale one.
    fn done(
        &mut self,
        now: Instant,
        c: CheckIdx,
        epoch: u64,
        outcome: CheckOutcome,
    ) -> Option<(GroupIdx, Verdict)> {
        let s = self.slots.get_mut(c.0).filter(|s| s.epoch == epoch)?;
        s.in_flight = false;
        s.next_run = Some(now + s.spec.interval);
        let verdict = s.state.record(outcome.ok, s.spec.rise, s.spec.fall);
        s.last = Some((now, outcome));
        Some((s.group, verdict))
    }

    pub fn report(&self, now: Instant) -> Vec<CheckStatus> {
        (self.slots.iter())
            .map(|s| CheckStatus {
                name: s.spec.name.clone(),
                group: s.spec.group.to_string(),
                kind: s.spec.kind.word().to_string(),
                target: s.spec.kind.target(),
                health: s.state.health,
                successes: s.state.successes,
                failures: s.state.failures,
                rise: s.spec.rise,
                fall: s.spec.fall,
                last_result: s.last.as_ref().map(|(_, o)| o.text.clone()),
                last_ok: s.last.as_ref().map(|(_, o)| o.ok),
                last_run_secs_ago: (s.last.as_ref())
                    .map(|(t, _)| now.saturating_duration_since(*t).as_secs_f64()),
            })
            .collect()
    }
}

/// One check in `heartbeat status --json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckStatus {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub target: String,
    pub health: Health,
    /// Consecutive successes and failures, as rise and fall count them.
    pub successes: u32,
    pub failures: u32,
    pub rise: u32,
    pub fall: u32,
    pub last_result: Option<String>,
    pub last_ok: Option<bool>,
    pub last_run_secs_ago: Option<f64>,
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let health = match self.health {
            Health::Idle => "idle (its group does not run here)",
            Health::Healthy => "healthy",
            Health::Failing => "FAILING",
        };
        write!(
            f,
            "check {} ({} {}, group {}): {health}, {} ok / {} failed in a row (rise {}, fall {})",
            self.name,
            self.kind,
            self.target,
            self.group,
            self.successes,
            self.failures,
            self.rise,
            self.fall
        )?;
        if let (Some(r), Some(ago)) = (&self.last_result, self.last_run_secs_ago) {
            write!(f, "; last {ago:.1}s ago: {r}")?;
        }
        Ok(())
    }
}

/// What the node says when a check changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckNotice {
    pub check: String,
    pub group: GroupId,
    pub verdict: Verdict,
    pub result: String,
}

impl CheckNotice {
    pub fn level(&self) -> Level {
        match self.verdict {
            Verdict::Recovered | Verdict::Unchanged => Level::Info,
            Verdict::Failed | Verdict::StillFailing => Level::Warn,
        }
    }
}

impl fmt::Display for CheckNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (check, group, result) = (&self.check, &self.group, &self.result);
        match self.verdict {
            Verdict::Failed => write!(
                f,
                "Check {check} of resource group {group} failed: {result}"
            ),
            Verdict::StillFailing => {
                write!(
                    f,
                    "Check {check} of resource group {group} still fails: {result}"
                )
            }
            Verdict::Recovered => {
                write!(
                    f,
                    "Check {check} of resource group {group} recovered: {result}"
                )
            }
            Verdict::Unchanged => write!(f, "Check {check} of resource group {group}: {result}"),
        }
    }
}

impl NodeConfig {
    /// What ownership applies when `g` fails its monitor or a check:
    /// ha.cf's `monitor` policy, else heartbeat.toml's.
    pub fn restart_policy(&self, g: &GroupSpec) -> Option<MonitorPolicy> {
        (g.monitor.clone()).or_else(|| self.extensions.restart_policy(&g.id))
    }
}

impl Node {
    /// A reload: the new checks replace the old, those of groups running
    /// here armed afresh; restart policies follow.
    pub(super) fn reload_checks(&mut self, now: Instant, new: &NodeConfig) -> Vec<String> {
        let mut applied = Vec::new();
        for (i, g) in new.groups.iter().enumerate() {
            let policy = new.restart_policy(g);
            if policy != self.cfg.restart_policy(&self.cfg.groups[i]) {
                self.ownership.set_monitor(GroupIdx(i), policy);
                applied.push(format!("restart policy of resource group {}", g.id));
            }
        }
        if new.extensions.checks == self.cfg.extensions.checks {
            return applied;
        }
        let ids: Vec<GroupId> = new.groups.iter().map(|g| g.id.clone()).collect();
        self.checks = Checks::new(&new.extensions.checks, &ids);
        for (i, v) in self.ownership.groups().iter().enumerate() {
            if v.local_state == LocalState::Running {
                self.checks.arm(GroupIdx(i), now);
            }
        }
        applied.push(format!("{} health checks", new.extensions.checks.len()));
        applied
    }

    /// Start every check that is due (the caller skips this while hands
    /// are off, as for monitors).
    pub(super) fn run_due_checks(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        for (check, epoch, spec) in self.checks.due(now) {
            fx.push(Effect::RunCheck {
                check,
                epoch,
                spec: Box::new(spec),
            });
        }
    }

    pub(super) fn on_check_done(
        &mut self,
        now: Instant,
        (check, epoch): (CheckIdx, u64),
        outcome: CheckOutcome,
        fx: &mut Vec<Effect>,
    ) {
        let result = outcome.text.clone();
        let Some((g, verdict)) = self.checks.done(now, check, epoch, outcome) else {
            return;
        };
        // A group starting, stopping or restarting may well not answer:
        // such a result says nothing; a good start arms the checks again.
        if self.ownership.groups()[g.0].local_state != LocalState::Running {
            self.checks.pause(g);
            return;
        }
        if verdict == Verdict::Unchanged {
            return;
        }
        let name = self.checks.slots[check.0].spec.name.clone();
        let group = self.cfg.groups[g.0].id.clone();
        let notice = CheckNotice {
            check: name.clone(),
            group: group.clone(),
            verdict,
            result: result.clone(),
        };
        fx.push(Effect::Log(Notice::Check(notice)));
        let event = match verdict {
            Verdict::Failed => Some(HookEvent::CheckFailed),
            Verdict::Recovered => Some(HookEvent::CheckRecovered),
            _ => None,
        };
        if let Some(event) = event {
            fx.push(Effect::Notify {
                event,
                subject: format!("{group} {name}: {result}"),
            });
        }
        if matches!(verdict, Verdict::Failed | Verdict::StillFailing) {
            // The monitor's path: restart here within the policy, then move.
            self.ownership_input(now, ownership::Input::MonitorFailed(g), fx);
            self.send_report(now, fx);
        }
    }
}

#[cfg(test)]
mod tests;
