//! Results: kept as JSON (every sample, with bravo's log timeline) and
//! summarised as markdown tables with min / median / max and the ratio of
//! each peer's median to ours.

use crate::scenarios::{FloodResult, Footprint, Sample, SoakResult};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

#[derive(Serialize, Deserialize)]
pub struct Results {
    pub command: String,
    pub started: String,
    pub machine: String,
    pub runs: usize,
    pub soak_seconds: u64,
    pub idle_seconds: u64,
    pub samples: Vec<Sample>,
    pub soak: Vec<SoakResult>,
    pub footprint: Vec<Footprint>,
    pub flood: Vec<FloodResult>,
}

pub fn opt_ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms"))
        .unwrap_or_else(|| "-".into())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpus} CPUs, {model}, Linux {}", kernel.trim())
}

/// (min, median, max) of the values present.
pub fn stats(v: &[f64]) -> Option<(f64, f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let mid = if s.len() % 2 == 1 {
        s[s.len() / 2]
    } else {
        (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
    };
    Some((s[0], mid, s[s.len() - 1]))
}

impl Results {
    pub fn new(command: &str, runs: usize, soak_seconds: u64, idle_seconds: u64) -> Results {
        let started = std::process::Command::new("date")
            .arg("-u")
            .arg("+%Y-%m-%dT%H:%M:%SZ")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Results {
            command: command.to_string(),
            started,
            machine: machine(),
            runs,
            soak_seconds,
            idle_seconds,
            samples: Vec::new(),
            soak: Vec::new(),
            footprint: Vec::new(),
            flood: Vec::new(),
        }
    }

    /// Takes in another run's results (e.g. the peers measured earlier),
    /// keeping this run's command and machine.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let other: Results =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        self.command = format!("{}; merged with: {}", self.command, other.command);
        self.samples.extend(other.samples);
        self.soak.extend(other.soak);
        self.footprint.extend(other.footprint);
        self.flood.extend(other.flood);
        Ok(())
    }

    /// Writes results.json and results.md (rewritten after every part, so an
    /// interrupted run keeps what it measured).
    pub fn save(&self, dir: &Path) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return;
        }
        match serde_json::to_string_pretty(self) {
            Ok(j) => {
                let _ = std::fs::write(dir.join("results.json"), j);
            }
            Err(e) => eprintln!("results.json: {e}"),
        }
        let _ = std::fs::write(dir.join("results.md"), self.markdown());
    }

    fn median_of(
        &self,
        flavor: &str,
        failure: &str,
        timing_fast: bool,
        detect: bool,
    ) -> Option<f64> {
        let v: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| {
                s.flavor == flavor
                    && s.failure.name() == failure
                    && s.timing.starts_with("fastest") == timing_fast
            })
            .filter_map(|s| if detect { s.detect_ms } else { s.total_ms })
            .collect();
        stats(&v).map(|(_, m, _)| m)
    }

    pub fn markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(m, "Command: `{}`  ", self.command);
        let _ = writeln!(m, "Started: {}; machine: {}\n", self.started, self.machine);
        self.hand_over_table(&mut m);
        if !self.soak.is_empty() {
            self.soak_table(&mut m);
        }
        if !self.footprint.is_empty() {
            self.footprint_table(&mut m);
        }
        if !self.flood.is_empty() {
            self.flood_table(&mut m);
        }
        m
    }

    /// The distinct (failure, flavor, timing) groups of the samples, in
    /// the order they first appear.
    fn sample_groups(&self) -> Vec<(String, String, String)> {
        let mut keys: Vec<(String, String, String)> = Vec::new();
        for s in &self.samples {
            let k = (
                s.failure.name().to_string(),
                s.flavor.clone(),
                s.timing.clone(),
            );
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    fn hand_over_table(&self, m: &mut String) {
        let _ = writeln!(
            m,
            "### Hand-over times (failure → first HTTP answer from bravo on the VIP)\n\n\
             | scenario | flavor | timings | ok/runs | min | median | max | detect (median) | after detect (median) | VIP announced on the wire (median) | detect → announced (median) | median vs ours |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for (failure, flavor, timing) in &self.sample_groups() {
            self.hand_over_row(m, failure, flavor, timing);
        }
        self.own_timeline_table(m);
    }

    /// Where ours spends a takeover, from bravo's own timeline: from its
    /// decision (death declared, release received) to the VIP announced and
    /// to the whole chain started.
    fn own_timeline_table(&self, m: &mut String) {
        let own: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.transition.is_some())
            .collect();
        if own.is_empty() {
            return;
        }
        let _ = writeln!(
            m,
            "\n### Ours: bravo's own timeline of the takeover (decision → …, ms)\n\n\
             | scenario | timings | runs | VIP announced: min / median / max | group started: min / median / max |\n|---|---|---|---|---|"
        );
        for (failure, flavor, timing) in &self.sample_groups() {
            let group: Vec<&&Sample> = own
                .iter()
                .filter(|s| {
                    s.failure.name() == failure && &s.flavor == flavor && &s.timing == timing
                })
                .collect();
            let pick = |f: fn(&heartbeat::core::Transition) -> Option<f64>| -> Vec<f64> {
                group
                    .iter()
                    .filter_map(|s| f(s.transition.as_ref()?))
                    .collect()
            };
            let three = |v: Vec<f64>| match stats(&v) {
                Some((a, b, c)) => format!("{a:.2} / {b:.2} / {c:.2}"),
                None => "-".into(),
            };
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(
                m,
                "| {failure} | {timing} | {} | {} | {} |",
                group.len(),
                three(pick(|t| t.announced_ms)),
                three(pick(|t| t.ended_ms)),
            );
        }
    }

    /// One group's row: totals, detection and the rest, and the ratio of
    /// its median to ours.
    fn hand_over_row(&self, m: &mut String, failure: &str, flavor: &str, timing: &str) {
        let group: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.failure.name() == failure && s.flavor == flavor && s.timing == timing)
            .collect();
        let totals: Vec<f64> = group.iter().filter_map(|s| s.total_ms).collect();
        let after: Vec<f64> = group
            .iter()
            .filter_map(|s| Some(s.total_ms? - s.detect_ms?))
            .collect();
        let detects: Vec<f64> = group.iter().filter_map(|s| s.detect_ms).collect();
        let announced: Vec<f64> = group.iter().filter_map(|s| s.announced_ms).collect();
        let detect_to_announced: Vec<f64> = group
            .iter()
            .filter_map(|s| Some(s.announced_ms? - s.detect_ms?))
            .collect();
        let fast = timing.starts_with("fastest");
        let ratio = match (stats(&totals), self.median_of("ours", failure, fast, false)) {
            (Some((_, med, _)), Some(ours)) if ours > 0.0 => format!("{:.2}×", med / ours),
            _ => "-".into(),
        };
        let cell = |v: Option<(f64, f64, f64)>, i: usize| {
            v.map(|t| format!("{:.0}", [t.0, t.1, t.2][i]))
                .unwrap_or_else(|| "-".into())
        };
        let st = stats(&totals);
        let _ = writeln!(
            m,
            "| {failure} | {flavor} | {timing} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {ratio} |",
            totals.len(),
            group.len(),
            cell(st, 0),
            cell(st, 1),
            cell(st, 2),
            cell(stats(&detects), 1),
            cell(stats(&after), 1),
            cell(stats(&announced), 1),
            cell(stats(&detect_to_announced), 1),
        );
    }

    fn soak_table(&self, m: &mut String) {
        let _ = writeln!(
            m,
            "\n### Smallest deadtime without false failover under `stress-ng --cpu 2` ({} s per candidate)\n\n\
             | flavor | keepalive / advert (ms) | deadtime (ms) | effective (ms) | result | late-heartbeat warnings |\n|---|---|---|---|---|---|",
            self.soak_seconds
        );
        for r in &self.soak {
            let res = match r.false_failover_after_s {
                None => format!("held {} s", r.seconds_planned),
                Some(s) => format!(
                    "false failover after {s:.1} s ({})",
                    r.what.clone().unwrap_or_default()
                ),
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {res} | {} |",
                r.flavor, r.keepalive_ms, r.deadtime_ms, r.effective_deadtime_ms, r.late_warnings
            );
        }
    }

    fn footprint_table(&self, m: &mut String) {
        let _ = writeln!(
            m,
            "\n### Idle footprint (whole daemon process family, {} s window)\n\n\
             | flavor | node | processes | RSS sum (KiB) | PSS sum (KiB) | CPU (ms) | CPU % |\n|---|---|---|---|---|---|---|",
            self.idle_seconds
        );
        for f in &self.footprint {
            let _ = writeln!(
                m,
                "| {} | {} ({}) | {} | {} | {} | {:.0} | {:.2} |",
                f.flavor,
                f.node,
                f.role,
                f.processes.join(", "),
                f.rss_kib,
                f.pss_kib,
                f.cpu_seconds * 1000.0,
                f.cpu_seconds / f.window_s.max(0.001) * 100.0
            );
        }
    }

    fn flood_table(&self, m: &mut String) {
        let _ = writeln!(
            m,
            "\n### Forged-packet flood at the active node\n\n\
             | flavor | timings | sent | rate (/s) | active CPU % | stayed active | false failover | active log lines | note |\n|---|---|---|---|---|---|---|---|---|"
        );
        for r in &self.flood {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {:.0} | {:.1} | {} | {} | {} | {} |",
                r.flavor,
                r.timing,
                r.packets_sent,
                r.rate_per_s,
                r.cpu_percent_active,
                r.stayed_active,
                r.false_failover,
                r.log_lines_active,
                r.note
            );
        }
    }
}

/// Marks drawn on a flavor's lane: (label, line patterns that all match).
fn milestones(flavor: &str) -> &'static [(&'static str, &'static [&'static str])] {
    match flavor {
        "keepalived" => &[
            ("MASTER", &["Entering MASTER STATE"]),
            ("VIP set", &["setting VIPs"]),
            ("garp", &["Sending gratuitous ARP on eth0"]),
        ],
        _ => &[
            ("takeover begins", &["acquired from alpha"]),
            ("IPaddr start", &["Running", "10.213.7.100", "start"]),
            ("webnode start", &["Running", "webnode", "start"]),
        ],
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The plot's horizontal scale: `span` ms across `width` px from `left`.
struct Axis {
    left: f64,
    width: f64,
    span: f64,
}

impl Axis {
    fn x(&self, ms: f64) -> f64 {
        self.left + ms / self.span * self.width
    }
}

/// Vertical layout of the plot: lanes of `LANE_H` px below `TOP`.
const TOP: f64 = 60.0;
const LANE_H: f64 = 90.0;

impl Results {
    /// The median run of each flavor's `plot` on one time axis: detection
    /// (for a failure), takeover steps seen in bravo's log, and the first
    /// answer from bravo.
    pub fn timeline_svg(&self, plot: Plot) -> Option<String> {
        let lanes = self.median_runs(plot);
        if lanes.is_empty() {
            return None;
        }
        let span = lanes
            .iter()
            .filter_map(|s| s.total_ms)
            .fold(0.0f64, f64::max)
            .max(1.0)
            * 1.08;
        let ax = Axis {
            left: 150.0,
            width: 690.0,
            span,
        };
        let mut o = String::new();
        svg_title(&mut o, plot, TOP + LANE_H * lanes.len() as f64 + 50.0);
        svg_time_axis(&mut o, &ax, TOP + LANE_H * lanes.len() as f64 + 10.0);
        for (n, s) in lanes.iter().enumerate() {
            svg_lane(&mut o, &ax, TOP + LANE_H * n as f64 + 30.0, s);
        }
        o.push_str("</svg>\n");
        Some(o)
    }

    /// Per flavor, the run of median total among its successful runs of
    /// `plot`.
    fn median_runs(&self, plot: Plot) -> Vec<&Sample> {
        let mut lanes: Vec<&Sample> = Vec::new();
        for flavor in ["ours", "original", "keepalived"] {
            let mut runs: Vec<&Sample> = self
                .samples
                .iter()
                .filter(|s| {
                    s.flavor == flavor
                        && s.failure == plot.failure()
                        && s.timing.starts_with("fastest") == (plot == Plot::Failover)
                        && s.total_ms.is_some()
                })
                .collect();
            runs.sort_by(|a, b| {
                a.total_ms
                    .unwrap_or(0.0)
                    .total_cmp(&b.total_ms.unwrap_or(0.0))
            });
            if let Some(s) = runs.get(runs.len() / 2) {
                lanes.push(s);
            }
        }
        lanes
    }
}

/// Which hand-over a timeline plot shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plot {
    /// SIGKILL of alpha's daemon at each flavor's fastest timings.
    Failover,
    /// `hb_standby` (keepalived: SIGTERM) at the standard timings.
    Switchover,
}

impl Plot {
    fn failure(self) -> crate::scenarios::Failure {
        match self {
            Plot::Failover => crate::scenarios::Failure::Kill,
            Plot::Switchover => crate::scenarios::Failure::Standby,
        }
    }

    fn title(self) -> (&'static str, &'static str) {
        match self {
            Plot::Failover => (
                "One unplanned failover (SIGKILL of alpha's daemon, fastest timings; median run)",
                "t = 0: kill. Blue: until bravo logs alpha dead. Orange: takeover until the client gets bravo's answer on the VIP.",
            ),
            Plot::Switchover => (
                "One planned switchover (hb_standby on alpha; keepalived: SIGTERM; median run)",
                "t = 0: the command. Orange: until the client gets bravo's answer on the VIP.",
            ),
        }
    }
}

/// The opening `<svg>` tag, background, title and legend.
fn svg_title(o: &mut String, plot: Plot, height: f64) {
    let (title, legend) = plot.title();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"{height:.0}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{title}</text>\n\
         <text x=\"10\" y=\"42\" fill=\"#555\">{legend}</text>"
    );
}

/// The time axis at `axis_y`, with round ticks and grid lines up to the top.
fn svg_time_axis(o: &mut String, ax: &Axis, axis_y: f64) {
    let step = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        .into_iter()
        .find(|s| ax.span / s <= 10.0)
        .unwrap_or(2000.0);
    let _ = writeln!(
        o,
        "<line x1=\"{}\" y1=\"{axis_y}\" x2=\"{}\" y2=\"{axis_y}\" stroke=\"#333\"/>",
        ax.left,
        ax.left + ax.width
    );
    let mut t = 0.0;
    while t <= ax.span {
        let _ = writeln!(
            o,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#ddd\"/>\
             <text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4} ms</text>",
            ax.x(t),
            TOP - 10.0,
            axis_y,
            axis_y + 16.0,
            t
        );
        t += step;
    }
}

/// One run's lane centred on `y`: its labels, the detection and takeover
/// bars with their times, and the milestones from bravo's log.
fn svg_lane(o: &mut String, ax: &Axis, y: f64, s: &Sample) {
    let total = s.total_ms.unwrap_or(0.0);
    let detect = s.detect_ms.unwrap_or(total).min(total);
    let _ = writeln!(
        o,
        "<text x=\"10\" y=\"{:.0}\" font-weight=\"bold\">{}</text>\
         <text x=\"10\" y=\"{:.0}\" fill=\"#555\">{}</text>",
        y + 4.0,
        esc(&s.flavor),
        y + 20.0,
        esc(&s.timing)
    );
    let _ = writeln!(
        o,
        "<rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"14\" fill=\"#4a7fd0\"/>\
         <rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"14\" fill=\"#f0a030\"/>",
        ax.x(0.0),
        y - 7.0,
        ax.x(detect) - ax.x(0.0),
        ax.x(detect),
        y - 7.0,
        (ax.x(total) - ax.x(detect)).max(1.0)
    );
    let _ = writeln!(
        o,
        "<text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\">dead @ {detect:.0}</text>\
         <text x=\"{:.1}\" y=\"{:.0}\" font-size=\"11\" font-weight=\"bold\">answer @ {total:.0} ms</text>",
        ax.x(detect),
        y + 22.0,
        ax.x(total) + 4.0,
        y + 4.0
    );
    svg_milestones(o, ax, y, s);
}

/// A tick and label for each of the flavor's milestones found in the
/// run's timeline, stacked upwards.
fn svg_milestones(o: &mut String, ax: &Axis, y: f64, s: &Sample) {
    for (k, (label, pats)) in milestones(&s.flavor).iter().enumerate() {
        let Some((at, _)) = s
            .timeline
            .iter()
            .find(|(_, l)| pats.iter().all(|p| l.contains(p)))
        else {
            continue;
        };
        // Labels near the right edge grow leftwards to stay inside.
        let anchor = if ax.x(*at) > ax.left + ax.width * 0.7 {
            "end"
        } else {
            "start"
        };
        let _ = writeln!(
            o,
            "<line x1=\"{0:.1}\" y1=\"{1:.0}\" x2=\"{0:.1}\" y2=\"{2:.0}\" stroke=\"#222\"/>\
             <text x=\"{0:.1}\" y=\"{3:.0}\" font-size=\"10\" fill=\"#222\" text-anchor=\"{anchor}\">{4} @ {5:.0}</text>",
            ax.x(*at),
            y - 10.0,
            y + 8.0,
            y - 13.0 - 11.0 * k as f64,
            esc(label),
            at
        );
    }
}
