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

mod notice;
mod report;
#[cfg(test)]
mod sim;

pub use notice::{Busy, GroupFailure, Level, Notice, StartReason};

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
    /// Every group is stopped, except `stop_failed` (which stay held).
    ShutdownComplete {
        stop_failed: Vec<GroupId>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalState {
    Stopped,
    Starting,
    Running,
    Stopping,
    /// Reported as held forever: only an operator can know it is safe.
    StopFailed,
}

impl LocalState {
    fn in_transition(self) -> bool {
        matches!(self, LocalState::Starting | LocalState::Stopping)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Me,
    Peer,
    Nobody,
    Both,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    pub id: GroupId,
    pub holder: Holder,
    pub local_state: LocalState,
    pub since: Instant,
    pub cause: String,
}

/// `cl_status rscstatus` words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RscStatus {
    None,
    Local,
    Foreign,
    All,
    Transition,
}

impl RscStatus {
    pub fn word(self) -> &'static str {
        match self {
            RscStatus::None => "none",
            RscStatus::Local => "local",
            RscStatus::Foreign => "foreign",
            RscStatus::All => "all",
            RscStatus::Transition => "transition",
        }
    }
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
    request: Option<OwnRequest>,
    next_request_id: u64,
    serving: Option<Serving>,
    failback_due: Option<Instant>,
    shutting_down: bool,
    shutdown_reported: bool,
    /// `now` of the last input, so deadlines already acted upon are not
    /// offered again.
    last_now: Instant,
    mismatch_logged: bool,
    pending: Vec<Output>,
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
            },
            reach: 0,
            reach_known: false,
            reach_lower: false,
            request: None,
            next_request_id: 1,
            serving: None,
            failback_due: None,
            shutting_down: false,
            shutdown_reported: false,
            last_now: now,
            mismatch_logged: false,
            pending,
        };
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
            Input::Shutdown => self.on_shutdown(&mut out),
            Input::Reach { local } => {
                self.reach = local;
                self.reach_known = true;
            }
            Input::MonitorFailed(g) => self.on_monitor_failed(now, g, &mut out),
            Input::Tick => {}
        }
        self.evaluate(now, &mut out);
        if self.refresh_version() || send {
            out.push(Output::SendReport);
        }
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
        match (failback, reply) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn rsc_status(&self) -> RscStatus {
        let busy = self.groups.iter().any(|g| g.local.in_transition())
            || self.request.is_some()
            || self.serving_in_progress();
        if busy {
            return RscStatus::Transition;
        }
        match self.rsc_hold() {
            RscHold::None => RscStatus::None,
            RscHold::Local => RscStatus::Local,
            RscHold::Foreign => RscStatus::Foreign,
            RscHold::All => RscStatus::All,
        }
    }

    pub fn groups(&self) -> Vec<GroupView> {
        self.groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let peer_holds = self.peer_group(i).is_some_and(|p| p.holds);
                let holder = match (g.holds(), peer_holds) {
                    (true, true) => Holder::Both,
                    (true, false) => Holder::Me,
                    (false, true) => Holder::Peer,
                    (false, false) => Holder::Nobody,
                };
                GroupView {
                    id: g.id.clone(),
                    holder,
                    local_state: g.local,
                    since: g.since,
                    cause: g.cause.clone(),
                }
            })
            .collect()
    }

    // ----- inputs -----

    fn on_peer_up(&mut self, now: Instant, since: Instant, out: &mut Vec<Output>) -> bool {
        if matches!(self.peer_status, PeerStatus::Up { .. }) {
            return false;
        }
        let peer = self.peer.clone();
        notify(out, Notice::PeerUp { peer });
        self.peer_status = PeerStatus::Up { since };
        // Whatever arrived before may come from an incarnation that has
        // since gone (delayed packets): act only on what it says from now.
        if let Some(v) = &mut self.peer_view {
            v.fresh = false;
        }
        self.arm_failback(now, since);
        true
    }

    fn arm_failback(&mut self, now: Instant, since: Instant) {
        self.failback_due = match self.auto_failback {
            AutoFailback::Off => None,
            AutoFailback::On | AutoFailback::Legacy => Some(since.min(now) + self.failback_delay),
        };
    }

    fn on_peer_dead(&mut self, cause: DeadCause, out: &mut Vec<Output>) {
        if matches!(self.peer_status, PeerStatus::Dead { .. }) {
            return;
        }
        self.peer_status = PeerStatus::Dead { cause };
        self.failback_due = None;
        self.reach_lower = false;
        if let Some(v) = &mut self.peer_view {
            v.fresh = false;
        }
        if self.shutting_down {
            return;
        }
        let peer = self.peer.clone();
        notify(out, Notice::AcquiringFromDeadPeer { peer, cause });
        for g in &mut self.groups {
            // The peer can no longer take anything, and a group that failed
            // here deserves one more try now that nobody else can run it.
            g.yield_ = None;
            g.failed = false;
            g.reannounce = false;
            g.conflict_logged = false;
            g.down_logged = false;
        }
    }

    fn on_peer_report(
        &mut self,
        now: Instant,
        report: Report,
        generation: Generation,
        out: &mut Vec<Output>,
    ) -> bool {
        if report.groups.len() != self.groups.len() {
            if !self.mismatch_logged {
                self.mismatch_logged = true;
                let notice = Notice::GroupCountMismatch {
                    peer: self.peer.clone(),
                    theirs: report.groups.len(),
                    ours: self.groups.len(),
                };
                notify(out, notice);
            }
            return false;
        }
        let is_new = match &self.peer_view {
            None => true,
            Some(v) if generation < v.generation => return false,
            Some(v) if generation > v.generation => {
                let peer = self.peer.clone();
                notify(out, Notice::PeerRestarted { peer, generation });
                self.serving = None;
                if let PeerStatus::Up { .. } = self.peer_status {
                    self.arm_failback(now, now);
                }
                true
            }
            Some(v) => {
                // After the peer was declared dead even a repeat is news:
                // a frozen node resumes with the very report it last sent.
                let repeat = report.version == v.report.version
                    && (report.ack_gen, report.ack) <= (v.report.ack_gen, v.report.ack);
                if report.version < v.report.version || (repeat && v.fresh) {
                    return false;
                }
                report.version > v.report.version
            }
        };
        for (e, g) in self.peer_epochs.iter_mut().zip(&report.groups) {
            *e = (*e).max(g.epoch);
        }
        self.peer_view = Some(PeerView {
            generation,
            report,
            fresh: true,
        });
        is_new
    }

    fn on_started(
        &mut self,
        now: Instant,
        g: GroupIdx,
        result: Result<(), ChainFailure>,
        out: &mut Vec<Output>,
    ) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        if grp.local != LocalState::Starting {
            let group = grp.id.clone();
            notify(out, Notice::UnexpectedStarted { group });
            return;
        }
        match result {
            Ok(()) => {
                set_state(grp, now, LocalState::Running, "started".to_string());
                let group = grp.id.clone();
                notify(out, Notice::Running { group });
            }
            Err(e) => {
                self.mark_failed(now, g.0, GroupFailure::Start(e), out);
            }
        }
    }

    /// Shared by start and monitor failures: do not retry here, give the
    /// group to the peer. The caller has stopped (or will stop) the chain.
    fn mark_failed(
        &mut self,
        now: Instant,
        g: usize,
        failure: GroupFailure,
        out: &mut Vec<Output>,
    ) {
        let taker = self.peer_is_up().then(|| self.peer.clone());
        let grp = &mut self.groups[g];
        grp.failed = true;
        grp.yield_ = Some(YieldCause::Failed);
        if grp.local == LocalState::Starting {
            set_state(grp, now, LocalState::Stopped, failure.to_string());
        } else {
            grp.cause = failure.to_string();
        }
        let group = grp.id.clone();
        notify(
            out,
            Notice::Failed {
                group,
                failure,
                taker,
            },
        );
    }

    fn on_stopped(
        &mut self,
        now: Instant,
        g: GroupIdx,
        result: Result<(), ChainFailure>,
        out: &mut Vec<Output>,
    ) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        // A restart (local state Starting) may fail in its stop half.
        if !matches!(grp.local, LocalState::Stopping | LocalState::Starting) {
            let group = grp.id.clone();
            notify(out, Notice::UnexpectedStopped { group });
            return;
        }
        match result {
            Ok(()) if grp.local == LocalState::Stopping => {
                set_state(grp, now, LocalState::Stopped, "released".to_string());
                let group = grp.id.clone();
                notify(out, Notice::Released { group });
            }
            Ok(()) => {}
            Err(e) => {
                set_state(
                    grp,
                    now,
                    LocalState::StopFailed,
                    format!("stop failed: {e}"),
                );
                let notice = Notice::StopFailed {
                    group: grp.id.clone(),
                    failure: e,
                    peer: self.peer.clone(),
                };
                notify(out, notice);
            }
        }
    }

    /// Why a new operator request cannot run now, if it cannot.
    fn busy_reason(&self) -> Option<Busy> {
        if self.shutting_down {
            return Some(Busy::ShuttingDown);
        }
        if let Some(g) = self.groups.iter().find(|g| g.local.in_transition()) {
            return Some(Busy::InFlux {
                group: g.id.clone(),
                state: g.local,
            });
        }
        if self.request.is_some() || self.serving_in_progress() {
            return Some(Busy::RequestRunning);
        }
        None
    }

    fn on_standby(&mut self, which: Which, out: &mut Vec<Output>) {
        if let Some(why) = self.busy_reason() {
            out.push(Output::Refused(format!("standby [{which}] refused: {why}")));
            return;
        }
        if self.live().is_none() {
            out.push(Output::Refused(format!(
                "standby [{which}] refused: {} is not up, nobody could take the resources",
                self.peer
            )));
            return;
        }
        notify(out, Notice::GoingStandby { which });
        // An operator placed the groups: auto_failback must not undo it.
        self.failback_due = None;
        let (groups, kept_none) = self.yield_for_standby(which, out);
        if groups.is_empty() {
            out.push(Output::RequestDone {
                ok: kept_none,
                summary: format!("standby [{which}]: nothing to give to {}", self.peer),
            });
            return;
        }
        self.request = Some(OwnRequest {
            kind: RequestKind::Standby,
            which,
            groups,
        });
    }

    /// Yields the selected groups the peer can take, telling which it gets
    /// and which we keep; returns the yielded ones, and whether none was
    /// kept. Shared by our standby and the one the peer asks for.
    fn yield_for_standby(&mut self, which: Which, out: &mut Vec<Output>) -> (Vec<usize>, bool) {
        let (groups, kept) = self.release_selection(which);
        for &g in &kept {
            let group = self.groups[g].id.clone();
            let peer = self.peer.clone();
            notify(out, Notice::StandbyKeeps { group, peer });
        }
        if !groups.is_empty() {
            let peer = self.peer.clone();
            notify(out, Notice::StandbyGives { peer, which });
        }
        for &g in &groups {
            self.groups[g].yield_ = Some(YieldCause::Standby);
        }
        (groups, kept.is_empty())
    }

    /// The selected groups we hold and the peer can take, and those we
    /// keep because the peer would not start them (it failed them, or it
    /// reaches fewer ping nodes).
    fn release_selection(&self, which: Which) -> (Vec<usize>, Vec<usize>) {
        let mut give = Vec::new();
        let mut keep = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            if g.local != LocalState::Running || !which.selects(g.preferred_here) {
                continue;
            }
            if self.peer_can_take(i) {
                give.push(i);
            } else {
                keep.push(i);
            }
        }
        (give, keep)
    }

    fn peer_can_take(&self, g: usize) -> bool {
        let Some(r) = self.live() else { return false };
        let p = r.groups[g];
        // A peer that yields a group it does not hold has failed it.
        let refuses = p.yield_ && !p.holds;
        !refuses && r.reach >= self.reach
    }

    fn on_takeover(&mut self, now: Instant, which: Which, out: &mut Vec<Output>) {
        if let Some(why) = self.busy_reason() {
            out.push(Output::Refused(format!(
                "takeover [{which}] refused: {why}"
            )));
            return;
        }
        if self.peer_status == PeerStatus::Unknown {
            out.push(Output::Refused(format!(
                "takeover [{which}] refused: the state of {} is not known yet",
                self.peer
            )));
            return;
        }
        let groups: Vec<usize> = (0..self.groups.len())
            .filter(|&i| which.selects(self.groups[i].preferred_here))
            .collect();
        if groups.is_empty() {
            out.push(Output::RequestDone {
                ok: true,
                summary: format!("takeover [{which}]: no such resource groups configured"),
            });
            return;
        }
        self.failback_due = None;
        for &i in &groups {
            let g = &mut self.groups[i];
            // An operator takeover is the explicit "try again here".
            g.failed = false;
            g.down_logged = false;
            if g.local == LocalState::Stopped {
                g.yield_ = None;
            }
        }
        let id = if self.peer_is_up() {
            let id = self.next_request_id;
            self.next_request_id += 1;
            let peer = self.peer.clone();
            notify(out, Notice::TakeoverAsks { which, peer });
            id
        } else {
            let peer = self.peer.clone();
            notify(out, Notice::TakeoverDirect { which, peer });
            0
        };
        self.request = Some(OwnRequest {
            kind: RequestKind::Takeover { id, asked_at: now },
            which,
            groups,
        });
    }

    fn on_shutdown(&mut self, out: &mut Vec<Output>) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        notify(out, Notice::GivingUpAll);
        if self.request.take().is_some() {
            out.push(Output::RequestDone {
                ok: false,
                summary: "interrupted by heartbeat shutdown".to_string(),
            });
        }
        for g in &mut self.groups {
            if g.yield_ != Some(YieldCause::Failed) {
                g.yield_ = Some(YieldCause::Shutdown);
            }
            g.reannounce = false;
        }
    }

    fn on_monitor_failed(&mut self, now: Instant, g: GroupIdx, out: &mut Vec<Output>) {
        let Some(grp) = self.groups.get_mut(g.0) else {
            return;
        };
        if grp.local != LocalState::Running {
            return;
        }
        if let Some(policy) = grp.monitor.clone() {
            while grp
                .restarts
                .front()
                .is_some_and(|&t| now.duration_since(t) >= policy.window)
            {
                grp.restarts.pop_front();
            }
            if (grp.restarts.len() as u32) < policy.max_restarts {
                grp.restarts.push_back(now);
                let n = grp.restarts.len();
                set_state(
                    grp,
                    now,
                    LocalState::Starting,
                    format!("monitor failure, local restart {n}"),
                );
                let notice = Notice::MonitorRestart {
                    group: grp.id.clone(),
                    restart: n,
                    max: policy.max_restarts,
                    window: policy.window,
                };
                notify(out, notice);
                out.push(Output::Run(g, ChainAction::Restart));
                return;
            }
        }
        grp.restarts.clear();
        self.mark_failed(now, g.0, GroupFailure::MonitorExhausted, out);
    }

    // ----- the rules -----

    fn evaluate(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.live().is_some() && !self.shutting_down {
            self.settle_yields();
            self.resolve_conflicts(out);
            self.reannounce(out);
            self.follow_reach(out);
            self.serve_peer_request(out);
            self.fail_back(now, out);
        }
        self.release_yielded(now, out);
        // Starting is decided against the version the peer may have acked:
        // if anything changed above, the peer must see it first.
        self.refresh_version();
        self.start_what_we_may(now, out);
        self.log_groups_down(out);
        self.finish_serving(out);
        self.finish_request(now, out);
        self.finish_shutdown(out);
    }

    fn settle_yields(&mut self) {
        let reach = self.reach;
        let Some(r) = self.live().cloned() else {
            return;
        };
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if g.local != LocalState::Stopped {
                continue;
            }
            match g.yield_ {
                // Handover completed.
                Some(c) if c != YieldCause::Failed && p.holds => g.yield_ = None,
                // The peer will not take it (it failed it, or reaches fewer
                // ping nodes): withdraw, so the group does not stay down.
                Some(YieldCause::Standby | YieldCause::Failback | YieldCause::Conflict)
                    if !p.holds && (p.yield_ || r.reach < reach) =>
                {
                    g.yield_ = None
                }
                _ => {}
            }
        }
    }

    fn resolve_conflicts(&mut self, out: &mut Vec<Output>) {
        if !self.peer_acked_current() {
            return;
        }
        let Some(r) = self.live().cloned() else {
            return;
        };
        // With auto_failback the group ends on its preferred node anyway:
        // keeping it there now makes the heal one move instead of two.
        let failback = self.auto_failback != AutoFailback::Off;
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if !(g.holds() && p.holds) || g.local == LocalState::Stopping {
                continue;
            }
            let we_lose = if failback {
                !g.preferred_here
            } else {
                g.epoch < p.epoch || (g.epoch == p.epoch && !g.preferred_here)
            };
            if !g.conflict_logged {
                g.conflict_logged = true;
                let (loser, keeper) = if we_lose {
                    (&self.me, &self.peer)
                } else {
                    (&self.peer, &self.me)
                };
                let notice = Notice::Conflict {
                    group: g.id.clone(),
                    epoch_here: g.epoch,
                    epoch_peer: p.epoch,
                    peer: self.peer.clone(),
                    loser: loser.clone(),
                    keeper: keeper.clone(),
                };
                notify(out, notice);
            }
            if we_lose {
                // A pending handover (standby, failback, reach) waits for
                // conflicts to settle, so the conflict must take over its
                // yield; failures and shutdown stop the group anyway.
                if !matches!(g.yield_, Some(YieldCause::Failed | YieldCause::Shutdown)) {
                    g.yield_ = Some(YieldCause::Conflict);
                }
            } else {
                g.reannounce = true;
            }
        }
    }

    fn reannounce(&mut self, out: &mut Vec<Output>) {
        let Some(r) = self.live().cloned() else {
            return;
        };
        for (i, (g, p)) in self.groups.iter_mut().zip(&r.groups).enumerate() {
            if !p.holds {
                g.conflict_logged = false;
            }
            if g.reannounce && !p.holds && g.local == LocalState::Running {
                g.reannounce = false;
                if g.yield_.is_some() {
                    // About to be handed over: the peer will announce it.
                    continue;
                }
                let peer = self.peer.clone();
                let group = g.id.clone();
                notify(out, Notice::Reannouncing { peer, group });
                out.push(Output::Run(GroupIdx(i), ChainAction::Reannounce));
            }
        }
    }

    /// ipfail's rule, on edges only so a stable difference moves groups once.
    fn follow_reach(&mut self, out: &mut Vec<Output>) {
        // Before our own first measurement a count of 0 means "not yet
        // known", not "unreachable": never hand over on it.
        if !self.reach_known {
            return;
        }
        let Some(r) = self.live().cloned() else {
            return;
        };
        let peer_reach = r.reach;
        let lower = peer_reach > self.reach;
        if !lower {
            // Level, not edge: a group still stopping when reach recovered
            // must not stay yielded to a peer that may not take it.
            for g in &mut self.groups {
                if g.yield_ == Some(YieldCause::Reach) {
                    g.yield_ = None;
                }
            }
        }
        if lower == self.reach_lower {
            return;
        }
        self.reach_lower = lower;
        if lower {
            let notice = Notice::ReachLower {
                peer: self.peer.clone(),
                peer_reach,
                reach: self.reach,
            };
            notify(out, notice);
            for g in &mut self.groups {
                if g.yield_.is_none() {
                    g.yield_ = Some(YieldCause::Reach);
                }
            }
        } else {
            let notice = Notice::ReachRecovered {
                peer: self.peer.clone(),
                peer_reach,
                reach: self.reach,
            };
            notify(out, notice);
        }
    }

    fn serve_peer_request(&mut self, out: &mut Vec<Output>) {
        let Some(req) = self.live().and_then(|r| r.standby_request) else {
            return;
        };
        if self.serving.as_ref().is_some_and(|s| s.id == req.id) {
            return;
        }
        // A request of the peer is not ours: busy_reason must not see the
        // one we are replacing.
        self.serving = None;
        if let Some(busy) = self.busy_reason() {
            let notice = Notice::PeerStandbyIgnored {
                which: req.which,
                peer: self.peer.clone(),
                busy,
            };
            notify(out, notice);
            self.serving = Some(Serving {
                id: req.id,
                groups: Vec::new(),
                state: ReplyState::Refused,
            });
            return;
        }
        let peer = self.peer.clone();
        let which = req.which;
        notify(out, Notice::PeerWantsTakeover { peer, which });
        self.failback_due = None;
        let (groups, _) = self.yield_for_standby(which, out);
        self.serving = Some(Serving {
            id: req.id,
            groups,
            state: ReplyState::Accepted,
        });
    }

    fn fail_back(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(due) = self.failback_due else { return };
        if now < due || self.busy_reason().is_some() || !self.peer_acked_current() {
            return;
        }
        self.failback_due = None;
        let mut moved = Vec::new();
        for i in 0..self.groups.len() {
            let g = &self.groups[i];
            if g.local == LocalState::Running
                && !g.preferred_here
                && g.yield_.is_none()
                && self.peer_can_take(i)
            {
                moved.push(i);
            }
        }
        if moved.is_empty() {
            return;
        }
        let peer = self.peer.clone();
        let delay = self.failback_delay;
        notify(out, Notice::FailingBack { peer, delay });
        for i in moved {
            self.groups[i].yield_ = Some(YieldCause::Failback);
        }
    }

    /// Stop every running group we yield, whatever the reason.
    fn release_yielded(&mut self, now: Instant, out: &mut Vec<Output>) {
        let peer_holds: Vec<bool> = (0..self.groups.len())
            .map(|i| self.peer_group(i).is_some_and(|p| p.holds))
            .collect();
        for (i, g) in self.groups.iter_mut().enumerate() {
            let Some(cause) = g.yield_ else { continue };
            if g.local != LocalState::Running {
                continue;
            }
            // A handover while both hold the group (a conflict being
            // resolved) would stop it on both nodes: let the conflict settle
            // first. Failures and shutdown cannot wait.
            let handover = matches!(
                cause,
                YieldCause::Standby | YieldCause::Failback | YieldCause::Reach
            );
            if handover && peer_holds[i] {
                continue;
            }
            set_state(g, now, LocalState::Stopping, cause.to_string());
            let group = g.id.clone();
            notify(out, Notice::Releasing { group, cause });
            out.push(Output::Run(GroupIdx(i), ChainAction::Stop));
        }
    }

    /// The start rule (peer up) and the takeover rule (peer dead).
    fn start_what_we_may(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.shutting_down {
            return;
        }
        let acked = self.peer_acked_current();
        for i in 0..self.groups.len() {
            let Some(reason) = self.may_take(i) else {
                continue;
            };
            if self.peer_is_up() && !acked {
                continue;
            }
            let epoch = self.groups[i].epoch.max(self.peer_epochs[i]) + 1;
            let g = &mut self.groups[i];
            g.epoch = epoch;
            g.reannounce = false;
            set_state(g, now, LocalState::Starting, reason.to_string());
            let group = g.id.clone();
            notify(out, Notice::Starting { group, reason });
            out.push(Output::Run(GroupIdx(i), ChainAction::Start));
        }
    }

    /// Whether the start rule allows group `g` here, ignoring the ack; the
    /// reason for the log if so.
    fn may_take(&self, g: usize) -> Option<StartReason> {
        let grp = &self.groups[g];
        if self.shutting_down
            || grp.local != LocalState::Stopped
            || grp.failed
            || grp.yield_.is_some()
        {
            return None;
        }
        match self.peer_status {
            PeerStatus::Unknown => None,
            PeerStatus::Dead { cause } => Some(StartReason::PeerGone(cause)),
            PeerStatus::Up { .. } => {
                let r = self.live()?;
                let p = r.groups[g];
                if p.holds {
                    None
                } else if p.yield_ {
                    // Never grab a group given away over ping reach while
                    // we reach fewer ping nodes than the giver.
                    (self.reach >= r.reach).then(|| StartReason::PeerReleased(self.peer.clone()))
                } else if grp.preferred_here {
                    Some(StartReason::Preferred)
                } else {
                    None
                }
            }
        }
    }

    fn log_groups_down(&mut self, out: &mut Vec<Output>) {
        let Some(r) = self.live().cloned() else {
            return;
        };
        if !self.peer_is_up() {
            return;
        }
        for (g, p) in self.groups.iter_mut().zip(&r.groups) {
            if g.failed && !g.holds() && p.yield_ && !p.holds && !g.down_logged {
                g.down_logged = true;
                let group = g.id.clone();
                notify(out, Notice::DownEverywhere { group });
            }
        }
    }

    fn finish_serving(&mut self, out: &mut Vec<Output>) {
        let Some(s) = &self.serving else { return };
        if s.state != ReplyState::Accepted {
            return;
        }
        if s.groups
            .iter()
            .any(|&g| self.groups[g].local.in_transition())
        {
            return;
        }
        let failed = s
            .groups
            .iter()
            .any(|&g| self.groups[g].local == LocalState::StopFailed);
        let peer = self.peer.clone();
        notify(out, Notice::ServedPeerStandby { peer });
        if let Some(s) = &mut self.serving {
            s.state = if failed {
                ReplyState::Failed
            } else {
                ReplyState::Done
            };
        }
    }

    fn finish_request(&mut self, now: Instant, out: &mut Vec<Output>) {
        let Some(req) = &self.request else { return };
        let peer_up = self.peer_is_up();
        let done = match req.kind {
            RequestKind::Standby => self.standby_finished(req),
            RequestKind::Takeover { id, asked_at } => {
                let reply = self
                    .live()
                    .and_then(|r| r.reply)
                    .filter(|r| r.id == id)
                    .map(|r| r.state);
                match reply {
                    Some(ReplyState::Refused) => Some((
                        false,
                        format!(
                            "{} refused the takeover request: its resources are in flux",
                            self.peer
                        ),
                    )),
                    None if peer_up && now >= asked_at + REQUEST_REPLY_TIMEOUT => Some((
                        false,
                        format!(
                            "takeover [{}]: no answer from {} within {:?}",
                            req.which, self.peer, REQUEST_REPLY_TIMEOUT
                        ),
                    )),
                    Some(ReplyState::Done | ReplyState::Failed) => self.takeover_finished(req),
                    _ if !peer_up => self.takeover_finished(req),
                    _ => None,
                }
            }
        };
        if let Some((ok, summary)) = done {
            let notice = Notice::RequestFinished {
                ok,
                summary: summary.clone(),
            };
            notify(out, notice);
            self.request = None;
            out.push(Output::RequestDone { ok, summary });
        }
    }

    fn standby_finished(&self, req: &OwnRequest) -> Option<(bool, String)> {
        let peer_up = self.peer_is_up();
        let mut there = Vec::new();
        let mut stuck = Vec::new();
        let mut back = Vec::new();
        for &i in &req.groups {
            let g = &self.groups[i];
            let p = self.peer_group(i);
            match g.local {
                LocalState::StopFailed => stuck.push(g.id.0.as_str()),
                LocalState::Stopped if !peer_up => back.push(g.id.0.as_str()),
                LocalState::Stopped => match p {
                    Some(p) if p.holds => there.push(g.id.0.as_str()),
                    Some(p) if p.yield_ => back.push(g.id.0.as_str()),
                    _ => return None,
                },
                // Running again: the peer could not take it after all.
                LocalState::Running if g.yield_.is_none() => back.push(g.id.0.as_str()),
                _ => return None,
            }
        }
        let ok = stuck.is_empty() && back.is_empty();
        let summary = if ok {
            format!("{} resources now held by {}", req.which, self.peer)
        } else {
            summarize(&[
                (&format!("now held by {}", self.peer), &there),
                (&format!("{} could not take", self.peer), &back),
                ("failed to stop here", &stuck),
            ])
        };
        Some((ok, summary))
    }

    fn takeover_finished(&self, req: &OwnRequest) -> Option<(bool, String)> {
        let mut here = Vec::new();
        let mut there = Vec::new();
        let mut down = Vec::new();
        for &i in &req.groups {
            let g = &self.groups[i];
            if g.local.in_transition() || self.may_take(i).is_some() {
                return None;
            }
            match g.local {
                LocalState::Running => here.push(g.id.0.as_str()),
                _ if self.peer_group(i).is_some_and(|p| p.holds) => there.push(g.id.0.as_str()),
                _ => down.push(g.id.0.as_str()),
            }
        }
        let ok = there.is_empty() && down.is_empty();
        let summary = if ok {
            format!("{} resources now held by {}", req.which, self.me)
        } else {
            summarize(&[
                (&format!("now held by {}", self.me), &here),
                (&format!("still held by {}", self.peer), &there),
                ("down", &down),
            ])
        };
        Some((ok, summary))
    }

    fn finish_shutdown(&mut self, out: &mut Vec<Output>) {
        if !self.shutting_down || self.shutdown_reported {
            return;
        }
        if self.groups.iter().any(|g| {
            matches!(
                g.local,
                LocalState::Starting | LocalState::Running | LocalState::Stopping
            )
        }) {
            return;
        }
        self.shutdown_reported = true;
        let stop_failed: Vec<GroupId> = self
            .groups
            .iter()
            .filter(|g| g.local == LocalState::StopFailed)
            .map(|g| g.id.clone())
            .collect();
        if stop_failed.is_empty() {
            notify(out, Notice::AllRelinquished);
        } else {
            let groups = stop_failed.clone();
            notify(out, Notice::ShutdownStopFailed { groups });
        }
        out.push(Output::ShutdownComplete { stop_failed });
    }

    // ----- helpers -----

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
                })
                .collect(),
            reach: self.reach,
            standby_request,
            reply,
            rsc_hold: self.rsc_hold(),
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

fn summarize(parts: &[(&str, &Vec<&str>)]) -> String {
    parts
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(what, ids)| format!("{what}: {}", ids.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}
