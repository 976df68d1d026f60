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

mod property;
mod scenarios;

use super::{Effect, Encoding, Input, IoCounters, Node, NodeConfig, Notice, RequestId};
use crate::action::{ChainAction, ChainFailure};
use crate::config::{
    AuthKey, AuthKeys, AuthMethod, AutoFailback, GroupId, MonitorPolicy, NodeName, Timings,
};
use crate::control::{Request, Response, StatusReport};
use crate::membership::LinkId;
use crate::ownership::{Generation, GroupIdx};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

pub(super) const NAMES: [&str; 2] = ["alpha", "bravo"];
/// How long a hung agent runs before the chain's timeout kills it.
pub(super) const AGENT_TIMEOUT: Duration = Duration::from_secs(4);
/// Messages a stalled medium keeps queued (as the real send queue does).
const STALL_QUEUE: usize = 16;

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

/// One medium between the two nodes, with its faults.
#[derive(Clone)]
pub(super) struct Medium {
    pub encoding: Encoding,
    pub min_delay: Duration,
    pub max_delay: Duration,
    pub loss_per_mille: u32,
    pub dup_per_mille: u32,
    /// `cut[i]`: nothing sent by node `i` arrives.
    pub cut: [bool; 2],
    /// `stalled[i]`: node `i`'s writer for this medium stopped draining;
    /// the newest [`STALL_QUEUE`] messages wait for it.
    pub stalled: [bool; 2],
    queued: [Vec<Vec<u8>>; 2],
}

impl Medium {
    fn new(encoding: Encoding) -> Medium {
        Medium {
            encoding,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(3),
            loss_per_mille: 0,
            dup_per_mille: 0,
            cut: [false; 2],
            stalled: [false; 2],
            queued: [Vec::new(), Vec::new()],
        }
    }
    /// Something sent by either node can arrive.
    fn connects(&self) -> bool {
        !self.cut[0] && !self.cut[1] && !self.stalled[0] && !self.stalled[1]
    }
}

/// How a node's fake agent for one group behaves.
#[derive(Clone, Debug, Default)]
pub(super) struct AgentFaults {
    pub start_fails: bool,
    /// Stop fails hard: the group stays running.
    pub stop_fails: bool,
    /// Start or stop hangs until the chain's timeout kills it.
    pub hangs: bool,
    pub start_fail_per_mille: u32,
    pub stop_fail_per_mille: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Agent {
    pub running: bool,
    pub in_flight: Option<ChainAction>,
    pub faults: AgentFaults,
    pub starts: usize,
    pub stops: usize,
    pub restarts: usize,
    pub reannounces: usize,
    /// Failed to start, stop or run here at least once: the protocol may
    /// rightly leave such a group down (failed on both nodes).
    pub troubled: bool,
}

pub(super) struct SimNode {
    pub node: Option<Node>,
    pub generation: u64,
    pub frozen_until: Option<Instant>,
    pub agents: Vec<Agent>,
    /// Answers per outstanding request.
    pub requests: HashMap<RequestId, u32>,
    pub answers: Vec<(RequestId, Response)>,
    pub notices: Vec<(Instant, Notice)>,
    pub exits: usize,
    pub chain_delay: Duration,
    pub digest: String,
}

enum Event {
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
    /// Faults that may legitimately leave a group on both nodes for a
    /// while (partitions, a frozen node) switch the double-hold check off.
    pub allow_double: bool,
    pub violations: Vec<String>,
    pub trace: Vec<String>,
}

pub(super) fn timings() -> Timings {
    Timings {
        keepalive: Duration::from_millis(500),
        warntime: Duration::from_millis(1500),
        deadtime: Duration::from_secs(3),
        initdead: Duration::from_secs(6),
        deadping: Duration::from_secs(3),
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
            notices: Vec::new(),
            exits: 0,
            chain_delay: Duration::from_millis(100),
            digest: "sim".into(),
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
            allow_double: false,
            violations: Vec::new(),
            trace: Vec::new(),
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
                .map(|(id, pref, monitor)| super::GroupSpec {
                    id: id.clone(),
                    preferred: NodeName::new(NAMES[*pref]),
                    monitor: monitor.clone(),
                    line: format!("IPaddr::{id}"),
                })
                .collect(),
            auto_failback: self.auto_failback,
            failback_delay: self.failback_delay,
            generation: Generation(self.nodes[i].generation),
            uuid: [i as u8 + 1; 16],
            wall_secs_at_start: 1_700_000_000 + self.elapsed().as_secs(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now.duration_since(self.start)
    }

    pub fn alive(&self, i: usize) -> bool {
        self.nodes[i].node.is_some()
    }

    /// Start the daemon on node `i`: a new generation, nothing running (a
    /// leftover is released by the daemon before the node exists).
    pub fn boot(&mut self, i: usize) {
        self.nodes[i].generation += 1;
        for a in &mut self.nodes[i].agents {
            a.running = false;
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
            a.in_flight = None;
        }
    }

    /// SIGSTOP for `d`: the node reads nothing and sends nothing.
    pub fn freeze(&mut self, i: usize, d: Duration) {
        self.log(format!("freeze {} for {d:?}", NAMES[i]));
        self.nodes[i].frozen_until = Some(self.now + d);
    }

    pub fn partition(&mut self, on: bool) {
        self.log(format!("partition {on}"));
        for m in &mut self.media {
            m.cut = [on, on];
        }
    }

    pub fn stall(&mut self, link: usize, from: usize, on: bool) {
        self.log(format!("stall link{link} from {} {on}", NAMES[from]));
        let m = &mut self.media[link];
        m.stalled[from] = on;
        if !on {
            let queued = std::mem::take(&mut m.queued[from]);
            for bytes in queued {
                self.transmit(from, link, bytes);
            }
        }
    }

    /// Ask node `i` something over its control socket.
    pub fn request(&mut self, i: usize, request: Request) -> Option<RequestId> {
        self.node(i)?;
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.nodes[i].requests.insert(id, 0);
        self.log(format!("request {} {id:?} {request:?}", NAMES[i]));
        let io = IoCounters::default();
        self.input(i, Input::Request { id, request, io });
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

    fn log(&mut self, what: String) {
        let t = self.elapsed().as_millis();
        self.trace.push(format!("{t:>7} ms {what}"));
    }

    fn violation(&mut self, what: String) {
        self.log(format!("VIOLATION {what}"));
        self.violations.push(what);
    }

    fn schedule(&mut self, at: Instant, ev: Event) {
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
            Effect::Log(n) => {
                self.log(format!("{}: {n}", NAMES[i]));
                self.nodes[i].notices.push((self.now, n));
            }
            Effect::Notify { .. } | Effect::Stopping => {}
            Effect::Exit => {
                self.log(format!("exit {}", NAMES[i]));
                self.nodes[i].exits += 1;
                if let Some(g) = self.nodes[i].agents.iter().position(|a| a.running) {
                    self.violation(format!("{} exited while running group {g}", NAMES[i]));
                }
                self.nodes[i].node = None;
                self.nodes[i].requests.clear();
            }
        }
    }

    /// Put one message on one medium, with its faults.
    fn transmit(&mut self, from: usize, link: usize, bytes: Vec<u8>) {
        let m = &mut self.media[link];
        if m.stalled[from] {
            m.queued[from].push(bytes);
            if m.queued[from].len() > STALL_QUEUE {
                m.queued[from].remove(0);
            }
            return;
        }
        if m.cut[from] || self.rng.chance(m.loss_per_mille) {
            return;
        }
        let (lo, hi, dup) = (m.min_delay, m.max_delay, m.dup_per_mille);
        let copies = if self.rng.chance(dup) { 2 } else { 1 };
        for _ in 0..copies {
            let at = self.now + self.rng.duration(lo, hi);
            let bytes = bytes.clone();
            self.schedule(
                at,
                Event::Deliver {
                    to: 1 - from,
                    link,
                    bytes,
                },
            );
        }
    }

    /// What a fake agent does with one chain action, decided when it
    /// begins; the result arrives after the chain's delay.
    fn run_chain(&mut self, i: usize, g: GroupIdx, action: ChainAction) {
        let delay = self.nodes[i].chain_delay;
        let fail_start = {
            let f = self.nodes[i].agents[g.0].faults.clone();
            f.start_fails || f.hangs || self.rng.chance(f.start_fail_per_mille)
        };
        let fail_stop = {
            let f = self.nodes[i].agents[g.0].faults.clone();
            f.stop_fails || f.hangs || self.rng.chance(f.stop_fail_per_mille)
        };
        let hangs = self.nodes[i].agents[g.0].faults.hangs;
        let agent = &mut self.nodes[i].agents[g.0];
        if let Some(other) = agent.in_flight {
            let what = format!(
                "{} runs {action:?} on group {} beside {other:?}",
                NAMES[i], g.0
            );
            return self.violation(what);
        }
        agent.in_flight = Some(action);
        let spec = format!("IPaddr::{}", g.0);
        let failed = || ChainFailure::new(spec.clone(), "simulated failure");
        let (ok, took) = match action {
            ChainAction::Start | ChainAction::Restart => {
                if action == ChainAction::Start {
                    agent.starts += 1;
                } else {
                    agent.restarts += 1;
                }
                // Resources come up during the chain: count it as running
                // from the first moment.
                agent.running = true;
                match (fail_start, action == ChainAction::Restart && fail_stop) {
                    (_, true) => (Err(failed().still_running()), delay),
                    (true, _) => (Err(failed()), if hangs { AGENT_TIMEOUT } else { delay }),
                    (false, _) => (Ok(()), delay),
                }
            }
            ChainAction::Stop => {
                agent.stops += 1;
                if fail_stop {
                    (
                        Err(failed().still_running()),
                        if hangs { AGENT_TIMEOUT } else { delay },
                    )
                } else {
                    (Ok(()), delay)
                }
            }
            ChainAction::Reannounce => {
                agent.reannounces += 1;
                (
                    if agent.running { Ok(()) } else { Err(failed()) },
                    delay / 10,
                )
            }
            ChainAction::Monitor => (
                if agent.running { Ok(()) } else { Err(failed()) },
                delay / 10,
            ),
        };
        if ok.is_err() && action != ChainAction::Monitor {
            agent.troubled = true;
        }
        let generation = self.nodes[i].generation;
        let at = self.now + took;
        self.schedule(
            at,
            Event::ChainDone {
                node: i,
                generation,
                group: g.0,
                action,
                ok,
            },
        );
    }

    fn finish_chain(
        &mut self,
        i: usize,
        group: usize,
        action: ChainAction,
        ok: Result<(), ChainFailure>,
    ) {
        let agent = &mut self.nodes[i].agents[group];
        agent.in_flight = None;
        match (action, &ok) {
            (ChainAction::Start | ChainAction::Restart, Err(f)) if !f.still_running => {
                agent.running = false
            }
            (ChainAction::Stop, Ok(())) => agent.running = false,
            _ => {}
        }
        let g = GroupIdx(group);
        self.input(
            i,
            Input::ChainDone {
                group: g,
                action,
                result: ok,
            },
        );
    }

    /// A service dies under the node (found by the next monitor poll).
    pub fn kill_service(&mut self, i: usize, g: usize) {
        self.log(format!("service of group {g} dies on {}", NAMES[i]));
        self.nodes[i].agents[g].running = false;
        self.nodes[i].agents[g].troubled = true;
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

    fn check(&mut self) {
        if self.allow_double || !self.connected() {
            return;
        }
        for g in 0..self.groups.len() {
            if self.running(0, g) && self.running(1, g) {
                self.violation(format!("group {g} runs on both nodes while connected"));
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
