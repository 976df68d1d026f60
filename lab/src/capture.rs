//! What a host on the LAN sees: tcpdump inside a lab's namespace, printing
//! one line per frame (link-level headers included, stamped with the wall
//! clock in microseconds) into a private file, killed when the guard drops.
//! Tests count announcements with it; hb-bench times them.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Capture {
    child: Child,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Listen on `iface` of `ns` for frames matching the pcap `filter`;
    /// returns once tcpdump says it is listening.
    pub fn start(ns: &str, iface: &str, filter: &str) -> Capture {
        Capture::try_start(ns, iface, filter).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Capture::start`], with what went wrong in words.
    pub fn try_start(ns: &str, iface: &str, filter: &str) -> Result<Capture, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        let out = dir.path().join("frames");
        let err = dir.path().join("stderr");
        let file =
            |p: &PathBuf| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let child = std::process::Command::new("ip")
            .args([
                "netns", "exec", ns, "tcpdump", "-l", "-n", "-e", "-tt", "-i", iface, filter,
            ])
            .stdin(Stdio::null())
            .stdout(file(&out)?)
            .stderr(file(&err)?)
            .spawn()
            .map_err(|e| format!("tcpdump: {e}"))?;
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
        if !listening {
            return Err(format!(
                "tcpdump never listened: {}",
                std::fs::read_to_string(&err).unwrap_or_default()
            ));
        }
        Ok(cap)
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
        self.lines().iter().filter(|l| announces(l, ip)).count()
    }

    /// When the first announcement of `ip` sent from the hardware address
    /// `mac` (the new holder's: the old one may still be repeating its own)
    /// at or after `since` went by.
    pub fn first_announcement(&self, ip: &str, mac: &str, since: SystemTime) -> Option<SystemTime> {
        let since = since.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
        self.lines()
            .iter()
            .filter(|l| announces(l, ip))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let t = words.next()?.parse::<f64>().ok()?;
                (words.next()? == mac).then_some(t)
            })
            .find(|&t| t >= since)
            .map(|t| UNIX_EPOCH + Duration::from_secs_f64(t))
    }

    /// The hardware address of `iface` in namespace `ns`.
    pub fn mac_of(ns: &str, iface: &str) -> Option<String> {
        let out = std::process::Command::new("ip")
            .args(["-n", ns, "-o", "link", "show", iface])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut words = text.split_whitespace();
        words.find(|w| *w == "link/ether")?;
        words.next().map(String::from)
    }

    /// The frames seen so far whose line contains `word`.
    pub fn count(&self, word: &str) -> usize {
        self.lines().iter().filter(|l| l.contains(word)).count()
    }
}

/// A frame line announcing `ip`: a request whose sender is the address
/// itself, or a reply.
fn announces(line: &str, ip: &str) -> bool {
    line.contains(&format!("tell {ip},")) || line.contains(&format!("Reply {ip} is-at"))
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
