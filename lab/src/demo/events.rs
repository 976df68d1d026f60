//! What changed between two looks at the cluster, as one line per
//! transition with its time since the last thing the user did (the fault):
//! a peer declared dead or heard again, a link lost or back, a group taken
//! or released, the VIP answering from another node. Pure: fed
//! [`Snapshot`]s, it never looks at the lab.
//!
//! Times come from the daemons where they know better than our polling:
//! a takeover's beginning is the moment the peer was declared dead, and its
//! timeline says when the address was announced and when the chain ended.

use super::snapshot::{NodeView, Snapshot};
use crate::NODES;
use heartbeat::control::{LocalState, PeerStatus, StatusReport};
use heartbeat::core::timeline::Transition;
use std::collections::VecDeque;

/// One transition, at a time in ms since the live view began.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub at_ms: f64,
    pub what: String,
    /// When the transition's first virtual address went on the wire.
    pub announced_ms: Option<f64>,
}

impl Event {
    fn new(at_ms: f64, what: String) -> Event {
        Event {
            at_ms,
            what,
            announced_ms: None,
        }
    }
}

/// The event lines the view shows: the newest [`EventLog::KEEP`], timed
/// from the last fault.
#[derive(Debug, Default)]
pub struct EventLog {
    fault_ms: f64,
    lines: VecDeque<String>,
}

impl EventLog {
    pub const KEEP: usize = 12;

    /// The user did something (killed a node, cut a link…): later events
    /// are timed from now.
    pub fn fault(&mut self, at_ms: f64, what: &str) {
        self.fault_ms = at_ms;
        self.push(format!("> {what}"));
    }

    /// A line that is neither a fault nor a transition (a tool's result).
    pub fn note(&mut self, at_ms: f64, what: &str) {
        let at = self.since_fault(at_ms);
        self.push(format!("  {what} at {at}"));
    }

    pub fn record(&mut self, events: Vec<Event>) {
        for e in events {
            let mut line = format!("  {} at {}", e.what, self.since_fault(e.at_ms));
            if let Some(a) = e.announced_ms {
                line += &format!(" (address announced at {})", self.since_fault(a));
            }
            self.push(line);
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }

    fn since_fault(&self, at_ms: f64) -> String {
        format!("+{:.0} ms", (at_ms - self.fault_ms).max(0.0))
    }

    fn push(&mut self, line: String) {
        if self.lines.len() == Self::KEEP {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// Every transition from `prev` to `cur`, in time order.
pub fn detect(prev: &Snapshot, cur: &Snapshot) -> Vec<Event> {
    let mut out = Vec::new();
    for (i, name) in NODES.iter().enumerate() {
        match (&prev.nodes[i], &cur.nodes[i]) {
            (NodeView::Up(p), NodeView::Up(c)) => {
                let looks = (prev.node_ms[i], cur.node_ms[i]);
                node_changes(p, c, looks, &mut out)
            }
            (NodeView::Stopped | NodeView::Silent(_), NodeView::Up(_)) => {
                out.push(Event::new(cur.node_ms[i], format!("{name} answers status")))
            }
            _ => {}
        }
    }
    if prev.answer != cur.answer {
        let what = match &cur.answer {
            Some(n) => format!("VIP answering from {n}"),
            None => "VIP not answering".to_string(),
        };
        out.push(Event::new(cur.answer_ms, what));
    }
    out.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    out
}

/// What node `c.node` saw change between its statuses `p` and `c`, taken
/// at `looks` (ms since the view began).
fn node_changes(p: &StatusReport, c: &StatusReport, looks: (f64, f64), out: &mut Vec<Event>) {
    let (me, peer) = (&c.node, &c.peer);
    let at_ms = looks.1;
    // The daemon's timeline counts only if it began since the last look:
    // an older takeover says nothing about this change.
    let transition = c
        .last_transition
        .as_ref()
        .map(|t| (began_ms(t, at_ms), t))
        .filter(|(began, _)| *began >= looks.0 - 1.0);
    if p.peer_status != c.peer_status {
        match (p.peer_status, c.peer_status) {
            (_, PeerStatus::Dead) => out.push(Event::new(
                transition
                    .filter(|(_, t)| t.kind == "takeover")
                    .map_or(at_ms, |(began, _)| began),
                format!("{me} declared {peer} dead"),
            )),
            (PeerStatus::Dead | PeerStatus::Init, _) => {
                out.push(Event::new(at_ms, format!("{me} hears {peer} again")))
            }
            _ => {}
        }
    }
    for l in &c.links {
        let before = p.links.iter().find(|o| o.name == l.name).map(|o| o.state);
        if before.is_some_and(|b| b != l.state) {
            out.push(Event::new(
                at_ms,
                format!("{me}: link {} {}", l.name, l.state),
            ));
        }
    }
    for (n, g) in c.groups.iter().enumerate() {
        let name = format!("group {}", n + 1);
        let before = p
            .groups
            .iter()
            .find(|o| o.id == g.id)
            .map(|o| o.local_state);
        let Some(before) = before.filter(|b| *b != g.local_state) else {
            continue;
        };
        let e = match g.local_state {
            LocalState::Running => {
                group_done(transition, &g.id, at_ms, format!("{me} runs {name}"))
            }
            LocalState::Stopped if before != LocalState::Starting => {
                group_done(transition, &g.id, at_ms, format!("{me} released {name}"))
            }
            LocalState::StopFailed => Event::new(at_ms, format!("{me} failed to stop {name}")),
            _ => continue,
        };
        out.push(e);
    }
}

/// When transition `t` began in the view's clock, from a status taken at
/// `at_ms`.
fn began_ms(t: &Transition, at_ms: f64) -> f64 {
    at_ms - t.began_secs_ago * 1000.0
}

/// A group's chain finished: timed by the daemon's recent `transition`
/// (its beginning in the view's clock, and itself) when it is this
/// group's, else by the look.
fn group_done(
    transition: Option<(f64, &Transition)>,
    group: &str,
    at_ms: f64,
    what: String,
) -> Event {
    let t = transition.filter(|(_, t)| t.group == group && t.ended_ms.is_some());
    match t {
        Some((began, t)) => Event {
            at_ms: began + t.ended_ms.unwrap_or(0.0),
            what,
            announced_ms: t.announced_ms.map(|a| began + a),
        },
        None => Event::new(at_ms, what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::snapshot::fixture::{GROUP, report, steady};
    use heartbeat::control::LinkState;

    /// alpha killed at 1000 ms; bravo declares it dead at 1497 ms (its
    /// takeover began then), announces the address 3 ms later and ends the
    /// chain at +40 ms; the client hears bravo at 1540 ms.
    fn after_kill() -> Snapshot {
        let mut bravo = report("bravo", PeerStatus::Dead, "bravo", LocalState::Running);
        bravo.last_transition = Some(Transition {
            group: GROUP.into(),
            kind: "takeover".into(),
            cause: "peer dead".into(),
            began_secs_ago: 0.103,
            steps: Vec::new(),
            announced_ms: Some(3.0),
            ended_ms: Some(40.0),
            result: Some("ok".into()),
        });
        Snapshot {
            nodes: [NodeView::Stopped, NodeView::Up(Box::new(bravo))],
            node_ms: [1580.0, 1600.0],
            answer: Some("bravo".into()),
            answer_ms: 1540.0,
        }
    }

    #[test]
    fn a_kill_gives_dead_takeover_and_vip_lines_timed_from_the_fault() {
        let events = detect(&steady(900.0), &after_kill());
        let whats: Vec<&str> = events.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "bravo declared alpha dead",
                "bravo runs group 1",
                "VIP answering from bravo",
                "bravo: link eth1 dead",
            ]
        );
        let mut log = EventLog::default();
        log.fault(1000.0, "alpha killed");
        log.record(events);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines[0], "> alpha killed");
        assert!(
            lines.contains(&"  bravo declared alpha dead at +497 ms"),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"  VIP answering from bravo at +540 ms"),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"  bravo runs group 1 at +537 ms (address announced at +500 ms)"),
            "{lines:?}"
        );
    }

    #[test]
    fn an_older_takeover_does_not_time_a_new_death() {
        let mut cur = after_kill();
        let NodeView::Up(bravo) = &mut cur.nodes[1] else {
            unreachable!()
        };
        bravo.last_transition.as_mut().unwrap().began_secs_ago = 7.0;
        let events = detect(&steady(900.0), &cur);
        let dead = events.iter().find(|e| e.what.ends_with("dead")).unwrap();
        assert_eq!(dead.at_ms, 1600.0, "the look's time, not 7 s before it");
        let runs = events.iter().find(|e| e.what.contains("runs")).unwrap();
        assert_eq!((runs.at_ms, runs.announced_ms), (1600.0, None));
    }

    #[test]
    fn nothing_changed_is_no_event() {
        assert!(detect(&steady(0.0), &steady(100.0)).is_empty());
    }

    #[test]
    fn a_link_back_a_peer_heard_again_and_a_release_are_events() {
        let mut before = steady(0.0);
        let mut alpha = report("alpha", PeerStatus::Dead, "alpha", LocalState::Running);
        alpha.links[0].state = LinkState::Dead;
        before.nodes[0] = NodeView::Up(Box::new(alpha));
        let mut after = steady(200.0);
        after.nodes[0] = NodeView::Up(Box::new(report(
            "alpha",
            PeerStatus::Active,
            "bravo",
            LocalState::Stopped,
        )));
        let whats: Vec<String> = detect(&before, &after)
            .into_iter()
            .map(|e| e.what)
            .collect();
        assert!(
            whats.contains(&"alpha hears bravo again".to_string()),
            "{whats:?}"
        );
        assert!(
            whats.contains(&"alpha: link eth1 up".to_string()),
            "{whats:?}"
        );
        assert!(
            whats.contains(&"alpha released group 1".to_string()),
            "{whats:?}"
        );
    }

    #[test]
    fn the_log_keeps_the_newest_lines() {
        let mut log = EventLog::default();
        for i in 0..EventLog::KEEP + 3 {
            log.note(i as f64, &format!("n{i}"));
        }
        assert_eq!(log.lines().count(), EventLog::KEEP);
        assert_eq!(log.lines().next(), Some("  n3 at +3 ms"));
    }
}
