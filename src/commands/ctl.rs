//! The commands that talk to a running daemon over the control socket:
//! `heartbeat status|standby|takeover|stop` and the compatibility programs
//! `cl_status`, `hb_standby`, `hb_takeover` with the original's words.

use super::Globals;
use super::colour::{Palette, Tone};
use crate::control::{
    self, ControlError, MaintenanceState, Request, Response, StatusReport, Which,
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
        Response::Done { message, .. } | Response::Refused { message } => {
            Err(ControlError::BadAnswer(message))
        }
    }
}

/// `heartbeat status [--json]`.
pub fn status(g: &Globals, json: bool) -> i32 {
    let s = match fetch_status(g) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return e.exit_code(3); // LSB: program is not running
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("status serialises")
        );
        return 0;
    }
    let p = Palette::for_stdout();
    println!(
        "node {} (generation {}), peer {}: {}",
        s.node,
        s.generation,
        s.peer,
        p.paint(s.peer_status, Tone::peer(s.peer_status))
    );
    println!(
        "timings: keepalive {} ms, warntime {} ms, deadtime {} ms, initdead {} ms",
        s.keepalive_ms, s.warntime_ms, s.deadtime_ms, s.initdead_ms
    );
    for l in &s.links {
        println!(
            "link {:<16} {}",
            l.name,
            p.paint(l.state, Tone::link(l.state))
        );
    }
    println!("resources: {}", s.rscstatus);
    if s.maintenance != MaintenanceState::Off {
        println!(
            "maintenance: {} (resources are left as they are)",
            s.maintenance
        );
    }
    for gr in &s.groups {
        println!(
            "group {:<32} held by {:<8} (here: {}, preferred {}) for {:.1}s: {}",
            gr.id,
            gr.holder,
            p.paint(gr.local_state, Tone::local(gr.local_state)),
            gr.preferred,
            gr.since_secs,
            gr.cause
        );
    }
    let nonzero = s.counters.nonzero();
    if !nonzero.is_empty() {
        let c: Vec<String> = nonzero.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("counters: {}", c.join(" "));
    }
    if let Some(t) = &s.last_transition {
        println!("{t}");
    }
    0
}

/// `heartbeat metrics`: the status in the Prometheus text format, for
/// node_exporter's textfile collector. A daemon that is not running is
/// `heartbeat_up 0`, a valid scrape; any other failure is an error, so a
/// `heartbeat metrics > f.tmp && mv f.tmp f.prom` keeps the last good file.
pub fn metrics(g: &Globals) -> i32 {
    match fetch_status(g) {
        Ok(s) => print!("{}", crate::metrics::render(&s)),
        Err(ControlError::NotRunning(_)) => print!("{}", crate::metrics::render_down()),
        Err(e) => {
            eprintln!("{e}");
            return e.exit_code(1);
        }
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
    done(g, &req)
}

/// `heartbeat maintenance on|off`; `off` waits until every group is probed.
pub fn maintenance(g: &Globals, on: bool) -> i32 {
    done(g, &Request::Maintenance { on })
}

/// Send a request that ends in a `Done` answer; print it; 0 if it went well.
fn done(g: &Globals, req: &Request) -> i32 {
    match ask(g, req, TRANSITION_WAIT) {
        Ok(Response::Done { ok, message }) => {
            println!("{message}");
            if ok { 0 } else { 1 }
        }
        Ok(_) => {
            eprintln!("unexpected answer from heartbeat");
            1
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code(1)
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
        Ok(_) => 1,
        Err(ControlError::NotRunning(_)) => {
            println!("heartbeat is not running");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code(1)
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
