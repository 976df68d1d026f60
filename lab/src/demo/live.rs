//! The live demo: one screen redrawn in place about five times a second
//! (both nodes side by side, who answers the client, one event line per
//! transition timed from the last key pressed) and keys that act at once.
//! It looks ([`snapshot`](super::snapshot)), compares
//! ([`events`](super::events)), draws ([`view`](super::view)) and acts on
//! the lab; every decision about what to show lives in those pure modules.

use super::INTERRUPTED;
use super::events::{self, EventLog};
use super::keys::{self, RawMode};
use super::snapshot::{self, Snapshot};
use super::view::{self, Header};
use crate::{Lab, NODES, VIP};
use std::io::Write;
use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The terminal while the view owns it: cbreak mode and a hidden cursor,
/// both given back in `Drop` (also on panic).
struct Screen {
    _raw: Option<RawMode>,
}

impl Screen {
    fn take() -> Screen {
        let raw = RawMode::enter();
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\x1b[?25l\x1b[2J");
        Screen { _raw: raw }
    }

    /// Draw over the last frame: cursor home, each line cleared to its
    /// end, the rest of the screen cleared. No newline after the last
    /// line, so a frame as tall as the terminal does not scroll it.
    fn draw(&self, lines: &[String]) {
        let mut frame = String::from("\x1b[H");
        frame += &lines.join("\x1b[K\n");
        frame += "\x1b[K\x1b[J";
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(frame.as_bytes());
        let _ = out.flush();
    }
}

impl Drop for Screen {
    /// Errors ignored: the terminal may be gone (hung up), and a panic in
    /// a Drop would skip the lab's teardown.
    fn drop(&mut self) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(b"\x1b[?25h\n");
        let _ = out.flush();
    }
}

/// A CLI tool the user started (hb_standby, hb_takeover), running while
/// the view goes on.
struct Running {
    what: String,
    child: Child,
}

struct Live<'a> {
    lab: &'a mut Lab,
    t0: Instant,
    log: EventLog,
    tools: Vec<Running>,
}

pub fn run(lab: &mut Lab) -> i32 {
    let header = Header {
        vip: VIP.to_string(),
        keepalive: lab.cfg.keepalive.clone(),
        deadtime: lab.cfg.deadtime.clone(),
        namespaces: [lab.nodes[0].ns.clone(), lab.nodes[1].ns.clone()],
    };
    let screen = Screen::take();
    let keys = keys::reader();
    let mut live = Live {
        lab,
        t0: Instant::now(),
        log: EventLog::default(),
        tools: Vec::new(),
    };
    let mut prev: Option<Snapshot> = None;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        let snap = snapshot::take(live.lab, live.t0);
        if let Some(p) = &prev {
            live.log.record(events::detect(p, &snap));
        }
        live.reap_tools();
        screen.draw(&view::render(&header, &snap, &live.log));
        prev = Some(snap);
        if !live.keys(&keys) {
            break;
        }
    }
    for t in &mut live.tools {
        let _ = t.child.kill();
        let _ = t.child.wait();
    }
    0
}

impl Live<'_> {
    fn now_ms(&self) -> f64 {
        self.t0.elapsed().as_secs_f64() * 1000.0
    }

    /// Act on the keys pressed in the next moment; false on quit.
    fn keys(&mut self, keys: &Receiver<u8>) -> bool {
        match keys.recv_timeout(Duration::from_millis(150)) {
            Ok(b'q') => false,
            Ok(k) => {
                self.act(k);
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            // No more input (stdin closed): go on showing until Ctrl-C.
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(150));
                true
            }
        }
    }

    fn act(&mut self, key: u8) {
        let at = self.now_ms();
        let serving = self.lab.vip_holders().first().copied();
        match (key, serving) {
            (b'k', Some(i)) => {
                self.lab.kill(i);
                let what = format!("k: {} killed (daemon, services and VIP gone)", NODES[i]);
                self.log.fault(at, &what);
            }
            (b's', Some(i)) => self.tool(at, i, "hb_standby"),
            (b't', Some(i)) => self.tool(at, 1 - i, "hb_takeover"),
            (b't', None) => self.tool(at, 0, "hb_takeover"),
            (b'c', _) => {
                self.set_crossover(false);
                self.log
                    .fault(at, "c: crossover cut (eth1 down on both nodes)");
            }
            (b'r', _) => self.restore(at),
            (b'k' | b's', None) => self.log.note(at, "nobody serves the VIP right now"),
            (b'\n' | b'\r' | b' ', _) => {}
            (k, _) => {
                let what = format!("unknown key {:?}", k as char);
                self.log.note(at, &what);
            }
        }
    }

    fn set_crossover(&mut self, up: bool) {
        for i in 0..NODES.len() {
            let _ = self.lab.set_link(i, "eth1", up);
        }
    }

    /// Crossover back up, every stopped node started again.
    fn restore(&mut self, at: f64) {
        self.set_crossover(true);
        let mut what = "r: crossover up".to_string();
        for (i, name) in NODES.iter().enumerate() {
            if self.lab.nodes[i].daemon.is_none() {
                match self.lab.start(i) {
                    Ok(()) => what += &format!(", {name} restarted"),
                    Err(e) => what += &format!(", {name} did not start: {e}"),
                }
            }
        }
        self.log.fault(at, &what);
    }

    /// Start a CLI tool on node `i` without waiting for it: its result
    /// becomes an event line when it exits.
    fn tool(&mut self, at: f64, i: usize, name: &str) {
        if self.lab.nodes[i].daemon.is_none() {
            let what = format!("{} is stopped (r restarts it)", NODES[i]);
            return self.log.note(at, &what);
        }
        let bin = self.lab.cfg.heartbeat_bin.with_file_name(name);
        let spawned = self
            .lab
            .command(i, &bin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let what = format!("{name} on {}", NODES[i]);
        match spawned {
            Ok(child) => {
                self.log.fault(at, &format!("{}: {what}", name_key(name)));
                self.tools.push(Running { what, child });
            }
            Err(e) => self.log.note(at, &format!("{what} did not start: {e}")),
        }
    }

    /// Tools that ended: one line each with their last word and exit code.
    fn reap_tools(&mut self) {
        let mut i = 0;
        while i < self.tools.len() {
            if !matches!(self.tools[i].child.try_wait(), Ok(Some(_))) {
                i += 1;
                continue;
            }
            let t = self.tools.remove(i);
            let at = self.now_ms();
            let line = match t.child.wait_with_output() {
                Ok(out) => {
                    let text = String::from_utf8_lossy(&out.stdout);
                    let last = text.lines().last().unwrap_or("").trim().to_string();
                    let code = out.status.code().unwrap_or(-1);
                    format!("{} returned {code}: {last}", t.what)
                }
                Err(e) => format!("{}: {e}", t.what),
            };
            self.log.note(at, &line);
        }
    }
}

fn name_key(tool: &str) -> char {
    if tool == "hb_standby" { 's' } else { 't' }
}
