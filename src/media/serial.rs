//! Serial media (`serial /dev/ttyS0` at `baud`): raw mode through termios,
//! classic text frames (`>>>` … `<<<`) that the reader resynchronises on
//! after line noise. A link that fails is reopened; the others go on.

use super::Received;
use nix::sys::termios::{self, BaudRate, ControlFlags, SetArg};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;

pub struct SerialLink {
    path: PathBuf,
    baud: u32,
    fd: Mutex<Option<Arc<AsyncFd<File>>>>,
}

fn baud_rate(baud: u32) -> io::Result<BaudRate> {
    Ok(match baud {
        9600 => BaudRate::B9600,
        19200 => BaudRate::B19200,
        38400 => BaudRate::B38400,
        57600 => BaudRate::B57600,
        115200 => BaudRate::B115200,
        230400 => BaudRate::B230400,
        460800 => BaudRate::B460800,
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsupported baud rate {other}"),
            ));
        }
    })
}

fn open_raw(path: &Path, baud: u32) -> io::Result<AsyncFd<File>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(path)?;
    let mut tio = termios::tcgetattr(&file).map_err(io::Error::from)?;
    termios::cfmakeraw(&mut tio);
    termios::cfsetspeed(&mut tio, baud_rate(baud)?).map_err(io::Error::from)?;
    // No modem control: a crossover serial cable has no carrier to wait for.
    tio.control_flags |= ControlFlags::CLOCAL | ControlFlags::CREAD;
    termios::tcsetattr(&file, SetArg::TCSANOW, &tio).map_err(io::Error::from)?;
    // SAFETY: the AsyncFd takes ownership of the file, so the descriptor
    // cannot be closed or reused while it is registered.
    unsafe { AsyncFd::register(file) }.map_err(|e| e.into_parts().1)
}

impl SerialLink {
    pub fn open(path: &Path, baud: u32) -> io::Result<SerialLink> {
        let fd = open_raw(path, baud)?;
        Ok(SerialLink {
            path: path.to_path_buf(),
            baud,
            fd: Mutex::new(Some(Arc::new(fd))),
        })
    }

    fn current(&self) -> Option<Arc<AsyncFd<File>>> {
        self.fd.lock().expect("serial fd lock").clone()
    }

    fn mark_failed(&self, e: &io::Error) {
        let mut guard = self.fd.lock().expect("serial fd lock");
        if guard.take().is_some() {
            tracing::warn!(link = %self.path.display(), error = %e, "serial link failed; will reopen");
        }
    }

    pub async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let Some(fd) = self.current() else {
            return Ok(()); // reopening; this keepalive is lost on this link only
        };
        let mut written = 0;
        while written < bytes.len() {
            let mut guard = fd.writable().await?;
            match guard.try_io(|inner| inner.get_ref().write(&bytes[written..])) {
                Ok(Ok(n)) => written += n,
                Ok(Err(e)) => {
                    self.mark_failed(&e);
                    return Err(e);
                }
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }

    pub fn spawn_reader(
        self: Arc<Self>,
        link: usize,
        tx: mpsc::Sender<Received>,
        reopen: Duration,
    ) -> tokio::task::AbortHandle {
        tokio::spawn(async move {
            let mut pending = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let fd = match self.current() {
                    Some(fd) => fd,
                    None => {
                        tokio::time::sleep(reopen).await;
                        match open_raw(&self.path, self.baud) {
                            Ok(fd) => {
                                tracing::info!(link = %self.path.display(), "serial link reopened");
                                pending.clear();
                                *self.fd.lock().expect("serial fd lock") = Some(Arc::new(fd));
                            }
                            Err(e) => {
                                tracing::debug!(link = %self.path.display(), error = %e, "reopen failed")
                            }
                        }
                        continue;
                    }
                };
                let n = match fd.readable().await {
                    Ok(mut guard) => match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
                        Ok(Ok(0)) => {
                            // A pty whose other side closed reads 0 forever: treat as failure.
                            self.mark_failed(&io::Error::new(
                                io::ErrorKind::UnexpectedEof,
                                "end of file",
                            ));
                            continue;
                        }
                        Ok(Ok(n)) => n,
                        Ok(Err(e)) => {
                            self.mark_failed(&e);
                            continue;
                        }
                        Err(_would_block) => continue,
                    },
                    Err(e) => {
                        self.mark_failed(&e);
                        continue;
                    }
                };
                pending.extend_from_slice(&buf[..n]);
                for frame in crate::wire::split_classic_frames(&mut pending) {
                    let msg = Received {
                        link,
                        bytes: frame,
                        classic: true,
                    };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
        })
        .abort_handle()
    }
}
