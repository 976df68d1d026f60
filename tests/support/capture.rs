//! What a host on the LAN sees: tcpdump inside a test's namespace, printing
//! one line per frame (link-level headers included) into a private file,
//! killed when the guard drops. Stands alone (the namespace by name), so
//! lab tests can include it too.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

pub struct Capture {
    child: Child,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Listen on `iface` of `ns` for frames matching the pcap `filter`;
    /// returns once tcpdump says it is listening.
    pub fn start(ns: &str, iface: &str, filter: &str) -> Capture {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("frames");
        let err = dir.path().join("stderr");
        let child = std::process::Command::new("ip")
            .args([
                "netns", "exec", ns, "tcpdump", "-l", "-n", "-e", "-i", iface, filter,
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .expect("tcpdump");
        let cap = Capture {
            child,
            out,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let listening = loop {
            if std::fs::read_to_string(&err).is_ok_and(|s| s.contains("listening on")) {
                break true;
            }
            if std::time::Instant::now() > deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            listening,
            "tcpdump never listened: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        cap
    }

    /// Every frame seen so far, one line each.
    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// Gratuitous ARP frames for `ip` (requests whose sender is the address
    /// itself, or replies), not other hosts' questions about it.
    pub fn announcements(&self, ip: &str) -> usize {
        self.count(&format!("tell {ip},")) + self.count(&format!("Reply {ip} is-at"))
    }

    /// The frames seen so far whose line contains `word`.
    pub fn count(&self, word: &str) -> usize {
        self.lines().iter().filter(|l| l.contains(word)).count()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
