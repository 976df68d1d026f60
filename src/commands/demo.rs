//! `heartbeat demo`: a two-node cluster on this machine (see [`crate::lab`]),
//! either live (a status view; keys kill, stand by or restart a node) or as
//! one scripted story with measured times (`--scenario`).

use crate::lab::{self, Lab, LabConfig, NODES};
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Ctrl-C must tear the lab down, not kill us mid-way: note it and let the
/// loops return, so `Lab`'s Drop runs.
fn catch_interrupts() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    let act = SigAction::new(
        SigHandler::Handler(on_interrupt),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sigaction(sig, &act) };
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Failover,
    Switchover,
    Failback,
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "failover" => Ok(Scenario::Failover),
            "switchover" => Ok(Scenario::Switchover),
            "failback" => Ok(Scenario::Failback),
            o => Err(format!(
                "unknown scenario {o} (failover, switchover, failback)"
            )),
        }
    }
}

pub struct DemoArgs {
    pub scenario: Option<Scenario>,
    pub keepalive: String,
    pub deadtime: String,
}

pub fn run(args: &DemoArgs) -> i32 {
    if !nix::unistd::geteuid().is_root() {
        println!(
            "heartbeat demo needs root (network namespaces, a VIP, a loop-device disk); \
             run it as root: sudo heartbeat demo"
        );
        return 1;
    }
    catch_interrupts();
    let bin = match std::env::current_exe() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("demo: cannot find my own binary: {e}");
            return 1;
        }
    };
    let mut cfg = LabConfig::new(&lab::unique_prefix("dem"), &bin);
    cfg.keepalive = args.keepalive.clone();
    cfg.deadtime = args.deadtime.clone();
    cfg.warntime = format!(
        "{}ms",
        crate::lab::parse_ms(&args.deadtime).unwrap_or(500) * 3 / 5
    );
    let mut lab = match Lab::create(cfg) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: cannot build the lab: {e}");
            return 1;
        }
    };
    println!(
        "demo cluster: nodes {} and {} (namespaces {} and {}), client {}, VIP {}",
        NODES[0],
        NODES[1],
        lab.nodes[0].ns,
        lab.nodes[1].ns,
        lab.client_ns,
        lab::VIP
    );
    for (i, name) in NODES.iter().enumerate() {
        if let Err(e) = lab.start(i) {
            eprintln!("demo: cannot start {name}: {e}");
            return 1;
        }
    }
    let code = match args.scenario {
        Some(s) => run_scenario(&mut lab, s),
        None => live(&mut lab),
    };
    println!("tearing down the demo cluster");
    drop(lab);
    code
}

/// Time since `t0` in ms, for the timeline.
fn ms(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64() * 1000.0
}

/// Wait until the client sees `who` answer on the VIP.
fn wait_answer(lab: &Lab, who: &str, timeout: Duration) -> Option<Instant> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline && !INTERRUPTED.load(Ordering::SeqCst) {
        if lab.probe(Duration::from_millis(100)).as_deref() == Some(who) {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn node_status(lab: &Lab, observer: usize, of: usize) -> String {
    let out = lab.tool(observer, "cl_status", &["nodestatus", NODES[of]]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run_scenario(lab: &mut Lab, s: Scenario) -> i32 {
    println!("waiting for {} to serve the VIP…", NODES[0]);
    let Some(_) = wait_answer(lab, NODES[0], Duration::from_secs(20)) else {
        println!("FAILED: {} never served the VIP", NODES[0]);
        print_logs(lab);
        return 1;
    };
    // Let both nodes settle (membership up on both sides).
    if !lab.wait_for(Duration::from_secs(10), |l| {
        node_status(l, 1, 0) == "active"
    }) {
        println!("FAILED: {} never saw {} active", NODES[1], NODES[0]);
        return 1;
    }
    let ok = match s {
        Scenario::Failover => failover(lab),
        Scenario::Switchover => switchover(lab),
        Scenario::Failback => failover(lab) && failback(lab),
    };
    if ok {
        println!("scenario {s:?}: OK");
        0
    } else {
        println!("scenario {s:?}: FAILED");
        print_logs(lab);
        1
    }
}

fn failover(lab: &mut Lab) -> bool {
    let t0 = Instant::now();
    lab.kill(0);
    println!("{:>8.1} ms  fault: {} killed (SIGKILL)", 0.0, NODES[0]);
    let dead = lab.wait_for(Duration::from_secs(30), |l| node_status(l, 1, 0) == "dead");
    if !dead {
        println!("          {} never declared {} dead", NODES[1], NODES[0]);
        return false;
    }
    println!(
        "{:>8.1} ms  {} declared {} dead",
        ms(t0),
        NODES[1],
        NODES[0]
    );
    match wait_answer(lab, NODES[1], Duration::from_secs(30)) {
        Some(t) => {
            println!(
                "{:>8.1} ms  VIP answers from {} (client {})",
                t.duration_since(t0).as_secs_f64() * 1000.0,
                NODES[1],
                lab.client_ns
            );
            true
        }
        None => {
            println!("          the VIP never answered from {}", NODES[1]);
            false
        }
    }
}

fn switchover(lab: &mut Lab) -> bool {
    let t0 = Instant::now();
    println!("{:>8.1} ms  hb_standby on {}", 0.0, NODES[0]);
    let out = lab.tool(0, "hb_standby", &[]);
    println!(
        "{:>8.1} ms  hb_standby returned: {}",
        ms(t0),
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .replace('\n', " / ")
    );
    let Some(t) = wait_answer(lab, NODES[1], Duration::from_secs(30)) else {
        println!("          the VIP never answered from {}", NODES[1]);
        return false;
    };
    println!(
        "{:>8.1} ms  VIP answers from {}",
        t.duration_since(t0).as_secs_f64() * 1000.0,
        NODES[1]
    );
    let holders = lab.vip_holders();
    if holders != vec![1] {
        println!(
            "          VIP configured on nodes {holders:?}, expected only {}",
            NODES[1]
        );
        return false;
    }
    true
}

fn failback(lab: &mut Lab) -> bool {
    let t0 = Instant::now();
    if let Err(e) = lab.start(0) {
        println!("cannot restart {}: {e}", NODES[0]);
        return false;
    }
    println!("{:>8.1} ms  {} restarted", 0.0, NODES[0]);
    let Some(t) = wait_answer(lab, NODES[0], Duration::from_secs(30)) else {
        println!("          the VIP never came back to {}", NODES[0]);
        return false;
    };
    println!(
        "{:>8.1} ms  VIP answers from {} again (auto_failback on)",
        t.duration_since(t0).as_secs_f64() * 1000.0,
        NODES[0]
    );
    true
}

fn print_logs(lab: &Lab) {
    for (i, n) in lab.nodes.iter().enumerate() {
        println!("---- log of {} ----", n.name);
        let log = lab.log(i);
        let lines: Vec<&str> = log.lines().collect();
        for l in &lines[lines.len().saturating_sub(40)..] {
            println!("{l}");
        }
    }
}

fn live(lab: &mut Lab) -> i32 {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line.trim().to_string()).is_err() {
                break;
            }
        }
    });
    println!(
        "keys (then Enter): k = kill the node serving the VIP, s = stand it by, r = restart stopped nodes, q = quit"
    );
    let mut last = Instant::now() - Duration::from_secs(10);
    while !INTERRUPTED.load(Ordering::SeqCst) {
        if last.elapsed() >= Duration::from_secs(1) {
            last = Instant::now();
            show(lab);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(cmd) => {
                let active = lab.vip_holders().first().copied();
                match (cmd.as_str(), active) {
                    ("q", _) => return 0,
                    ("k", Some(i)) => {
                        lab.kill(i);
                        println!(">> killed {}", NODES[i]);
                    }
                    ("s", Some(i)) => {
                        let out = lab.tool(i, "hb_standby", &[]);
                        println!(">> {}", String::from_utf8_lossy(&out.stdout).trim());
                    }
                    ("r", _) => {
                        for (i, name) in NODES.iter().enumerate() {
                            if lab.nodes[i].daemon.is_none() {
                                let _ = lab.start(i);
                                println!(">> restarted {name}");
                            }
                        }
                    }
                    (_, None) => println!(">> nobody serves the VIP right now"),
                    _ => println!(">> unknown key {cmd:?}"),
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => {
                // stdin closed (no terminal): keep showing until interrupted.
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    0
}

fn show(lab: &Lab) {
    let answer = lab.probe(Duration::from_millis(200));
    println!(
        "---- client sees VIP {} answered by: {}",
        lab::VIP,
        answer.as_deref().unwrap_or("(nobody)")
    );
    for (i, name) in NODES.iter().enumerate() {
        if lab.nodes[i].daemon.is_none() {
            println!("  {name:<6} stopped");
            continue;
        }
        let out = lab.ctl(i, &["status"]);
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("  {name:<6} {line}");
        }
    }
}
