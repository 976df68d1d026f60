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
        Response::Done { message, .. }
        | Response::Fence { message, .. }
        | Response::Refused { message }
        | Response::Progress { line: message, .. } => Err(ControlError::BadAnswer(message)),
    }
}

/// Where a command's progress lines go while it waits for the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowProgress {
    /// `heartbeat standby|takeover|stop`: on stdout, before the result.
    Stdout,
    /// `hb_standby`/`hb_takeover`: their stdout is a contract of the
    /// original's words, so progress goes to stderr, and only when that is
    /// a terminal (a script capturing stderr sees what it always saw).
    StderrIfTerminal,
}

impl ShowProgress {
    fn wanted(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ShowProgress::Stdout => true,
            ShowProgress::StderrIfTerminal => std::io::stderr().is_terminal(),
        }
    }

    fn print(self, at_ms: f64, line: &str) {
        let text = progress_line(at_ms, line);
        match self {
            ShowProgress::Stdout => println!("{text}"),
            ShowProgress::StderrIfTerminal => eprintln!("{text}"),
        }
    }
}

/// One progress line as printed: its time since the request reached the
/// daemon, then what happened.
pub fn progress_line(at_ms: f64, line: &str) -> String {
    format!("+{at_ms:>9.1} ms  {line}")
}

/// Ask, printing progress lines as `show` says until the answer.
fn ask_showing(g: &Globals, req: &Request, show: ShowProgress) -> Result<Response, ControlError> {
    if !show.wanted() {
        return ask(g, req, TRANSITION_WAIT);
    }
    let mut print = |at_ms: f64, line: &str| show.print(at_ms, line);
    control::request_with_progress(&g.run_dir, req, TRANSITION_WAIT, &mut print)
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
    for c in &s.checks {
        println!("{c}");
    }
    for d in &s.drbd {
        println!("{}", drbd_line(d));
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

/// One DRBD resource of `heartbeat status`.
fn drbd_line(d: &crate::core::DrbdStatus) -> String {
    let mut line = format!(
        "drbd {:<8} {} {}/{} {}",
        d.resource, d.role, d.disk, d.peer_disk, d.connection
    );
    if let Some(by) = &d.outdated_by {
        line.push_str(&format!(" (outdated by {by})"));
    }
    if let Some(at) = &d.peer_fenced_at {
        line.push_str(&format!(" (peer's copy outdated at {at})"));
    }
    line
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
/// once and left the admin to guess) and showing each step on the way.
/// `force`: a takeover that may promote DRBD data of unknown currency.
pub fn transition(
    g: &Globals,
    takeover: bool,
    (which, force): (Which, bool),
    show: ShowProgress,
) -> i32 {
    let req = transition_request(takeover, (which, force));
    done(ask_showing(g, &req, show))
}

/// The request of a standby or takeover (`force` only counts for a takeover).
fn transition_request(takeover: bool, (which, force): (Which, bool)) -> Request {
    if takeover {
        Request::Takeover { which, force }
    } else {
        Request::Standby { which }
    }
}

/// `heartbeat maintenance on|off`; `off` waits until every group is probed.
pub fn maintenance(g: &Globals, on: bool) -> i32 {
    done(ask(g, &Request::Maintenance { on }, TRANSITION_WAIT))
}

/// Print a `Done` answer; 0 if it went well.
fn done(answer: Result<Response, ControlError>) -> i32 {
    match answer {
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

/// `heartbeat stop`: hand everything over, showing each step, then the
/// daemon exits.
pub fn stop(g: &Globals) -> i32 {
    match ask_showing(g, &Request::Shutdown, ShowProgress::Stdout) {
        Err(ControlError::NotRunning(_)) => {
            println!("heartbeat is not running");
            0
        }
        answer => done(answer),
    }
}

/// hb_standby / hb_takeover argument rules, as the original's scripts.
pub fn hb_transition(prog: &str, args: &[String], takeover: bool) -> i32 {
    let (which, force) = match transition_args(takeover, args) {
        Ok(asked) => asked,
        Err(complaint) => {
            if let Some(c) = complaint {
                eprintln!("{prog}: {c}");
            }
            eprintln!("usage:");
            let force = if takeover { " [--force]" } else { "" };
            eprintln!("{prog}{force} [all|foreign|local|failback]");
            return 1;
        }
    };
    if !takeover {
        println!("Going standby [{which}].");
    }
    let show = ShowProgress::StderrIfTerminal;
    transition(&Globals::from_env(), takeover, (which, force), show)
}

/// What hb_standby's or hb_takeover's arguments ask for: which groups and
/// whether forced; `Err` to show the usage, after the complaint if any
/// (`--help` has none).
fn transition_args(takeover: bool, args: &[String]) -> Result<(Which, bool), Option<String>> {
    // Ours: hb_takeover --force starts DRBD data of unknown currency.
    let force = takeover && args.first().is_some_and(|a| a == "--force");
    let which = match &args[usize::from(force)..] {
        [] => Which::All,
        [a] if a == "--help" || a == "-h" => return Err(None),
        [a] => a.parse::<Which>().map_err(|e| Some(format!("{e}.")))?,
        _ => return Err(Some("too many arguments".into())),
    };
    Ok((which, force))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(takeover: bool, args: &[&str]) -> Result<Request, Option<String>> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        transition_args(takeover, &args).map(|a| transition_request(takeover, a))
    }

    #[test]
    fn hb_takeover_force_reaches_the_request() {
        assert!(matches!(
            asked(true, &["--force"]),
            Ok(Request::Takeover {
                which: Which::All,
                force: true
            })
        ));
        assert!(matches!(
            asked(true, &["--force", "foreign"]),
            Ok(Request::Takeover {
                which: Which::Foreign,
                force: true
            })
        ));
        assert!(matches!(
            asked(true, &["local"]),
            Ok(Request::Takeover {
                which: Which::Local,
                force: false
            })
        ));
    }

    #[test]
    fn only_hb_takeover_knows_force_and_only_before_the_groups() {
        assert!(matches!(asked(false, &["--force"]), Err(Some(_))));
        assert!(matches!(asked(true, &["all", "--force"]), Err(Some(_))));
        assert!(matches!(asked(true, &["--force", "--force"]), Err(Some(_))));
        assert!(matches!(asked(true, &["--help"]), Err(None)));
        assert!(matches!(
            asked(false, &[]),
            Ok(Request::Standby { which: Which::All })
        ));
    }
}
