//! Running programs on the nodes: starting each node's cluster manager
//! (of whichever [`Flavor`]), signalling, crashing, killing and reaping
//! it, planned hand-overs, and the heartbeat CLI and its sibling tools.

use crate::flavor;
use crate::netns::{ip, kill_all_in};
use crate::{Flavor, Lab, ORIGINAL_HB_STANDBY, VIP};
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

impl Lab {
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
        if self.flavor_of(i) == Flavor::Keepalived || self.cfg.service_on_both {
            self.start_standing_web(i)?;
        }
        let mut cmd = match self.flavor_of(i) {
            Flavor::Ours => {
                let bin = self.cfg.heartbeat_bin.clone();
                if self.cfg.drbd {
                    self.drbd_daemon_command(i, &bin)
                } else {
                    let mut cmd = self.command(i, &bin);
                    cmd.arg("daemon");
                    cmd
                }
            }
            Flavor::Original => flavor::original_command(&self.nodes[i]),
            Flavor::Keepalived => flavor::keepalived_command(&self.nodes[i]),
        };
        let child = cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn()?;
        self.nodes[i].daemon = Some(child);
        Ok(())
    }

    /// keepalived moves only the address (and so does a "VIP only" lab):
    /// the web service runs on both nodes all the time, started by the lab.
    fn start_standing_web(&mut self, i: usize) -> io::Result<()> {
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
}
