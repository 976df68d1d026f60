//! The shared integration-test harness: network namespaces, veth pairs and
//! bridges, loop devices, mounts and child processes, each behind a guard
//! whose `Drop` cleans up (also when the test panics).
//!
//! Use from a test file with `mod support;`. Everything here is generic;
//! helpers for one subsystem live in a submodule (e.g. [`agents`]). Names
//! come from [`unique_prefix`], so tests run in parallel without clashing.
//! Nothing here ever touches the host's own interfaces or mounts.
#![allow(dead_code)]

pub mod agents;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;

/// True when running as root; otherwise prints the one skip line.
pub fn require_root(name: &str) -> bool {
    hb_lab::skip::unless_root(name)
}

/// True when `program` is on PATH; otherwise prints the one skip line.
pub fn require_program(name: &str, program: &str) -> bool {
    hb_lab::skip::unless(which(program).is_some(), name, program)
}

pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A short name unique to this process and call (the lab's, so the
/// resource tests and the cluster tests never pick the same names).
pub fn unique_prefix(tag: &str) -> String {
    hb_lab::unique_prefix(tag)
}

/// Run a command to completion; panic with its output when it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sh(args: &[&str]) -> String {
    run_ok(Command::new(args[0]).args(&args[1..]))
}

/// A network namespace, deleted on drop together with every process in it.
pub struct Netns {
    pub name: String,
    pids: Mutex<Vec<u32>>,
}

impl Netns {
    /// Create it with its loopback up.
    pub fn new(name: &str) -> Netns {
        sh(&["ip", "netns", "add", name]);
        let ns = Netns {
            name: name.to_string(),
            pids: Mutex::new(Vec::new()),
        };
        sh(&["ip", "-n", name, "link", "set", "lo", "up"]);
        ns
    }

    /// `ip netns exec NAME program` (note: it runs in a private mount
    /// namespace, so mounts made by it vanish; see [`Netns::run_in`]).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Run `args` inside and wait.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.command(args[0])
            .args(&args[1..])
            .output()
            .expect("ip netns exec")
    }

    /// Like [`Netns::exec`], panicking on failure; returns stdout.
    pub fn exec_ok(&self, args: &[&str]) -> String {
        run_ok(self.command(args[0]).args(&args[1..]))
    }

    /// Start `args` inside; it is killed when the namespace is dropped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        let child = self
            .command(args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .spawn()
            .expect("ip netns exec");
        self.pids.lock().unwrap().push(child.id());
        child
    }

    /// Run `f` on a thread that has entered this namespace (network only:
    /// the mount namespace stays the test's, so mounts made by processes it
    /// starts are real). Processes it spawns live in the namespace.
    pub fn run_in<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        hb_lab::in_netns(&self.name, f).expect("enter the namespace")
    }

    /// The interface's MAC address as `ip` prints it.
    pub fn mac(&self, iface: &str) -> String {
        let out = sh(&["ip", "-n", &self.name, "-o", "link", "show", "dev", iface]);
        out.split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("an ethernet address")
            .to_string()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let mut pids: Vec<u32> = self.pids.lock().map(|p| p.clone()).unwrap_or_default();
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            pids.extend(
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A veth pair from `a`'s `ifa` to `b`'s `ifb`, both up (removed with the namespaces).
pub fn veth(a: &Netns, ifa: &str, b: &Netns, ifb: &str) {
    sh(&[
        "ip", "link", "add", ifa, "netns", &a.name, "type", "veth", "peer", "name", ifb, "netns",
        &b.name,
    ]);
    up(a, ifa);
    up(b, ifb);
}

pub fn up(ns: &Netns, iface: &str) {
    sh(&["ip", "-n", &ns.name, "link", "set", iface, "up"]);
}

pub fn addr(ns: &Netns, iface: &str, cidr: &str) {
    let mut args = vec!["ip", "-n", &ns.name, "addr", "add", cidr, "dev", iface];
    if cidr.contains(':') {
        args.push("nodad");
    }
    sh(&args);
}

/// A LAN: a bridge `br0` in `switch` with one veth per member; each member
/// gets its end as `iface`. Returns nothing to clean: it all goes with the
/// namespaces.
pub fn lan(switch: &Netns, members: &[(&Netns, &str)]) {
    sh(&[
        "ip",
        "-n",
        &switch.name,
        "link",
        "add",
        "br0",
        "type",
        "bridge",
    ]);
    up(switch, "br0");
    for (i, (ns, iface)) in members.iter().enumerate() {
        let port = format!("p{i}");
        veth(ns, iface, switch, &port);
        sh(&[
            "ip",
            "-n",
            &switch.name,
            "link",
            "set",
            &port,
            "master",
            "br0",
        ]);
    }
}

/// A sparse file attached to a loop device and formatted ext4. Drop
/// unmounts anything mounted from it and detaches it.
pub struct LoopDevice {
    pub device: String,
    _dir: tempfile::TempDir,
}

impl LoopDevice {
    pub fn ext4(size_mb: u64) -> LoopDevice {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("disk.img");
        std::fs::File::create(&file)
            .and_then(|f| f.set_len(size_mb << 20))
            .expect("sparse image");
        let device = sh(&["losetup", "-f", "--show", file.to_str().unwrap()])
            .trim()
            .to_string();
        let dev = LoopDevice { device, _dir: dir };
        sh(&["mkfs.ext4", "-q", "-F", &dev.device]);
        dev
    }

    /// Where it is mounted now (from /proc/mounts).
    pub fn mount_points(&self) -> Vec<String> {
        mounts_of(&self.device)
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        for mp in mounts_of(&self.device) {
            let _ = Command::new("umount").args(["-l", &mp]).status();
        }
        let _ = Command::new("losetup").args(["-d", &self.device]).status();
    }
}

fn mounts_of(source: &str) -> Vec<String> {
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(source)).then(|| f.next().unwrap_or("").to_string())
        })
        .collect()
}

/// True when something is mounted exactly at `dir`.
pub fn is_mount_point(dir: &Path) -> bool {
    let d = dir.display().to_string();
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(d.as_str()))
}

/// Unmounts `path` on drop if something is still mounted there.
pub struct MountGuard(pub PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        while is_mount_point(&self.0) {
            if !Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status()
                .is_ok_and(|s| s.success())
            {
                break;
            }
        }
    }
}

/// Kills the child (and, if it leads one, its process group) on drop.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Poll `f` every 50 ms until it holds or `within` passes.
pub fn wait_until(within: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
