//! A real systemd for tests: `/lib/systemd/systemd --system` as PID 1 of
//! its own PID, mount and cgroup namespaces, with a private `/run`, its own
//! cgroup2 hierarchy and only the units a test gives it.
//!
//! It shares the host's network and filesystem but not its units:
//! `SYSTEMD_UNIT_PATH` names one directory of ours only, so nothing of the
//! distribution's (sysinit.target's tmpfiles, sysctl, udev …) can be
//! pulled in. `systemctl` reaches it through the wrapper in [`bin_dir`]
//! (`nsenter` into its namespaces), which a test puts first in the agents'
//! PATH. Dropping the value kills the namespace's PID 1, and with it every
//! process in it.
//!
//! [`bin_dir`]: Systemd::bin_dir

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// The systemd binary, where Debian and Red Hat put it.
pub const SYSTEMD: &str = "/lib/systemd/systemd";
/// The unit directory inside the namespace (on its private /run).
const UNIT_DIR: &str = "/run/hb-units";

/// Moves into the test's cgroup, then into new namespaces.
const ENTER: &str = r#"echo $$ > "$PROCS" &&
exec unshare --pid --mount --cgroup --fork --mount-proc sh -c "$BOOT""#;

/// Runs inside the new namespaces, before systemd replaces it.
const BOOT: &str = r#"set -e
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p "$UNIT_DIR"
cp "$SRC"/* "$UNIT_DIR"/
umount -R /sys/fs/cgroup 2>/dev/null || true
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec "$SYSTEMD" --system --unit=hb-test.target
"#;

/// The units every instance has: its default target and the slice
/// services land in (both are read from files, which we restrict).
const BASE_UNITS: [(&str, &str); 2] = [
    (
        "hb-test.target",
        "[Unit]\nDescription=heartbeat test root\nDefaultDependencies=no\n",
    ),
    (
        "system.slice",
        "[Unit]\nDescription=System Slice\nDefaultDependencies=no\n",
    ),
];

pub struct Systemd {
    child: Child,
    /// PID 1 of the namespace, as the host sees it.
    pid: u32,
    dir: tempfile::TempDir,
    cgroup: PathBuf,
}

impl Systemd {
    /// Whether this machine can run one: root, systemd and a cgroup2 mount.
    pub fn available() -> Result<(), String> {
        if !nix::unistd::geteuid().is_root() {
            return Err("root".into());
        }
        if !Path::new(SYSTEMD).is_file() {
            return Err(format!("{SYSTEMD} (package systemd)"));
        }
        cgroup2_mount().map(|_| ()).ok_or("a cgroup2 mount".into())
    }

    /// Boot one, named `tag` (unique per test), and wait until it answers.
    pub fn boot(tag: &str) -> io::Result<Systemd> {
        let dir = tempfile::tempdir()?;
        let src = dir.path().join("units");
        std::fs::create_dir_all(&src)?;
        for (name, text) in BASE_UNITS {
            std::fs::write(src.join(name), text)?;
        }
        let mount = cgroup2_mount().ok_or_else(|| io::Error::other("no cgroup2 mount"))?;
        let cgroup = mount.join(own_cgroup()).join(format!("hb-{tag}"));
        std::fs::create_dir_all(&cgroup)?;
        // The cgroup namespace's root is the cgroup unshare runs in.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", ENTER])
            .env("PROCS", cgroup.join("cgroup.procs"))
            .env("BOOT", BOOT)
            .env("UNIT_DIR", UNIT_DIR)
            .env("SRC", &src)
            .env("SYSTEMD", SYSTEMD)
            .env("SYSTEMD_UNIT_PATH", UNIT_DIR)
            // systemd's own word for "not on bare metal": no console, no TTY games.
            .env("container", "hb-test")
            .stdin(std::process::Stdio::null());
        let child = cmd.spawn()?;
        let mut sd = Systemd {
            pid: 0,
            child,
            dir,
            cgroup,
        };
        sd.pid = sd.wait_for_pid1()?;
        sd.write_wrapper()?;
        sd.wait_running()?;
        Ok(sd)
    }

    /// The namespace's PID 1 is unshare's only child.
    fn wait_for_pid1(&mut self) -> io::Result<u32> {
        let children = format!("/proc/{0}/task/{0}/children", self.child.id());
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            let text = std::fs::read_to_string(&children).unwrap_or_default();
            if let Some(pid) = text.split_whitespace().next().and_then(|p| p.parse().ok()) {
                let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
                if exe.ends_with("systemd") {
                    return Ok(pid);
                }
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("systemd did not boot: {status}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::other("systemd did not appear within 10 s"))
    }

    fn wait_running(&self) -> io::Result<()> {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.systemctl(&["is-system-running"])?;
            let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if state == "running" {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(io::Error::other(format!("systemd stays {state:?}")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn write_wrapper(&self) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.bin_dir();
        std::fs::create_dir_all(&bin)?;
        // By its full path: this directory comes first in the PATH it runs with.
        let systemctl = ["/usr/bin/systemctl", "/bin/systemctl"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .ok_or_else(|| io::Error::other("no systemctl"))?;
        let script = format!(
            "#!/bin/sh\nexec nsenter -t {} -m -p -- {systemctl} \"$@\"\n",
            self.pid
        );
        let path = bin.join("systemctl");
        std::fs::write(&path, script)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
    }

    /// A directory holding `systemctl`, which talks to this instance.
    pub fn bin_dir(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Install unit `name` with `text` and make systemd read it.
    pub fn add_unit(&self, name: &str, text: &str) -> io::Result<()> {
        let inside = format!("/proc/{}/root{UNIT_DIR}/{name}", self.pid);
        std::fs::write(inside, text)?;
        let out = self.systemctl(&["daemon-reload"])?;
        if !out.status.success() {
            return Err(io::Error::other(format!("daemon-reload: {out:?}")));
        }
        Ok(())
    }

    /// Run `systemctl ARGS` against this instance.
    pub fn systemctl(&self, args: &[&str]) -> io::Result<Output> {
        Command::new(self.bin_dir().join("systemctl"))
            .args(args)
            .output()
    }

    /// The unit's ActiveState (`active`, `failed` …).
    pub fn state(&self, unit: &str) -> String {
        self.systemctl(&["show", "-p", "ActiveState", "--value", unit])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        // Killing a PID namespace's init kills everything in it.
        if self.pid != 0 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let until = Instant::now() + Duration::from_secs(5);
        // The cgroups empty once the kernel has reaped the namespace.
        while remove_cgroup(&self.cgroup).is_err() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Remove a cgroup and the ones systemd made below it, deepest first
/// (a cgroup directory goes with rmdir once it has no processes or children).
fn remove_cgroup(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_cgroup(&entry.path())?;
        }
    }
    std::fs::remove_dir(dir)
}

/// Where the cgroup2 hierarchy is mounted (all of /sys/fs/cgroup on a
/// unified host, /sys/fs/cgroup/unified on a hybrid one).
fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&"cgroup2")).then(|| PathBuf::from(f[1]))
    })
}

/// This process's cgroup2 path, relative (`0::/x/y` → `x/y`).
fn own_cgroup() -> PathBuf {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(|p| PathBuf::from(p.trim_start_matches('/')))
        .unwrap_or_default()
}
