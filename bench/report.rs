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
        let _ = writeln!(
            m,
            "### Hand-over times (failure → first HTTP answer from bravo on the VIP)\n\n\
             | scenario | flavor | timings | ok/runs | min | median | max | detect (median) | after detect (median) | median vs ours |\n\
             |---|---|---|---|---|---|---|---|---|---|"
        );
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
        for (failure, flavor, timing) in &keys {
            let group: Vec<&Sample> = self
                .samples
                .iter()
                .filter(|s| {
                    s.failure.name() == failure && &s.flavor == flavor && &s.timing == timing
                })
                .collect();
            let totals: Vec<f64> = group.iter().filter_map(|s| s.total_ms).collect();
            let after: Vec<f64> = group
                .iter()
                .filter_map(|s| Some(s.total_ms? - s.detect_ms?))
                .collect();
            let detects: Vec<f64> = group.iter().filter_map(|s| s.detect_ms).collect();
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
                "| {failure} | {flavor} | {timing} | {}/{} | {} | {} | {} | {} | {} | {ratio} |",
                totals.len(),
                group.len(),
                cell(st, 0),
                cell(st, 1),
                cell(st, 2),
                cell(stats(&detects), 1),
                cell(stats(&after), 1),
            );
        }
        if !self.soak.is_empty() {
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
                    r.flavor,
                    r.keepalive_ms,
                    r.deadtime_ms,
                    r.effective_deadtime_ms,
                    r.late_warnings
                );
            }
        }
        if !self.footprint.is_empty() {
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
        if !self.flood.is_empty() {
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
        m
    }
}
