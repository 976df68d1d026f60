//! How long the agents take: one histogram of action durations per
//! (resource, action), fed from the steps each chain run reports, served in
//! `status --json` and as `heartbeat_agent_action_duration_seconds` by
//! `heartbeat metrics`. Buckets are fixed, so the memory is bounded by the
//! configured resources times two actions, however long the daemon runs.

use crate::action::Step;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Upper bounds in seconds: a Dummy start takes milliseconds, an IPaddr a
/// few tens, a Filesystem with fsck or a database start minutes.
pub const BOUNDS_SECONDS: [f64; 13] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// One (resource, action)'s durations, as status reports them: the
/// Prometheus shape, cumulative counts per upper bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DurationSeries {
    pub resource: String,
    /// `start` or `stop`.
    pub action: String,
    /// `(le, count of durations <= le)`, in [`BOUNDS_SECONDS`] order.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

#[derive(Clone, Debug, Default)]
struct Counts {
    /// Not cumulative: each duration counts in its first bucket only.
    per_bucket: [u64; BOUNDS_SECONDS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Every (resource, action) seen so far.
#[derive(Debug, Default)]
pub struct AgentDurations {
    series: BTreeMap<(String, String), Counts>,
}

impl AgentDurations {
    /// A chain run's steps: each is one agent call.
    pub fn observe(&mut self, steps: &[Step]) {
        for s in steps {
            let secs = (s.took_ms / 1000.0).max(0.0);
            let c = self
                .series
                .entry((s.resource.clone(), s.action.clone()))
                .or_default();
            if let Some(i) = BOUNDS_SECONDS.iter().position(|&le| secs <= le) {
                c.per_bucket[i] += 1;
            }
            c.count += 1;
            c.sum_seconds += secs;
        }
    }

    pub fn report(&self) -> Vec<DurationSeries> {
        self.series
            .iter()
            .map(|((resource, action), c)| {
                let mut below = 0;
                let buckets = BOUNDS_SECONDS
                    .iter()
                    .zip(c.per_bucket)
                    .map(|(&le, n)| {
                        below += n;
                        (le, below)
                    })
                    .collect();
                DurationSeries {
                    resource: resource.clone(),
                    action: action.clone(),
                    buckets,
                    count: c.count,
                    sum_seconds: c.sum_seconds,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(resource: &str, action: &str, took_ms: f64) -> Step {
        Step {
            resource: resource.into(),
            action: action.into(),
            ended_ms: took_ms,
            took_ms,
            ok: true,
            announced: false,
        }
    }

    #[test]
    fn durations_count_cumulatively_per_resource_and_action() {
        let mut h = AgentDurations::default();
        h.observe(&[step("apache", "start", 30.0), step("apache", "stop", 2.0)]);
        h.observe(&[
            step("apache", "start", 700.0),
            step("apache", "start", 900_000.0),
        ]);
        let r = h.report();
        assert_eq!(r.len(), 2);
        let start = &r[0];
        assert_eq!(
            (start.resource.as_str(), start.action.as_str()),
            ("apache", "start")
        );
        assert_eq!(start.count, 3);
        assert!((start.sum_seconds - 900.73).abs() < 1e-9);
        let at = |le: f64| start.buckets.iter().find(|b| b.0 == le).unwrap().1;
        assert_eq!(
            (at(0.01), at(0.05), at(0.5), at(1.0), at(300.0)),
            (0, 1, 1, 2, 2)
        );
        // Beyond the last bound only the count (le="+Inf") has it.
        assert_eq!(r[1].buckets[0], (0.01, 1));
    }
}
