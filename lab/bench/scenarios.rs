//! The measurements. Each builds its own lab (torn down by `Lab`'s Drop,
//! also on error) and returns plain numbers for the report.

use crate::procfs;
use crate::watch::LogWatch;
use hb_lab::{self as lab, Flavor, Lab, LabConfig, VIP};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// ha.cf timings (keepalived derives `advert_int` from `keepalive`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Timing {
    pub label: String,
    pub keepalive: String,
    pub warntime: String,
    pub deadtime: String,
    pub initdead: String,
}

impl Timing {
    pub fn new(label: &str, keepalive_ms: u64, deadtime_ms: u64) -> Timing {
        let ms = |v: u64| format!("{v}ms");
        Timing {
            label: label.to_string(),
            keepalive: ms(keepalive_ms),
            warntime: ms((deadtime_ms * 3 / 5).max(keepalive_ms + 1)),
            deadtime: ms(deadtime_ms),
            initdead: ms((deadtime_ms * 2).max(3000)),
        }
    }

    pub fn keepalive_ms(&self) -> u64 {
        lab::parse_ms(&self.keepalive).unwrap_or(0)
    }

    pub fn deadtime_ms(&self) -> u64 {
        lab::parse_ms(&self.deadtime).unwrap_or(0)
    }

    /// What "deadtime" means for this flavor: keepalived declares the
    /// master down after 3 adverts plus a skew of (256 - priority)/256.
    pub fn effective_deadtime_ms(&self, flavor: Flavor) -> u64 {
        match flavor {
            Flavor::Keepalived => {
                let a = self.keepalive_ms() as f64;
                (3.0 * a + (256.0 - 100.0) / 256.0 * a) as u64
            }
            _ => self.deadtime_ms(),
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Failure {
    /// SIGKILL of the active node's whole daemon family.
    Kill,
    /// eth0 and eth1 of the active node down.
    Links,
    /// Planned: hb_standby (keepalived: SIGTERM of the master).
    Standby,
    /// Planned: a clean stop of the active daemon (SIGTERM, as `systemctl
    /// stop` or a reboot sends it).
    Stop,
}

impl Failure {
    pub fn name(self) -> &'static str {
        match self {
            Failure::Kill => "unplanned: SIGKILL",
            Failure::Links => "unplanned: links down",
            Failure::Standby => "planned switchover",
            Failure::Stop => "planned: clean stop (SIGTERM)",
        }
    }

    /// Planned hand-overs run at the standard timings only: no detection.
    pub fn planned(self) -> bool {
        matches!(self, Failure::Standby | Failure::Stop)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    pub flavor: String,
    pub timing: String,
    pub failure: Failure,
    pub run: usize,
    /// Failure to the first HTTP answer from bravo on the VIP.
    pub total_ms: Option<f64>,
    /// Failure to bravo logging the peer dead (keepalived: leaving backup).
    pub detect_ms: Option<f64>,
    pub error: Option<String>,
    /// Bravo's log lines from the failure on, with the ms they appeared at.
    pub timeline: Vec<(f64, String)>,
    /// Failure to the first gratuitous ARP for the VIP seen by the client.
    #[serde(default)]
    pub announced_ms: Option<f64>,
    /// Ours only: bravo's own timeline of the takeover (`status --json`).
    #[serde(default)]
    pub transition: Option<heartbeat::core::Transition>,
    /// Ours only, after `hb_standby`: alpha's own timeline of the release.
    #[serde(default)]
    pub release: Option<heartbeat::core::Transition>,
}

pub struct Env<'a> {
    pub heartbeat_bin: &'a Path,
    /// The group is the VIP alone; the web service runs on both nodes, as
    /// keepalived deployments run it (`LabConfig::service_on_both`).
    pub vip_only: bool,
}

/// Lines that mean "the passive node decided the active one is gone".
pub fn dead_patterns(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::Ours | Flavor::Original => &["alpha: is dead"],
        Flavor::Keepalived => &[
            "Receive advertisement timeout",
            "received priority 0",
            "Entering MASTER STATE",
        ],
    }
}

fn ms_between(a: Instant, b: Instant) -> f64 {
    b.saturating_duration_since(a).as_secs_f64() * 1000.0
}

/// A running two-node cluster with alpha serving the VIP.
pub fn bring_up(env: &Env, flavor: Flavor, t: &Timing, tag: &str) -> Result<Lab, String> {
    let mut cfg = LabConfig::new(&lab::unique_prefix(tag), env.heartbeat_bin);
    cfg.flavor = flavor;
    cfg.keepalive = t.keepalive.clone();
    cfg.warntime = t.warntime.clone();
    cfg.deadtime = t.deadtime.clone();
    cfg.initdead = t.initdead.clone();
    cfg.shared_disk = false;
    cfg.service_on_both = env.vip_only;
    cfg.resources = Some(if env.vip_only {
        format!("{VIP}/24/eth0")
    } else {
        format!("{VIP}/24/eth0 webnode")
    });
    let mut lab = Lab::create(cfg).map_err(|e| format!("lab: {e}"))?;
    lab.start(0).map_err(|e| format!("start alpha: {e}"))?;
    lab.start(1).map_err(|e| format!("start bravo: {e}"))?;
    if wait_answer(&lab, "alpha", Duration::from_secs(60)).is_none() {
        return Err(format!(
            "alpha never served the VIP; alpha log tail: {}",
            tail(&lab.log(0), 5)
        ));
    }
    // Let start-up traffic (resource queries, the first garps) settle.
    std::thread::sleep(Duration::from_millis(1500));
    let holders = lab.vip_holders();
    if holders != vec![0] {
        return Err(format!("VIP held by {holders:?} after start-up"));
    }
    Ok(lab)
}

pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Probes the VIP from the client namespace until `want` answers; returns
/// the moment it did. A fresh connection starts every millisecond on a
/// thread of its own, whatever the earlier ones are waiting for: one whose
/// request reached the old holder just before it let the address go is
/// never answered, and a prober that waited for it (up to its timeout)
/// would report that wait instead of the moment the new holder answers.
pub fn wait_answer(lab: &Lab, want: &str, timeout: Duration) -> Option<Instant> {
    use std::sync::{Arc, Mutex};
    let want = want.to_string();
    lab::in_netns(&lab.client_ns, move || {
        let deadline = Instant::now() + timeout;
        let answered: Arc<Mutex<Option<Instant>>> = Arc::default();
        let mut probes = Vec::new();
        while Instant::now() < deadline {
            if let Some(at) = *answered.lock().expect("probe lock") {
                return Some(at);
            }
            let (want, answered) = (want.clone(), answered.clone());
            // Threads made here share the client's network namespace.
            probes.push(std::thread::spawn(move || {
                let limit = Duration::from_millis(100);
                if lab::http_probe(VIP, 80, limit, limit).as_deref() == Some(want.as_str()) {
                    let now = Instant::now();
                    let mut first = answered.lock().expect("probe lock");
                    *first = Some(first.map_or(now, |t| t.min(now)));
                }
            }));
            probes.retain(|p| !p.is_finished());
            std::thread::sleep(Duration::from_millis(1));
        }
        for p in probes {
            let _ = p.join();
        }
        *answered.lock().expect("probe lock")
    })
    .ok()
    .flatten()
}

/// One failover or switchover from alpha to bravo.
pub fn hand_over(env: &Env, flavor: Flavor, t: &Timing, failure: Failure, run: usize) -> Sample {
    let mut s = Sample {
        flavor: flavor.short().into(),
        timing: t.label.clone(),
        failure,
        run,
        total_ms: None,
        detect_ms: None,
        error: None,
        timeline: Vec::new(),
        announced_ms: None,
        transition: None,
        release: None,
    };
    let mut lab = match bring_up(env, flavor, t, "bf") {
        Ok(l) => l,
        Err(e) => {
            s.error = Some(e);
            return s;
        }
    };
    let watch = LogWatch::start(lab.log_file(1));
    let capture = lab::capture::Capture::try_start(&lab.client_ns, "eth0", "arp");
    let t0_wall = SystemTime::now();
    let t0 = Instant::now();
    let acted = match failure {
        Failure::Kill => {
            lab.crash_daemon(0);
            Ok(())
        }
        Failure::Links => lab
            .set_link(0, "eth0", false)
            .and_then(|_| lab.set_link(0, "eth1", false)),
        Failure::Standby => lab.standby(0),
        Failure::Stop => {
            lab.signal(0, nix::sys::signal::Signal::SIGTERM);
            Ok(())
        }
    };
    if let Err(e) = acted {
        s.error = Some(format!("could not cause the failure: {e}"));
        return s;
    }
    let limit = Duration::from_millis(t.effective_deadtime_ms(flavor) * 3 + 20_000);
    match wait_answer(&lab, "bravo", limit) {
        Some(at) => s.total_ms = Some(ms_between(t0, at)),
        None => {
            s.error = Some(format!(
                "bravo never answered within {limit:?}; bravo log tail: {}",
                tail(&lab.log(1), 6)
            ))
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    s.detect_ms = watch
        .first(dead_patterns(flavor))
        .map(|at| ms_between(t0, at));
    s.timeline = watch
        .lines()
        .into_iter()
        .map(|(at, l)| (ms_between(t0, at), l))
        .collect();
    let bravo_mac = lab::capture::Capture::mac_of(&lab.nodes[1].ns, "eth0").unwrap_or_default();
    s.announced_ms = match &capture {
        Ok(c) => c
            .first_announcement(VIP, &bravo_mac, t0_wall)
            .and_then(|at| at.duration_since(t0_wall).ok())
            .map(|d| d.as_secs_f64() * 1000.0),
        Err(e) => {
            println!("  no capture of the announcement: {e}");
            None
        }
    };
    if flavor == Flavor::Ours {
        s.transition = last_transition(&lab, 1);
        if failure == Failure::Standby {
            s.release = last_transition(&lab, 0);
        }
    }
    s
}

/// Node `i`'s own timeline of its latest transition (ours only).
fn last_transition(lab: &Lab, i: usize) -> Option<heartbeat::core::Transition> {
    let out = lab.ctl(i, &["status", "--json"]);
    let status: heartbeat::control::StatusReport = serde_json::from_slice(&out.stdout).ok()?;
    status.last_transition
}

/// Kills the load generator when dropped.
struct Stress(Child);

impl Drop for Stress {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stress(lab: &Lab, secs: u64) -> Result<Stress, String> {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.client_ns,
            "stress-ng",
            "--cpu",
            "2",
            "--timeout",
        ])
        .arg(format!("{secs}s"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Stress)
        .map_err(|e| format!("stress-ng: {e} (apt-get install stress-ng)"))
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SoakResult {
    pub flavor: String,
    pub keepalive_ms: u64,
    pub deadtime_ms: u64,
    pub effective_deadtime_ms: u64,
    pub seconds_planned: u64,
    /// None: held for the whole window.
    pub false_failover_after_s: Option<f64>,
    pub what: Option<String>,
    pub late_warnings: usize,
}

/// Runs each candidate under `stress-ng --cpu 2` for `secs`, smallest
/// first, until one holds; returns every attempt.
pub fn soak(env: &Env, flavor: Flavor, candidates: &[Timing], secs: u64) -> Vec<SoakResult> {
    let mut out = Vec::new();
    for t in candidates {
        let (r, then) = soak_candidate(env, flavor, t, secs);
        out.push(r);
        if then == AfterSoak::Stop {
            break;
        }
    }
    out
}

/// Whether [`soak`] goes on to the next, larger candidate.
#[derive(PartialEq, Eq)]
enum AfterSoak {
    NextCandidate,
    /// The candidate held, or there is no load generator.
    Stop,
}

impl SoakResult {
    /// A candidate's result before it ran: held, no warnings.
    fn planned(flavor: Flavor, t: &Timing, secs: u64) -> SoakResult {
        SoakResult {
            flavor: flavor.short().into(),
            keepalive_ms: t.keepalive_ms(),
            deadtime_ms: t.deadtime_ms(),
            effective_deadtime_ms: t.effective_deadtime_ms(flavor),
            seconds_planned: secs,
            false_failover_after_s: None,
            what: None,
            late_warnings: 0,
        }
    }
}

/// One candidate's soak: a lab at timings `t`, under load for `secs`,
/// watched for any sign of a false failover.
fn soak_candidate(env: &Env, flavor: Flavor, t: &Timing, secs: u64) -> (SoakResult, AfterSoak) {
    let mut r = SoakResult::planned(flavor, t, secs);
    let lab = match bring_up(env, flavor, t, "bs") {
        Ok(l) => l,
        Err(e) => {
            r.false_failover_after_s = Some(0.0);
            r.what = Some(format!("did not come up: {e}"));
            println!(
                "  soak {} {}: {}",
                flavor.short(),
                t.label,
                r.what.as_deref().unwrap_or("")
            );
            return (r, AfterSoak::NextCandidate);
        }
    };
    let wb = LogWatch::start(lab.log_file(1));
    let wa = LogWatch::start(lab.log_file(0));
    let _load = match stress(&lab, secs + 5) {
        Ok(s) => s,
        Err(e) => {
            r.what = Some(e);
            return (r, AfterSoak::Stop);
        }
    };
    let t0 = Instant::now();
    if let Some((at, what)) = first_false_failover(&lab, flavor, &wa, &wb, t0, secs) {
        r.false_failover_after_s = Some(ms_between(t0, at) / 1000.0);
        r.what = Some(what);
    }
    r.late_warnings = wb
        .lines()
        .iter()
        .chain(wa.lines().iter())
        .filter(|(_, l)| l.contains("Late heartbeat") || l.contains("WARN: node"))
        .count();
    print_soak_result(flavor, t, &r, secs);
    let then = match r.false_failover_after_s {
        None => AfterSoak::Stop,
        Some(_) => AfterSoak::NextCandidate,
    };
    (r, then)
}

/// Polls until `secs` after `t0` for the first sign that the pair failed
/// over although alpha is fine: bravo's log (`wb`), alpha's (`wa`) or the
/// VIP moving. Returns when it was seen and what it was.
fn first_false_failover(
    lab: &Lab,
    flavor: Flavor,
    wa: &LogWatch,
    wb: &LogWatch,
    t0: Instant,
    secs: u64,
) -> Option<(Instant, String)> {
    let alpha_lost: &[&str] = match flavor {
        Flavor::Keepalived => &["Entering BACKUP STATE", "Entering FAULT STATE"],
        _ => &[
            "bravo: is dead",
            "Resources being released",
            "Releasing resource group",
        ],
    };
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_millis(500));
        let why = if let Some(at) = wb.first(dead_patterns(flavor)) {
            Some((at, "bravo declared alpha dead / took over".to_string()))
        } else if let Some(at) = wa.first(alpha_lost) {
            Some((at, "alpha lost the peer or gave up the VIP".to_string()))
        } else {
            let h = lab.vip_holders();
            (h != vec![0]).then(|| (Instant::now(), format!("VIP held by {h:?}")))
        };
        if why.is_some() {
            return why;
        }
    }
    None
}

fn print_soak_result(flavor: Flavor, t: &Timing, r: &SoakResult, secs: u64) {
    println!(
        "  soak {} keepalive {} deadtime {} (effective {} ms): {}",
        flavor.short(),
        t.keepalive,
        t.deadtime,
        r.effective_deadtime_ms,
        match r.false_failover_after_s {
            None => format!("held {secs} s ({} late warnings)", r.late_warnings),
            Some(s) => format!(
                "FALSE FAILOVER after {s:.1} s: {}",
                r.what.clone().unwrap_or_default()
            ),
        }
    );
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Footprint {
    pub flavor: String,
    pub node: String,
    pub role: String,
    pub processes: Vec<String>,
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub cpu_seconds: f64,
    pub window_s: f64,
}

/// Idle RSS and CPU of each node's daemon family over `secs`, all flavors
/// side by side over the same window.
pub fn footprint(
    env: &Env,
    flavors: &[Flavor],
    t: &Timing,
    secs: u64,
) -> Result<Vec<Footprint>, String> {
    let mut labs = Vec::new();
    for f in flavors {
        labs.push((*f, bring_up(env, *f, t, "bi")?));
    }
    std::thread::sleep(Duration::from_secs(3));
    let start: Vec<Vec<f64>> = labs
        .iter()
        .map(|(_, l)| {
            (0..2)
                .map(|i| procfs::cpu_seconds(&l.family_pids(i)))
                .collect()
        })
        .collect();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let window = t0.elapsed().as_secs_f64();
    let mut out = Vec::new();
    for ((f, l), cpu0) in labs.iter().zip(start) {
        for (i, cpu_before) in cpu0.into_iter().enumerate() {
            let pids = l.family_pids(i);
            let (rss, pss) = procfs::memory_kib(&pids);
            out.push(Footprint {
                flavor: f.short().into(),
                node: lab::NODES[i].into(),
                role: if i == 0 { "active" } else { "passive" }.into(),
                processes: pids.iter().map(|p| procfs::command_name(*p)).collect(),
                rss_kib: rss,
                pss_kib: pss,
                cpu_seconds: procfs::cpu_seconds(&pids) - cpu_before,
                window_s: window,
            });
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloodResult {
    pub flavor: String,
    pub timing: String,
    pub packets_sent: u64,
    pub rate_per_s: f64,
    pub cpu_percent_active: f64,
    pub stayed_active: bool,
    pub false_failover: bool,
    pub log_lines_active: usize,
    pub note: String,
}

pub fn flood(env: &Env, flavor: Flavor, t: &Timing, rate: u64, secs: f64) -> FloodResult {
    let mut r = FloodResult {
        flavor: flavor.short().into(),
        timing: t.label.clone(),
        packets_sent: 0,
        rate_per_s: 0.0,
        cpu_percent_active: 0.0,
        stayed_active: false,
        false_failover: false,
        log_lines_active: 0,
        note: String::new(),
    };
    let lab = match bring_up(env, flavor, t, "bx") {
        Ok(l) => l,
        Err(e) => {
            r.note = e;
            return r;
        }
    };
    let wa = LogWatch::start(lab.log_file(0));
    let wb = LogWatch::start(lab.log_file(1));
    let pids = lab.family_pids(0);
    let cpu0 = procfs::cpu_seconds(&pids);
    // keepalived listens on VRRP's multicast group; heartbeat on its port.
    let target = match flavor {
        Flavor::Keepalived => [224, 0, 0, 18],
        _ => [10, 213, 8, 1],
    };
    let stats = crate::flood::run(
        &lab.nodes[1].ns,
        target,
        flavor == Flavor::Keepalived,
        rate,
        secs,
    );
    let cpu1 = procfs::cpu_seconds(&lab.family_pids(0));
    std::thread::sleep(Duration::from_millis(t.effective_deadtime_ms(flavor) + 500));
    r.packets_sent = stats.sent;
    r.rate_per_s = stats.sent as f64 / stats.seconds.max(0.001);
    r.cpu_percent_active = (cpu1 - cpu0) / stats.seconds.max(0.001) * 100.0;
    r.stayed_active = lab.vip_holders() == vec![0]
        && wait_answer(&lab, "alpha", Duration::from_secs(2)).is_some();
    let lost: &[&str] = &["bravo: is dead", "Entering BACKUP STATE"];
    let events: Vec<String> = wb
        .lines()
        .into_iter()
        .filter(|(_, l)| dead_patterns(flavor).iter().any(|p| l.contains(p)))
        .map(|(_, l)| format!("bravo: {l}"))
        .chain(
            wa.lines()
                .into_iter()
                .filter(|(_, l)| lost.iter().any(|p| l.contains(p)))
                .map(|(_, l)| format!("alpha: {l}")),
        )
        .take(3)
        .collect();
    r.false_failover = !events.is_empty();
    if !r.stayed_active {
        r.note = format!("VIP held by {:?} afterwards. ", lab.vip_holders());
    }
    r.note.push_str(&events.join(" / "));
    r.log_lines_active = wa.lines().len();
    r
}
