//! A two-node simulator for the ownership protocol (test only): two state
//! machines, a lossy, reordering message queue between them, resource
//! chains that finish (or fail) after a delay, and a fake clock. This file
//! is the harness; the failover stories are in `scenarios.rs`, the
//! split-brain property tests in `property.rs`.

mod property;
mod reach;
mod scenarios;

use super::*;
use crate::config::{AutoFailback, GroupId, MonitorPolicy, NodeName};
use std::collections::HashSet;

const NAMES: [&str; 2] = ["alpha", "bravo"];
const STEP: Duration = Duration::from_millis(10);
const KEEPALIVE: Duration = Duration::from_secs(1);

/// xorshift64*: deterministic randomness for the schedules.
#[derive(Clone)]
struct SimRng(u64);

impl SimRng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u32) -> bool {
        (self.next() % 1000) < per_mille as u64
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn duration(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = hi.saturating_sub(lo).as_millis() as u64;
        lo + Duration::from_millis(self.below(span + 1))
    }
}

#[derive(Clone)]
struct Net {
    min_delay: Duration,
    max_delay: Duration,
    drop_per_mille: u32,
    dup_per_mille: u32,
    /// Nothing gets through (only in scenario tests).
    partitioned: bool,
}

impl Default for Net {
    fn default() -> Self {
        Net {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            drop_per_mille: 0,
            dup_per_mille: 0,
            partitioned: false,
        }
    }
}

#[derive(Clone, Default)]
struct Chains {
    start_delay: Duration,
    stop_delay: Duration,
    /// Groups whose start always fails on this node.
    start_fails: HashSet<usize>,
    /// Groups whose stop always fails hard on this node.
    stop_fails: HashSet<usize>,
    /// Random start failures (property test).
    start_fail_per_mille: u32,
    stop_fail_per_mille: u32,
}

struct Node {
    own: Option<Ownership>,
    generation: u64,
    chains: Chains,
    notices: Vec<Notice>,
    refused: Vec<String>,
    done: Vec<(bool, String)>,
    shutdown_complete: Option<Vec<GroupId>>,
    reannounced: Vec<usize>,
    /// Start actions per group (counts switchovers).
    starts: Vec<usize>,
    /// Groups that ever failed to start, stop, or monitor here.
    troubled: HashSet<usize>,
}

struct Msg {
    at: Instant,
    to: usize,
    report: Report,
    from_gen: Generation,
}

/// A pending input for one incarnation of a node.
struct Job {
    at: Instant,
    node: usize,
    generation: u64,
    input: Input,
}

struct Sim {
    now: Instant,
    groups: Vec<(GroupId, NodeName, Option<MonitorPolicy>)>,
    auto_failback: AutoFailback,
    failback_delay: Duration,
    nodes: [Node; 2],
    net: Net,
    queue: Vec<Msg>,
    jobs: Vec<Job>,
    rng: SimRng,
    next_keepalive: Instant,
    /// `None`: a group held on both nodes while they can talk is a
    /// violation at once. `Some(bound)` (partition runs): only once they
    /// could talk again for longer than `bound`.
    double_bound: Option<Duration>,
    /// The last moment the nodes could not talk.
    apart_at: Option<Instant>,
    /// Reports lost since the nodes could talk again, while a group is
    /// still held by both: each one costs a keepalive until the next
    /// report carries the same news.
    lost_since_apart: u32,
    /// The longest a group stayed on both nodes after they could talk again.
    worst_double: Duration,
    violations: Vec<String>,
    start: Instant,
    /// (when, node, group) of every stop that resolved a conflict.
    conflict_stops: Vec<(Instant, usize, GroupId)>,
    /// Everything that happened, with times, for a failing test's output.
    trace: Vec<String>,
}

fn node_name(i: usize) -> NodeName {
    NodeName::new(NAMES[i])
}

impl Sim {
    /// `groups`: (id, index of the preferred node).
    fn new(groups: &[(&str, usize)], auto_failback: AutoFailback, failback_delay: Duration) -> Sim {
        let now = Instant::now();
        let groups = groups
            .iter()
            .map(|(id, pref)| (GroupId(id.to_string()), node_name(*pref), None))
            .collect::<Vec<_>>();
        let n = groups.len();
        let node = || Node {
            own: None,
            generation: 0,
            chains: Chains {
                start_delay: Duration::from_millis(200),
                stop_delay: Duration::from_millis(200),
                ..Chains::default()
            },
            notices: Vec::new(),
            refused: Vec::new(),
            done: Vec::new(),
            shutdown_complete: None,
            reannounced: Vec::new(),
            starts: vec![0; n],
            troubled: HashSet::new(),
        };
        Sim {
            now,
            groups,
            auto_failback,
            failback_delay,
            nodes: [node(), node()],
            net: Net::default(),
            queue: Vec::new(),
            jobs: Vec::new(),
            rng: SimRng(0x9e37_79b9_7f4a_7c15),
            next_keepalive: now,
            double_bound: None,
            apart_at: None,
            lost_since_apart: 0,
            worst_double: Duration::ZERO,
            violations: Vec::new(),
            start: now,
            conflict_stops: Vec::new(),
            trace: Vec::new(),
        }
    }

    fn alive(&self, i: usize) -> bool {
        self.nodes[i].own.is_some()
    }

    /// Start the daemon on node `i` (a new incarnation).
    fn boot(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.generation += 1;
        node.shutdown_complete = None;
        node.own = Some(Ownership::new(
            OwnershipConfig {
                me: node_name(i),
                peer: node_name(1 - i),
                generation: Generation(node.generation),
                groups: self.groups.clone(),
                auto_failback: self.auto_failback,
                failback_delay: self.failback_delay,
                maintenance: Default::default(),
            },
            self.now,
        ));
        self.jobs.retain(|j| j.node != i);
        let t = self.now.duration_since(self.start).as_secs_f64();
        self.trace.push(format!(
            "{t:9.3} {}: boot generation {}",
            NAMES[i], self.nodes[i].generation
        ));
    }

    /// Boot a node that shut down cleanly. Membership on the other side
    /// learns of the shutdown before it sees the new incarnation.
    fn reboot(&mut self, i: usize) {
        let other = 1 - i;
        let pending: Vec<Job> = {
            let (mine, rest) = std::mem::take(&mut self.jobs)
                .into_iter()
                .partition(|j| j.node == other && matches!(j.input, Input::PeerDead { .. }));
            self.jobs = rest;
            mine
        };
        for j in pending {
            self.input(j.node, j.input);
        }
        self.boot(i);
        self.both_up();
    }

    /// Membership on both sides says the other is up.
    fn both_up(&mut self) {
        for i in 0..2 {
            let since = self.now;
            self.input(i, Input::PeerUp { since });
        }
    }

    fn input(&mut self, i: usize, input: Input) {
        let Some(own) = self.nodes[i].own.as_mut() else {
            return;
        };
        if !matches!(input, Input::Tick) {
            let t = self.now.duration_since(self.start).as_secs_f64();
            self.trace
                .push(format!("{t:9.3} {} <- {input:?}", NAMES[i]));
        }
        let out = own.handle(self.now, input);
        for o in out {
            self.perform(i, o);
        }
        self.check();
    }

    fn perform(&mut self, i: usize, o: Output) {
        let now = self.now;
        let t = now.duration_since(self.start).as_secs_f64();
        let what = match &o {
            Output::Notice(n) => format!("{:?}: {n}", n.level()),
            o => format!("{o:?}"),
        };
        self.trace.push(format!("{t:9.3} {}: {what}", NAMES[i]));
        match o {
            Output::SendReport => self.send(i),
            Output::Run(g, a @ (ChainAction::Start | ChainAction::Restart | ChainAction::Stop)) => {
                self.fake_chain(i, g, a)
            }
            Output::Run(g, ChainAction::Reannounce) => self.nodes[i].reannounced.push(g.0),
            Output::Run(_, ChainAction::Monitor | ChainAction::Probe) => {}
            Output::MaintenanceChanged(_) => {}
            Output::Notice(n) => {
                if let Notice::Releasing {
                    group,
                    cause: YieldCause::Conflict,
                } = &n
                {
                    self.conflict_stops.push((now, i, group.clone()));
                }
                self.nodes[i].notices.push(n)
            }
            Output::Refused(why) => self.nodes[i].refused.push(why),
            Output::RequestDone { ok, summary } => self.nodes[i].done.push((ok, summary)),
            Output::ShutdownComplete { stop_failed, .. } => {
                // The daemon's last words, then it exits; membership on the
                // other side learns of the shutdown a little later.
                self.send(i);
                self.nodes[i].shutdown_complete = Some(stop_failed);
                self.nodes[i].own = None;
                let other = 1 - i;
                let generation = self.nodes[other].generation;
                self.jobs.push(Job {
                    at: now + Duration::from_millis(100),
                    node: other,
                    generation,
                    input: Input::PeerDead {
                        cause: DeadCause::Shutdown,
                    },
                });
            }
        }
    }

    /// A chain run on node `i`: its result comes back as an input after the
    /// node's delay, failed if the node's `Chains` say so.
    fn fake_chain(&mut self, i: usize, g: GroupIdx, action: ChainAction) {
        let at = self.now;
        let generation = self.nodes[i].generation;
        let node = &mut self.nodes[i];
        let starts = action != ChainAction::Stop;
        let c = &node.chains;
        let (always, per_mille, delay) = if starts {
            node.starts[g.0] += 1;
            (&c.start_fails, c.start_fail_per_mille, c.start_delay)
        } else {
            (&c.stop_fails, c.stop_fail_per_mille, c.stop_delay)
        };
        let fail = always.contains(&g.0) || self.rng.chance(per_mille);
        if fail {
            node.troubled.insert(g.0);
        }
        let result = match (fail, starts) {
            (false, _) => Ok(()),
            (true, true) => Err(ChainFailure::new("sim", "simulated start failure")),
            (true, false) => Err(ChainFailure::new("sim", "simulated stop failure")),
        };
        let input = if starts {
            Input::Started(g, result)
        } else {
            Input::Stopped(g, result)
        };
        self.jobs.push(Job {
            at: at + delay,
            node: i,
            generation,
            input,
        });
    }

    fn send(&mut self, i: usize) {
        let Some(own) = &self.nodes[i].own else {
            return;
        };
        let report = own.report();
        let from_gen = Generation(self.nodes[i].generation);
        if self.net.partitioned {
            return;
        }
        if self.rng.chance(self.net.drop_per_mille) {
            self.lost_since_apart += 1;
            return;
        }
        let copies = if self.rng.chance(self.net.dup_per_mille) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = self.now + self.rng.duration(self.net.min_delay, self.net.max_delay);
            self.queue.push(Msg {
                at,
                to: 1 - i,
                report: report.clone(),
                from_gen,
            });
        }
    }

    /// Allow a group on both nodes after a partition (or a node frozen,
    /// `own` taken) for [`Sim::double_hold_bound`] once they can talk.
    fn bounded_double(&mut self) {
        self.double_bound = Some(self.double_hold_bound());
    }

    /// How long after a heal a group may still be held by both: the
    /// conflict is seen in the next report each way (four keepalives in
    /// all, each up to the net's delay late, twice for the answer), then
    /// the loser's start in progress finishes and its stop runs. Each
    /// report lost after the heal adds a keepalive (see `check`).
    fn double_hold_bound(&self) -> Duration {
        let chains = self
            .nodes
            .iter()
            .map(|n| n.chains.start_delay + n.chains.stop_delay);
        4 * KEEPALIVE + 2 * self.net.max_delay + chains.max().unwrap_or_default()
    }

    fn check(&mut self) {
        if self.net.partitioned || !(self.alive(0) && self.alive(1)) {
            self.apart_at = Some(self.now);
            self.lost_since_apart = 0;
            return;
        }
        let a = self.nodes[0].own.as_ref().unwrap().groups();
        let b = self.nodes[1].own.as_ref().unwrap().groups();
        let since = self.apart_at.map(|t| self.now.duration_since(t));
        let mut doubled = false;
        for (ga, gb) in a.iter().zip(&b) {
            if ga.local_state == LocalState::Stopped || gb.local_state == LocalState::Stopped {
                continue;
            }
            doubled = true;
            self.worst_double = self.worst_double.max(since.unwrap_or_default());
            let lost = KEEPALIVE * self.lost_since_apart;
            let excused = matches!((self.double_bound, since), (Some(b), Some(s)) if s <= b + lost);
            if !excused {
                let t = self.now.duration_since(self.start).as_secs_f64();
                self.violations.push(format!(
                    "{t:.3}: both hold {} ({:?} / {:?}) {since:?} after they could talk",
                    ga.id, ga.local_state, gb.local_state
                ));
            }
        }
        // Losses only excuse the conflict they delayed, never a later one.
        if !doubled {
            self.lost_since_apart = 0;
        }
    }

    fn step(&mut self) {
        self.now += STEP;
        let now = self.now;
        // Deliver due messages in arrival order.
        let mut due: Vec<Msg> = Vec::new();
        let mut i = 0;
        while i < self.queue.len() {
            if self.queue[i].at <= now {
                due.push(self.queue.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|m| m.at);
        for m in due {
            self.input(m.to, Input::PeerReport(m.report, m.from_gen));
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut i = 0;
        while i < self.jobs.len() {
            if self.jobs[i].at <= now {
                jobs.push(self.jobs.swap_remove(i));
            } else {
                i += 1;
            }
        }
        jobs.sort_by_key(|j| j.at);
        for j in jobs {
            if self.nodes[j.node].generation == j.generation {
                self.input(j.node, j.input);
            }
        }
        if now >= self.next_keepalive {
            self.next_keepalive = now + KEEPALIVE;
            for i in 0..2 {
                self.send(i);
            }
        }
        for i in 0..2 {
            self.input(i, Input::Tick);
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.step();
        }
    }

    fn own(&self, i: usize) -> &Ownership {
        self.nodes[i].own.as_ref().expect("node is running")
    }

    fn state(&self, i: usize, g: usize) -> LocalState {
        self.own(i).groups()[g].local_state
    }

    /// Which nodes hold group `g` right now.
    fn holders(&self, g: usize) -> Vec<&'static str> {
        (0..2)
            .filter(|&i| self.alive(i) && self.state(i, g) != LocalState::Stopped)
            .map(|i| NAMES[i])
            .collect()
    }

    /// Whether node `i` logged a line containing `needle`: the words
    /// users grep the daemon's log for.
    fn logged(&self, i: usize, needle: &str) -> bool {
        self.nodes[i]
            .notices
            .iter()
            .any(|n| n.to_string().contains(needle))
    }

    fn assert_no_violations(&self) {
        assert!(
            self.violations.is_empty(),
            "split brain: {}",
            self.explain()
        );
    }

    /// Final states and the last lines of the trace.
    fn dump(&self, lines: usize) -> String {
        let mut out = Vec::new();
        for (name, node) in NAMES.iter().zip(&self.nodes) {
            if let Some(own) = &node.own {
                out.push(format!("{name}: {:?}\n  {:?}", own.report(), own.groups()));
            }
        }
        let tail = self.trace.len().saturating_sub(lines);
        out.extend(self.trace[tail..].iter().cloned());
        out.join("\n")
    }

    /// The first violation and the trace of the seconds before it.
    fn explain(&self) -> String {
        let Some(first) = self.violations.first() else {
            return "no violation".into();
        };
        let at: f64 = first
            .split(':')
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0.0);
        let mut lines: Vec<&str> = self
            .trace
            .iter()
            .filter(|l| {
                let t: f64 = l
                    .split_whitespace()
                    .next()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0.0);
                t > at - 5.0 && t <= at + 0.001
            })
            .map(String::as_str)
            .collect();
        lines.push(first);
        lines.join("\n")
    }
}
