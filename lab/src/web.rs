//! `hb-lab-web --port P --text T [--ready FILE] [--root DIR] [--mode FILE]`: the lab's
//! tiny web server, run by the `webnode` agent and for keepalived by the lab
//! itself. Answers every request with one line of text, so a client can
//! tell which node serves the VIP; with `--root`, `GET /srv/NAME` answers
//! the first line of DIR/NAME instead (404 if it is not there), so a test
//! can see the service serve from the shared disk. Binds before it reports ready, so the agent's start
//! returns only once the service really answers. With `--mode FILE`, a
//! test makes it misbehave (for the health checks): FILE holding `500`
//! makes every answer a 500, `slow MS` delays every answer, `slow-once MS`
//! delays the next answer only (the file is removed). Each connection is
//! served on its own thread, so one slow answer delays no other.
//!
//! build.rs compiles this file on its own into the `hb-lab-web` program the
//! library embeds, so it uses the standard library only.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The program's main: parse the arguments, then serve until killed.
pub fn main(mut args: impl Iterator<Item = String>) -> i32 {
    let (mut port, mut text, mut ready, mut root, mut mode) = (80u16, None, None, None, None);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--port", Some(v)) => match v.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("bad port {v}")),
            },
            ("--text", Some(v)) => text = Some(v),
            ("--ready", Some(v)) => ready = Some(PathBuf::from(v)),
            ("--root", Some(v)) => root = Some(PathBuf::from(v)),
            ("--mode", Some(v)) => mode = Some(PathBuf::from(v)),
            (a, _) => return usage(&format!("unexpected argument {a}")),
        }
    }
    match text {
        Some(text) => run(port, &text, ready.as_deref(), root.as_deref(), mode),
        None => usage("--text is required"),
    }
}

fn usage(why: &str) -> i32 {
    eprintln!(
        "hb-lab-web: {why}\nusage: hb-lab-web --port P --text T [--ready FILE] [--root DIR] [--mode FILE]"
    );
    2
}

pub fn run(
    port: u16,
    text: &str,
    ready: Option<&Path>,
    root: Option<&Path>,
    mode: Option<PathBuf>,
) -> i32 {
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
    for conn in listener.incoming() {
        let Ok(mut s) = conn else { continue };
        let (text, root, mode) = (text.to_string(), root.map(Path::to_path_buf), mode.clone());
        std::thread::spawn(move || {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap_or(0);
            let (mut status, body) = answer(&buf[..n], &text, root.as_deref());
            if let Some(m) = &mode
                && misbehave(m)
            {
                status = "500 Internal Server Error";
            }
            let _ = write!(
                s,
                "HTTP/1.0 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        });
    }
    0
}

/// What the mode file asks for: sleeps as told; true for a 500.
fn misbehave(mode: &Path) -> bool {
    let Ok(m) = std::fs::read_to_string(mode) else {
        return false;
    };
    let words: Vec<&str> = m.split_whitespace().collect();
    let ms = |w: Option<&&str>| w.and_then(|w| w.parse().ok()).unwrap_or(0);
    match words.first().copied() {
        Some("500") => return true,
        Some("slow-once") => {
            let _ = std::fs::remove_file(mode);
            std::thread::sleep(std::time::Duration::from_millis(ms(words.get(1))));
        }
        Some("slow") => std::thread::sleep(std::time::Duration::from_millis(ms(words.get(1)))),
        _ => {}
    }
    false
}

/// The status line and body for one request.
fn answer(request: &[u8], text: &str, root: Option<&Path>) -> (&'static str, String) {
    let line = String::from_utf8_lossy(request);
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let file = path
        .strip_prefix("/srv/")
        .filter(|n| !n.contains('/') && !n.starts_with('.'));
    match (root, file) {
        (Some(root), Some(name)) => match std::fs::read_to_string(root.join(name)) {
            Ok(c) => ("200 OK", format!("{}\n", c.lines().next().unwrap_or(""))),
            Err(_) => ("404 Not Found", "not found\n".to_string()),
        },
        _ => ("200 OK", format!("{text}\n")),
    }
}
