//! `hb-bench`: measures our heartbeat against the original Heartbeat 3.0.6
//! and keepalived on the lab's two-node topology (see `hb_lab`):
//! failover and switchover times, the smallest deadtime that holds under
//! CPU load, idle footprint, and behaviour under a flood of forged packets.
//! All traffic stays inside the lab's network namespaces; every lab is torn
//! down by its Drop, also on error. Needs root and the Debian packages
//! heartbeat, keepalived and stress-ng (installs them when missing).

mod flood;
mod procfs;
mod report;
mod scenarios;
mod watch;

use clap::Parser;
use hb_lab::Flavor;
use scenarios::{Env, Failure, Timing};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hb-bench",
    about = "Benchmarks: heartbeat vs Heartbeat 3.0.6 vs keepalived"
)]
pub struct Args {
    /// Runs per failover/switchover measurement.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Fewer runs and shorter windows (3 runs, 1 min soak, 15 s idle).
    #[arg(long)]
    quick: bool,
    /// Minutes each deadtime candidate must hold under load.
    #[arg(long)]
    soak_minutes: Option<f64>,
    /// Seconds over which idle CPU is measured.
    #[arg(long)]
    idle_seconds: Option<u64>,
    /// Flavors to measure (ours, original, keepalived).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "ours,original,keepalived"
    )]
    flavors: Vec<Flavor>,
    /// Parts to run: failover, links, switchover, stop, soak, idle, flood.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "failover,links,switchover,stop,soak,idle,flood"
    )]
    only: Vec<String>,
    /// The group is the VIP alone and the web service runs on both nodes
    /// all the time, as keepalived runs it: what moves is the address only.
    #[arg(long)]
    vip_only: bool,
    /// Fastest timings as keepalive/deadtime in ms, per flavor.
    #[arg(long, default_value = "50/200")]
    fast_ours: String,
    #[arg(long, default_value = "50/200")]
    fast_original: String,
    /// keepalived: advert_int in ms (deadtime is derived by VRRP).
    #[arg(long, default_value = "10")]
    fast_keepalived: String,
    /// Our binary (default: `heartbeat` next to this one).
    #[arg(long)]
    heartbeat_bin: Option<PathBuf>,
    /// Where the JSON and markdown results go.
    #[arg(long, default_value = "lab/bench/results")]
    out: PathBuf,
    /// Forged packets per second, and for how long.
    #[arg(long, default_value_t = 20_000)]
    flood_rate: u64,
    #[arg(long, default_value_t = 10.0)]
    flood_seconds: f64,
    /// Include an earlier run's results.json (e.g. the peers, measured
    /// separately) in the tables.
    #[arg(long)]
    merge: Vec<PathBuf>,
    /// Where the timeline plot of one failover per flavor goes (the
    /// switchover's goes beside it, as switchover-timeline.svg).
    #[arg(long, default_value = "lab/bench/failover-timeline.svg")]
    svg: PathBuf,
}

fn parse_pair(s: &str) -> Option<(u64, u64)> {
    match s.split_once('/') {
        Some((k, d)) => Some((k.parse().ok()?, d.parse().ok()?)),
        None => {
            let k: u64 = s.parse().ok()?;
            Some((k, k * 4))
        }
    }
}

fn fast_timing(args: &Args, f: Flavor) -> Timing {
    let spec = match f {
        Flavor::Ours => &args.fast_ours,
        Flavor::Original => &args.fast_original,
        Flavor::Keepalived => &args.fast_keepalived,
    };
    let (k, d) = parse_pair(spec).unwrap_or((100, 500));
    Timing::new(&format!("fastest ({k}/{d} ms)"), k, d)
}

fn standard_timing() -> Timing {
    let mut t = Timing::new("keepalive 1 / deadtime 5", 1000, 5000);
    t.warntime = "3000ms".into();
    t.initdead = "10000ms".into();
    t
}

/// Deadtime candidates for the soak, smallest first (keepalive/deadtime ms).
fn soak_candidates(f: Flavor) -> Vec<Timing> {
    let pairs: &[(u64, u64)] = match f {
        Flavor::Ours => &[
            (10, 30),
            (10, 50),
            (20, 100),
            (50, 200),
            (100, 500),
            (200, 1000),
        ],
        Flavor::Original => &[
            (10, 50),
            (20, 100),
            (50, 200),
            (100, 500),
            (200, 1000),
            (500, 2000),
        ],
        // advert_int; the deadtime column is VRRP's own (≈ 3.6 adverts).
        Flavor::Keepalived => &[(10, 40), (20, 80), (50, 200), (100, 400), (250, 1000)],
    };
    pairs
        .iter()
        .map(|&(k, d)| Timing::new(&format!("{k}/{d} ms"), k, d))
        .collect()
}

fn ensure_packages() {
    let missing: Vec<&str> = [
        ("/usr/libexec/heartbeat/heartbeat", "heartbeat"),
        ("/usr/sbin/keepalived", "keepalived"),
        ("/usr/bin/stress-ng", "stress-ng"),
    ]
    .iter()
    .filter(|(p, _)| !std::path::Path::new(p).exists())
    .map(|(_, pkg)| *pkg)
    .collect();
    if missing.is_empty() {
        return;
    }
    println!("installing {}", missing.join(" "));
    let ok = std::process::Command::new("apt-get")
        .args(["install", "-y"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "hb-bench: apt-get install {} failed; run apt-get update first",
            missing.join(" ")
        );
    }
}

fn main() {
    let mut args = Args::parse();
    if !nix::unistd::geteuid().is_root() {
        eprintln!("hb-bench needs root (network namespaces, mounts, raw sockets)");
        std::process::exit(1);
    }
    if args.quick {
        args.runs = args.runs.min(3);
    }
    let soak_secs = (args
        .soak_minutes
        .unwrap_or(if args.quick { 1.0 } else { 10.0 })
        * 60.0) as u64;
    let idle_secs = args
        .idle_seconds
        .unwrap_or(if args.quick { 15 } else { 60 });
    ensure_packages();
    let bin = args.heartbeat_bin.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .expect("own path")
            .with_file_name("heartbeat")
    });
    let env = Env {
        heartbeat_bin: &bin,
        vip_only: args.vip_only,
    };
    let want = |p: &str| args.only.iter().any(|o| o == p);
    let mut results = report::Results::new(&args_line(), args.runs, soak_secs, idle_secs);
    for m in &args.merge {
        if let Err(e) = results.merge_file(m) {
            eprintln!("hb-bench: --merge {e}");
            std::process::exit(2);
        }
    }

    let standard = standard_timing();
    for (part, failure) in [
        ("failover", Failure::Kill),
        ("links", Failure::Links),
        ("switchover", Failure::Standby),
        ("stop", Failure::Stop),
    ] {
        if want(part) {
            hand_overs(&args, &env, &standard, failure, &mut results);
            results.save(&args.out);
        }
    }
    if want("soak") {
        for &f in &args.flavors {
            let r = scenarios::soak(&env, f, &soak_candidates(f), soak_secs);
            results.soak.extend(r);
            results.save(&args.out);
        }
    }
    if want("idle") {
        match scenarios::footprint(&env, &args.flavors, &standard, idle_secs) {
            Ok(fp) => results.footprint.extend(fp),
            Err(e) => eprintln!("idle footprint: {e}"),
        }
        results.save(&args.out);
    }
    if want("flood") {
        floods(&args, &env, &mut results);
    }
    finish(&args, &results);
}

/// Every run of one kind of hand-over for every flavor: the standard
/// timings, and for failures also each flavor's fastest.
fn hand_overs(
    args: &Args,
    env: &Env,
    standard: &Timing,
    failure: Failure,
    results: &mut report::Results,
) {
    for &f in &args.flavors {
        let timings = if failure.planned() {
            vec![standard.clone()]
        } else {
            vec![standard.clone(), fast_timing(args, f)]
        };
        for mut t in timings {
            if env.vip_only {
                t.label.push_str(", VIP only");
            }
            for run in 0..args.runs {
                let s = scenarios::hand_over(env, f, &t, failure, run);
                println!(
                    "{:10} {:22} {:28} run {run}: total {} detect {} announced {}{}",
                    f.short(),
                    failure.name(),
                    t.label,
                    report::opt_ms(s.total_ms),
                    report::opt_ms(s.detect_ms),
                    report::opt_ms(s.announced_ms),
                    s.error
                        .as_deref()
                        .map(|e| format!("  ERROR {e}"))
                        .unwrap_or_default()
                );
                results.samples.push(s);
            }
        }
    }
}

/// The forged-packet flood at each flavor, at moderate timings.
fn floods(args: &Args, env: &Env, results: &mut report::Results) {
    let moderate = Timing::new("100/500 ms", 100, 500);
    for &f in &args.flavors {
        let r = scenarios::flood(env, f, &moderate, args.flood_rate, args.flood_seconds);
        println!(
            "flood {}: sent {} ({:.0}/s), active CPU {:.1}%, stayed active {}, false failover {}{}",
            f.short(),
            r.packets_sent,
            r.rate_per_s,
            r.cpu_percent_active,
            r.stayed_active,
            r.false_failover,
            if r.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.note)
            }
        );
        results.flood.push(r);
    }
}

/// Saves the results, writes the timeline plot and prints the tables.
fn finish(args: &Args, results: &report::Results) {
    results.save(&args.out);
    let switchover_svg = args.svg.with_file_name("switchover-timeline.svg");
    for (plot, path) in [
        (report::Plot::Failover, &args.svg),
        (report::Plot::Switchover, &switchover_svg),
    ] {
        if let Some(svg) = results.timeline_svg(plot) {
            match std::fs::write(path, svg) {
                Ok(()) => println!("timeline plot in {}", path.display()),
                Err(e) => eprintln!("{}: {e}", path.display()),
            }
        }
    }
    println!("\n{}", results.markdown());
    println!("results in {}", args.out.display());
}

fn args_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}
