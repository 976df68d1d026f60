//! The node's persistent identity: its heartbeat generation (`hb_generation`)
//! and UUID (`hb_uuid`) in the state directory; and the maintenance flag
//! (`hb_maintenance`, ours), which must survive a restart of the daemon.
//!
//! Owns the file formats and their crash-safe replacement. It keeps the
//! original's formats byte for byte so an existing install carries its
//! generation on (a peer that saw a lower generation from us would treat our
//! packets as replays). It must never lower a generation or silently replace
//! a file it cannot read: a wrong guess here makes the peer misjudge restarts.

use crate::ownership::Maintenance;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub const GENERATION_FILE: &str = "hb_generation";
pub const UUID_FILE: &str = "hb_uuid";
pub const MAINTENANCE_FILE: &str = "hb_maintenance";

/// Width of the right-aligned decimal in `hb_generation` (then a newline).
const GENERATION_WIDTH: usize = 15;
const UUID_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "{}: expected a decimal generation number (right-aligned in {GENERATION_WIDTH} characters, then a newline), found {found:?}; \
         remove the file to start again from the current time",
        path.display()
    )]
    Garbage { path: PathBuf, found: String },
    #[error("{}: generation {value} cannot be raised any further", path.display())]
    Exhausted { path: PathBuf, value: u64 },
    #[error(
        "{}: expected exactly {UUID_LEN} raw bytes, found {len}; remove the file to get a new node UUID",
        path.display()
    )]
    BadUuid { path: PathBuf, len: usize },
    #[error("cannot draw random bytes for a new node UUID")]
    Random,
    #[error(
        "{}: expected `on SERIAL` or `off SERIAL`, found {found:?}; fix or remove the file",
        path.display()
    )]
    BadMaintenance { path: PathBuf, found: String },
}

/// Raises the generation at every start and persists it before returning, so
/// no packet can ever carry a generation that a crash could make us reuse.
/// A missing file starts from the current Unix time, like the original.
pub fn next_generation(state_dir: &Path) -> Result<u64, GenerationError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    next_generation_at(state_dir, now)
}

fn next_generation_at(state_dir: &Path, unix_now: u64) -> Result<u64, GenerationError> {
    let path = state_dir.join(GENERATION_FILE);
    let next = match read_optional(&path)? {
        None => {
            tracing::warn!("No Previous generation - starting at {unix_now}");
            unix_now
        }
        Some(bytes) => {
            let value = parse_generation(&path, &bytes)?;
            value.checked_add(1).ok_or(GenerationError::Exhausted {
                path: path.clone(),
                value,
            })?
        }
    };
    let text = format!("{next:>GENERATION_WIDTH$}\n");
    write_atomically(state_dir, GENERATION_FILE, text.as_bytes())?;
    tracing::info!("Heartbeat generation: {next}");
    Ok(next)
}

fn parse_generation(path: &Path, bytes: &[u8]) -> Result<u64, GenerationError> {
    let garbage = || GenerationError::Garbage {
        path: path.to_owned(),
        found: String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| garbage())?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(garbage());
    }
    text.parse().map_err(|_| garbage())
}

/// Reads the node's UUID, creating and persisting a random one on first use.
pub fn load_or_create_uuid(state_dir: &Path) -> Result<[u8; UUID_LEN], GenerationError> {
    let path = state_dir.join(UUID_FILE);
    if let Some(bytes) = read_optional(&path)? {
        return <[u8; UUID_LEN]>::try_from(bytes.as_slice()).map_err(|_| {
            GenerationError::BadUuid {
                path,
                len: bytes.len(),
            }
        });
    }
    let mut uuid = [0u8; UUID_LEN];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut uuid)
        .map_err(|_| GenerationError::Random)?;
    // Mark it as a random (version 4, RFC 4122) UUID, as libuuid did.
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    write_atomically(state_dir, UUID_FILE, &uuid)?;
    tracing::info!(path = %path.display(), "created a new node UUID");
    Ok(uuid)
}

/// The maintenance flag as last saved; off when never saved.
pub fn load_maintenance(state_dir: &Path) -> Result<Maintenance, GenerationError> {
    let path = state_dir.join(MAINTENANCE_FILE);
    let Some(bytes) = read_optional(&path)? else {
        return Ok(Maintenance::default());
    };
    let text = String::from_utf8_lossy(&bytes);
    let parsed = text.trim_end().split_once(' ').and_then(|(word, serial)| {
        let on = match word {
            "on" => true,
            "off" => false,
            _ => return None,
        };
        let serial = serial.parse().ok()?;
        Some(Maintenance { on, serial })
    });
    parsed.ok_or_else(|| GenerationError::BadMaintenance {
        path,
        found: text.chars().take(40).collect(),
    })
}

pub fn save_maintenance(state_dir: &Path, m: Maintenance) -> Result<(), GenerationError> {
    let word = if m.on { "on" } else { "off" };
    let text = format!("{word} {}\n", m.serial);
    write_atomically(state_dir, MAINTENANCE_FILE, text.as_bytes())
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, GenerationError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(GenerationError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replaces `dir/name` so that after a crash at any point it holds either the
/// old or the new content: write a temporary sibling, fsync it, rename it over
/// the file, fsync the directory so the rename itself is durable. A temporary
/// file left by an earlier crash is simply overwritten.
fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> Result<(), GenerationError> {
    let io_err = |action, path: &Path| {
        let path = path.to_owned();
        move |source| GenerationError::Io {
            action,
            path,
            source,
        }
    };
    fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp"));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&temp)
        .map_err(io_err("create", &temp))?;
    file.write_all(contents).map_err(io_err("write", &temp))?;
    file.sync_all().map_err(io_err("fsync", &temp))?;
    drop(file);
    fs::rename(&temp, &target).map_err(io_err("rename into place", &target))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintenance_flag_survives_a_restart_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load_maintenance(dir.path()).unwrap(),
            Maintenance::default()
        );
        let m = Maintenance {
            on: true,
            serial: 7,
        };
        save_maintenance(dir.path(), m).unwrap();
        assert_eq!(load_maintenance(dir.path()).unwrap(), m);
        fs::write(dir.path().join(MAINTENANCE_FILE), "maybe\n").unwrap();
        assert!(load_maintenance(dir.path()).is_err());
    }

    const NOW: u64 = 1_763_000_000;

    fn generation_file(dir: &Path) -> String {
        fs::read_to_string(dir.join(GENERATION_FILE)).unwrap()
    }

    #[test]
    fn missing_file_starts_from_the_current_time_in_the_original_format() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_generation_at(dir.path(), NOW).unwrap(), NOW);
        assert_eq!(generation_file(dir.path()), "     1763000000\n");
        assert_eq!(generation_file(dir.path()).len(), 16);
    }

    #[test]
    fn generation_increments_across_starts() {
        let dir = tempfile::tempdir().unwrap();
        let first = next_generation(dir.path()).unwrap();
        assert_eq!(next_generation(dir.path()).unwrap(), first + 1);
        assert_eq!(next_generation(dir.path()).unwrap(), first + 2);
        assert_eq!(generation_file(dir.path()), format!("{:>15}\n", first + 2));
    }

    #[test]
    fn an_original_install_carries_its_generation_on() {
        let dir = tempfile::tempdir().unwrap();
        // Written by Heartbeat 3.0.6; older than "now", so it must not be
        // replaced by the clock.
        fs::write(dir.path().join(GENERATION_FILE), "     1388534400\n").unwrap();
        assert_eq!(next_generation_at(dir.path(), NOW).unwrap(), 1_388_534_401);
        assert_eq!(generation_file(dir.path()), "     1388534401\n");
    }

    #[test]
    fn a_leftover_temp_file_from_a_crash_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(GENERATION_FILE), "             41\n").unwrap();
        fs::write(dir.path().join(".hb_generation.tmp"), "      99999999").unwrap();
        assert_eq!(next_generation_at(dir.path(), NOW).unwrap(), 42);
        assert!(!dir.path().join(".hb_generation.tmp").exists());
        assert_eq!(next_generation_at(dir.path(), NOW).unwrap(), 43);
    }

    #[test]
    fn garbage_is_refused_and_left_untouched() {
        for content in [
            "",
            "\n",
            "  12ab\n",
            "-5\n",
            "99999999999999999999999\n",
            "1 2\n",
        ] {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join(GENERATION_FILE), content).unwrap();
            let err = next_generation_at(dir.path(), NOW).unwrap_err();
            assert!(
                matches!(err, GenerationError::Garbage { .. }),
                "{content:?}: {err}"
            );
            assert!(
                err.to_string()
                    .contains("expected a decimal generation number"),
                "{err}"
            );
            assert_eq!(generation_file(dir.path()), content);
        }
    }

    #[test]
    fn the_largest_generation_cannot_wrap() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(GENERATION_FILE), format!("{}\n", u64::MAX)).unwrap();
        let err = next_generation_at(dir.path(), NOW).unwrap_err();
        assert!(matches!(err, GenerationError::Exhausted { .. }), "{err}");
    }

    #[test]
    fn a_missing_state_directory_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("var/lib/heartbeat");
        assert_eq!(next_generation_at(&state, NOW).unwrap(), NOW);
        assert!(state.join(GENERATION_FILE).exists());
    }

    #[test]
    fn uuid_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let uuid = load_or_create_uuid(dir.path()).unwrap();
        assert_eq!(uuid[6] >> 4, 4, "version 4");
        assert_eq!(fs::read(dir.path().join(UUID_FILE)).unwrap(), uuid);
        assert_eq!(load_or_create_uuid(dir.path()).unwrap(), uuid);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(load_or_create_uuid(other.path()).unwrap(), uuid);
    }

    #[test]
    fn an_existing_uuid_is_read_raw() {
        let dir = tempfile::tempdir().unwrap();
        let raw: [u8; 16] = *b"\x00\x01\n\x03 abcdefghi\xff\xfe";
        fs::write(dir.path().join(UUID_FILE), raw).unwrap();
        assert_eq!(load_or_create_uuid(dir.path()).unwrap(), raw);
    }

    #[test]
    fn a_uuid_file_of_the_wrong_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(UUID_FILE), b"short").unwrap();
        let err = load_or_create_uuid(dir.path()).unwrap_err();
        assert!(
            matches!(err, GenerationError::BadUuid { len: 5, .. }),
            "{err}"
        );
        assert_eq!(fs::read(dir.path().join(UUID_FILE)).unwrap(), b"short");
    }
}
