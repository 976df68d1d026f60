//! Each node's ha.d as the lab writes it: ha.cf, haresources, authkeys,
//! the agents in resource.d (the lab's `webnode` and any extra ones) and,
//! for keepalived, keepalived.conf; plus the web server program and agent
//! the default resource chain runs.

use crate::flavor;
use crate::{Flavor, Lab, NODES, VIP};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

impl Lab {
    /// Where the shared disk is mounted (the plain directory without one).
    pub fn srv_dir(&self) -> std::path::PathBuf {
        self.dir.join("srv")
    }

    fn default_resources(&self) -> String {
        let mut r = format!("{VIP}/24/eth0");
        if let Some(dev) = &self.loop_dev {
            r.push_str(&format!(
                " Filesystem::{dev}::{}::ext4",
                self.srv_dir().display()
            ));
        }
        r.push_str(" webnode");
        r
    }

    /// Make node `i`'s web server misbehave (`Some("500")`, `Some("slow
    /// MS")`, `Some("slow-once MS")`; see web.rs) or behave (`None`).
    pub fn set_web_mode(&self, i: usize, mode: Option<&str>) -> io::Result<()> {
        // The webnode agent's HA_RSCTMP under our daemon (daemon/setup.rs).
        let dir = self.nodes[i].run_dir().join("rsctmp");
        fs::create_dir_all(&dir)?;
        let file = dir.join("webnode.mode");
        match mode {
            Some(m) => fs::write(file, format!("{m}\n")),
            None => match fs::remove_file(file) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        }
    }

    pub(crate) fn write_configs(&mut self) -> io::Result<()> {
        fs::create_dir_all(self.srv_dir())?;
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
            let agents = std::iter::once((
                "webnode".to_string(),
                webnode_agent(&self.web_bin(), &self.srv_dir()),
            ));
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
}

/// The lab's web service agent (see the script's header).
pub const WEBNODE: &str = include_str!("webnode");

/// The lab's web server program (src/web.rs, compiled by build.rs); every
/// lab writes it into its directory as `hb-lab-web`.
pub(crate) const WEB_SERVER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hb-lab-web"));

/// The agent with the web server's absolute path and the shared disk's
/// mount point baked in (the same for every flavor: the original tells an
/// agent nothing about them).
pub fn webnode_agent(web_bin: &Path, srv: &Path) -> String {
    let abs = fs::canonicalize(web_bin).unwrap_or_else(|_| web_bin.to_path_buf());
    WEBNODE
        .replace("@HB_LAB_WEB@", &abs.display().to_string())
        .replace("@HB_LAB_SRV@", &srv.display().to_string())
}
