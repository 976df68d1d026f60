//! The resource lock: one manager of resources per node at a time.
//!
//! The daemon holds it for its lifetime and `heartbeat resource …` for the
//! duration of its action, so a hand-run chain never races the daemon. The
//! lock is an flock on RUN_DIR/resources.lock (released by the kernel when
//! the holder dies, so it can never go stale); the file's content only says
//! who holds it, for the error message. Never blocks.

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub const LOCK_FILE: &str = "resources.lock";

#[derive(Debug, Error)]
pub enum LockError {
    #[error("resources are already being managed: {holder} holds {}", path.display())]
    Held { path: PathBuf, holder: String },
    #[error("cannot open the resource lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while alive; dropping it releases the lock.
#[derive(Debug)]
pub struct ResourceLock {
    _file: Flock<File>,
    path: PathBuf,
}

impl ResourceLock {
    /// Take the lock, naming this process (its command line and pid) as holder.
    pub fn acquire(run_dir: &Path) -> Result<ResourceLock, LockError> {
        let args: Vec<String> = std::env::args().collect();
        let name = args
            .iter()
            .take(3)
            .map(|a| {
                Path::new(a)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| a.clone())
            })
            .collect::<Vec<_>>()
            .join(" ");
        Self::acquire_as(run_dir, &format!("`{name}` (pid {})", std::process::id()))
    }

    /// Take the lock with an explicit holder description.
    pub fn acquire_as(run_dir: &Path, holder: &str) -> Result<ResourceLock, LockError> {
        let path = run_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(run_dir).map_err(io)?;
        // Not truncated on open: the content belongs to the current holder.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(f) => f,
            Err((mut f, Errno::EWOULDBLOCK)) => {
                let mut holder = String::new();
                let _ = f.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Held {
                    path,
                    holder: if holder.is_empty() {
                        "another process".into()
                    } else {
                        holder.into()
                    },
                });
            }
            Err((_, e)) => return Err(io(e.into())),
        };
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{holder}").map_err(io)?;
        Ok(ResourceLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_first_ones_name_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = ResourceLock::acquire_as(dir.path(), "the heartbeat daemon (pid 42)").unwrap();
        let err = ResourceLock::acquire_as(dir.path(), "other").unwrap_err();
        assert!(
            err.to_string().contains("the heartbeat daemon (pid 42)"),
            "{err}"
        );
        drop(first);
        ResourceLock::acquire_as(dir.path(), "other").unwrap();
    }
}
