//! A serial line between the nodes: two pty pairs whose master sides the
//! lab relays, and the [`Lab`] controls that cut or stall the line.

use crate::Lab;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

impl Lab {
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
}

/// A serial line between the nodes: two pty pairs whose master sides we
/// relay, so the test can cut the line like pulling a cable, or stall it
/// like a relay that stopped reading.
pub(crate) struct SerialRelay {
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
    pub(crate) fn start(dir: &Path) -> io::Result<SerialRelay> {
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
