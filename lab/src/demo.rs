//! The demo (`heartbeat-demo`): a two-node cluster on this machine (see
//! [`crate::Lab`]), either live (one screen redrawn in place, with event
//! lines timed from the last key pressed; keys kill, stand by, take over,
//! cut the crossover, restore; see [`live`]) or as one scripted story with
//! measured times (`--scenario`). It runs the `heartbeat` binary it is
//! given.

use crate::{self as lab, Lab, LabConfig, NODES};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod events;
mod keys;
mod live;
mod sites;
mod snapshot;
mod view;

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
    /// Two sites without a shared LAN, a DNS name moving (`sites.rs`).
    Sites,
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "failover" => Ok(Scenario::Failover),
            "switchover" => Ok(Scenario::Switchover),
            "failback" => Ok(Scenario::Failback),
            "sites" => Ok(Scenario::Sites),
            o => Err(format!(
                "unknown scenario {o} (failover, switchover, failback, sites)"
            )),
        }
    }
}

pub struct DemoArgs {
    /// The `heartbeat` binary to run; `cl_status` and `hb_standby` are
    /// expected beside it (as cargo builds them).
    pub heartbeat_bin: PathBuf,
    pub scenario: Option<Scenario>,
    pub keepalive: String,
    pub deadtime: String,
}

impl DemoArgs {
    /// Both demo clusters warn at 3/5 of deadtime (between keepalive and
    /// deadtime, as `check` requires).
    fn warntime(&self) -> String {
        format!(
            "{}ms",
            crate::parse_ms(&self.deadtime).unwrap_or(500) * 3 / 5
        )
    }
}

pub fn run(args: &DemoArgs) -> i32 {
    catch_interrupts();
    let root = nix::unistd::geteuid().is_root();
    if !root && args.scenario == Some(Scenario::Sites) {
        println!("scenario Sites: needs root (namespaces, a router, a DNS server)");
        return 1;
    }
    if !root {
        println!(
            "not root: no namespaces, VIP or disk; running both nodes on loopback with the Dummy agent only \
             (sudo heartbeat-demo for the real cluster)"
        );
        return loopback::run(args);
    }
    if args.scenario == Some(Scenario::Sites) {
        return sites::run(args);
    }
    let mut cfg = LabConfig::new(&lab::unique_prefix("dem"), &args.heartbeat_bin);
    cfg.keepalive = args.keepalive.clone();
    cfg.deadtime = args.deadtime.clone();
    cfg.warntime = args.warntime();
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
        None => live::run(&mut lab),
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
        if lab.probe(Duration::from_millis(30)).as_deref() == Some(who) {
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
    // Let both nodes settle: membership up on both sides, alpha's whole
    // chain started (a request while it starts is refused as in flux).
    let settled = |l: &Lab| {
        let out = l.tool(0, "cl_status", &["rscstatus"]);
        node_status(l, 1, 0) == "active" && String::from_utf8_lossy(&out.stdout).trim() == "local"
    };
    if !lab.wait_for(Duration::from_secs(10), settled) {
        println!("FAILED: {} never saw {} active", NODES[1], NODES[0]);
        return 1;
    }
    let ok = match s {
        Scenario::Failover => failover(lab),
        Scenario::Switchover => switchover(lab),
        Scenario::Failback => failover(lab) && failback(lab),
        Scenario::Sites => unreachable!("run() hands the sites to sites::run"),
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

/// The demo without root: both daemons on this host, heartbeats over
/// multicast on `lo`, one Dummy resource. Same daemon, same CLI.
mod loopback {
    use super::{DemoArgs, INTERRUPTED, Scenario};
    use crate::NODES;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    struct Node {
        dir: PathBuf,
        daemon: Option<Child>,
    }

    struct Pair {
        root: PathBuf,
        bin: PathBuf,
        nodes: Vec<Node>,
    }

    impl Drop for Pair {
        fn drop(&mut self) {
            for n in &mut self.nodes {
                if let Some(mut c) = n.daemon.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    impl Pair {
        fn cmd(&self, i: usize, program: &Path) -> Command {
            let d = &self.nodes[i].dir;
            let mut c = Command::new(program);
            c.env("HEARTBEAT_CONFIG_DIR", d.join("ha.d"))
                .env("HEARTBEAT_NODE", NODES[i])
                .env("HEARTBEAT_STATE_DIR", d.join("state"))
                .env("HEARTBEAT_RUN_DIR", d.join("run"))
                .stdin(Stdio::null());
            c
        }
        fn start(&mut self, i: usize) -> std::io::Result<()> {
            let log = std::fs::File::create(self.nodes[i].dir.join("daemon.out"))?;
            let child = self
                .cmd(i, &self.bin)
                .arg("daemon")
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()?;
            self.nodes[i].daemon = Some(child);
            Ok(())
        }
        fn kill(&mut self, i: usize) {
            if let Some(mut c) = self.nodes[i].daemon.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        fn rsc(&self, i: usize) -> String {
            let out = self
                .cmd(i, &self.bin.with_file_name("cl_status"))
                .arg("rscstatus")
                .output();
            out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        }
        fn wait(&self, timeout: Duration, f: impl Fn(&Pair) -> bool) -> Option<Instant> {
            let end = Instant::now() + timeout;
            while Instant::now() < end && !INTERRUPTED.load(Ordering::SeqCst) {
                if f(self) {
                    return Some(Instant::now());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            None
        }
    }

    fn build(args: &DemoArgs) -> std::io::Result<Pair> {
        let bin = args.heartbeat_bin.clone();
        let root = std::env::temp_dir().join(format!("heartbeat-demo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // A group and port per run, so two demos on one host do not meet.
        let port = 20000 + (std::process::id() % 20000) as u16;
        let group = format!("239.255.{}.{}", (port >> 8) & 0xff, port & 0xff);
        let mut nodes = Vec::new();
        for name in NODES {
            let dir = root.join(name);
            for sub in ["ha.d", "state", "run"] {
                std::fs::create_dir_all(dir.join(sub))?;
            }
            let cfg = format!(
                "keepalive {}\ndeadtime {}\nwarntime {}\ninitdead 3\nmcast lo {group} {port} 0 1\n\
                 auto_failback on\nnode {} {}\n",
                args.keepalive,
                args.deadtime,
                args.warntime(),
                NODES[0],
                NODES[1]
            );
            std::fs::write(dir.join("ha.d/ha.cf"), cfg)?;
            std::fs::write(
                dir.join("ha.d/haresources"),
                format!("{} Dummy::demo\n", NODES[0]),
            )?;
            let keys = dir.join("ha.d/authkeys");
            std::fs::write(&keys, "auth 1\n1 sha256 loopback-demo\n")?;
            std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            nodes.push(Node { dir, daemon: None });
        }
        Ok(Pair { root, bin, nodes })
    }

    pub fn run(args: &DemoArgs) -> i32 {
        let mut pair = match build(args) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("demo: cannot prepare the loopback pair: {e}");
                return 1;
            }
        };
        for (i, name) in NODES.iter().enumerate() {
            if let Err(e) = pair.start(i) {
                eprintln!("demo: cannot start {name}: {e}");
                return 1;
            }
        }
        if pair
            .wait(Duration::from_secs(15), |p| p.rsc(0) == "local")
            .is_none()
        {
            println!("FAILED: {} never acquired its group", NODES[0]);
            return 1;
        }
        println!("{} holds the group Dummy::demo", NODES[0]);
        match args.scenario {
            None => {
                println!(
                    "live view: Ctrl-C to stop (as root, `heartbeat-demo` has keys to kill and stand by nodes)"
                );
                while !INTERRUPTED.load(Ordering::SeqCst) {
                    println!(
                        "{}: {}   {}: {}",
                        NODES[0],
                        pair.rsc(0),
                        NODES[1],
                        pair.rsc(1)
                    );
                    std::thread::sleep(Duration::from_secs(1));
                }
                0
            }
            Some(s) => {
                let t0 = Instant::now();
                let done = match s {
                    Scenario::Failover | Scenario::Failback => {
                        pair.kill(0);
                        println!("{:>8.1} ms  fault: {} killed (SIGKILL)", 0.0, NODES[0]);
                        pair.wait(Duration::from_secs(10), |p| p.rsc(1) == "foreign")
                    }
                    Scenario::Switchover => {
                        let _ = pair.cmd(0, &pair.bin.with_file_name("hb_standby")).output();
                        pair.wait(Duration::from_secs(10), |p| p.rsc(1) == "foreign")
                    }
                    Scenario::Sites => unreachable!("super::run refuses it without root"),
                };
                let Some(t) = done else {
                    println!("scenario {s:?}: FAILED ({} never took the group)", NODES[1]);
                    return 1;
                };
                println!(
                    "{:>8.1} ms  {} holds the group",
                    (t - t0).as_secs_f64() * 1000.0,
                    NODES[1]
                );
                if s == Scenario::Failback {
                    let t1 = Instant::now();
                    let _ = pair.start(0);
                    let Some(t) = pair.wait(Duration::from_secs(15), |p| p.rsc(0) == "local")
                    else {
                        println!("scenario {s:?}: FAILED (no failback)");
                        return 1;
                    };
                    println!(
                        "{:>8.1} ms  {} took its group back",
                        (t - t1).as_secs_f64() * 1000.0,
                        NODES[0]
                    );
                }
                println!("scenario {s:?}: OK");
                0
            }
        }
    }
}
