//! The DRBD emulator in a lab ([`LabConfig::drbd`](crate::LabConfig)):
//! one `hb-drbd-emu` daemon per node for resource `r0`, started in the
//! node's namespace and listening on its crossover address, and a
//! `drbdadm` per node (a two-line script calling the emulator's front end
//! with that node's directory) for tests and agents to put on their PATH.
//! The emulators are lab services, killed when the lab is dropped. The
//! node's own daemon finds that `drbdadm` first on its agents' PATH
//! (see `Lab::drbd_daemon_command`).

use crate::{Lab, XOVER_PREFIX};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DRBD_EMU: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hb-drbd-emu"));
/// The port of the replication link (DRBD's customary first port).
const DRBD_PORT: u16 = 7789;

impl Lab {
    /// Node `i`'s emulator directory (emu.conf, meta, ctl socket, emu.log).
    pub fn drbd_dir(&self, i: usize) -> PathBuf {
        self.nodes[i].dir.join("drbd")
    }

    /// The directory holding node `i`'s `drbdadm`, to put first on a PATH.
    pub fn drbd_bin_dir(&self, i: usize) -> PathBuf {
        self.drbd_dir(i).join("bin")
    }

    fn drbd_emu_bin(&self) -> PathBuf {
        self.dir.join("hb-drbd-emu")
    }

    pub(crate) fn start_drbd(&mut self) -> io::Result<()> {
        let emu = self.drbd_emu_bin();
        fs::write(&emu, DRBD_EMU)?;
        fs::set_permissions(&emu, fs::Permissions::from_mode(0o755))?;
        for i in 0..self.nodes.len() {
            let dir = self.drbd_dir(i);
            fs::create_dir_all(self.drbd_bin_dir(i))?;
            let mut conf = format!(
                "resource = r0\nnode = {}\npeer = {}\naddress = {XOVER_PREFIX}.{}:{DRBD_PORT}\npeer-address = {XOVER_PREFIX}.{}:{DRBD_PORT}\n",
                self.nodes[i].name,
                self.nodes[1 - i].name,
                i + 1,
                2 - i
            );
            for line in &self.cfg.drbd_conf {
                conf.push_str(line);
                conf.push('\n');
            }
            if self.cfg.drbd_fencing {
                conf.push_str(&self.fencing_handlers(i));
            }
            fs::write(dir.join("emu.conf"), conf)?;
            let adm = self.drbd_bin_dir(i).join("drbdadm");
            fs::write(
                &adm,
                format!(
                    "#!/bin/sh\nexec {:?} adm {:?} \"$@\"\n",
                    emu.display().to_string(),
                    dir.display().to_string()
                ),
            )?;
            fs::set_permissions(&adm, fs::Permissions::from_mode(0o755))?;
            self.start_drbd_emulator(i)?;
        }
        // As DRBD's init script waits for the peer (wfc-timeout), the lab
        // hands over a connected pair: a node promoted before the
        // handshake would start a new generation and resync its peer.
        let deadline = Instant::now() + Duration::from_secs(10);
        while (0..self.nodes.len()).any(|i| {
            self.drbd_state(i)
                .ok()
                .and_then(|s| s.get("conn").cloned())
                .is_none_or(|c| c != "Connected")
        }) {
            if Instant::now() > deadline {
                return Err(io::Error::other("the DRBD emulators did not connect"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// The emu.conf lines of DRBD's fencing set-up for node `i`: the
    /// handlers run `heartbeat fence-peer`/`unfence-peer` against that
    /// node's daemon (its run directory, as the lab keeps one per node).
    fn fencing_handlers(&self, i: usize) -> String {
        let run = format!(
            "HEARTBEAT_RUN_DIR={} {}",
            self.nodes[i].run_dir().display(),
            self.cfg.heartbeat_bin.display()
        );
        format!(
            "fencing = resource-only\nfence-peer = {run} fence-peer -t 5\nafter-resync-target = {run} unfence-peer\n"
        )
    }

    /// Start node `i`'s emulator (again, after [`Lab::kill_drbd_emulator`]:
    /// it comes back from its meta-data as DRBD does after a reboot).
    pub fn start_drbd_emulator(&mut self, i: usize) -> io::Result<()> {
        let dir = self.drbd_dir(i);
        let _ = fs::remove_file(dir.join("ctl"));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("emu.out"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.nodes[i].ns])
            .arg(self.drbd_emu_bin())
            .arg("daemon")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        fs::write(dir.join("pid"), child.id().to_string())?;
        self.services.push(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !dir.join("ctl").exists() {
            if Instant::now() > deadline {
                return Err(io::Error::other("hb-drbd-emu did not come up"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// SIGKILL node `i`'s emulator, as a crash of the node would stop
    /// DRBD (the lab reaps it when dropped).
    pub fn kill_drbd_emulator(&self, i: usize) -> io::Result<()> {
        crate::netns::kill_pid_file(&self.drbd_dir(i).join("pid"))
    }

    /// Node `i`'s daemon with the emulator's drbdadm on the agents' fixed
    /// PATH: `ip netns exec` gives every command a private mount namespace
    /// (mounts made in it stay in it), where the node's `drbd` directory is
    /// bind-mounted on /usr/local, so /usr/local/bin/drbdadm is the
    /// emulator's front end for this daemon and its agents only. The host's
    /// /usr/local is not touched and, in there, not needed.
    pub(crate) fn drbd_daemon_command(&self, i: usize, heartbeat: &Path) -> Command {
        let mut cmd = self.command(i, Path::new("/bin/sh"));
        cmd.args([
            "-c",
            "mount --bind \"$1\" /usr/local && shift && exec \"$@\"",
            "sh",
        ])
        .arg(self.drbd_dir(i))
        .arg(heartbeat)
        .arg("daemon");
        cmd
    }

    /// Run node `i`'s `drbdadm` with `args`.
    pub fn drbdadm(&self, i: usize, args: &[&str]) -> io::Result<Output> {
        Command::new(self.drbd_bin_dir(i).join("drbdadm"))
            .args(args)
            .stdin(Stdio::null())
            .output()
    }

    /// The emulator's state of node `i` as `key=value` pairs (`emu-state`).
    pub fn drbd_state(&self, i: usize) -> io::Result<std::collections::HashMap<String, String>> {
        let out = self.drbdadm(i, &["emu-state", "r0"])?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }
}
