//! Corosync and Pacemaker on the lab's nodes, for the migration's live
//! proof: the node's ha.d exported by `heartbeat export pacemaker`, then
//! on each node Debian's corosync and pacemakerd, as root, in the node's
//! network namespace plus a mount and UTS namespace of their own.
//!
//! Why the private mounts: the two "machines" share one file system and
//! one /dev/shm, but Corosync and Pacemaker keep state in fixed places.
//! Each node gets its own tmpfs on /dev/shm (libqb's IPC rings are named
//! there, the same on both nodes) and /run (pid and lock files), and its
//! own directories bound over /etc/corosync (the exported corosync.conf and
//! key), /var/lib/corosync, /var/lib/pacemaker (the CIB, empty until
//! [`Lab::load_pacemaker_config`] loads the exported one),
//! /var/log/pacemaker and /etc/init.d (where the export tells the admin to
//! install resource.d scripts it mapped to `lsb:`); with the DRBD emulator
//! also its drbdadm on /usr/local and a stand-in for `ocf:linbit:drbd`
//! (`pcmk-drbd`) in the OCF agents' directory; and the lab's fence device
//! `fence_lab` (`pcmk-fence`) beside the fence agents in /usr/sbin, for
//! [`Lab::add_pacemaker_fencing`]. libqb's abstract
//! sockets are per network namespace already. The host's own copies of
//! those directories are never written.
//!
//! A namespace holder (`sleep`, the node's `daemon` for the rest of the
//! lab) owns the namespaces; corosync and pacemakerd join it with
//! `nsenter`, so either can be killed alone and the tools run beside them.
//! Everything is a lab service or lives in the node's network namespace,
//! so [`Lab`]'s `Drop` kills it and the mounts vanish with the processes.

use crate::flavor::in_daemon_namespaces;
use crate::netns::run;
use crate::{Lab, NODES, XOVER_PREFIX};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Where Pacemaker's daemons log inside a node (bound to the node's
/// `pacemaker/log` directory).
const PCMK_LOG: &str = "/var/log/pacemaker/pacemaker.log";

/// `ocf:linbit:drbd` on the DRBD emulator (see the script's header).
const LINBIT_DRBD: &str = include_str!("pcmk-drbd");

/// The lab's fence device, `stonith:fence_lab` (see the script's header).
const FENCE_LAB: &str = include_str!("pcmk-fence");

/// The node's private directories (under its `pacemaker` directory),
/// each bound over the system path of the same role.
const BINDS: [(&str, &str); 5] = [
    ("etc-corosync", "/etc/corosync"),
    ("lib-corosync", "/var/lib/corosync"),
    ("lib-pacemaker", "/var/lib/pacemaker"),
    ("log", "/var/log/pacemaker"),
    ("init.d", "/etc/init.d"),
];

/// Run as the holder (`DIR NAME DRBD_DIR SUB:TARGET…`): the mounts, the
/// host name, a ready mark, then sleep so the namespaces stay while the
/// daemons come and go.
const HOLDER: &str = r#"set -e
dir=$1; name=$2; drbd=$3
mount -t tmpfs -o mode=1777 lab-shm /dev/shm
mount -t tmpfs -o mode=755 lab-run /run
mkdir -p /run/crm /run/resource-agents /run/lock
chown hacluster:haclient /run/crm
shift 3
for bind in "$@"; do
    mount --bind "$dir/${bind%%:*}" "${bind#*:}"
done
# With the DRBD emulator: its drbdadm on /usr/local/bin, and the agent
# the export names for DRBD beside the installed ones.
if [ -n "$drbd" ]; then
    mount --bind "$drbd" /usr/local
    mount -t overlay -o "lowerdir=$dir/ocf:/usr/lib/ocf/resource.d" lab-ocf /usr/lib/ocf/resource.d
fi
# The lab's fence device beside the system's fence agents.
mount -t overlay -o "lowerdir=$dir/sbin:/usr/sbin" lab-sbin /usr/sbin
hostname "$name"
touch "$dir/ready"
exec sleep infinity
"#;

impl Lab {
    /// Node `i`'s Pacemaker directory (its private state, logs, pid files).
    pub fn pacemaker_dir(&self, i: usize) -> PathBuf {
        self.nodes[i].dir.join("pacemaker")
    }

    /// Node `i`'s Pacemaker log, then what corosync and pacemakerd wrote
    /// to their output (for a failing test's report).
    pub fn pacemaker_log(&self, i: usize) -> String {
        let mut s =
            fs::read_to_string(self.pacemaker_dir(i).join("log/pacemaker.log")).unwrap_or_default();
        for f in ["corosync.out", "pacemakerd.out"] {
            let out = fs::read_to_string(self.pacemaker_dir(i).join(f)).unwrap_or_default();
            s.push_str(&format!("---- {f} ----\n{out}"));
        }
        s
    }

    /// `heartbeat export pacemaker` on alpha's ha.d, as the migration
    /// guide runs it: fencing disabled (the lab has no fence device, and
    /// the export says so loudly), Corosync's link on the crossover
    /// addresses. Returns the directory with cib.xml, corosync.conf,
    /// authkey and MIGRATION-NOTES.txt.
    pub fn export_pacemaker(&self) -> io::Result<PathBuf> {
        let out = self.dir.join("pacemaker-export");
        let addrs: Vec<String> = NODES
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n}={XOVER_PREFIX}.{}", i + 1))
            .collect();
        let mut args = vec!["export", "pacemaker", "--disable-fencing"];
        for a in &addrs {
            args.extend(["--addr", a]);
        }
        args.extend(["--out", out.to_str().unwrap_or_default()]);
        let o = self.ctl(0, &args);
        if !o.status.success() {
            return Err(io::Error::other(format!(
                "heartbeat export pacemaker failed: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )));
        }
        Ok(out)
    }

    /// Start Corosync, then Pacemaker, on node `i` with the corosync.conf
    /// and key of `export` (from [`Lab::export_pacemaker`]); returns once
    /// Corosync answers and pacemakerd runs (not once the cluster has
    /// settled). The CIB comes later, [`Lab::load_pacemaker_config`].
    pub fn start_pacemaker(&mut self, i: usize, export: &Path) -> io::Result<()> {
        let dir = self.pacemaker_dir(i);
        self.install_pacemaker_files(i, export, &dir)?;
        let ready = dir.join("ready");
        let holder = Command::new("ip")
            .args(["netns", "exec", &self.nodes[i].ns])
            .args(["unshare", "--mount", "--uts", "--propagation", "private"])
            .args(["sh", "-c", HOLDER, "holder"])
            .arg(&dir)
            .arg(&self.nodes[i].name)
            .arg(if self.cfg.drbd {
                self.drbd_dir(i)
            } else {
                PathBuf::new()
            })
            .args(BINDS.map(|(sub, target)| format!("{sub}:{target}")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(output_file(&dir, "holder.out")?)
            .spawn()?;
        // What the fence device needs to power this node off.
        fs::create_dir_all(self.fence_dir())?;
        fs::write(
            self.fence_dir().join(&self.nodes[i].name),
            holder.id().to_string(),
        )?;
        self.nodes[i].daemon = Some(holder);
        wait_until(Duration::from_secs(5), "the namespace holder", || {
            ready.exists()
        })?;
        self.spawn_in_node(i, "corosync", &["corosync", "-f"])?;
        wait_until(Duration::from_secs(10), "corosync", || {
            self.pacemaker_tool(i, &["corosync-cfgtool", "-s"])
                .is_ok_and(|o| o.status.success())
        })?;
        self.spawn_in_node(i, "pacemakerd", &["pacemakerd"])
    }

    /// The node's private directories, filled from the export: the key
    /// and corosync.conf, Pacemaker's state directories (owned by
    /// hacluster, as Pacemaker keeps them; the CIB starts empty, as on a
    /// new cluster), and the node's resource.d scripts in its /etc/init.d
    /// as the export's notes ask for scripts mapped to `lsb:`.
    fn install_pacemaker_files(&self, i: usize, export: &Path, dir: &Path) -> io::Result<()> {
        for (sub, _) in BINDS {
            fs::create_dir_all(dir.join(sub))?;
        }
        let etc = dir.join("etc-corosync");
        fs::copy(export.join("corosync.conf"), etc.join("corosync.conf"))?;
        fs::copy(export.join("authkey"), etc.join("authkey"))?;
        fs::set_permissions(etc.join("authkey"), fs::Permissions::from_mode(0o400))?;
        let lib = dir.join("lib-pacemaker");
        for sub in ["cib", "pengine", "blackbox", "cores"] {
            fs::create_dir_all(lib.join(sub))?;
        }
        for entry in fs::read_dir(self.nodes[i].config_dir().join("resource.d"))? {
            let entry = entry?;
            fs::copy(entry.path(), dir.join("init.d").join(entry.file_name()))?;
        }
        if self.cfg.drbd {
            write_program(&dir.join("ocf/linbit/drbd"), LINBIT_DRBD)?;
        }
        write_program(&dir.join("sbin/fence_lab"), FENCE_LAB)?;
        for owned in [lib, dir.join("log")] {
            run(Command::new("chown")
                .args(["-R", "hacluster:haclient"])
                .arg(owned))?;
        }
        Ok(())
    }

    /// `argv` as a lab service inside node `i`'s namespaces; its pid goes
    /// to `NAME.pid` and its output to `NAME.out` in the node's directory.
    fn spawn_in_node(&mut self, i: usize, name: &str, argv: &[&str]) -> io::Result<()> {
        let dir = self.pacemaker_dir(i);
        let out = output_file(&dir, &format!("{name}.out"))?;
        let child = self
            .holder_command(i, argv)?
            .env("PCMK_logfile", PCMK_LOG)
            // The agents inherit it: scripts that keep pid files there
            // (the lab's webnode) would otherwise share /tmp with the
            // other labs' nodes of the same name.
            .env("HA_RSCTMP", "/run/resource-agents")
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        fs::write(dir.join(format!("{name}.pid")), child.id().to_string())?;
        self.services.push(child);
        Ok(())
    }

    fn holder_command(&self, i: usize, argv: &[&str]) -> io::Result<Command> {
        let pid = self
            .daemon_pid(i)
            .ok_or_else(|| io::Error::other(format!("node {i} runs no Pacemaker")))?;
        Ok(in_daemon_namespaces(pid, argv))
    }

    /// Load the exported CIB into the running cluster from node `i`, as
    /// the migration guide's step 7 does: only the configuration section
    /// is replaced (the running CIB's epoch is already past the file's).
    pub fn load_pacemaker_config(&self, i: usize, export: &Path) -> io::Result<()> {
        let cib = export.join("cib.xml");
        let argv = [
            "cibadmin",
            "--replace",
            "--scope",
            "configuration",
            "--xml-file",
        ];
        let mut cmd = self.holder_command(i, &argv)?;
        run(cmd.arg(cib)).map(drop)
    }

    /// Each node's namespace holder pid, by node name, for `fence_lab`.
    fn fence_dir(&self) -> PathBuf {
        self.dir.join("fence")
    }

    /// What docs/migration.md's step 9 does, done from node `i` with the
    /// lab's fence device: one `stonith:fence_lab` device per node, then
    /// `stonith-enabled=true`.
    pub fn add_pacemaker_fencing(&self, i: usize) -> io::Result<()> {
        for n in NODES {
            let dir = self.fence_dir();
            let xml = format!(
                "<primitive id=\"fence-{n}\" class=\"stonith\" type=\"fence_lab\">\
                 <instance_attributes id=\"fence-{n}-params\">\
                 <nvpair id=\"fence-{n}-hosts\" name=\"pcmk_host_list\" value=\"{n}\"/>\
                 <nvpair id=\"fence-{n}-dir\" name=\"state_dir\" value=\"{}\"/>\
                 </instance_attributes></primitive>",
                dir.display()
            );
            let argv = [
                "cibadmin",
                "--create",
                "--scope",
                "resources",
                "--xml-text",
                &xml,
            ];
            run(&mut self.holder_command(i, &argv)?)?;
        }
        let argv = [
            "crm_attribute",
            "--type",
            "crm_config",
            "--name",
            "stonith-enabled",
        ];
        run(self.holder_command(i, &argv)?.args(["--update", "true"])).map(drop)
    }

    /// Run a tool (`crm_mon`, `crm_node`, `corosync-cfgtool` …) on node
    /// `i`, beside its Corosync and Pacemaker.
    pub fn pacemaker_tool(&self, i: usize, argv: &[&str]) -> io::Result<Output> {
        self.holder_command(i, argv)?.output()
    }

    /// SIGKILL node `i`'s corosync only: Pacemaker and the resources it
    /// started stay, as after a crash of the membership layer alone.
    pub fn kill_corosync(&self, i: usize) -> io::Result<()> {
        crate::netns::kill_pid_file(&self.pacemaker_dir(i).join("corosync.pid"))
    }

    /// The nodes node `i`'s Pacemaker counts as members (`crm_node -l`).
    pub fn pacemaker_members(&self, i: usize) -> Vec<String> {
        let Ok(o) = self.pacemaker_tool(i, &["crm_node", "-l"]) else {
            return Vec::new();
        };
        members(&String::from_utf8_lossy(&o.stdout))
    }

    /// Where node `i`'s Pacemaker says `resource` runs (`crm_resource -W`).
    pub fn pacemaker_location(&self, i: usize, resource: &str) -> Vec<String> {
        let Ok(o) = self.pacemaker_tool(i, &["crm_resource", "-W", "-r", resource]) else {
            return Vec::new();
        };
        running_on(&String::from_utf8_lossy(&o.stdout))
    }
}

fn write_program(path: &Path, text: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

fn output_file(dir: &Path, name: &str) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
}

fn wait_until(timeout: Duration, what: &str, mut ok: impl FnMut() -> bool) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() > deadline {
            return Err(io::Error::other(format!("{what} did not come up")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The names in `crm_node -l` lines (`ID NAME STATE`) whose state is `member`.
fn members(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, name, "member", ..] => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// The nodes of `crm_resource -W` lines (`resource R is running on: NODE`).
fn running_on(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once("is running on: "))
        .filter_map(|(_, rest)| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_the_nodes_in_state_member() {
        let text = "1 alpha member\n2 bravo lost\n";
        assert_eq!(members(text), vec!["alpha"]);
        assert!(members("").is_empty());
    }

    #[test]
    fn running_on_reads_every_node_crm_resource_names() {
        let text = "resource g is running on: bravo\n";
        assert_eq!(running_on(text), vec!["bravo"]);
        assert!(running_on("resource g is NOT running\n").is_empty());
        let clone = "resource c is running on: alpha Promoted\nresource c is running on: bravo\n";
        assert_eq!(running_on(clone), vec!["alpha", "bravo"]);
    }
}
