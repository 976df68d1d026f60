//! A two-node cluster on one machine: network namespaces for the nodes and
//! a client, a crossover link, a LAN switch, a shared loop-device disk, and
//! a ha.d per node. The demo (`heartbeat-demo`, [`demo`]), the benchmarks
//! (`hb-bench`) and the root package's integration tests all build their
//! clusters with it, so what the demo shows is what the tests prove. This
//! crate is kept apart from the product crate `heartbeat`, which ships no
//! namespace code; the lab runs the `heartbeat` binary it is given.
//!
//! The same topology can run the original Heartbeat 3.0.6 or keepalived
//! instead of our daemon ([`Flavor`]), so the benchmarks compare like with
//! like.
//!
//! Everything it creates is owned by a [`Lab`] value and removed in `Drop`,
//! also when a test panics. It only ever addresses the namespaces it made.

pub mod demo;
mod flavor;
pub mod skip;
pub mod web;
pub use flavor::{Flavor, ORIGINAL_DAEMON, ORIGINAL_HB_STANDBY};

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The node names of every lab cluster.
pub const NODES: [&str; 2] = ["alpha", "bravo"];
/// The LAN all nodes and the client share (inside our namespaces only).
pub const LAN_PREFIX: &str = "10.213.7";
pub const VIP: &str = "10.213.7.100";
/// The crossover link carrying heartbeats.
pub const XOVER_PREFIX: &str = "10.213.8";

#[derive(Clone, Debug)]
pub struct LabConfig {
    /// Short unique tag; namespace names are `{prefix}a`, `{prefix}b`, …
    pub prefix: String,
    pub heartbeat_bin: PathBuf,
    pub keepalive: String,
    pub warntime: String,
    pub deadtime: String,
    pub initdead: String,
    pub auto_failback: String,
    /// Extra ha.cf lines (e.g. `failback_delay 2`, `monitor …`).
    pub extra_hacf: Vec<String>,
    /// The resources after the preferred node on the haresources line;
    /// `None` gives the default chain (VIP, Filesystem on the shared disk, web service).
    pub resources: Option<String>,
    /// Also join the nodes with a serial line (a pty pair relayed by us).
    pub serial: bool,
    /// Use bcast on the crossover link (default) — off leaves serial only.
    pub bcast: bool,
    /// Directory with extra agents copied to each node's resource.d.
    pub extra_agents: Vec<(String, String)>,
    /// Make the shared ext4 disk (needed by the default chain).
    pub shared_disk: bool,
    /// Which cluster manager the nodes run.
    pub flavor: Flavor,
    /// Run bravo with another flavor than alpha (a mixed pair during an
    /// upgrade: our daemon beside the original).
    pub peer_flavor: Option<Flavor>,
}

impl LabConfig {
    pub fn new(prefix: &str, heartbeat_bin: &Path) -> LabConfig {
        LabConfig {
            prefix: prefix.to_string(),
            heartbeat_bin: heartbeat_bin.to_path_buf(),
            keepalive: "100ms".into(),
            warntime: "300ms".into(),
            deadtime: "500ms".into(),
            initdead: "2".into(),
            auto_failback: "on".into(),
            extra_hacf: Vec::new(),
            resources: None,
            serial: false,
            bcast: true,
            extra_agents: Vec::new(),
            shared_disk: true,
            flavor: Flavor::Ours,
            peer_flavor: None,
        }
    }
}

/// A unique short prefix for namespace and interface names (≤ 15 chars).
pub fn unique_prefix(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(3)
        .collect();
    format!("h{tag}{:x}{n:x}", std::process::id() & 0xfff)
}

pub struct LabNode {
    pub name: String,
    pub ns: String,
    pub dir: PathBuf,
    pub daemon: Option<Child>,
}

impl LabNode {
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("ha.d")
    }
    pub fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("ha-log")
    }
}

pub struct Lab {
    pub cfg: LabConfig,
    pub dir: PathBuf,
    pub nodes: Vec<LabNode>,
    pub client_ns: String,
    pub switch_ns: String,
    pub loop_dev: Option<String>,
    relay: Option<SerialRelay>,
    namespaces: Vec<String>,
    /// Services the lab runs itself (keepalived's web servers).
    services: Vec<Child>,
}

fn run(cmd: &mut Command) -> io::Result<Output> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{:?} failed: {}",
            cmd,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out)
}

fn ip(args: &[&str]) -> io::Result<Output> {
    run(Command::new("ip").args(args))
}

impl Lab {
    /// Build the topology and write each node's ha.d. Nothing is started.
    pub fn create(cfg: LabConfig) -> io::Result<Lab> {
        let dir = std::env::temp_dir().join(format!("heartbeat-lab-{}", cfg.prefix));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        let web = dir.join("hb-lab-web");
        fs::write(&web, WEB_SERVER)?;
        fs::set_permissions(&web, fs::Permissions::from_mode(0o755))?;
        let mut lab = Lab {
            client_ns: format!("{}c", cfg.prefix),
            switch_ns: format!("{}s", cfg.prefix),
            nodes: Vec::new(),
            loop_dev: None,
            relay: None,
            namespaces: Vec::new(),
            services: Vec::new(),
            dir,
            cfg,
        };
        lab.build()?;
        Ok(lab)
    }

    fn add_ns(&mut self, name: &str) -> io::Result<()> {
        ip(&["netns", "add", name])?;
        self.namespaces.push(name.to_string());
        ip(&["-n", name, "link", "set", "lo", "up"])?;
        Ok(())
    }

    fn build(&mut self) -> io::Result<()> {
        let p = self.cfg.prefix.clone();
        let sw = self.switch_ns.clone();
        let client = self.client_ns.clone();
        self.add_ns(&sw)?;
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        self.add_ns(&client)?;
        let mut members = vec![(
            client.clone(),
            format!("{LAN_PREFIX}.10/24"),
            "pc".to_string(),
        )];
        for (i, name) in NODES.iter().enumerate() {
            let ns = format!("{p}{}", (b'a' + i as u8) as char);
            self.add_ns(&ns)?;
            members.push((
                ns.clone(),
                format!("{LAN_PREFIX}.{}/24", i + 1),
                format!("p{i}"),
            ));
            let dir = self.dir.join(name);
            for sub in ["ha.d/resource.d", "run", "state"] {
                fs::create_dir_all(dir.join(sub))?;
            }
            self.nodes.push(LabNode {
                name: name.to_string(),
                ns,
                dir,
                daemon: None,
            });
        }
        // LAN: every member's eth0 plugged into the switch's bridge.
        for (ns, addr, port) in &members {
            ip(&[
                "-n", &sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ])?;
            ip(&["-n", &sw, "link", "set", port, "master", "br0", "up"])?;
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"])?;
            ip(&["-n", ns, "link", "set", "eth0", "up"])?;
        }
        // Crossover cable between the two nodes: eth1.
        let (a, b) = (self.nodes[0].ns.clone(), self.nodes[1].ns.clone());
        ip(&[
            "-n", &a, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1", "netns", &b,
        ])?;
        for (i, ns) in [&a, &b].iter().enumerate() {
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{XOVER_PREFIX}.{}/24", i + 1),
                "brd",
                "+",
                "dev",
                "eth1",
            ])?;
            ip(&["-n", ns, "link", "set", "eth1", "up"])?;
        }
        if self.cfg.shared_disk {
            self.make_disk()?;
        }
        if self.cfg.serial {
            self.relay = Some(SerialRelay::start(&self.dir)?);
        }
        self.write_configs()?;
        Ok(())
    }

    fn make_disk(&mut self) -> io::Result<()> {
        let img = self.dir.join("shared.img");
        let f = fs::File::create(&img)?;
        f.set_len(16 * 1024 * 1024)?;
        drop(f);
        run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&img))?;
        let out = run(Command::new("losetup").args(["-f", "--show"]).arg(&img))?;
        self.loop_dev = Some(String::from_utf8_lossy(&out.stdout).trim().to_string());
        Ok(())
    }

    fn default_resources(&self) -> String {
        let mut r = format!("{VIP}/24/eth0");
        if let Some(dev) = &self.loop_dev {
            r.push_str(&format!(
                " Filesystem::{dev}::{}::ext4",
                self.dir.join("srv").display()
            ));
        }
        r.push_str(" webnode");
        r
    }

    fn write_configs(&mut self) -> io::Result<()> {
        fs::create_dir_all(self.dir.join("srv"))?;
        let resources = self
            .cfg
            .resources
            .clone()
            .unwrap_or_else(|| self.default_resources());
        for (i, node) in self.nodes.iter().enumerate() {
            let c = &self.cfg;
            let flavor = self.flavor_of(i);
            if flavor == Flavor::Original {
                flavor::copy_original_ha_d(&node.config_dir())?;
            }
            let mut hacf = vec![
                format!("logfile {}", node.log_path().display()),
                format!("keepalive {}", c.keepalive),
                format!("warntime {}", c.warntime),
                format!("deadtime {}", c.deadtime),
                format!("initdead {}", c.initdead),
                "udpport 694".to_string(),
            ];
            if c.bcast {
                hacf.push("bcast eth1".into());
            }
            if let Some(relay) = &self.relay {
                hacf.push("baud 115200".into());
                hacf.push(format!("serial {}", relay.ports[i].display()));
            }
            hacf.push(format!("auto_failback {}", c.auto_failback));
            hacf.push(format!("node {} {}", NODES[0], NODES[1]));
            hacf.extend(c.extra_hacf.iter().cloned());
            if flavor == Flavor::Original {
                hacf.extend(flavor::ORIGINAL_HACF.iter().map(|l| l.to_string()));
            }
            let cd = node.config_dir();
            fs::write(cd.join("ha.cf"), hacf.join("\n") + "\n")?;
            fs::write(
                cd.join("haresources"),
                format!("{} {resources}\n", NODES[0]),
            )?;
            let keys = cd.join("authkeys");
            fs::write(&keys, "auth 1\n1 sha1 lab-secret-not-for-production\n")?;
            fs::set_permissions(&keys, fs::Permissions::from_mode(0o600))?;
            let rd = cd.join("resource.d");
            let agents = std::iter::once(("webnode".to_string(), webnode_agent(&self.web_bin())));
            for (name, body) in agents.chain(c.extra_agents.iter().cloned()) {
                fs::write(rd.join(&name), body)?;
                fs::set_permissions(rd.join(&name), fs::Permissions::from_mode(0o755))?;
            }
            if flavor == Flavor::Keepalived {
                fs::write(
                    node.dir.join("keepalived.conf"),
                    flavor::keepalived_conf(c, i)?,
                )?;
            }
        }
        Ok(())
    }

    /// A command run inside node `i`'s namespace with its heartbeat dirs.
    pub fn command(&self, i: usize, program: &Path) -> Command {
        let n = &self.nodes[i];
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &n.ns])
            .arg(program)
            .env("HEARTBEAT_CONFIG_DIR", n.config_dir())
            .env("HEARTBEAT_NODE", &n.name)
            .env("HEARTBEAT_STATE_DIR", n.state_dir())
            .env("HEARTBEAT_RUN_DIR", n.run_dir())
            .stdin(Stdio::null());
        cmd
    }

    /// Start node `i`'s daemon (its output goes to `daemon.out` beside the log).
    pub fn start(&mut self, i: usize) -> io::Result<()> {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.nodes[i].dir.join("daemon.out"))?;
        let err = out.try_clone()?;
        let mut cmd = match self.flavor_of(i) {
            Flavor::Ours => {
                let bin = self.cfg.heartbeat_bin.clone();
                let mut cmd = self.command(i, &bin);
                cmd.arg("daemon");
                cmd
            }
            Flavor::Original => flavor::original_command(&self.nodes[i]),
            Flavor::Keepalived => {
                self.start_keepalived_web(i)?;
                flavor::keepalived_command(&self.nodes[i])
            }
        };
        let child = cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn()?;
        self.nodes[i].daemon = Some(child);
        Ok(())
    }

    /// keepalived moves only the address: the web service runs on both
    /// nodes all the time, started by the lab.
    fn start_keepalived_web(&mut self, i: usize) -> io::Result<()> {
        if self.nodes[i].dir.join("web.ready").exists() {
            return Ok(());
        }
        let ready = self.nodes[i].dir.join("web.ready");
        let child = Command::new("ip")
            .args(["netns", "exec", &self.nodes[i].ns])
            .arg(self.web_bin())
            .args(["--port", "80", "--text", &self.nodes[i].name, "--ready"])
            .arg(&ready)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.services.push(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ready.exists() {
            if Instant::now() > deadline {
                return Err(io::Error::other("hb-lab-web did not become ready"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Pids of node `i`'s daemon and all its descendants (not the services
    /// its agents started: they were re-parented when the agent exited).
    pub fn family_pids(&self, i: usize) -> Vec<i32> {
        match self.daemon_pid(i) {
            Some(pid) => flavor::descendants(pid),
            None => Vec::new(),
        }
    }

    /// An unplanned failure of node `i`'s cluster manager: like
    /// [`Lab::kill_daemon`], but for the daemon's whole process family
    /// (the original and keepalived run several), stopped, then killed.
    /// What its agents started stays. Stopping first matters:
    /// killing keepalived's parent alone makes its VRRP child leave
    /// gracefully (a priority-0 advert), which is a planned hand-over.
    pub fn crash_daemon(&mut self, i: usize) {
        use nix::sys::signal::{Signal, kill};
        let family = self.family_pids(i);
        for sig in [Signal::SIGSTOP, Signal::SIGKILL] {
            for pid in &family {
                let _ = kill(nix::unistd::Pid::from_raw(*pid), sig);
            }
        }
        self.kill_daemon(i);
    }

    /// A planned hand-over away from node `i`: `hb_standby` for both
    /// heartbeats; for keepalived a graceful stop (SIGTERM makes the
    /// master send a priority-0 advert so the backup takes over at once).
    pub fn standby(&mut self, i: usize) -> io::Result<()> {
        let out = match self.flavor_of(i) {
            Flavor::Ours => self.tool(i, "hb_standby", &[]),
            Flavor::Original => {
                let pid = self
                    .daemon_pid(i)
                    .ok_or_else(|| io::Error::other("daemon not running"))?;
                flavor::in_daemon_namespaces(pid, &[ORIGINAL_HB_STANDBY]).output()?
            }
            Flavor::Keepalived => {
                self.signal(i, nix::sys::signal::Signal::SIGTERM);
                return Ok(());
            }
        };
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "hb_standby failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    /// Send a signal to node `i`'s daemon (SIGKILL, SIGSTOP, SIGCONT, SIGTERM).
    pub fn signal(&mut self, i: usize, sig: nix::sys::signal::Signal) {
        if let Some(pid) = self.daemon_pid(i) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
        }
    }

    /// The daemon's own pid (the `ip netns exec` wrapper execs it, so the
    /// child's pid is the daemon's).
    pub fn daemon_pid(&self, i: usize) -> Option<i32> {
        self.nodes[i].daemon.as_ref().map(|c| c.id() as i32)
    }

    /// SIGKILL node `i`'s daemon only and reap it: a daemon crash. What its
    /// agents started (the VIP, services, mounts) stays, as on a real
    /// machine whose kernel is still up.
    pub fn kill_daemon(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].daemon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Crash node `i` like a machine losing power: SIGKILL its daemon and
    /// every process in its namespace (services, their mounts), and drop
    /// its addresses. Its disk is released for the peer.
    pub fn kill(&mut self, i: usize) {
        self.kill_daemon(i);
        kill_all_in(&self.nodes[i].ns);
        let _ = ip(&[
            "-n",
            &self.nodes[i].ns,
            "addr",
            "del",
            &format!("{VIP}/24"),
            "dev",
            "eth0",
        ]);
    }

    /// Wait for node `i`'s daemon to exit on its own.
    pub fn wait_exit(&mut self, i: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(c) = self.nodes[i].daemon.as_mut() {
                if let Ok(Some(_)) = c.try_wait() {
                    self.nodes[i].daemon = None;
                    return true;
                }
            } else {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Run the heartbeat CLI on node `i`.
    pub fn ctl(&self, i: usize, args: &[&str]) -> Output {
        let bin = self.cfg.heartbeat_bin.clone();
        self.command(i, &bin)
            .args(args)
            .output()
            .expect("running heartbeat")
    }

    /// Run a sibling program (cl_status, hb_standby, hb_takeover) on node `i`.
    pub fn tool(&self, i: usize, name: &str, args: &[&str]) -> Output {
        let bin = self.cfg.heartbeat_bin.with_file_name(name);
        self.command(i, &bin)
            .args(args)
            .output()
            .expect("running tool")
    }

    pub fn exec_in(&self, ns: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec")
    }

    /// Which nodes have the VIP configured right now.
    pub fn vip_holders(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| {
                let out = self.exec_in(
                    &self.nodes[i].ns,
                    &["ip", "-4", "-o", "addr", "show", "dev", "eth0"],
                );
                String::from_utf8_lossy(&out.stdout).contains(&format!("{VIP}/"))
            })
            .collect()
    }

    /// Ask the web service on the VIP from the client namespace; returns the
    /// node name it answered with.
    pub fn probe(&self, timeout: Duration) -> Option<String> {
        let ns = self.client_ns.clone();
        in_netns(&ns, move || http_get(VIP, 80, timeout))
            .ok()
            .flatten()
    }

    /// The MAC address of node `i`'s LAN interface.
    pub fn lan_mac(&self, i: usize) -> String {
        let out = self.exec_in(&self.nodes[i].ns, &["cat", "/sys/class/net/eth0/address"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The MAC the client's neighbour table has for the VIP, if any.
    pub fn client_vip_mac(&self) -> Option<String> {
        let out = self.exec_in(
            &self.client_ns,
            &["ip", "neigh", "show", VIP, "dev", "eth0"],
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut words = text.split_whitespace();
        words.find(|w| *w == "lladdr")?;
        words.next().map(str::to_string)
    }

    /// Cut (`down`) or restore a link of node `i` (`eth0` LAN, `eth1` crossover).
    pub fn set_link(&self, i: usize, iface: &str, up: bool) -> io::Result<()> {
        ip(&[
            "-n",
            &self.nodes[i].ns,
            "link",
            "set",
            iface,
            if up { "up" } else { "down" },
        ])?;
        Ok(())
    }

    /// Cut or restore the serial line.
    pub fn set_serial(&self, up: bool) {
        if let Some(r) = &self.relay {
            r.set_up(up);
        }
    }

    /// Stall (`true`) or resume (`false`) the serial line: the relay stops
    /// reading both pty masters, as a SIGSTOPped relay process would, and
    /// the line's kernel buffers are filled so each daemon's next serial
    /// write would block (see `SerialRelay::stall`). Resuming delivers
    /// everything queued meanwhile.
    pub fn stall_serial(&self, stalled: bool) -> io::Result<()> {
        match &self.relay {
            Some(r) => r.stall(stalled),
            None => Err(io::Error::other("this lab has no serial line")),
        }
    }

    pub fn log(&self, i: usize) -> String {
        fs::read_to_string(self.log_file(i)).unwrap_or_default()
    }

    /// Which cluster manager node `i` runs.
    pub fn flavor_of(&self, i: usize) -> Flavor {
        match (i, self.cfg.peer_flavor) {
            (1, Some(f)) => f,
            _ => self.cfg.flavor,
        }
    }

    /// The lab's web server program (see [`web`]), written by [`Lab::create`].
    pub fn web_bin(&self) -> PathBuf {
        self.dir.join("hb-lab-web")
    }

    /// Where node `i`'s cluster manager logs (keepalived logs to its
    /// console, which the lab sends to `daemon.out`).
    pub fn log_file(&self, i: usize) -> PathBuf {
        match self.flavor_of(i) {
            Flavor::Keepalived => self.nodes[i].dir.join("daemon.out"),
            _ => self.nodes[i].log_path(),
        }
    }

    /// Poll `f` until it returns true or `timeout` passes.
    pub fn wait_for(&self, timeout: Duration, mut f: impl FnMut(&Lab) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if f(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.crash_daemon(i);
        }
        for mut c in self.services.drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Agents started by a killed daemon (e.g. the web service) live on
        // in the namespace: kill everything still in it.
        for ns in &self.namespaces {
            kill_all_in(ns);
        }
        for ns in self.namespaces.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        self.relay = None;
        if let Some(dev) = &self.loop_dev {
            // Mounts made by the daemons lived in their own mount namespaces,
            // gone with them; a mount in ours would be from a test.
            let _ = Command::new("umount").arg(self.dir.join("srv")).output();
            // A mount namespace is torn down a moment after its last
            // process exits: until then the device is busy. Detach until it
            // is really gone (a busy detach only marks it for autoclear).
            let backing = PathBuf::from("/sys/block")
                .join(dev.trim_start_matches("/dev/"))
                .join("loop/backing_file");
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let _ = Command::new("losetup").args(["-d", dev]).output();
                if !backing.exists() || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// SIGKILL every process in network namespace `ns` and wait until they are gone.
fn kill_all_in(ns: &str) {
    let pids = || -> Vec<i32> {
        Command::new("ip")
            .args(["netns", "pids", ns])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive = pids();
        if alive.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in alive {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Run `f` on a thread that has joined network namespace `ns` (setns
/// changes only the calling thread, so the rest of the process is unmoved).
pub fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> io::Result<T> {
    let path = PathBuf::from("/run/netns").join(ns);
    std::thread::scope(|s| {
        s.spawn(move || -> io::Result<T> {
            let file = fs::File::open(&path)?;
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(io::Error::from)?;
            Ok(f())
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// A minimal HTTP GET; returns the first line of the body.
pub fn http_get(host: &str, port: u16, timeout: Duration) -> Option<String> {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = format!("{host}:{port}").parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.write_all(format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let body = buf.split("\r\n\r\n").nth(1)?;
    Some(body.lines().next().unwrap_or("").trim().to_string())
}

/// The lab's web service agent (see the script's header).
pub const WEBNODE: &str = include_str!("webnode");

/// The lab's web server program (src/web.rs, compiled by build.rs); every
/// lab writes it into its directory as `hb-lab-web`.
const WEB_SERVER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hb-lab-web"));

/// The agent with the web server's absolute path baked in (the same for
/// every flavor: the original tells an agent nothing about it).
pub fn webnode_agent(web_bin: &Path) -> String {
    let abs = fs::canonicalize(web_bin).unwrap_or_else(|_| web_bin.to_path_buf());
    WEBNODE.replace("@HB_LAB_WEB@", &abs.display().to_string())
}

/// A serial line between the nodes: two pty pairs whose master sides we
/// relay, so the test can cut the line like pulling a cable, or stall it
/// like a relay that stopped reading.
struct SerialRelay {
    pub ports: [PathBuf; 2],
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// True while the relay reads the masters. The relay reads only while
    /// holding this lock and seeing `true`, so once [`SerialRelay::stall`]
    /// has set it to `false` no further byte is drained.
    draining: std::sync::Arc<std::sync::Mutex<bool>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    _masters: [std::os::fd::OwnedFd; 2],
    /// Our own descriptors of the slave sides, kept open so the line does
    /// not hang up between a daemon's reopen attempts, and used to fill
    /// the line's buffer when it is stalled.
    slaves: [std::os::fd::OwnedFd; 2],
}

impl SerialRelay {
    fn start(dir: &Path) -> io::Result<SerialRelay> {
        use std::os::fd::AsRawFd;
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        let mut masters = Vec::new();
        let mut slaves = Vec::new();
        let mut ports = Vec::new();
        for i in 0..2 {
            let pty = nix::pty::openpty(None, None).map_err(io::Error::from)?;
            let name = nix::unistd::ttyname(&pty.slave).map_err(io::Error::from)?;
            // The daemon opens the slave by path.
            let link = dir.join(format!("serial{i}"));
            std::os::unix::fs::symlink(&name, &link)?;
            ports.push(link);
            slaves.push(pty.slave);
            masters.push(pty.master);
        }
        let up = Arc::new(AtomicBool::new(true));
        let draining = Arc::new(std::sync::Mutex::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let fds = [masters[0].as_raw_fd(), masters[1].as_raw_fd()];
        let (up2, draining2, stop2) = (up.clone(), draining.clone(), stop.clone());
        let thread = std::thread::spawn(move || relay_loop(fds, &up2, &draining2, &stop2));
        let masters: [std::os::fd::OwnedFd; 2] = masters.try_into().expect("two ptys");
        let slaves: [std::os::fd::OwnedFd; 2] = slaves.try_into().expect("two ptys");
        Ok(SerialRelay {
            ports: [ports[0].clone(), ports[1].clone()],
            up,
            draining,
            stop,
            thread: Some(thread),
            _masters: masters,
            slaves,
        })
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }

    /// Stop (`true`) or resume (`false`) draining both lines. Stopping also
    /// fills what the kernel buffers for each line (about 64 KiB) with
    /// empty lines, which the daemons' readers skip as line noise: a
    /// stopped relay reaches that state by itself once the daemons have
    /// written that much (some 20 s of lab traffic), after which every
    /// serial write would block.
    fn stall(&self, stalled: bool) -> io::Result<()> {
        *self.draining.lock().unwrap_or_else(|e| e.into_inner()) = !stalled;
        if stalled {
            for slave in &self.slaves {
                fill(slave)?;
            }
        }
        Ok(())
    }
}

/// Write empty lines to a pty slave until the kernel takes no more.
fn fill(slave: &std::os::fd::OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    // Only our own open file description: the daemon opened the slave by
    // path, so its descriptor keeps its flags.
    fcntl(slave, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
    let chunk = [b'\n'; 4096];
    // A bound, in case a kernel ever buffers without limit.
    for _ in 0..1024 {
        match nix::unistd::write(slave, &chunk) {
            Ok(_) => continue,
            Err(nix::errno::Errno::EAGAIN) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(io::Error::other("the serial line never filled up"))
}

impl Drop for SerialRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn relay_loop(
    fds: [std::os::fd::RawFd; 2],
    up: &std::sync::atomic::AtomicBool,
    draining: &std::sync::Mutex<bool>,
    stop: &std::sync::atomic::AtomicBool,
) {
    let mut buf = [0u8; 4096];
    let is_draining = || *draining.lock().unwrap_or_else(|e| e.into_inner());
    while !stop.load(Ordering::SeqCst) {
        if !is_draining() {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let mut pfds = [
            libc::pollfd {
                fd: fds[0],
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: fds[1],
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: pfds is a valid array of two pollfd structures.
        let n = unsafe { libc::poll(pfds.as_mut_ptr(), 2, 50) };
        if n <= 0 {
            continue;
        }
        // Read only while holding the lock and still draining (see `draining`).
        let guard = draining.lock().unwrap_or_else(|e| e.into_inner());
        if !*guard {
            continue;
        }
        for (from, to) in [(0usize, 1usize), (1, 0)] {
            if pfds[from].revents & libc::POLLIN == 0 {
                continue;
            }
            // SAFETY: reading into a valid buffer from an fd we own.
            let r = unsafe { libc::read(fds[from], buf.as_mut_ptr().cast(), buf.len()) };
            if r > 0 && up.load(Ordering::SeqCst) {
                // SAFETY: writing r valid bytes to an fd we own.
                unsafe { libc::write(fds[to], buf.as_ptr().cast(), r as usize) };
            }
        }
        drop(guard);
    }
}

/// Milliseconds of an ha.cf time value (`500ms`, `2`), read by the same
/// parser the daemon uses for ha.cf.
pub fn parse_ms(v: &str) -> Option<u64> {
    heartbeat::config::hacf::parse_time(v)
        .ok()
        .map(|d| d.as_millis() as u64)
}
