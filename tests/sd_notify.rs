//! The daemon under systemd's notify protocol, with our own datagram socket
//! standing in for systemd's NOTIFY_SOCKET: READY=1 with a STATUS= line
//! once it serves, then WATCHDOG=1 again and again at half WATCHDOG_USEC.

use hb_lab::{self as lab, Lab, LabConfig};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_daemon_says_ready_with_a_status_and_pings_the_watchdog() {
    let test = "the_daemon_says_ready_with_a_status_and_pings_the_watchdog";
    if !hb_lab::skip::unless_root(test) {
        return;
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_heartbeat"));
    let mut c = LabConfig::new(&lab::unique_prefix("ntf"), bin);
    c.shared_disk = false;
    c.resources = Some("Dummy::notify".into());
    let lab = Lab::create(c).expect("lab");
    let sock_path = lab.dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let _daemon = Kill(
        lab.command(0, bin)
            .arg("daemon")
            .env("NOTIFY_SOCKET", &sock_path)
            .env("WATCHDOG_USEC", "200000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
        if pings >= 5 && got.iter().any(|m| m.contains("READY=1")) {
            break;
        }
    }
    let ready = got.iter().find(|m| m.contains("READY=1"));
    assert!(
        ready.is_some_and(|m| m.contains("\nSTATUS=")),
        "no READY=1 with STATUS=: {got:?}"
    );
    let pings = got.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(pings >= 5, "the watchdog was pinged {pings} times: {got:?}");
}
