//! Who holds which resource group: startup placement, takeover when the peer
//! dies, standby/takeover requests, auto_failback, ping-reach handover,
//! monitor failures and conflict resolution after a partition heals.
//!
//! A pure state machine (sans-IO): inputs carry `now`, outputs are actions
//! the daemon performs and whose results come back as inputs. It must never
//! touch a socket, a process, the clock or a runtime.
//!
//! The protocol keeps the original's words but not its messages. Each node
//! reports, per group, whether it holds it, whether it yields it to the
//! peer, and the group's epoch; every report carries a version and the
//! last peer version seen (the ack). A node starts a group only when the
//! peer's latest report says the peer does not hold it **and** acks our
//! current version, i.e. the peer had already seen everything we decided.
//! Two nodes that can talk therefore never both start a group. When they
//! could not talk (a partition, a frozen node) and both hold a group, the
//! lower epoch (then the non-preferred node) stops it, and the winner
//! re-announces it — never both stop.
//!
//! Contract with the daemon:
//! * membership events become `PeerUp`/`PeerDead`; every verified `t=hbrsc`
//!   message becomes `PeerReport(Report::from_fields(..), sender generation)`;
//! * on `Output::SendReport` send [`Ownership::report`] at once, and send it
//!   with every keepalive too (lost reports are repaired that way);
//! * `Start`/`Stop`/`Restart` run the chain and answer with `Started` /
//!   `Stopped` (a `Restart` is answered by `Started`, or by `Stopped(Err)` if
//!   its stop half failed hard); `Reannounce` re-runs the chain's start and
//!   needs no answer;
//! * `Tick` regularly (each keepalive) and at [`Ownership::next_deadline`];
//! * after `ShutdownComplete`, send the final report, then `shutdone`.
//!
//! This file holds the types, the entry points (`new`, `handle`, `report`)
//! and the helpers every rule uses; `view.rs` what status shows of it. The rest: `inputs.rs`
//! (membership, chain and monitor results), `requests.rs` (standby,
//! takeover, shutdown), `evaluate.rs` (the rules), `notice.rs` (every
//! word ownership logs), `answer.rs` (every word an operator request gets
//! back), `report.rs` (the `t=hbrsc` report), `sim/` (the simulator,
//! test only).

mod answer;
mod evaluate;
mod inputs;
mod maintenance;
mod notice;
mod report;
mod requests;
#[cfg(test)]
mod sim;
mod view;

pub use answer::{Outcome, Refusal};
pub use maintenance::{
    ChangedBy, Found, Maintenance, MaintenanceNotice, MaintenanceReport, MaintenanceState,
};
pub use notice::{Busy, GroupFailure, Level, Notice, StartReason};
pub use view::{GroupView, Holder, LocalState, RscStatus};

pub use report::{
    Generation, GroupReport, ReplyState, Report, ReportError, RequestReply, RscHold,
    StandbyRequest, Which,
};

pub use crate::action::{ChainAction, ChainFailure};
use crate::config::{AutoFailback, GroupId, MonitorPolicy, NodeName};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Position of a group in haresources order (both nodes share the order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupIdx(pub usize);

/// How long a takeover request waits for any answer from the peer.
pub const REQUEST_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct OwnershipConfig {
    pub me: NodeName,
    pub peer: NodeName,
    /// Our incarnation; the peer echoes it in its acks.
    pub generation: Generation,
    /// In haresources order: id, preferred node, optional local monitor.
    pub groups: Vec<(GroupId, NodeName, Option<MonitorPolicy>)>,
    pub auto_failback: AutoFailback,
    pub failback_delay: Duration,
    /// As persisted by the daemon.
    pub maintenance: Maintenance,
}

/// Why membership gave up on the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadCause {
    /// Silent for its dead interval.
    Dead,
    /// Never heard within initdead.
    InitDead,
    /// It announced a clean shutdown.
    Shutdown,
}

#[derive(Clone, Debug)]
pub enum Input {
    PeerUp {
        since: Instant,
    },
    PeerDead {
        cause: DeadCause,
    },
    PeerReport(Report, Generation),
    /// Answer to `Start` or `Restart`; an error means the chain already
    /// rolled back and nothing of the group runs here.
    Started(GroupIdx, Result<(), ChainFailure>),
    /// Answer to `Stop` (or to the stop half of a `Restart`).
    Stopped(GroupIdx, Result<(), ChainFailure>),
    Standby(Which),
    Takeover(Which),
    Shutdown,
    /// Ping nodes reachable from here.
    Reach {
        local: u32,
    },
    MonitorFailed(GroupIdx),
    /// Operator: maintenance mode on or off.
    Maintenance(bool),
    /// Answer to `Probe`.
    Probed(GroupIdx, Result<(), ChainFailure>),
    Tick,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Run this chain action on the group; its result comes back as
    /// `Started` or `Stopped` (`Reannounce` needs no answer).
    Run(GroupIdx, ChainAction),
    /// Send [`Ownership::report`] now.
    SendReport,
    /// Tell the operator (the daemon logs it at its level).
    Notice(Notice),
    /// An operator request that was not accepted, and why.
    Refused(String),
    RequestDone {
        ok: bool,
        summary: String,
    },
    /// Every group is stopped, except `stop_failed` (which stay held);
    /// the peer took what was handed over, except `not_taken` (which now
    /// run nowhere: the peer gave them back, or did not start them in
    /// time).
    ShutdownComplete {
        stop_failed: Vec<GroupId>,
        not_taken: Vec<GroupId>,
    },
    /// The maintenance flag changed: persist it.
    MaintenanceChanged(Maintenance),
}

/// Why we give a group to the peer; decides when the yield is withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YieldCause {
    Standby,
    Failback,
    Conflict,
    Reach,
    /// Start or monitor failure: kept until an operator takeover or the
    /// peer's death clears `failed`.
    Failed,
    Shutdown,
}

#[derive(Clone, Debug)]
struct Group {
    id: GroupId,
    preferred_here: bool,
    monitor: Option<MonitorPolicy>,
    local: LocalState,
    yield_: Option<YieldCause>,
    failed: bool,
    epoch: u64,
    since: Instant,
    cause: String,
    /// Monitor-driven restarts still inside the policy window.
    restarts: VecDeque<Instant>,
    /// We won a conflict and re-announce once the peer lets go.
    reannounce: bool,
    conflict_logged: bool,
    down_logged: bool,
}

impl Group {
    fn holds(&self) -> bool {
        self.local != LocalState::Stopped
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PeerStatus {
    Unknown,
    Up { since: Instant },
    Dead { cause: DeadCause },
}

#[derive(Clone, Debug)]
struct PeerView {
    generation: Generation,
    report: Report,
    /// Received since the peer was last declared dead; a stale view is kept
    /// for acks and epochs but never acted upon.
    fresh: bool,
}

#[derive(Clone, Debug)]
enum RequestKind {
    Standby,
    /// `id` is 0 when the peer was not up and no question was asked.
    Takeover {
        id: u64,
        asked_at: Instant,
    },
}

#[derive(Clone, Debug)]
struct OwnRequest {
    kind: RequestKind,
    which: Which,
    groups: Vec<usize>,
}

/// The last standby request of the peer we handled.
#[derive(Clone, Debug)]
struct Serving {
    id: u64,
    groups: Vec<usize>,
    state: ReplyState,
}

/// The versioned part of a report (everything but the acks).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Content {
    groups: Vec<GroupReport>,
    reach: u32,
    standby_request: Option<StandbyRequest>,
    reply: Option<RequestReply>,
    rsc_hold: RscHold,
    maintenance: Option<MaintenanceReport>,
}

#[derive(Debug)]
pub struct Ownership {
    me: NodeName,
    peer: NodeName,
    generation: Generation,
    groups: Vec<Group>,
    auto_failback: AutoFailback,
    failback_delay: Duration,
    peer_status: PeerStatus,
    peer_view: Option<PeerView>,
    /// Highest epoch the peer ever reported per group (kept across its
    /// death so our next epoch is above anything it may still hold).
    peer_epochs: Vec<u64>,
    version: u64,
    content: Content,
    reach: u32,
    /// Whether the daemon reported a measurement yet.
    reach_known: bool,
    reach_lower: bool,
    /// The [`Notice::CutOff`] was logged for the current stretch.
    cut_off_logged: bool,
    request: Option<OwnRequest>,
    next_request_id: u64,
    serving: Option<Serving>,
    failback_due: Option<Instant>,
    shutting_down: bool,
    shutdown_reported: bool,
    /// At shutdown: the groups held here then, which the peer should take.
    handed_over: Vec<bool>,
    /// When everything was stopped here and the wait for the peer began.
    handover_since: Option<Instant>,
    /// `now` of the last input, so deadlines already acted upon are not
    /// offered again.
    last_now: Instant,
    mismatch_logged: bool,
    pending: Vec<Output>,
    maintenance: Maintenance,
    /// Groups whose probe is not in yet (at a start in maintenance, and
    /// after leaving it); empty otherwise.
    probing: Vec<bool>,
    /// An operator's `maintenance off` waits for the probes.
    maintenance_request: bool,
}

fn notify(out: &mut Vec<Output>, notice: Notice) {
    out.push(Output::Notice(notice));
}

impl Ownership {
    pub fn new(cfg: OwnershipConfig, now: Instant) -> Self {
        let groups: Vec<Group> = cfg
            .groups
            .into_iter()
            .map(|(id, preferred, monitor)| Group {
                id,
                preferred_here: preferred == cfg.me,
                monitor,
                local: LocalState::Stopped,
                yield_: None,
                failed: false,
                epoch: 0,
                since: now,
                cause: "daemon start".to_string(),
                restarts: VecDeque::new(),
                reannounce: false,
                conflict_logged: false,
                down_logged: false,
            })
            .collect();
        let mut pending = Vec::new();
        if cfg.auto_failback == AutoFailback::Legacy {
            notify(&mut pending, Notice::LegacyAutoFailback);
        }
        let n = groups.len();
        let mut me = Ownership {
            me: cfg.me,
            peer: cfg.peer,
            generation: cfg.generation,
            groups,
            auto_failback: cfg.auto_failback,
            failback_delay: cfg.failback_delay,
            peer_status: PeerStatus::Unknown,
            peer_view: None,
            peer_epochs: vec![0; n],
            version: 1,
            content: Content {
                groups: Vec::new(),
                reach: 0,
                standby_request: None,
                reply: None,
                rsc_hold: RscHold::None,
                maintenance: None,
            },
            reach: 0,
            reach_known: false,
            reach_lower: false,
            cut_off_logged: false,
            request: None,
            next_request_id: 1,
            serving: None,
            failback_due: None,
            shutting_down: false,
            shutdown_reported: false,
            handed_over: Vec::new(),
            handover_since: None,
            last_now: now,
            mismatch_logged: false,
            pending,
            maintenance: Maintenance::default(),
            probing: Vec::new(),
            maintenance_request: false,
        };
        me.start_maintenance(cfg.maintenance);
        me.content = me.current_content();
        me
    }

    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Output> {
        let mut out = std::mem::take(&mut self.pending);
        let mut send = false;
        self.last_now = now;
        match input {
            Input::PeerUp { since } => send |= self.on_peer_up(now, since, &mut out),
            Input::PeerDead { cause } => self.on_peer_dead(cause, &mut out),
            Input::PeerReport(report, generation) => {
                send |= self.on_peer_report(now, report, generation, &mut out)
            }
            Input::Started(g, result) => self.on_started(now, g, result, &mut out),
            Input::Stopped(g, result) => self.on_stopped(now, g, result, &mut out),
            Input::Standby(which) => self.on_standby(which, &mut out),
            Input::Takeover(which) => self.on_takeover(now, which, &mut out),
            Input::Shutdown => self.on_shutdown(now, &mut out),
            Input::Reach { local } => {
                self.reach = local;
                self.reach_known = true;
            }
            Input::MonitorFailed(g) => self.on_monitor_failed(now, g, &mut out),
            Input::Maintenance(on) => self.on_maintenance_request(on, &mut out),
            Input::Probed(g, result) => self.on_probed(now, g, result, &mut out),
            Input::Tick => {}
        }
        self.follow_peer_maintenance(&mut out);
        // A change made by the input itself (a start finished) is caught
        // by evaluate's first refresh: send it too, not a second later.
        send |= self.evaluate(now, &mut out);
        if self.refresh_version() || send {
            out.push(Output::SendReport);
        }
        // Probes asked for on the way (maintenance left).
        out.append(&mut self.pending);
        out
    }

    /// What to send the peer now (also with every keepalive).
    pub fn report(&self) -> Report {
        let (ack, ack_gen) = match &self.peer_view {
            Some(v) => (v.report.version, v.generation),
            None => (0, Generation(0)),
        };
        let c = &self.content;
        Report {
            version: self.version,
            ack,
            ack_gen,
            groups: c.groups.clone(),
            reach: c.reach,
            standby_request: c.standby_request,
            reply: c.reply,
            rsc_hold: c.rsc_hold,
            maintenance: c.maintenance,
        }
    }

    /// When to send the next `Tick` at the latest (besides regular ticks).
    pub fn next_deadline(&self) -> Option<Instant> {
        let reply = match &self.request {
            Some(OwnRequest {
                kind: RequestKind::Takeover { id, asked_at },
                ..
            }) if *id != 0 => Some(*asked_at + REQUEST_REPLY_TIMEOUT),
            _ => None,
        };
        // A failback that came due while resources were busy waits for
        // their results, which arrive as inputs anyway.
        let failback = self.failback_due.filter(|&t| t > self.last_now);
        let handover = (self.handover_since)
            .filter(|_| !self.shutdown_reported)
            .map(|t| t + REQUEST_REPLY_TIMEOUT);
        [failback, reply, handover].into_iter().flatten().min()
    }

    /// A reload changed auto_failback or its delay: from the next arming.
    pub fn set_failback(&mut self, auto_failback: AutoFailback, delay: Duration) {
        self.auto_failback = auto_failback;
        self.failback_delay = delay;
    }

    /// A reload changed a group's monitor policy.
    pub fn set_monitor(&mut self, g: GroupIdx, policy: Option<MonitorPolicy>) {
        if let Some(grp) = self.groups.get_mut(g.0) {
            grp.monitor = policy;
        }
    }

    // ----- helpers for every rule -----

    /// The peer's latest report, if the peer is up and the report was
    /// received since it came (back) up: the only view rules act on.
    fn live(&self) -> Option<&Report> {
        match &self.peer_view {
            Some(v) if v.fresh && self.peer_is_up() => Some(&v.report),
            _ => None,
        }
    }

    fn peer_is_up(&self) -> bool {
        matches!(self.peer_status, PeerStatus::Up { .. })
    }

    /// The peer's view of group `g`, while the peer is up.
    fn peer_group(&self, g: usize) -> Option<GroupReport> {
        self.live().map(|r| r.groups[g])
    }

    /// The peer's latest report was sent after it had seen our current
    /// state: the precondition of every start and conflict decision.
    fn peer_acked_current(&self) -> bool {
        self.live()
            .is_some_and(|r| r.ack == self.version && r.ack_gen == self.generation)
    }

    fn serving_in_progress(&self) -> bool {
        self.serving
            .as_ref()
            .is_some_and(|s| s.state == ReplyState::Accepted)
    }

    fn rsc_hold(&self) -> RscHold {
        let local = self.groups.iter().any(|g| g.holds() && g.preferred_here);
        let foreign = self.groups.iter().any(|g| g.holds() && !g.preferred_here);
        RscHold::from_bits(local, foreign)
    }

    fn current_content(&self) -> Content {
        let standby_request = match &self.request {
            Some(OwnRequest {
                kind: RequestKind::Takeover { id, .. },
                which,
                ..
            }) if *id != 0 => Some(StandbyRequest {
                id: *id,
                which: which.mirrored(),
            }),
            _ => None,
        };
        // Answer only the request the peer still shows.
        let asked = self
            .peer_view
            .as_ref()
            .and_then(|v| v.report.standby_request)
            .map(|r| r.id);
        let reply = self
            .serving
            .as_ref()
            .filter(|s| Some(s.id) == asked)
            .map(|s| RequestReply {
                id: s.id,
                state: s.state,
            });
        Content {
            groups: self
                .groups
                .iter()
                .map(|g| GroupReport {
                    holds: g.holds(),
                    yield_: g.yield_.is_some(),
                    epoch: g.epoch,
                    starting: g.local == LocalState::Starting,
                })
                .collect(),
            reach: self.reach,
            standby_request,
            reply,
            rsc_hold: self.rsc_hold(),
            maintenance: self.maintenance_report(),
        }
    }

    /// Bumps the version if the report content changed; true if it did.
    fn refresh_version(&mut self) -> bool {
        let c = self.current_content();
        if c == self.content {
            return false;
        }
        self.content = c;
        self.version += 1;
        true
    }
}

fn set_state(g: &mut Group, now: Instant, state: LocalState, cause: String) {
    g.local = state;
    g.since = now;
    g.cause = cause;
}
