//! The live screen, as text: a header, who answers the client, both nodes
//! side by side (daemon, membership, links, groups, the last transition),
//! the event lines and the keys. Pure: [`render`] builds the lines from a
//! [`Snapshot`] and the [`EventLog`]; the caller draws them in place.

use super::events::EventLog;
use super::snapshot::{NodeView, Snapshot};
use crate::NODES;
use heartbeat::control::StatusReport;

/// What does not change while the demo runs.
pub struct Header {
    pub vip: String,
    pub keepalive: String,
    pub deadtime: String,
    /// The namespaces of the nodes, in [`NODES`] order.
    pub namespaces: [String; 2],
}

/// The first line of every screen; the tmux test counts it to see the
/// screen is redrawn, not scrolled.
pub const TITLE: &str = "heartbeat demo";

/// The help lines at the bottom.
pub const KEYS: [&str; 2] = [
    "keys: k kill the node serving the VIP  s stand it by  t take over on the other",
    "      c cut the crossover  r restore it and restart stopped nodes  q quit",
];

/// Every line fits an 80-column terminal: a wrapped line would make the
/// frame taller than the lines drawn and scroll the screen.
const WIDTH: usize = 79;
const LABEL: usize = 17;
const COLUMN: usize = 31;

/// The screen's lines, top to bottom.
pub fn render(h: &Header, s: &Snapshot, log: &EventLog) -> Vec<String> {
    let mut out = vec![
        format!(
            "{TITLE}: VIP {}, keepalive {}, deadtime {}",
            h.vip, h.keepalive, h.deadtime
        ),
        format!(
            "nodes in namespaces {} and {}",
            h.namespaces[0], h.namespaces[1]
        ),
        format!(
            "client: VIP {} answered by {}",
            h.vip,
            s.answer.as_deref().unwrap_or("nobody")
        ),
        String::new(),
        row("", &NODES.map(str::to_string)),
    ];
    out.extend(node_rows(&s.nodes).iter().map(|(l, c)| row(l, c)));
    let reports = [s.nodes[0].report(), s.nodes[1].report()];
    for (n, id) in group_ids(&reports).iter().enumerate() {
        out.push(format!("group {}: {id}", n + 1));
    }
    out.push(String::new());
    out.push("events (time since the last key you pressed):".to_string());
    out.extend(log.lines().map(str::to_string));
    for _ in log.lines().count()..EventLog::KEEP {
        out.push(String::new());
    }
    out.push(String::new());
    out.extend(KEYS.map(str::to_string));
    out.into_iter()
        .map(|l| l.chars().take(WIDTH).collect())
        .collect()
}

fn group_ids(reports: &[Option<&StatusReport>; 2]) -> Vec<String> {
    names(reports, |r| r.groups.iter().map(|g| g.id.clone()).collect())
}

fn row(label: &str, cells: &[String; 2]) -> String {
    let cut = |s: &str, w: usize| s.chars().take(w - 1).collect::<String>();
    let line = format!(
        "{:<LABEL$}{:<COLUMN$}{}",
        cut(label, LABEL),
        cut(&cells[0], COLUMN),
        cut(&cells[1], COLUMN)
    );
    line.trim_end().to_string()
}

/// One row per property; a node that is stopped or silent says so in its
/// first row and leaves the others empty.
fn node_rows(nodes: &[NodeView; 2]) -> Vec<(String, [String; 2])> {
    let reports = [nodes[0].report(), nodes[1].report()];
    let mut rows = vec![(
        "daemon".to_string(),
        [0, 1].map(|i| match &nodes[i] {
            NodeView::Stopped => "stopped".to_string(),
            NodeView::Silent(why) => format!("no status ({why})"),
            NodeView::Up(r) => format!("up {:.0}s", r.uptime_secs),
        }),
    )];
    let each = |f: &dyn Fn(&StatusReport) -> String| reports.map(|r| r.map(f).unwrap_or_default());
    rows.push((
        "peer".into(),
        each(&|r| format!("{} {}", r.peer, r.peer_status)),
    ));
    for name in names(&reports, |r| {
        r.links.iter().map(|l| l.name.clone()).collect()
    }) {
        let cell = |r: &StatusReport| {
            let Some(l) = r.links.iter().find(|l| l.name == name) else {
                return String::new();
            };
            match l.last_heard_secs {
                Some(s) => format!("{} (heard {s:.1}s ago)", l.state),
                None => l.state.to_string(),
            }
        };
        rows.push((format!("link {name}"), each(&cell)));
    }
    for (n, id) in group_ids(&reports).into_iter().enumerate() {
        let cell = |r: &StatusReport| {
            let Some(g) = r.groups.iter().find(|g| g.id == id) else {
                return String::new();
            };
            format!("{} here, held by {}", g.local_state, g.holder)
        };
        rows.push((format!("group {}", n + 1), each(&cell)));
    }
    rows.push(("maintenance".into(), each(&|r| r.maintenance.to_string())));
    rows.push(("last transition".into(), each(&last_transition)));
    rows.push((
        "deaths / late".into(),
        each(&|r| {
            format!(
                "{} / {}",
                r.counters.peer_deaths, r.counters.late_heartbeats
            )
        }),
    ));
    rows
}

/// The link or group names either node reports, first seen first.
fn names(
    reports: &[Option<&StatusReport>; 2],
    of: impl Fn(&StatusReport) -> Vec<String>,
) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for n in reports.iter().flatten().flat_map(|r| of(r)) {
        if !all.contains(&n) {
            all.push(n);
        }
    }
    all
}

fn last_transition(r: &StatusReport) -> String {
    let Some(t) = &r.last_transition else {
        return "none".to_string();
    };
    let took = match (t.ended_ms, &t.result) {
        (Some(e), Some(res)) => format!("{e:.0} ms {res}"),
        _ => "running".to_string(),
    };
    format!("{} {took}, {:.0}s ago", t.kind, t.began_secs_ago)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::events::{Event, EventLog};
    use crate::demo::snapshot::fixture::steady;

    fn header() -> Header {
        Header {
            vip: "10.213.7.100".into(),
            keepalive: "100ms".into(),
            deadtime: "500ms".into(),
            namespaces: ["dema".into(), "demb".into()],
        }
    }

    #[test]
    fn both_nodes_stand_side_by_side_with_who_answers_the_client() {
        let lines = render(&header(), &steady(0.0), &EventLog::default());
        assert!(lines[0].starts_with(TITLE));
        assert_eq!(lines[2], "client: VIP 10.213.7.100 answered by alpha");
        let names = lines
            .iter()
            .find(|l| l.contains("alpha") && l.contains("bravo"));
        assert!(names.is_some_and(|l| l.find("alpha") < l.find("bravo")));
        let peer = lines.iter().find(|l| l.starts_with("peer")).unwrap();
        assert!(
            peer.contains("bravo active") && peer.contains("alpha active"),
            "{peer}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("link eth1") && l.contains("up (heard 0.1s ago)"))
        );
        let group = lines.iter().find(|l| l.starts_with("group ")).unwrap();
        assert!(group.contains("running here, held by alpha"), "{group}");
        assert!(group.contains("stopped here, held by alpha"), "{group}");
        assert_eq!(lines[lines.len() - 2..], KEYS);
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
    }

    #[test]
    fn the_screen_keeps_its_height_as_events_come_and_a_stopped_node_says_so() {
        let mut log = EventLog::default();
        let mut s = steady(0.0);
        let empty = render(&header(), &s, &log).len();
        s.nodes[0] = NodeView::Stopped;
        s.answer = None;
        log.fault(10.0, "alpha killed");
        log.record(vec![Event {
            at_ms: 507.0,
            what: "bravo declared alpha dead".into(),
            announced_ms: None,
        }]);
        let lines = render(&header(), &s, &log);
        assert_eq!(
            lines.len(),
            empty,
            "same height, so a redraw covers the last one"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("daemon") && l.contains("stopped"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l == "  bravo declared alpha dead at +497 ms")
        );
        assert_eq!(lines[2], "client: VIP 10.213.7.100 answered by nobody");
        for _ in 0..2 * EventLog::KEEP {
            log.note(600.0, "more");
        }
        assert_eq!(render(&header(), &s, &log).len(), empty);
    }

    #[test]
    fn a_row_is_cut_to_its_column() {
        let long = "x".repeat(100);
        let r = row(&long, &[long.clone(), "b".into()]);
        assert_eq!(r.len(), LABEL + COLUMN + 1);
    }
}
