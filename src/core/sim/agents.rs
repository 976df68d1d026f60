//! The fake agents: per node and group, whether the resources run, what
//! each chain action does (succeed, fail, fail to stop, hang until the
//! chain's timeout) and how long it takes.

use super::{AGENT_TIMEOUT, Event, NAMES, Sim};
use crate::action::{ChainAction, ChainFailure, Step};
use crate::core::Input;
use crate::ownership::GroupIdx;

/// How a node's fake agent for one group behaves.
#[derive(Clone, Debug, Default)]
pub(crate) struct AgentFaults {
    pub start_fails: bool,
    /// Stop fails hard: the group stays running.
    pub stop_fails: bool,
    /// Start or stop hangs until the chain's timeout kills it.
    pub hangs: bool,
    pub start_fail_per_mille: u32,
    pub stop_fail_per_mille: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Agent {
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
    /// Its last stop failed with the group still running: it may stay on
    /// both nodes until an operator cleans up.
    pub stuck: bool,
}

impl Sim {
    /// What a fake agent does with one chain action, decided when it
    /// begins; the result arrives after the chain's delay.
    pub(super) fn run_chain(&mut self, i: usize, g: GroupIdx, action: ChainAction) {
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
            ChainAction::Monitor | ChainAction::Probe => (
                if agent.running { Ok(()) } else { Err(failed()) },
                delay / 10,
            ),
        };
        if ok.is_err() && !action.is_query() {
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

    pub(super) fn finish_chain(
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
            (ChainAction::Stop, Ok(())) => {
                agent.running = false;
                agent.stuck = false;
            }
            (_, Err(f)) if f.still_running => agent.stuck = true,
            _ => {}
        }
        let g = GroupIdx(group);
        // One step stands for the whole fake chain; a start announces.
        let steps = vec![Step {
            resource: format!("fake-{group}"),
            action: action.word().to_string(),
            ended_ms: 0.0,
            took_ms: 0.0,
            ok: ok.is_ok(),
            announced: ok.is_ok() && matches!(action, ChainAction::Start | ChainAction::Reannounce),
        }];
        self.input(
            i,
            Input::ChainDone {
                group: g,
                action,
                result: ok,
                steps,
            },
        );
    }

    /// A service dies under the node (found by the next monitor poll).
    pub fn kill_service(&mut self, i: usize, g: usize) {
        self.log(format!("service of group {g} dies on {}", NAMES[i]));
        self.nodes[i].agents[g].running = false;
        self.nodes[i].agents[g].troubled = true;
    }
}
