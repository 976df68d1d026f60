//! The simulator (tests only): two real [`Node`]s, a fake clock, fake
//! media between them (loss, delay, duplication, reordering, one-way loss,
//! partitions, a medium that stops draining) and fake agents (slow,
//! failing, hanging past their timeout). Everything the daemon does at its
//! edges is done here by hand, so what is tested is the node core whole:
//! membership, ownership, timers, locks, requests and shutdown together.
//!
//! The harness checks, at every step, what must never happen (a group
//! running on both nodes while a medium connects them, two chain actions
//! on one group at once, a request answered twice, a node exiting while it
//! still runs a group); scenarios (`scenarios.rs`) and property tests
//! (`property.rs`) ask what must happen.

mod agents;
mod drbd;
mod hostile;
mod media;
mod ops;
mod progress;
mod property;
mod scenarios;

pub(super) use agents::{Agent, AgentFaults};
pub(super) use media::Medium;

use super::{Effect, Encoding, Input, IoCounters, Node, NodeConfig, Notice, RequestId};
use crate::action::{ChainAction, ChainFailure};
use crate::config::{
    AuthKey, AuthKeys, AuthMethod, AutoFailback, GroupId, MonitorPolicy, NodeName, Timings,
};
use crate::control::{Request, Response, StatusReport};
use crate::membership::LinkId;
use crate::ownership::{Generation, GroupIdx, Maintenance};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

pub(super) const NAMES: [&str; 2] = ["alpha", "bravo"];
/// How long a hung agent runs before the chain's timeout kills it.
pub(super) const AGENT_TIMEOUT: Duration = Duration::from_secs(4);

/// xorshift64*: deterministic randomness for the schedules.
#[derive(Clone)]
pub(super) struct SimRng(pub u64);

impl SimRng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn chance(&mut self, per_mille: u32) -> bool {
        (self.next() % 1000) < per_mille as u64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    pub fn duration(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = hi.saturating_sub(lo).as_millis() as u64;
        lo + Duration::from_millis(self.below(span + 1))
    }
}

pub(super) struct SimNode {
    pub node: Option<Node>,
    pub generation: u64,
    pub frozen_until: Option<Instant>,
    pub agents: Vec<Agent>,
    /// Answers per outstanding request.
    pub requests: HashMap<RequestId, u32>,
    pub answers: Vec<(RequestId, Response)>,
    /// Progress lines said, with their time since the request.
    pub progress: Vec<(RequestId, f64, String)>,
    pub notices: Vec<(Instant, Notice)>,
    pub exits: usize,
    pub chain_delay: Duration,
    pub digest: String,
    /// What the daemon persisted in its state directory.
    pub maintenance: Maintenance,
    /// A fake DRBD: what `drbdadm outdate` finds and leaves (`drbd.rs`).
    pub drbd: Vec<crate::drbd::DrbdState>,
}

pub(super) enum Event {
    Deliver {
        to: usize,
        link: usize,
        bytes: Vec<u8>,
    },
    ChainDone {
        node: usize,
        generation: u64,
        group: usize,
        action: ChainAction,
        ok: Result<(), ChainFailure>,
    },
}

pub(super) struct Sim {
    pub now: Instant,
    pub start: Instant,
    pub rng: SimRng,
    pub nodes: [SimNode; 2],
    pub media: Vec<Medium>,
    pub groups: Vec<(GroupId, usize, Option<MonitorPolicy>)>,
    pub timings: Timings,
    pub auto_failback: AutoFailback,
    pub failback_delay: Duration,
    events: Vec<(Instant, u64, Event)>,
    seq: u64,
    next_request: u64,
    /// `None`: a group on both nodes while they can talk is a violation at
    /// once. `Some(bound)` (schedules that cut the nodes apart): it is one
    /// only once they could talk again for longer than `bound`.
    pub double_bound: Option<Duration>,
    /// The last moment the nodes could not talk (see [`Sim::talking`]).
    apart_at: Option<Instant>,
    /// The longest a group stayed on both nodes after they could talk again.
    pub worst_double: Duration,
    pub violations: Vec<String>,
    pub trace: Vec<String>,
    /// Each group's resources as written (default `IPaddr::<id>`).
    pub lines: Vec<String>,
    /// The groups each reload kept at their old definition.
    pub reload_kept: Vec<Vec<GroupIdx>>,
}

pub(super) fn timings() -> Timings {
    Timings {
        keepalive: Duration::from_millis(500),
        warntime: Duration::from_millis(1500),
        deadtime: Duration::from_secs(3),
        initdead: Duration::from_secs(6),
        deadping: Duration::from_secs(3),
        drbd_wfc: Duration::from_secs(10),
    }
}

fn auth() -> AuthKeys {
    let key = AuthKey {
        id: 1,
        method: AuthMethod::Sha1,
        secret: b"simulated".to_vec(),
    };
    AuthKeys {
        active: 1,
        keys: BTreeMap::from([(1, key)]),
    }
}

impl Sim {
    /// Two nodes (not booted) on a UDP medium and a serial line;
    /// `groups`: (id, index of the preferred node).
    pub fn new(groups: &[(&str, usize)]) -> Sim {
        let now = Instant::now();
        let n = groups.len();
        let node = || SimNode {
            node: None,
            generation: 0,
            frozen_until: None,
            agents: vec![Agent::default(); n],
            requests: HashMap::new(),
            answers: Vec::new(),
            progress: Vec::new(),
            notices: Vec::new(),
            exits: 0,
            chain_delay: Duration::from_millis(100),
            digest: "sim".into(),
            maintenance: Maintenance::default(),
            drbd: Vec::new(),
        };
        Sim {
            now,
            start: now,
            rng: SimRng(0x9e37_79b9_7f4a_7c15),
            nodes: [node(), node()],
            media: vec![
                Medium::new(Encoding::Netstring),
                Medium::new(Encoding::Classic),
            ],
            groups: groups
                .iter()
                .map(|(id, pref)| (GroupId(id.to_string()), *pref, None))
                .collect(),
            timings: timings(),
            auto_failback: AutoFailback::On,
            failback_delay: Duration::ZERO,
            events: Vec::new(),
            seq: 0,
            next_request: 0,
            double_bound: None,
            apart_at: None,
            worst_double: Duration::ZERO,
            violations: Vec::new(),
            trace: Vec::new(),
            lines: Vec::new(),
            reload_kept: Vec::new(),
        }
    }

    fn config(&self, i: usize) -> NodeConfig {
        NodeConfig {
            me: NodeName::new(NAMES[i]),
            peer: NodeName::new(NAMES[1 - i]),
            nodes: NAMES.iter().map(|n| NodeName::new(n)).collect(),
            links: (0..self.media.len()).map(|l| format!("link{l}")).collect(),
            timings: self.timings.clone(),
            auth: auth(),
            ttl: 3,
            digest: self.nodes[i].digest.clone(),
            groups: self
                .groups
                .iter()
                .enumerate()
                .map(|(g, (id, pref, monitor))| {
                    let line = (self.lines.get(g).cloned()).unwrap_or(format!("IPaddr::{id}"));
                    super::GroupSpec {
                        id: id.clone(),
                        preferred: NodeName::new(NAMES[*pref]),
                        monitor: monitor.clone(),
                        drbd: (line.split_whitespace())
                            .filter_map(|w| w.strip_prefix("drbddisk::"))
                            .map(str::to_string)
                            .collect(),
                        chain: line.clone(),
                        line,
                    }
                })
                .collect(),
            auto_failback: self.auto_failback,
            failback_delay: self.failback_delay,
            generation: Generation(self.nodes[i].generation),
            maintenance: self.nodes[i].maintenance,
            uuid: [i as u8 + 1; 16],
            wall_secs_at_start: 1_700_000_000 + self.elapsed().as_secs(),
            extensions: Default::default(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now.duration_since(self.start)
    }

    pub fn alive(&self, i: usize) -> bool {
        self.nodes[i].node.is_some()
    }

    /// Start the daemon on node `i`: a new generation, nothing running (a
    /// leftover is released by the daemon before the node exists), unless
    /// it comes back in maintenance (then leftovers stay and are probed).
    pub fn boot(&mut self, i: usize) {
        self.nodes[i].generation += 1;
        let keep = self.nodes[i].maintenance.on;
        for a in &mut self.nodes[i].agents {
            a.running &= keep;
            a.stuck &= keep;
            a.in_flight = None;
        }
        let node = Node::new(self.config(i), self.now);
        self.nodes[i].node = Some(node);
        self.nodes[i].frozen_until = None;
        self.log(format!(
            "boot {} gen {}",
            NAMES[i], self.nodes[i].generation
        ));
        self.input(i, Input::Timer);
    }

    /// The machine dies: the daemon and what it ran are gone.
    pub fn crash(&mut self, i: usize) {
        self.log(format!("crash {}", NAMES[i]));
        let n = &mut self.nodes[i];
        n.node = None;
        n.requests.clear();
        for a in &mut n.agents {
            a.running = false;
            a.stuck = false;
            a.in_flight = None;
        }
    }

    /// The daemon alone dies (kill -9): what it ran keeps running.
    pub fn crash_daemon(&mut self, i: usize) {
        self.log(format!("daemon of {} killed", NAMES[i]));
        let n = &mut self.nodes[i];
        n.node = None;
        n.requests.clear();
        for a in &mut n.agents {
            a.in_flight = None;
        }
    }

    /// SIGHUP on node `i` with the simulator's current settings.
    pub fn reload(&mut self, i: usize) {
        self.log(format!("reload {}", NAMES[i]));
        let cfg = self.config(i);
        self.input(i, Input::Reload(Box::new(cfg)));
    }

    /// SIGSTOP for `d`: the node reads nothing and sends nothing.
    pub fn freeze(&mut self, i: usize, d: Duration) {
        self.log(format!("freeze {} for {d:?}", NAMES[i]));
        self.nodes[i].frozen_until = Some(self.now + d);
    }

    /// Ask node `i` something over its control socket.
    pub fn request(&mut self, i: usize, request: Request) -> Option<RequestId> {
        self.ask(i, request, false)
    }

    /// Ask, wanting progress lines until the answer (`heartbeat standby`).
    pub fn request_progress(&mut self, i: usize, request: Request) -> Option<RequestId> {
        self.ask(i, request, true)
    }

    fn ask(&mut self, i: usize, request: Request, progress: bool) -> Option<RequestId> {
        self.node(i)?;
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.nodes[i].requests.insert(id, 0);
        self.log(format!("request {} {id:?} {request:?}", NAMES[i]));
        let io = IoCounters::default();
        self.input(
            i,
            Input::Request {
                id,
                request,
                io,
                progress,
            },
        );
        Some(id)
    }

    /// The answer to `status` on node `i`, now.
    pub fn status(&mut self, i: usize) -> Option<StatusReport> {
        let id = self.request(i, Request::Status)?;
        self.nodes[i]
            .answers
            .iter()
            .rev()
            .find_map(|(a, r)| match r {
                Response::Status(s) if *a == id => Some((**s).clone()),
                _ => None,
            })
    }

    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes[i].node.as_ref()
    }

    pub fn running(&self, i: usize, g: usize) -> bool {
        self.nodes[i].agents[g].running
    }

    /// The one node running `g`, if exactly one does.
    pub fn holder(&self, g: usize) -> Option<usize> {
        match (self.running(0, g), self.running(1, g)) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            _ => None,
        }
    }

    pub fn notices(&self, i: usize) -> impl Iterator<Item = &Notice> {
        self.nodes[i].notices.iter().map(|(_, n)| n)
    }

    pub fn count_notices(&self, i: usize, f: impl Fn(&Notice) -> bool) -> usize {
        self.notices(i).filter(|n| f(n)).count()
    }

    pub(super) fn log(&mut self, what: String) {
        let t = self.elapsed().as_millis();
        self.trace.push(format!("{t:>7} ms {what}"));
    }

    pub(super) fn violation(&mut self, what: String) {
        self.log(format!("VIOLATION {what}"));
        self.violations.push(what);
    }

    pub(super) fn schedule(&mut self, at: Instant, ev: Event) {
        self.seq += 1;
        self.events.push((at, self.seq, ev));
    }

    /// Feed one input to node `i` now and carry out its effects.
    pub fn input(&mut self, i: usize, input: Input) {
        let now = self.now;
        let Some(node) = self.nodes[i].node.as_mut() else {
            return;
        };
        let effects = node.handle(now, input);
        for e in effects {
            self.perform(i, e);
        }
    }

    fn perform(&mut self, i: usize, e: Effect) {
        match e {
            Effect::Send(out) => {
                for link in 0..self.media.len() {
                    let bytes = match self.media[link].encoding {
                        Encoding::Netstring => out.netstring.clone(),
                        Encoding::Classic => out.classic.clone(),
                    };
                    self.transmit(i, link, bytes);
                }
            }
            Effect::Run { group, action, .. } => self.run_chain(i, group, action),
            Effect::Answer { id, response } => {
                match self.nodes[i].requests.get_mut(&id) {
                    Some(n) => *n += 1,
                    None => self.violation(format!("{} answered unknown request {id:?}", NAMES[i])),
                }
                if self.nodes[i].requests.get(&id) > Some(&1) {
                    self.violation(format!("{} answered {id:?} twice", NAMES[i]));
                }
                self.nodes[i].answers.push((id, response));
            }
            Effect::Progress { id, at_ms, line } => {
                if self.nodes[i].requests.get(&id) != Some(&0) {
                    self.violation(format!("{} progress for {id:?} not waiting", NAMES[i]));
                }
                self.nodes[i].progress.push((id, at_ms, line));
            }
            Effect::Log(n) => {
                self.log(format!("{}: {n}", NAMES[i]));
                self.nodes[i].notices.push((self.now, n));
            }
            Effect::Notify { .. } | Effect::Stopping | Effect::RunCheck { .. } => {}
            Effect::Outdate { resource, token } => self.outdate(i, resource, token),
            Effect::SaveMaintenance(flag) => self.nodes[i].maintenance = flag,
            Effect::Reconfigured { kept_groups } => self.reload_kept.push(kept_groups),
            Effect::Exit => {
                self.log(format!("exit {}", NAMES[i]));
                self.nodes[i].exits += 1;
                let leaves = self.nodes[i].maintenance.on;
                if let Some(g) =
                    (self.nodes[i].agents.iter().position(|a| a.running)).filter(|_| !leaves)
                {
                    self.violation(format!("{} exited while running group {g}", NAMES[i]));
                }
                self.nodes[i].node = None;
                self.nodes[i].requests.clear();
            }
        }
    }

    /// The next moment something happens, up to `limit`.
    fn next_moment(&self, limit: Instant) -> Instant {
        let mut t = limit;
        for (at, _, ev) in &self.events {
            if !self.frozen(ev) {
                t = t.min(*at);
            }
        }
        for n in &self.nodes {
            match (
                n.frozen_until,
                n.node.as_ref().and_then(|x| x.poll_timeout()),
            ) {
                (Some(f), _) => t = t.min(f),
                (None, Some(p)) => t = t.min(p),
                (None, None) => {}
            }
        }
        t.max(self.now)
    }

    /// Run until `now + d`.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        let mut same = 0;
        loop {
            let t = self.next_moment(until);
            same = if t == self.now { same + 1 } else { 0 };
            assert!(
                same < 10_000,
                "no progress at {:?}:\n{}",
                self.elapsed(),
                self.trace_tail(40)
            );
            self.now = t;
            self.step();
            if t >= until {
                break;
            }
        }
    }

    /// Everything due now: thawed nodes, deliveries and chain results in
    /// order, then timers.
    fn step(&mut self) {
        for (i, name) in NAMES.iter().enumerate() {
            if self.nodes[i].frozen_until.is_some_and(|f| f <= self.now) {
                self.nodes[i].frozen_until = None;
                self.log(format!("thaw {name}"));
            }
        }
        loop {
            let due = self
                .events
                .iter()
                .enumerate()
                .filter(|(_, (at, _, ev))| *at <= self.now && !self.frozen(ev))
                .min_by_key(|(_, (at, seq, _))| (*at, *seq))
                .map(|(k, _)| k);
            let Some(k) = due else { break };
            let (_, _, ev) = self.events.swap_remove(k);
            match ev {
                Event::Deliver { to, link, bytes } => {
                    let encoding = self.media[link].encoding;
                    let link = LinkId(link);
                    self.input(
                        to,
                        Input::Packet {
                            link,
                            bytes,
                            encoding,
                        },
                    );
                }
                Event::ChainDone {
                    node,
                    generation,
                    group,
                    action,
                    ok,
                } => {
                    if generation == self.nodes[node].generation && self.alive(node) {
                        self.finish_chain(node, group, action, ok);
                    }
                }
            }
        }
        for i in 0..2 {
            let due = self.nodes[i].frozen_until.is_none()
                && self
                    .node(i)
                    .and_then(|n| n.poll_timeout())
                    .is_some_and(|t| t <= self.now);
            if due {
                self.input(i, Input::Timer);
            }
        }
        self.check();
    }

    fn frozen(&self, ev: &Event) -> bool {
        let i = match ev {
            Event::Deliver { to, .. } => *to,
            Event::ChainDone { node, .. } => *node,
        };
        self.nodes[i].frozen_until.is_some()
    }

    /// A medium connects two running, unfrozen nodes.
    pub fn connected(&self) -> bool {
        self.media.iter().any(Medium::connects)
            && self.nodes.iter().all(|n| n.frozen_until.is_none())
    }

    /// Both nodes run and a medium connects them. A node that is down
    /// holds nothing, so only its peer's view matters then.
    fn talking(&self) -> bool {
        self.connected() && self.alive(0) && self.alive(1)
    }

    /// Allow a group on both nodes after a partition, a freeze, a one-way
    /// cut or a loss storm, for [`Sim::double_hold_bound`] once they can
    /// talk again.
    pub fn bounded_double(&mut self) {
        self.double_bound = Some(self.double_hold_bound());
    }

    /// How long after the nodes can talk again a group may still run on
    /// both. Each side sees the conflict in the other's next report (one
    /// keepalive, plus one per report the base loss eats: four keepalives
    /// in all), the loser's chain may be busy with an action that hangs
    /// until its timeout and its stop may hang as long (then it is a
    /// failed stop, excused). Deadtime on top: a node that was frozen or
    /// cut off one way may still be judging a silence it began before the
    /// heal, and the conflict is only settled once both see each other up.
    pub fn double_hold_bound(&self) -> Duration {
        let t = &self.timings;
        t.deadtime + 4 * t.keepalive + 2 * AGENT_TIMEOUT
    }

    fn check(&mut self) {
        if !self.talking() {
            self.apart_at = Some(self.now);
            return;
        }
        for g in 0..self.groups.len() {
            let stuck = self.nodes.iter().any(|n| n.agents[g].stuck);
            if !(self.running(0, g) && self.running(1, g)) || stuck {
                continue;
            }
            let since = self.apart_at.map(|t| self.now.duration_since(t));
            if let Some(s) = since {
                self.worst_double = self.worst_double.max(s);
            }
            let excused = match (self.double_bound, since) {
                (Some(bound), Some(s)) => s <= bound,
                _ => false,
            };
            if !excused {
                self.violation(format!(
                    "group {g} runs on both nodes while they can talk ({since:?} since they could not)"
                ));
            }
        }
    }

    /// Every request to a live node answered exactly once.
    pub fn unanswered(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for (id, count) in &n.requests {
                if *count != 1 {
                    out.push(format!(
                        "{} request {id:?} answered {count} times",
                        NAMES[i]
                    ));
                }
            }
        }
        out
    }

    pub fn trace_tail(&self, lines: usize) -> String {
        let from = self.trace.len().saturating_sub(lines);
        self.trace[from..].join("\n")
    }

    /// Both booted and settled with every group on its preferred node.
    pub fn both_up(&mut self) {
        self.boot(0);
        self.boot(1);
        self.run_for(Duration::from_secs(4));
    }
}

/// The two nodes, as the stories name them.
pub(super) const A: usize = 0;
pub(super) const B: usize = 1;

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The end of every story: no rule of the pair was broken and every
/// control request was answered.
pub(super) fn ok(sim: &Sim) {
    assert!(
        sim.violations.is_empty(),
        "{:?}\n{}",
        sim.violations,
        sim.trace_tail(60)
    );
    assert!(sim.unanswered().is_empty(), "{:?}", sim.unanswered());
}
