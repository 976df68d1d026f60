//! Where a transition's time goes. Every takeover, release, restart and
//! re-announce of a group is recorded from the decision (the `now` at which
//! the node asked for the chain run, which for a takeover is the moment the
//! peer was declared dead or its release arrived) to the chain's result,
//! with each resource's action and the moment the virtual address was
//! announced. The chain runner measures the steps (it sees the agents); the
//! node stamps the beginning and the end. `heartbeat status` shows the
//! latest transition and `--json` carries it; hb-bench reads it to say
//! where a failover's time went.

use crate::action::{ChainAction, ChainFailure, Step};
use crate::ownership::GroupIdx;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

/// One transition, as `status` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub group: String,
    /// `takeover`, `release`, `restart` or `re-announce`.
    pub kind: String,
    /// Why, in ownership's words (e.g. the peer died, the peer released it).
    pub cause: String,
    /// How long before the status was taken it began.
    pub began_secs_ago: f64,
    pub steps: Vec<Step>,
    /// When the first virtual address was on the wire, since it began.
    pub announced_ms: Option<f64>,
    /// When the chain's result arrived, since it began; none while it runs.
    pub ended_ms: Option<f64>,
    /// `ok`, or what failed; none while it runs.
    pub result: Option<String>,
}

fn kind(action: ChainAction) -> &'static str {
    match action {
        ChainAction::Start => "takeover",
        ChainAction::Stop => "release",
        ChainAction::Restart => "restart",
        ChainAction::Reannounce => "re-announce",
        ChainAction::Monitor => "monitor",
        ChainAction::Probe => "probe",
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The transitions under way (one per group at most: the action lock) and
/// the last one that ended.
#[derive(Debug, Default)]
pub struct Timelines {
    running: BTreeMap<GroupIdx, (Instant, Transition)>,
    last: Option<(Instant, Transition)>,
}

impl Timelines {
    /// A chain run was asked for. Monitors are not transitions.
    pub fn begin(
        &mut self,
        now: Instant,
        g: GroupIdx,
        action: ChainAction,
        group: String,
        cause: String,
    ) {
        if action.is_query() {
            return;
        }
        let t = Transition {
            group,
            kind: kind(action).to_string(),
            cause,
            began_secs_ago: 0.0,
            steps: Vec::new(),
            announced_ms: None,
            ended_ms: None,
            result: None,
        };
        self.running.insert(g, (now, t));
    }

    /// When the transition of `g` under way began.
    pub fn began(&self, g: GroupIdx) -> Option<Instant> {
        self.running.get(&g).map(|(began, _)| *began)
    }

    /// The chain's result arrived with the steps it measured.
    pub fn finish(
        &mut self,
        now: Instant,
        g: GroupIdx,
        steps: Vec<Step>,
        result: &Result<(), ChainFailure>,
    ) {
        let Some((began, mut t)) = self.running.remove(&g) else {
            return;
        };
        t.announced_ms = steps.iter().find(|s| s.announced).map(|s| s.ended_ms);
        t.steps = steps;
        t.ended_ms = Some(ms(now.saturating_duration_since(began)));
        t.result = Some(match result {
            Ok(()) => "ok".to_string(),
            Err(f) => f.to_string(),
        });
        if self.last.as_ref().is_none_or(|(b, _)| *b <= began) {
            self.last = Some((began, t));
        }
    }

    /// The latest transition to begin, running or ended.
    pub fn latest(&self, now: Instant) -> Option<Transition> {
        let running = self.running.values().max_by_key(|(began, _)| *began);
        let (began, t) = match (running, &self.last) {
            (Some(r), Some(l)) if l.0 > r.0 => l,
            (Some(r), _) => r,
            (None, Some(l)) => l,
            (None, None) => return None,
        };
        let mut t = t.clone();
        t.began_secs_ago = now.saturating_duration_since(*began).as_secs_f64();
        Some(t)
    }
}

impl fmt::Display for Transition {
    /// `last takeover of g (peer dead): VIP announced at +0.4 ms, ended at
    /// +31.2 ms: ok`, then one indented line per step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "last {} of {} ({}), {:.1}s ago",
            self.kind, self.group, self.cause, self.began_secs_ago
        )?;
        if let Some(a) = self.announced_ms {
            write!(f, ": address announced at +{a:.1} ms")?;
        }
        match (&self.ended_ms, &self.result) {
            (Some(e), Some(r)) => write!(f, ", ended at +{e:.1} ms: {r}")?,
            _ => write!(f, ", still running")?,
        }
        for s in &self.steps {
            let ok = if s.ok { "ok" } else { "failed" };
            write!(
                f,
                "\n  +{:>8.1} ms  {} {} {ok}",
                s.ended_ms, s.action, s.resource
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn step(resource: &str, ended_ms: f64, announced: bool) -> Step {
        Step {
            resource: resource.into(),
            action: "start".into(),
            ended_ms,
            took_ms: ended_ms,
            ok: true,
            announced,
        }
    }

    #[test]
    fn a_takeover_keeps_its_steps_and_the_moment_the_address_went_out() {
        let t0 = Instant::now();
        let mut tl = Timelines::default();
        tl.begin(
            t0,
            GroupIdx(0),
            ChainAction::Start,
            "g".into(),
            "peer dead".into(),
        );
        let running = tl.latest(t0 + Duration::from_millis(5)).unwrap();
        assert_eq!(
            (running.kind.as_str(), running.ended_ms),
            ("takeover", None)
        );
        let steps = vec![
            step("IPaddr::10.0.0.1", 0.4, true),
            step("apache", 30.0, false),
        ];
        tl.finish(t0 + Duration::from_millis(31), GroupIdx(0), steps, &Ok(()));
        let t = tl.latest(t0 + Duration::from_secs(2)).unwrap();
        assert_eq!(t.announced_ms, Some(0.4));
        assert_eq!(t.ended_ms, Some(31.0));
        assert_eq!(t.result.as_deref(), Some("ok"));
        assert_eq!(t.steps.len(), 2);
        assert!((t.began_secs_ago - 2.0).abs() < 1e-9);
        let text = t.to_string();
        assert!(text.contains("announced at +0.4 ms"), "{text}");
        assert!(text.contains("start apache ok"), "{text}");
    }

    #[test]
    fn monitors_are_not_transitions_and_the_latest_to_begin_is_shown() {
        let t0 = Instant::now();
        let mut tl = Timelines::default();
        tl.begin(
            t0,
            GroupIdx(0),
            ChainAction::Monitor,
            "g".into(),
            String::new(),
        );
        assert!(tl.latest(t0).is_none());
        tl.begin(
            t0,
            GroupIdx(0),
            ChainAction::Stop,
            "g0".into(),
            "standby".into(),
        );
        let later = t0 + Duration::from_millis(3);
        tl.begin(
            later,
            GroupIdx(1),
            ChainAction::Start,
            "g1".into(),
            "x".into(),
        );
        tl.finish(
            later,
            GroupIdx(0),
            vec![],
            &Err(ChainFailure::new("r", "r failed")),
        );
        // g1 began after g0, so it is the one shown though g0 ended later.
        assert_eq!(tl.latest(later).unwrap().group, "g1");
        tl.finish(later, GroupIdx(1), vec![], &Ok(()));
        let t = tl.latest(later).unwrap();
        assert_eq!((t.group.as_str(), t.result.as_deref()), ("g1", Some("ok")));
    }
}
