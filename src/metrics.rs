//! The status report in the Prometheus text format (version 0.0.4), for
//! node_exporter's textfile collector (`heartbeat metrics`) and the
//! daemon's optional `metrics_listen` endpoint: one pure function serves
//! both. Names carry the `heartbeat_` prefix and their unit; states are
//! state sets (one series per possible state, 1 for the current one), so a
//! series never disappears when the state changes and alerts can match on
//! it. This module only formats: it never asks the daemon anything.

use crate::control::{GroupHolder, LinkState, LocalState, PeerStatus, StatusReport};
use std::fmt::Write;

/// The content type a scraper expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const PEER_STATES: [PeerStatus; 4] = [
    PeerStatus::Init,
    PeerStatus::Up,
    PeerStatus::Active,
    PeerStatus::Dead,
];
const LINK_STATES: [LinkState; 3] = [LinkState::Init, LinkState::Up, LinkState::Dead];
const LOCAL_STATES: [LocalState; 5] = [
    LocalState::Stopped,
    LocalState::Starting,
    LocalState::Running,
    LocalState::Stopping,
    LocalState::StopFailed,
];

/// A metrics text being written: each family's HELP and TYPE once, then
/// its samples.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<Value>) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.0, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.0, " {}", value.into());
    }

    /// A family with one unlabelled sample.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl Into<Value>) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// A sample's value: counts print as integers, measurements as decimals.
enum Value {
    Int(u64),
    Float(f64),
}

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(v.into())
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) if x.is_finite() => write!(f, "{x}"),
            Value::Float(x) if x.is_nan() => f.write_str("NaN"),
            Value::Float(x) if *x > 0.0 => f.write_str("+Inf"),
            Value::Float(_) => f.write_str("-Inf"),
        }
    }
}

/// A label value as the format wants it: backslash, quote and newline
/// escaped (a group key or resource spec may hold any of them).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What `heartbeat metrics` prints when no daemon answers: a scrape that
/// says so, rather than a stale file.
pub fn render_down() -> String {
    let mut t = Text::default();
    up(&mut t, false);
    t.0
}

fn up(t: &mut Text, up: bool) {
    t.single(
        "heartbeat_up",
        "gauge",
        "Whether the heartbeat daemon answered on its control socket.",
        up,
    );
}

/// Everything the status report says, as metrics.
pub fn render(s: &StatusReport) -> String {
    let mut t = Text::default();
    up(&mut t, true);
    daemon(&mut t, s);
    peer_and_links(&mut t, s);
    groups(&mut t, s);
    checks(&mut t, s);
    counters(&mut t, s);
    durations(&mut t, s);
    t.0
}

fn daemon(t: &mut Text, s: &StatusReport) {
    t.family(
        "heartbeat_build_info",
        "gauge",
        "The daemon's version and node name, always 1.",
    );
    let schema = s.schema_version.to_string();
    t.sample(
        "heartbeat_build_info",
        &[
            ("version", &s.version),
            ("node", &s.node),
            ("schema_version", &schema),
        ],
        1u64,
    );
    t.single(
        "heartbeat_uptime_seconds",
        "gauge",
        "Seconds since the daemon started.",
        s.uptime_secs,
    );
    t.single(
        "heartbeat_generation",
        "gauge",
        "This node's generation (raised at every daemon start).",
        s.generation,
    );
    let secs = |ms: u64| ms as f64 / 1000.0;
    t.single(
        "heartbeat_keepalive_seconds",
        "gauge",
        "The keepalive interval from ha.cf.",
        secs(s.keepalive_ms),
    );
    t.single(
        "heartbeat_deadtime_seconds",
        "gauge",
        "The deadtime from ha.cf: silence after which the peer is declared dead.",
        secs(s.deadtime_ms),
    );
    t.single(
        "heartbeat_ping_reachable",
        "gauge",
        "Ping nodes and ping groups reachable from this node.",
        u64::from(s.ping_reachable),
    );
}

fn peer_and_links(t: &mut Text, s: &StatusReport) {
    t.family(
        "heartbeat_peer_state",
        "gauge",
        "The peer's state as cl_status nodestatus says it: 1 for the current state.",
    );
    for st in PEER_STATES {
        let labels = [("peer", s.peer.as_str()), ("state", st.word())];
        t.sample("heartbeat_peer_state", &labels, st == s.peer_status);
    }
    t.family(
        "heartbeat_link_state",
        "gauge",
        "Each heartbeat link's state: 1 for the current state.",
    );
    for l in &s.links {
        for st in LINK_STATES {
            let labels = [("link", l.name.as_str()), ("state", st.word())];
            t.sample("heartbeat_link_state", &labels, st == l.state);
        }
    }
    t.family(
        "heartbeat_link_last_heard_seconds",
        "gauge",
        "Seconds since each link last carried a packet from the peer (absent if never).",
    );
    for l in &s.links {
        if let Some(age) = l.last_heard_secs {
            t.sample(
                "heartbeat_link_last_heard_seconds",
                &[("link", &l.name)],
                age,
            );
        }
    }
}

fn groups(t: &mut Text, s: &StatusReport) {
    t.family(
        "heartbeat_group_holder",
        "gauge",
        "Who holds each resource group: 1 for the current holder (this node, the peer, none or both).",
    );
    for g in &s.groups {
        let me = GroupHolder::Node(s.node.clone());
        let peer = GroupHolder::Node(s.peer.clone());
        for h in [me, peer, GroupHolder::Nobody, GroupHolder::Both] {
            let name = h.to_string();
            let labels = [("group", g.id.as_str()), ("holder", name.as_str())];
            t.sample("heartbeat_group_holder", &labels, h == g.holder);
        }
    }
    t.family(
        "heartbeat_group_local_state",
        "gauge",
        "Each resource group's state on this node: 1 for the current state.",
    );
    for g in &s.groups {
        for st in LOCAL_STATES {
            let labels = [("group", g.id.as_str()), ("state", st.word())];
            t.sample("heartbeat_group_local_state", &labels, st == g.local_state);
        }
    }
    t.family(
        "heartbeat_group_state_seconds",
        "gauge",
        "Seconds since each resource group's last transition.",
    );
    for g in &s.groups {
        t.sample(
            "heartbeat_group_state_seconds",
            &[("group", &g.id)],
            g.since_secs,
        );
    }
}

/// heartbeat.toml's health checks: one state set per check.
fn checks(t: &mut Text, s: &StatusReport) {
    use crate::core::Health;
    if s.checks.is_empty() {
        return;
    }
    t.family(
        "heartbeat_check_health",
        "gauge",
        "Each health check's state on this node: 1 for the current state (idle: its group does not run here).",
    );
    for c in &s.checks {
        for (h, word) in [
            (Health::Idle, "idle"),
            (Health::Healthy, "healthy"),
            (Health::Failing, "failing"),
        ] {
            let labels = [
                ("check", c.name.as_str()),
                ("group", c.group.as_str()),
                ("health", word),
            ];
            t.sample("heartbeat_check_health", &labels, h == c.health);
        }
    }
}

fn counters(t: &mut Text, s: &StatusReport) {
    let c = &s.counters;
    let counters = [
        (
            "heartbeat_peer_deaths_total",
            "Times the peer was declared dead.",
            c.peer_deaths,
        ),
        (
            "heartbeat_late_heartbeats_total",
            "Heartbeats from the peer that came after warntime.",
            c.late_heartbeats,
        ),
        (
            "heartbeat_local_stalls_total",
            "Times this daemon itself was not scheduled in time (its own late heartbeats).",
            c.local_stalls,
        ),
        (
            "heartbeat_duplicate_packets_total",
            "Packets seen twice (on two media): not processed again, not an error.",
            c.duplicate,
        ),
        (
            "heartbeat_log_lines_dropped_total",
            "Log lines dropped because the log writer fell behind.",
            c.log_lines_dropped,
        ),
        (
            "heartbeat_queued_keepalives_dropped_total",
            "Keepalives dropped from the queue of a medium that fell behind.",
            c.dropped_keepalives_queued,
        ),
    ];
    for (name, help, v) in counters {
        t.single(name, "counter", help, v);
    }
    t.family(
        "heartbeat_dropped_packets_total",
        "counter",
        "Packets received and dropped, by reason.",
    );
    for (reason, n) in c.dropped_by_reason() {
        t.sample("heartbeat_dropped_packets_total", &[("reason", reason)], n);
    }
}

fn durations(t: &mut Text, s: &StatusReport) {
    const NAME: &str = "heartbeat_agent_action_duration_seconds";
    t.family(
        NAME,
        "histogram",
        "How long resource agents took to start and stop, by resource and action.",
    );
    for d in &s.agent_durations {
        let (r, a) = (d.resource.as_str(), d.action.as_str());
        for (le, n) in &d.buckets {
            let le = le.to_string();
            let labels = [("resource", r), ("action", a), ("le", le.as_str())];
            t.sample(&format!("{NAME}_bucket"), &labels, *n);
        }
        let inf = [("resource", r), ("action", a), ("le", "+Inf")];
        t.sample(&format!("{NAME}_bucket"), &inf, d.count);
        let labels = [("resource", r), ("action", a)];
        t.sample(&format!("{NAME}_sum"), &labels, d.sum_seconds);
        t.sample(&format!("{NAME}_count"), &labels, d.count);
    }
}

#[cfg(test)]
mod tests;
