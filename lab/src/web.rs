//! `hb-lab-web --port P --text T [--ready FILE]`: the lab's tiny web
//! server, run by the `webnode` agent and for keepalived by the lab itself.
//! Answers every request with one line of text, so a client can tell which
//! node serves the VIP. Binds before it reports ready, so the agent's start
//! returns only once the service really answers.
//!
//! build.rs compiles this file on its own into the `hb-lab-web` program the
//! library embeds, so it uses the standard library only.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The program's main: parse the arguments, then serve until killed.
pub fn main(mut args: impl Iterator<Item = String>) -> i32 {
    let (mut port, mut text, mut ready) = (80u16, None, None);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("bad port {v}")),
            },
            ("--text", Some(v)) => text = Some(v),
            ("--ready", Some(v)) => ready = Some(PathBuf::from(v)),
            (a, _) => return usage(&format!("unexpected argument {a}")),
        }
    }
    match text {
        Some(text) => run(port, &text, ready.as_deref()),
        None => usage("--text is required"),
    }
}

fn usage(why: &str) -> i32 {
    eprintln!("hb-lab-web: {why}\nusage: hb-lab-web --port P --text T [--ready FILE]");
    2
}

pub fn run(port: u16, text: &str, ready: Option<&Path>) -> i32 {
    // A server killed a moment ago may still hold the port while the
    // kernel tears it down: retry briefly rather than fail the agent.
    let mut tries = 0;
    let listener = loop {
        match TcpListener::bind(("0.0.0.0", port)) {
            Ok(l) => break l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                eprintln!("hb-lab-web: cannot listen on port {port}: {e}");
                return 1;
            }
        }
    };
    if let Some(path) = ready
        && let Err(e) = std::fs::write(path, b"ready\n")
    {
        eprintln!("hb-lab-web: cannot write {}: {e}", path.display());
        return 1;
    }
    let body = format!("{text}\n");
    for conn in listener.incoming() {
        let Ok(mut s) = conn else { continue };
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let _ = write!(
            s,
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    }
    0
}
