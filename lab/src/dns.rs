//! An authoritative DNS server for the lab: BIND 9's `named` in a
//! namespace the caller made, serving one zone that accepts RFC 2136
//! updates signed with a TSIG key generated here (`tsig-keygen`). Its
//! configuration, zone, journal and keys live in a temporary directory;
//! [`DnsServer`]'s `Drop` stops `named` and removes the directory.
//!
//! It only ever listens on the address it is given, inside that namespace.

use crate::netns::run;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The zone every lab server serves.
pub const ZONE: &str = "sites.test";
/// The TSIG key's name (the server allows it to update the zone).
pub const KEY_NAME: &str = "hb-update";

pub struct DnsServer {
    /// The namespace `named` runs in.
    pub ns: String,
    /// The address it listens on (port 53).
    pub addr: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl DnsServer {
    /// Start `named` in namespace `ns` on `addr` (already configured there)
    /// and wait until it answers for the zone.
    pub fn start(ns: &str, addr: &str) -> io::Result<DnsServer> {
        let dir = tempfile::Builder::new().prefix("hb-lab-dns").tempdir()?;
        let d = dir.path();
        fs::write(d.join("update.key"), keygen()?)?;
        // Same key name, another secret: what a site with a stale key sends.
        fs::write(d.join("wrong.key"), keygen()?)?;
        fs::write(d.join("named.conf"), named_conf(d, addr))?;
        fs::write(d.join(format!("db.{ZONE}")), zone_file(addr))?;
        // A copy of named, run from here: Debian's AppArmor profile for
        // /usr/sbin/named (attached by path) confines it to /etc/bind and
        // /var/{lib,cache}/bind, where a test has no business writing.
        let named = d.join("named");
        fs::copy(named_program()?, &named)?;
        let log = fs::File::create(d.join("named.out"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&named)
            .args(["-g", "-n", "1", "-c"])
            .arg(d.join("named.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut server = DnsServer {
            ns: ns.to_string(),
            addr: addr.to_string(),
            dir,
            child: Some(child),
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if !self.query(&self.ns, ZONE, "SOA").is_empty() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                return Err(io::Error::other(format!(
                    "named exited ({status}): {}",
                    self.output()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "named did not answer within 20 s: {}",
                    self.output()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The key the server accepts updates with, in the tsig-keygen format.
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("update.key")
    }

    /// A key of the same name with another secret (the server answers BADSIG).
    pub fn wrong_key_path(&self) -> PathBuf {
        self.dir.path().join("wrong.key")
    }

    /// `named`'s own output so far (its log).
    pub fn output(&self) -> String {
        fs::read_to_string(self.dir.path().join("named.out")).unwrap_or_default()
    }

    /// The records of `name` (type `rtype`) as the server answers them to a
    /// query from namespace `from`; empty when it does not answer.
    pub fn query(&self, from: &str, name: &str, rtype: &str) -> Vec<String> {
        dig(from, &self.addr, name, rtype)
    }
}

/// What a resolver in namespace `from` gets for `name` from `server`:
/// one record a line (dig +short), nothing when there is no answer.
pub fn dig(from: &str, server: &str, name: &str, rtype: &str) -> Vec<String> {
    let out = Command::new("ip")
        .args([
            "netns", "exec", from, "dig", "+short", "+time=1", "+tries=1",
        ])
        .arg(format!("@{server}"))
        .args([name, rtype])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with(';'))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Where `named` is installed (Debian: /usr/sbin, which may not be on a
/// user's PATH).
pub fn named_program() -> io::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("named"))
        .find(|p| p.is_file())
        .ok_or_else(|| io::Error::other("named not found (Debian: apt-get install bind9)"))
}

fn keygen() -> io::Result<Vec<u8>> {
    Ok(run(Command::new("tsig-keygen").args(["-a", "hmac-sha256", KEY_NAME]))?.stdout)
}

fn named_conf(dir: &Path, addr: &str) -> String {
    let d = dir.display();
    format!(
        r#"include "{d}/update.key";
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port 53 {{ {addr}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    allow-query {{ any; }};
    notify no;
}};
zone "{ZONE}" {{
    type primary;
    file "db.{ZONE}";
    allow-update {{ key "{KEY_NAME}"; }};
}};
"#
    )
}

fn zone_file(addr: &str) -> String {
    format!(
        "$TTL 60\n\
         @ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 60 60 600 60\n\
         @ IN NS ns.{ZONE}.\n\
         ns IN A {addr}\n"
    )
}
