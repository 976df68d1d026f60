//! A serial line between the nodes: two pty pairs whose master sides the
//! lab relays, and the [`Lab`] controls that cut or stall the line.

use crate::Lab;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

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
///
/// Like a cable, the relay stores nothing for an end nobody has open: the
/// lab keeps no descriptor of its own on the slave sides, so a master
/// reports a hang-up exactly while no daemon has that port open, and the
/// relay then drops what either direction holds for that end (see
/// [`relay_loop`]). A daemon killed and restarted gets none of what its
/// peer sent meanwhile, as with a real UART, whose buffers start empty when
/// the port is opened.
pub(crate) struct SerialRelay {
    pub ports: [PathBuf; 2],
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// True while the relay reads the masters. The relay reads only while
    /// holding this lock and seeing `true`, so once [`SerialRelay::stall`]
    /// has set it to `false` no further byte is drained.
    draining: std::sync::Arc<std::sync::Mutex<bool>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The relay thread; it owns the masters, so a thread that outlives a
    /// bounded wait in `Drop` never touches a descriptor number reused since.
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long `Drop` waits for the relay thread, which never blocks for more
/// than one poll interval: a bound so that teardown cannot hang regardless.
const STOP_WAIT: Duration = Duration::from_secs(2);

impl SerialRelay {
    pub(crate) fn start(dir: &Path) -> io::Result<SerialRelay> {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        use std::sync::Arc;
        use std::sync::atomic::AtomicBool;
        let mut masters = Vec::new();
        let mut ports = Vec::new();
        for i in 0..2 {
            let pty = nix::pty::openpty(None, None).map_err(io::Error::from)?;
            let name = nix::unistd::ttyname(&pty.slave).map_err(io::Error::from)?;
            // The daemon opens the slave by path; our descriptor of it is
            // closed here (see `SerialRelay`).
            let link = dir.join(format!("serial{i}"));
            std::os::unix::fs::symlink(&name, &link)?;
            ports.push(link);
            // A full line drops bytes instead of blocking the relay.
            fcntl(&pty.master, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
            masters.push(pty.master);
        }
        let up = Arc::new(AtomicBool::new(true));
        let draining = Arc::new(std::sync::Mutex::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let masters: [OwnedFd; 2] = masters.try_into().expect("two ptys");
        let ports: [PathBuf; 2] = ports.try_into().expect("two ptys");
        let (up2, draining2, stop2) = (up.clone(), draining.clone(), stop.clone());
        let ports2 = ports.clone();
        let thread =
            std::thread::spawn(move || relay_loop(&masters, &ports2, &up2, &draining2, &stop2));
        Ok(SerialRelay {
            ports,
            up,
            draining,
            stop,
            thread: Some(thread),
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
            for port in &self.ports {
                fill(port)?;
            }
        }
        Ok(())
    }
}

/// A port's slave side opened by the lab for a moment: its own open file
/// description, non-blocking (a daemon's descriptor keeps its flags), never
/// the lab's controlling terminal.
fn open_slave(port: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(port)
}

/// Write empty lines into a port until the kernel takes no more. Closing
/// the port afterwards leaves the bytes queued.
fn fill(port: &Path) -> io::Result<()> {
    use std::io::Write;
    let mut slave = open_slave(port)?;
    let chunk = [b'\n'; 4096];
    // A bound, in case a kernel ever buffers without limit.
    for _ in 0..1024 {
        match slave.write(&chunk) {
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("the serial line never filled up"))
}

impl Drop for SerialRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let Some(t) = self.thread.take() else { return };
        let deadline = Instant::now() + STOP_WAIT;
        while !t.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if t.is_finished() {
            let _ = t.join();
        }
    }
}

/// Poll both masters for `events` up to `timeout_ms`; a master given as
/// `None` is left out. Returns each one's `revents` (0 on error or timeout).
fn poll(
    masters: [Option<&OwnedFd>; 2],
    events: libc::c_short,
    timeout_ms: i32,
) -> [libc::c_short; 2] {
    let mut pfds = masters.map(|m| libc::pollfd {
        // poll skips a negative descriptor.
        fd: m.map_or(-1, |m| m.as_raw_fd()),
        events,
        revents: 0,
    });
    // SAFETY: pfds is a valid array of two pollfd structures.
    let n = unsafe { libc::poll(pfds.as_mut_ptr(), 2, timeout_ms) };
    if n <= 0 {
        return [0, 0];
    }
    pfds.map(|p| p.revents)
}

/// Drop what the line holds for and from a port its daemon closed: the
/// bytes the daemon wrote but the relay has not read (the master's input),
/// and those it never read (the slave's input, which the kernel keeps for
/// the next open; only a descriptor of the slave reaches its line
/// discipline's buffer, so the port is opened for the flush).
fn discard(master: &OwnedFd, port: &Path) {
    use nix::sys::termios::{FlushArg, tcflush};
    let _ = tcflush(master, FlushArg::TCIFLUSH);
    if let Ok(slave) = open_slave(port) {
        let _ = tcflush(&slave, FlushArg::TCIFLUSH);
    }
}

/// Move bytes between the masters until `stop`. Nothing here blocks: the
/// masters are non-blocking and each wait is one bounded poll.
///
/// A master that reports a hang-up has no daemon on its port: once, as the
/// port closes, whatever either direction queued for that end is flushed;
/// then what its peer sends is dropped, and that master is left out of the
/// wait (a hang-up would wake it at once).
///
/// Bytes a live port cannot take (its reader stopped, its ~64 KiB full) are
/// dropped too, like a UART overrun, instead of blocking the other direction.
fn relay_loop(
    masters: &[OwnedFd; 2],
    ports: &[PathBuf; 2],
    up: &std::sync::atomic::AtomicBool,
    draining: &std::sync::Mutex<bool>,
    stop: &std::sync::atomic::AtomicBool,
) {
    let mut buf = [0u8; 4096];
    let mut was_gone = [false; 2];
    let is_draining = || *draining.lock().unwrap_or_else(|e| e.into_inner());
    while !stop.load(Ordering::SeqCst) {
        if !is_draining() {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let hup = poll([Some(&masters[0]), Some(&masters[1])], 0, 0);
        let gone = hup.map(|r| r & libc::POLLHUP != 0);
        for i in (0..2).filter(|&i| gone[i] && !was_gone[i]) {
            discard(&masters[i], &ports[i]);
        }
        was_gone = gone;
        let live = |i: usize| (!gone[i]).then_some(&masters[i]);
        let ready = poll([live(0), live(1)], libc::POLLIN, 50);
        // Read only while holding the lock and still draining (see `draining`).
        let guard = draining.lock().unwrap_or_else(|e| e.into_inner());
        if !*guard {
            continue;
        }
        for (from, to) in [(0usize, 1usize), (1, 0)] {
            if ready[from] & libc::POLLIN == 0 {
                continue;
            }
            let Ok(n) = nix::unistd::read(&masters[from], &mut buf) else {
                continue;
            };
            let open = !gone[to] && ready[to] & libc::POLLHUP == 0;
            if n > 0 && open && up.load(Ordering::SeqCst) {
                // What the port does not take now is lost (see above).
                let _ = nix::unistd::write(&masters[to], &buf[..n]);
            }
        }
        drop(guard);
    }
}

#[cfg(test)]
mod tests {
    use super::SerialRelay;
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Open one end of the line as the daemon does: raw, non-blocking.
    fn open_port(path: &Path) -> File {
        use nix::sys::termios::{self, SetArg};
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
            .open(path)
            .expect("open the port");
        let mut tio = termios::tcgetattr(&file).expect("tcgetattr");
        termios::cfmakeraw(&mut tio);
        termios::tcsetattr(&file, SetArg::TCSANOW, &tio).expect("tcsetattr");
        file
    }

    /// The frame numbers read from `port` for `during`.
    fn frames_read(port: &mut File, during: Duration) -> Vec<u32> {
        let (mut text, mut buf) = (Vec::new(), [0u8; 4096]);
        let deadline = Instant::now() + during;
        while Instant::now() < deadline {
            match port.read(&mut buf) {
                Ok(n) => text.extend_from_slice(&buf[..n]),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|l| l.strip_prefix("frame ")?.parse().ok())
            .collect()
    }

    /// Write frames `range` to `port`, one every 10 ms.
    fn send_frames(port: &mut File, range: std::ops::RangeInclusive<u32>) {
        for n in range {
            let _ = port.write_all(format!("frame {n}\n").as_bytes());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_reopened_port_gets_nothing_that_was_sent_while_nobody_had_it_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let relay = SerialRelay::start(dir.path()).expect("relay");
        let mut alpha = open_port(&relay.ports[0]);
        let mut bravo = open_port(&relay.ports[1]);
        send_frames(&mut alpha, 0..=4);
        let first = frames_read(&mut bravo, Duration::from_millis(200));
        assert!(!first.is_empty(), "the line never carried a frame");
        // bravo's daemon is stopped, then killed (as `Lab::crash_daemon`
        // does): what reached its port unread and what alpha sends after
        // the port closed must both be lost.
        send_frames(&mut alpha, 5..=24);
        drop(bravo);
        send_frames(&mut alpha, 25..=104);
        // The restarted daemon opens the port again.
        let mut bravo = open_port(&relay.ports[1]);
        let writer = std::thread::spawn(move || send_frames(&mut alpha, 105..=134));
        let after = frames_read(&mut bravo, Duration::from_millis(500));
        writer.join().expect("writer");
        // A UART's FIFO holds a few bytes, not a whole frame: tolerate the
        // one frame that may be in flight as the port opens.
        let stale: Vec<u32> = after.iter().copied().filter(|&n| n < 104).collect();
        assert!(
            stale.is_empty(),
            "the reopened port got {} frames sent while it was closed: {stale:?}",
            stale.len()
        );
        assert!(
            after.iter().any(|&n| n >= 105),
            "the reopened port got no fresh frame: {after:?}"
        );
    }

    /// Write far more than a pty buffers (some 64 KiB) to `port`, for at
    /// most 3 s; returns how much went through.
    fn flood(port: &mut File) -> usize {
        let chunk = [b'x'; 4096];
        let (mut sent, deadline) = (0, Instant::now() + Duration::from_secs(3));
        while sent < 512 * 1024 && Instant::now() < deadline {
            match port.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        sent
    }

    #[test]
    fn a_port_that_stops_reading_does_not_stop_the_other_direction() {
        let dir = tempfile::tempdir().expect("tempdir");
        let relay = SerialRelay::start(dir.path()).expect("relay");
        let mut alpha = open_port(&relay.ports[0]);
        // bravo's daemon is stopped: its port is open, nobody reads it.
        let mut bravo = open_port(&relay.ports[1]);
        flood(&mut alpha);
        send_frames(&mut bravo, 1..=1);
        let got = frames_read(&mut alpha, Duration::from_millis(500));
        assert_eq!(got, [1], "bravo's frame never reached alpha");
    }

    #[test]
    fn dropping_the_relay_never_blocks_after_a_port_nobody_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let relay = SerialRelay::start(dir.path()).expect("relay");
        let mut alpha = open_port(&relay.ports[0]);
        // bravo's daemon has its port open but is stopped, then killed;
        // alpha floods the line meanwhile.
        let bravo = open_port(&relay.ports[1]);
        let sent = flood(&mut alpha);
        drop(bravo);
        let (done, dropped) = mpsc::channel();
        std::thread::spawn(move || {
            drop(relay);
            let _ = done.send(());
        });
        assert!(
            dropped.recv_timeout(Duration::from_secs(5)).is_ok(),
            "dropping the relay hung after {sent} bytes towards a port nobody read"
        );
    }
}
