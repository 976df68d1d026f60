//! `heartbeat demo-web` (hidden): the lab's tiny web server. Answers every
//! request with one line of text, so a client can tell which node serves
//! the VIP. Binds before it reports ready, so the agent's start returns only
//! once the service really answers.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

pub fn run(port: u16, text: &str, ready: Option<&Path>) -> i32 {
    let listener = match TcpListener::bind(("0.0.0.0", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo-web: cannot listen on port {port}: {e}");
            return 1;
        }
    };
    if let Some(path) = ready
        && let Err(e) = std::fs::write(path, b"ready\n")
    {
        eprintln!("demo-web: cannot write {}: {e}", path.display());
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
