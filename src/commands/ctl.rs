//! The commands that talk to a running daemon over the control socket:
//! `heartbeat status|standby|takeover|stop` and the compatibility programs
//! `cl_status`, `hb_standby`, `hb_takeover` with the original's words.

use super::Globals;
use crate::control::{
    self, ControlError, LinkState, PeerStatus, Request, Response, StatusReport, Which,
};
use std::time::Duration;

/// Long enough for a chain with a slow fsck to hand over; the daemon answers
/// as soon as the transition completes.
const TRANSITION_WAIT: Duration = Duration::from_secs(600);
const STATUS_WAIT: Duration = Duration::from_secs(5);

fn ask(g: &Globals, req: &Request, wait: Duration) -> Result<Response, ControlError> {
    control::request(&g.run_dir, req, wait)
}

pub fn fetch_status(g: &Globals) -> Result<StatusReport, ControlError> {
    match ask(g, &Request::Status, STATUS_WAIT)? {
        Response::Status(s) => Ok(*s),
        Response::Done { message, .. } => Err(ControlError::BadAnswer(message)),
    }
}

/// `heartbeat status [--json]`.
pub fn status(g: &Globals, json: bool) -> i32 {
    let s = match fetch_status(g) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return 3; // LSB: program is not running
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("status serialises")
        );
        return 0;
    }
    println!(
        "node {} (generation {}), peer {}: {}",
        s.node, s.generation, s.peer, s.peer_status
    );
    println!(
        "timings: keepalive {} ms, warntime {} ms, deadtime {} ms, initdead {} ms",
        s.keepalive_ms, s.warntime_ms, s.deadtime_ms, s.initdead_ms
    );
    for l in &s.links {
        println!("link {:<16} {}", l.name, l.state);
    }
    println!("resources: {}", s.rscstatus);
    for gr in &s.groups {
        println!(
            "group {:<32} held by {:<8} (here: {}, preferred {}) for {:.1}s: {}",
            gr.id, gr.holder, gr.local_state, gr.preferred, gr.since_secs, gr.cause
        );
    }
    let nonzero = s.counters.nonzero();
    if !nonzero.is_empty() {
        let c: Vec<String> = nonzero.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("counters: {}", c.join(" "));
    }
    0
}

/// Standby or takeover, waiting for the outcome (the original returned at
/// once and left the admin to guess).
pub fn transition(g: &Globals, takeover: bool, which: Which) -> i32 {
    let req = if takeover {
        Request::Takeover { which }
    } else {
        Request::Standby { which }
    };
    match ask(g, &req, TRANSITION_WAIT) {
        Ok(Response::Done { ok, message }) => {
            println!("{message}");
            if ok { 0 } else { 1 }
        }
        Ok(Response::Status(_)) => {
            eprintln!("unexpected answer from heartbeat");
            1
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// `heartbeat stop`: hand everything over, then the daemon exits.
pub fn stop(g: &Globals) -> i32 {
    match ask(g, &Request::Shutdown, TRANSITION_WAIT) {
        Ok(Response::Done { ok, message }) => {
            println!("{message}");
            if ok { 0 } else { 1 }
        }
        Ok(Response::Status(_)) => 1,
        Err(ControlError::NotRunning(_)) => {
            println!("heartbeat is not running");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// hb_standby / hb_takeover argument rules, as the original's scripts.
pub fn hb_transition(prog: &str, args: &[String], takeover: bool) -> i32 {
    let usage = || {
        eprintln!("usage:");
        eprintln!("{prog} [all|foreign|local|failback]");
    };
    let which = match args {
        [] => Which::All,
        [a] if a == "--help" || a == "-h" => {
            usage();
            return 1;
        }
        [a] => match a.parse::<Which>() {
            Ok(w) => w,
            Err(e) => {
                eprintln!("{prog}: {e}.");
                usage();
                return 1;
            }
        },
        _ => {
            eprintln!("{prog}: too many arguments");
            usage();
            return 1;
        }
    };
    if !takeover {
        println!("Going standby [{which}].");
    }
    transition(&Globals::from_env(), takeover, which)
}

/// cl_status exit codes (spec §8.1).
mod cl_exit {
    pub const OK: i32 = 0;
    pub const FAIL: i32 = 1;
    pub const PARAM: i32 = 11;
}

/// The sub-commands the original knows; anything else is a usage error
/// before the daemon is asked.
const CL_SUBCOMMANDS: &[&str] = &[
    "hbstatus",
    "listnodes",
    "nodestatus",
    "nodetype",
    "listhblinks",
    "hblinkstatus",
    "rscstatus",
    "hbparameter",
    "clientstatus",
    "nodeweight",
    "nodesite",
];

pub fn cl_status(args: &[String]) -> i32 {
    let g = Globals::from_env();
    let Some(sub) = args.first().map(String::as_str) else {
        eprintln!("Usage: cl_status <sub-command> [<options>] [<parameters>]");
        return cl_exit::PARAM;
    };
    // Options are the original's display flags (-m, -n, …), which change
    // nothing here; -p names a parameter and is kept.
    let rest: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-') || *a == "-p")
        .collect();
    if !CL_SUBCOMMANDS.contains(&sub) {
        eprintln!("ERROR: {sub}: invalid sub-command.");
        return cl_exit::PARAM;
    }
    let s = match fetch_status(&g) {
        Ok(s) => s,
        Err(e) => {
            if sub == "hbstatus" {
                println!("Heartbeat is stopped on this machine.");
            } else {
                eprintln!("ERROR: Cannot signon with heartbeat");
                eprintln!("ERROR: REASON: {e}");
            }
            return cl_exit::FAIL;
        }
    };
    match sub {
        "hbstatus" => {
            println!("Heartbeat is running on this machine.");
            cl_exit::OK
        }
        "listnodes" => {
            println!("{}", s.peer);
            println!("{}", s.node);
            cl_exit::OK
        }
        "nodestatus" | "nodetype" | "nodeweight" | "nodesite" | "listhblinks" => {
            cl_node(sub, &s, &rest)
        }
        "hblinkstatus" => cl_link(&s, &rest),
        "rscstatus" => {
            println!("{}", s.rscstatus);
            cl_exit::OK
        }
        "hbparameter" => cl_parameter(&s, &rest),
        _ => {
            // clientstatus: we run no API clients.
            println!("offline");
            cl_exit::FAIL
        }
    }
}

/// Whether `n` names this node or its peer, as the original compares them
/// (node names are case-insensitive in ha.cf).
fn cl_known_node(s: &StatusReport, n: &str) -> bool {
    n.eq_ignore_ascii_case(&s.node) || n.eq_ignore_ascii_case(&s.peer)
}

/// The sub-commands about one node.
fn cl_node(sub: &str, s: &StatusReport, rest: &[&str]) -> i32 {
    let Some(n) = rest.first().copied() else {
        eprintln!("ERROR: {sub} needs a node name");
        return cl_exit::PARAM;
    };
    if !cl_known_node(s, n) {
        eprintln!("Error. May be due to incorrect node name");
        return cl_exit::FAIL;
    }
    match sub {
        "nodestatus" => {
            let st = if n.eq_ignore_ascii_case(&s.node) {
                PeerStatus::Active
            } else {
                s.peer_status
            };
            println!("{st}");
            if st == PeerStatus::Dead {
                cl_exit::FAIL
            } else {
                cl_exit::OK
            }
        }
        "nodetype" => {
            println!("normal");
            cl_exit::OK
        }
        "nodeweight" => {
            println!("100");
            cl_exit::OK
        }
        "nodesite" => {
            println!();
            cl_exit::OK
        }
        _ => {
            for l in &s.links {
                println!("\t{}", l.name);
            }
            cl_exit::OK
        }
    }
}

/// `hblinkstatus NODE LINK`: this node's own links are always up to itself,
/// as in the original.
fn cl_link(s: &StatusReport, rest: &[&str]) -> i32 {
    let (Some(n), Some(link)) = (rest.first().copied(), rest.get(1).copied()) else {
        eprintln!("ERROR: hblinkstatus needs a node name and a link name");
        return cl_exit::PARAM;
    };
    if !cl_known_node(s, n) {
        eprintln!("Error. May be due to incorrect node name");
        return cl_exit::FAIL;
    }
    let Some(l) = s.links.iter().find(|l| l.name == link) else {
        let names: Vec<&str> = s.links.iter().map(|l| l.name.as_str()).collect();
        eprintln!(
            "ERROR: Cannot get heartbeat link status: no link {link} (links are named by the local \
             interface: {})",
            names.join(", ")
        );
        return cl_exit::FAIL;
    };
    let st = if n.eq_ignore_ascii_case(&s.node) {
        LinkState::Up
    } else {
        l.state
    };
    println!("{st}");
    if st == LinkState::Up {
        cl_exit::OK
    } else {
        cl_exit::FAIL
    }
}

/// `hbparameter -p NAME` (or the name alone).
fn cl_parameter(s: &StatusReport, rest: &[&str]) -> i32 {
    let name = rest
        .iter()
        .skip_while(|a| **a != "-p")
        .nth(1)
        .or(rest.first());
    let value = match name.copied() {
        Some("keepalive") => Some(fmt_ms(s.keepalive_ms)),
        Some("deadtime") => Some(fmt_ms(s.deadtime_ms)),
        Some("warntime") => Some(fmt_ms(s.warntime_ms)),
        Some("initdead") => Some(fmt_ms(s.initdead_ms)),
        _ => None,
    };
    match value {
        Some(v) => {
            println!("{v}");
            cl_exit::OK
        }
        None => {
            eprintln!("ERROR: unknown or unset parameter");
            cl_exit::FAIL
        }
    }
}

/// Whole seconds as the original prints configured values, else `Nms`.
fn fmt_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{ms}ms")
    }
}
