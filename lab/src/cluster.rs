//! The cluster fixture: [`Lab`] owns everything a lab creates (its
//! directory, namespaces, processes, loop device, serial relay) and removes
//! it in `Drop`; [`LabNode`] is one node's namespace, directories and
//! daemon. The topology, configs, processes and probes are built and driven
//! by the `impl Lab` blocks of the sibling modules.

use crate::netns::kill_all_in;
use crate::node_config::WEB_SERVER;
use crate::serial::SerialRelay;
use crate::{Flavor, LabConfig, disk};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

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
    /// The attacker's namespace when [`LabConfig::attacker`] is set.
    pub attacker_ns: Option<String>,
    pub loop_dev: Option<String>,
    pub(crate) relay: Option<SerialRelay>,
    pub(crate) namespaces: Vec<String>,
    /// Services the lab runs itself (keepalived's web servers).
    pub(crate) services: Vec<Child>,
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
            attacker_ns: cfg.attacker.then(|| format!("{}x", cfg.prefix)),
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

    /// The lab's web server program (see [`web`](crate::web)), written by
    /// [`Lab::create`].
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
            disk::release_disk(dev, &self.dir.join("srv"));
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
