//! Progress lines for a standby, takeover or stop under way: what the
//! asker sees while it waits (`heartbeat standby` prints them). Which
//! requests get them, and when each line is said, is decided here; the
//! driver only forwards them to the connection.

use super::node::Node;
use super::{Effect, RequestId};
use crate::action::{ChainAction, ChainFailure, Step};
use crate::ownership::{GroupIdx, Holder};
use std::time::{Duration, Instant};

/// The requests that asked for progress, each with when it arrived (a
/// line's time is counted from there).
#[derive(Debug, Default)]
pub struct Watchers {
    ids: Vec<(RequestId, Instant)>,
}

impl Watchers {
    pub fn watch(&mut self, id: RequestId, since: Instant) {
        self.ids.push((id, since));
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The verb for a chain action that moves a group, `None` for the rest.
fn moving(action: ChainAction) -> Option<(&'static str, &'static str)> {
    match action {
        ChainAction::Start => Some(("starting", "started")),
        ChainAction::Stop => Some(("releasing", "released")),
        ChainAction::Restart => Some(("restarting", "restarted")),
        _ => None,
    }
}

impl Node {
    /// Say `line`, as of `at`, to every watcher still waiting for its
    /// answer; forget those answered.
    fn progress(&mut self, at: Instant, line: &str, fx: &mut Vec<Effect>) {
        let waiting = |id: &RequestId| {
            self.pending_request == Some(*id) || self.pending_shutdown.contains(id)
        };
        let mut ids = std::mem::take(&mut self.watchers.ids);
        ids.retain(|(id, _)| waiting(id));
        for (id, since) in &ids {
            fx.push(Effect::Progress {
                id: *id,
                at_ms: ms(at.saturating_duration_since(*since)),
                line: line.to_string(),
            });
        }
        self.watchers.ids = ids;
    }

    /// A chain that moves a group begins here.
    pub(super) fn progress_begins(
        &mut self,
        now: Instant,
        g: GroupIdx,
        action: ChainAction,
        fx: &mut Vec<Effect>,
    ) {
        if self.watchers.is_empty() {
            return;
        }
        if let Some((verb, _)) = moving(action) {
            let line = format!("{}: {verb} {}", self.cfg.me, self.cfg.groups[g.0].id);
            self.progress(now, &line, fx);
        }
    }

    /// A chain that moves a group ended: each resource's step at the time
    /// it ended (the chain began at `began`), then the group's result.
    pub(super) fn progress_ends(
        &mut self,
        now: Instant,
        (g, action, began): (GroupIdx, ChainAction, Option<Instant>),
        steps: &[Step],
        result: &Result<(), ChainFailure>,
        fx: &mut Vec<Effect>,
    ) {
        if self.watchers.is_empty() {
            return;
        }
        let Some((_, done)) = moving(action) else {
            return;
        };
        let me = self.cfg.me.clone();
        for s in steps {
            let at = began.map_or(now, |b| b + Duration::from_secs_f64(s.ended_ms / 1000.0));
            let ok = if s.ok { "ok" } else { "FAILED" };
            let line = format!(
                "{me}: {} {} {ok} ({:.1} ms)",
                s.action, s.resource, s.took_ms
            );
            self.progress(at.min(now), &line, fx);
        }
        let group = self.cfg.groups[g.0].id.clone();
        let line = match result {
            Ok(()) => format!("{me}: {group} {done}"),
            Err(e) => format!("{me}: {group} not {done}: {}: {e}", e.resource),
        };
        self.progress(now, &line, fx);
    }

    /// Who holds each group, to compare before and after a peer's report.
    pub(super) fn holders(&self) -> Vec<Holder> {
        if self.watchers.is_empty() {
            return Vec::new();
        }
        self.ownership
            .groups()
            .into_iter()
            .map(|g| g.holder)
            .collect()
    }

    /// The peer's report shows it now runs groups it did not before.
    pub(super) fn progress_peer(&mut self, now: Instant, before: &[Holder], fx: &mut Vec<Effect>) {
        if self.watchers.is_empty() || before.is_empty() {
            return;
        }
        let peer = self.cfg.peer.clone();
        let after = self.ownership.groups();
        for (was, g) in before.iter().zip(after) {
            let peer_holds = |h: &Holder| matches!(h, Holder::Peer | Holder::Both);
            if peer_holds(&g.holder) && !peer_holds(was) {
                self.progress(now, &format!("{peer}: running {}", g.id), fx);
            }
        }
    }
}
