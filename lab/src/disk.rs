//! The shared disk: an ext4 image on a loop device made for a lab, and
//! its release when the lab is dropped.

use crate::Lab;
use crate::netns::run;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

impl Lab {
    pub(crate) fn make_disk(&mut self) -> io::Result<()> {
        let img = self.dir.join("shared.img");
        let f = fs::File::create(&img)?;
        f.set_len(16 * 1024 * 1024)?;
        drop(f);
        run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&img))?;
        let out = run(Command::new("losetup").args(["-f", "--show"]).arg(&img))?;
        self.loop_dev = Some(String::from_utf8_lossy(&out.stdout).trim().to_string());
        Ok(())
    }
}

/// Unmount `mountpoint` (in case a test mounted it in our namespace) and
/// detach loop device `dev`.
pub(crate) fn release_disk(dev: &str, mountpoint: &Path) {
    // Mounts made by the daemons lived in their own mount namespaces,
    // gone with them; a mount in ours would be from a test.
    let _ = Command::new("umount").arg(mountpoint).output();
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

impl Lab {
    /// Write `content` into file `name` on the shared disk as node `i`'s
    /// daemon sees it (its mount namespace, where its Filesystem agent
    /// mounted the disk), and flush it to the device.
    pub fn write_srv(&self, i: usize, name: &str, content: &str) -> io::Result<()> {
        let pid = self
            .daemon_pid(i)
            .ok_or_else(|| io::Error::other(format!("node {i} runs no daemon")))?;
        let file = self.srv_dir().join(name);
        let script = format!("printf '%s\\n' \"$1\" > {} && sync", file.display());
        run(&mut crate::flavor::in_daemon_namespaces(
            pid,
            &["sh", "-c", &script, "write_srv", content],
        ))
        .map(drop)
    }
}
