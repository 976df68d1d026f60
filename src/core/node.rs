//! [`Node`]: the state of one cluster node and every decision it makes.
//! Inputs are turned into membership and ownership inputs; their outputs
//! into effects. The receive path is in `receive.rs`, what a membership
//! change leads to in `peer.rs`, control requests and the start of a
//! shutdown in `requests.rs`, the status answer in `status.rs`.

use super::checks::Checks;
use super::histogram::AgentDurations;
use super::locks::Locks;
use super::notice::Notice;
use super::progress::Watchers;
use super::requests::done;
use super::timeline::Timelines;
use super::{Counters, Effect, HookEvent, Input, NodeConfig, RequestId};
use crate::action::{ChainAction, ChainFailure, Step};
use crate::media::{OutKind, Outgoing};
use crate::membership::{self, LinkId, Membership, MembershipConfig, PeerState};
use crate::ownership::{self, GroupIdx, Ownership, OwnershipConfig};
use crate::wire::{self, CommonFields, Message};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How often a rejected-packet reason is logged at most.
pub(super) const BAD_PACKET_LOG_EVERY: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shutdown {
    No,
    /// Handing groups over; keepalives go on so the peer hears us.
    Draining,
    Done,
}

pub struct Node {
    pub(super) cfg: NodeConfig,
    pub(super) started: Instant,
    pub(super) membership: Membership,
    pub(super) ownership: Ownership,
    pub(super) locks: Locks,
    pub(super) counters: Counters,
    pub(super) seq: u64,
    /// The peer's uuid and the generation it came with: another uuid in
    /// the same generation is a spoof (see `receive.rs`).
    pub(super) peer_uuid: Option<(u64, [u8; 16])>,
    /// `None` until the first `handle`, which sends `init`.
    pub(super) next_keepalive: Option<Instant>,
    /// When a dropped packet was last logged, per reason: a flood of one
    /// kind (a wrong key) must not hide another (a replay).
    pub(super) last_bad_log: Vec<(&'static str, Instant)>,
    /// The peer's last `st` said `active`.
    pub(super) peer_active: bool,
    pub(super) peer_ever_up: bool,
    /// The peer's configuration digest as last reported, and whether ours
    /// agreed with it when last judged (each change is logged once).
    pub(super) peer_digest: Option<String>,
    pub(super) digest_agrees: Option<bool>,
    pub(super) reach: u32,
    /// Each group's transition under way and the last one (for status).
    pub(super) timelines: Timelines,
    /// How long each resource's agent took, for `heartbeat metrics`.
    pub(super) durations: AgentDurations,
    /// Links declared dead and not back yet.
    pub(super) lost_links: BTreeSet<LinkId>,
    /// The standby/takeover request being carried out (one at a time).
    pub(super) pending_request: Option<RequestId>,
    pub(super) pending_shutdown: Vec<RequestId>,
    /// The pending requests that asked for progress lines.
    pub(super) watchers: Watchers,
    /// Health checks of heartbeat.toml (`checks.rs`).
    pub(super) checks: Checks,
    /// DRBD: the states and the takeover rule; fence-peer requests.
    pub(super) disks: super::disks::Disks,
    pub(super) fences: super::fence::Fences,
    pub(super) shutdown: Shutdown,
}

impl Node {
    pub fn new(cfg: NodeConfig, now: Instant) -> Node {
        let t = &cfg.timings;
        let membership = Membership::new(
            MembershipConfig {
                peer: cfg.peer.clone(),
                links: cfg.links.clone(),
                keepalive: t.keepalive,
                warntime: t.warntime,
                deadtime: t.deadtime,
                initdead: t.initdead,
            },
            now,
        );
        let ownership = Ownership::new(
            OwnershipConfig {
                me: cfg.me.clone(),
                generation: cfg.generation,
                peer: cfg.peer.clone(),
                groups: cfg
                    .groups
                    .iter()
                    .map(|g| (g.id.clone(), g.preferred.clone(), cfg.restart_policy(g)))
                    .collect(),
                auto_failback: cfg.auto_failback,
                failback_delay: cfg.failback_delay,
                maintenance: cfg.maintenance,
            },
            now,
        );
        let locks = Locks::new(
            cfg.groups
                .iter()
                .map(|g| g.monitor.as_ref().map(|m| m.interval)),
        );
        let ids: Vec<_> = cfg.groups.iter().map(|g| g.id.clone()).collect();
        let checks = Checks::new(&cfg.extensions.checks, &ids);
        Node {
            started: now,
            membership,
            ownership,
            locks,
            counters: Counters::default(),
            seq: 0,
            peer_uuid: None,
            next_keepalive: None,
            last_bad_log: Vec::new(),
            peer_active: false,
            peer_ever_up: false,
            peer_digest: None,
            digest_agrees: None,
            reach: 0,
            timelines: Timelines::default(),
            durations: AgentDurations::default(),
            lost_links: BTreeSet::new(),
            pending_request: None,
            pending_shutdown: Vec::new(),
            watchers: Watchers::default(),
            checks,
            disks: super::disks::Disks::new(now, cfg.timings.drbd_wfc),
            fences: super::fence::Fences::default(),
            shutdown: Shutdown::No,
            cfg,
        }
    }

    /// Feed one input; get what to do, in order.
    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.next_keepalive.is_none() {
            // The original sends `init` then `up` at once so the peer
            // learns of us quickly.
            self.send_status(now, "init", &mut fx);
            self.next_keepalive = Some(now);
        }
        match input {
            Input::Packet {
                link,
                bytes,
                encoding,
            } => self.on_packet(now, link, &bytes, encoding, &mut fx),
            Input::ChainDone {
                group,
                action,
                result,
                steps,
            } => self.on_chain_done(now, group, action, (result, steps), &mut fx),
            Input::Request {
                id,
                request,
                io,
                progress,
            } => {
                if progress {
                    self.watchers.watch(id, now);
                }
                self.on_request(now, id, request, io, &mut fx)
            }
            Input::Reach(local) => {
                fx.push(Effect::Log(Notice::PingReach { reachable: local }));
                self.reach = local;
                self.ownership_input(now, ownership::Input::Reach { local }, &mut fx);
                self.send_report(now, &mut fx);
            }
            Input::Signal(cause) => self.begin_shutdown(now, cause, &mut fx),
            Input::Reload(cfg) => self.reload(now, *cfg, &mut fx),
            Input::CheckDone {
                check,
                epoch,
                outcome,
            } => self.on_check_done(now, (check, epoch), outcome, &mut fx),
            Input::Drbd(states) => self.on_drbd(now, states, &mut fx),
            Input::Outdated {
                resource,
                token,
                state,
                said,
            } => self.on_outdated(now, (resource, token), state, said, &mut fx),
            Input::Timer => {}
        }
        self.tick(now, &mut fx);
        fx
    }

    /// When to call `handle(now, Input::Timer)` at the latest.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.shutdown == Shutdown::Done {
            return None;
        }
        // Monitors do not poll in maintenance: their overdue deadlines
        // must not wake the loop.
        let monitors = [self.locks.next_deadline(), self.checks.next_deadline()]
            .into_iter()
            .flatten()
            .min();
        [
            self.next_keepalive,
            self.membership.next_deadline(),
            self.ownership.next_deadline(),
            monitors.filter(|_| !self.ownership.hands_off()),
            self.drbd_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Keepalive and report when due, membership and ownership timers,
    /// due monitor polls.
    fn tick(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        if self.shutdown == Shutdown::Done {
            return;
        }
        if self.next_keepalive.is_some_and(|t| now >= t) {
            let st = if self.membership.peer_state() == PeerState::Init {
                "up"
            } else {
                "active"
            };
            self.send_status(now, st, fx);
            self.send_report(now, fx);
            self.next_keepalive = Some(now + self.cfg.timings.keepalive);
        }
        let events = self.membership.handle(now, membership::Input::Tick);
        self.on_membership_events(now, events, fx);
        self.ownership_input(now, ownership::Input::Tick, fx);
        self.drbd_tick(now, fx);
        if self.ownership.hands_off() {
            return;
        }
        for g in self.locks.due_monitors(now) {
            self.begin_run(now, g, ChainAction::Monitor, fx);
        }
        self.run_due_checks(now, fx);
    }

    // ----- sending -----

    /// Sign one message in both encodings.
    pub(super) fn send(
        &mut self,
        now: Instant,
        mut msg: Message,
        numbered: bool,
        fx: &mut Vec<Effect>,
    ) {
        let seq = numbered.then(|| {
            self.seq += 1;
            self.seq
        });
        let kind = if msg.get("t") == Some("status") {
            OutKind::Keepalive
        } else {
            OutKind::Other
        };
        wire::add_common_fields(
            &mut msg,
            &CommonFields {
                src: self.cfg.me.clone(),
                srcuuid: self.cfg.uuid,
                seq,
                hg: self.cfg.generation.0,
                ts: self.cfg.wall_secs_at_start
                    + now.saturating_duration_since(self.started).as_secs(),
                ld: None,
                ttl: self.cfg.ttl,
            },
        );
        fx.push(Effect::Send(Outgoing {
            netstring: wire::sign_netstring(&msg, &self.cfg.auth),
            classic: wire::sign_classic(&msg, &self.cfg.auth),
            kind,
        }));
    }

    /// A keepalive in the original's shape (`t=status`), so an old peer
    /// counts us as alive. The original advertises deadtime + 2 s during
    /// its first 5 s; we advertise what we use.
    fn send_status(&mut self, now: Instant, st: &str, fx: &mut Vec<Effect>) {
        let mut msg = Message::new();
        msg.add("t", "status")
            .add("st", st)
            .add("dt", format!("{:x}", self.cfg.timings.deadtime.as_millis()))
            .add("protocol", "1");
        self.send(now, msg, true, fx);
    }

    /// Our resource report (`t=hbrsc`, docs/protocol.md).
    pub(super) fn send_report(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        let mut msg = Message::new();
        msg.add("t", "hbrsc");
        for (k, v) in self.ownership.report().to_fields() {
            msg.add(&k, v);
        }
        msg.add("cfg", self.cfg.digest.clone());
        if let Some(drbd) = self.disks.report_field() {
            msg.add("drbd", drbd);
        }
        self.send(now, msg, true, fx);
    }

    // ----- ownership -----

    pub(super) fn ownership_input(
        &mut self,
        now: Instant,
        input: ownership::Input,
        fx: &mut Vec<Effect>,
    ) {
        let outs = self.ownership.handle(now, input);
        for out in outs {
            self.on_ownership_output(now, out, fx);
        }
    }

    pub(super) fn on_ownership_output(
        &mut self,
        now: Instant,
        out: ownership::Output,
        fx: &mut Vec<Effect>,
    ) {
        use ownership::Output;
        match out {
            Output::Run(g, action) => {
                if self.start_allowed(now, g, action, fx) && self.locks.request(g, action) {
                    self.begin_run(now, g, action, fx);
                }
            }
            Output::SendReport => self.send_report(now, fx),
            Output::MaintenanceChanged(flag) => fx.push(Effect::SaveMaintenance(flag)),
            Output::Notice(n) => fx.push(Effect::Log(Notice::Ownership(n))),
            Output::Refused(reason) => {
                fx.push(Effect::Log(Notice::RequestRefused {
                    reason: reason.clone(),
                }));
                self.answer_request(false, reason, fx);
            }
            Output::RequestDone { ok, summary } => self.answer_request(ok, summary, fx),
            Output::ShutdownComplete { stop_failed, .. } if !stop_failed.is_empty() => {
                // Exiting would let the peer start groups that still run
                // here (it takes everything of a node that left). Stay,
                // keep reporting them held, and say why.
                let notice = Notice::ShutdownBlocked {
                    groups: stop_failed,
                    peer: self.cfg.peer.clone(),
                };
                let message = notice.to_string();
                fx.push(Effect::Log(notice));
                for id in std::mem::take(&mut self.pending_shutdown) {
                    fx.push(done(id, false, message.clone()));
                }
                self.shutdown = Shutdown::No;
            }
            Output::ShutdownComplete { not_taken, .. } => {
                let mut msg = Message::new();
                msg.add("t", "shutdone").add("st", "dead");
                self.send(now, msg, true, fx);
                fx.push(Effect::Log(Notice::ShutdownComplete));
                let ok = not_taken.is_empty();
                let peer = self.cfg.peer.clone();
                let message = ownership::Outcome::Stopped { peer, not_taken }.to_string();
                for id in std::mem::take(&mut self.pending_shutdown) {
                    fx.push(done(id, ok, message.clone()));
                }
                self.shutdown = Shutdown::Done;
                fx.push(Effect::Exit);
            }
        }
    }

    fn answer_request(&mut self, ok: bool, message: String, fx: &mut Vec<Effect>) {
        // A `takeover --force` lasts as long as its request.
        self.disks.force(false);
        if let Some(id) = self.pending_request.take() {
            fx.push(done(id, ok, message));
        }
    }

    // ----- chains -----

    /// The lock for `g` is held for `action`: say so and ask for the run.
    pub(super) fn begin_run(
        &mut self,
        now: Instant,
        g: GroupIdx,
        action: ChainAction,
        fx: &mut Vec<Effect>,
    ) {
        let spec = &self.cfg.groups[g.0];
        if !action.is_query() {
            // Ownership's words for why, read only for a transition (not
            // on every monitor poll).
            let cause = self.ownership.groups().swap_remove(g.0).cause;
            self.timelines
                .begin(now, g, action, spec.id.to_string(), cause);
            fx.push(Effect::Log(Notice::ChainBegins {
                action,
                group: spec.id.clone(),
                preferred: spec.preferred.clone(),
                line: spec.line.clone(),
            }));
        }
        self.progress_begins(now, g, action, fx);
        fx.push(Effect::Run {
            group: g,
            action,
            duplicate_check: !self.peer_ever_up,
            drbd_force: self.disks.forced(),
        });
    }

    fn on_chain_done(
        &mut self,
        now: Instant,
        g: GroupIdx,
        action: ChainAction,
        (result, steps): (Result<(), ChainFailure>, Vec<Step>),
        fx: &mut Vec<Effect>,
    ) {
        let (expected, next) = self.locks.finished(g, action);
        if !expected {
            return;
        }
        self.durations.observe(&steps);
        let began = self.timelines.began(g);
        self.progress_ends(now, (g, action, began), &steps, &result, fx);
        self.timelines.finish(now, g, steps, &result);
        let id = self.cfg.groups[g.0].id.clone();
        let hook = |event| Effect::Notify {
            event,
            subject: id.to_string(),
        };
        match (action, result) {
            (ChainAction::Start | ChainAction::Restart, Ok(())) => {
                fx.push(hook(if action == ChainAction::Restart {
                    HookEvent::Restarted
                } else {
                    HookEvent::Acquired
                }));
                self.locks.arm_monitor(g, now);
                self.checks.arm(g, now);
                self.ownership_input(now, ownership::Input::Started(g, Ok(())), fx);
            }
            (ChainAction::Start | ChainAction::Restart, Err(e)) if e.still_running => {
                // A rollback (or a restart's stop half) that could not stop
                // something: the group stays held, as after a failed stop.
                fx.push(hook(HookEvent::StopFailed));
                self.checks.disarm(g);
                self.ownership_input(now, ownership::Input::Stopped(g, Err(e)), fx);
            }
            (ChainAction::Start | ChainAction::Restart, Err(e)) => {
                fx.push(hook(HookEvent::StartFailed));
                self.checks.disarm(g);
                self.ownership_input(now, ownership::Input::Started(g, Err(e)), fx);
            }
            (ChainAction::Stop, r) => {
                fx.push(hook(if r.is_ok() {
                    HookEvent::Released
                } else {
                    HookEvent::StopFailed
                }));
                self.locks.disarm_monitor(g);
                self.checks.disarm(g);
                self.ownership_input(now, ownership::Input::Stopped(g, r), fx);
            }
            (ChainAction::Reannounce, Ok(())) => {}
            (ChainAction::Reannounce, Err(failure)) => {
                // Not a monitor failure: the monitor finds out whether the
                // group still runs.
                fx.push(Effect::Log(Notice::ReannounceFailed {
                    group: id.clone(),
                    failure,
                }));
                self.locks.monitor_soon(g, now);
            }
            (ChainAction::Probe, r) => {
                if r.is_ok() {
                    self.locks.arm_monitor(g, now);
                    self.checks.arm(g, now);
                }
                self.ownership_input(now, ownership::Input::Probed(g, r), fx);
            }
            (ChainAction::Monitor, Ok(())) => self.locks.arm_monitor(g, now),
            (ChainAction::Monitor, Err(failure)) => {
                fx.push(Effect::Log(Notice::MonitorNotRunning {
                    group: id.clone(),
                    failure,
                }));
                // A poll that raced a queued stop or start says nothing
                // about what comes next.
                if next.is_none() {
                    self.ownership_input(now, ownership::Input::MonitorFailed(g), fx);
                }
            }
        }
        if let Some(next) = next {
            self.begin_run(now, g, next, fx);
        }
        self.send_report(now, fx);
    }
}
