//! Who may ask what of the control socket, from the caller's kernel
//! credentials (SO_PEERCRED): reading the status is allowed to root and to
//! members of the `haclient` group, as the original's `apiauth` allowed
//! its client API; every change (standby, takeover, stop) is root's only,
//! or the daemon's own user's when it runs unprivileged (the loopback demo).
//! The socket file itself is `root:haclient` mode 0660 when that group
//! exists (else 0600), so members can connect at all.

use super::Request;
use nix::unistd::{Gid, Group};
use std::path::Path;

/// The group whose members may read the status.
pub const READER_GROUP: &str = "haclient";

/// What a caller may do, from its credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Root, or the user the daemon itself runs as.
    Root,
    /// A member of [`READER_GROUP`]: status only.
    Reader,
    Other,
}

impl Caller {
    /// `uid` and every group id of the calling process, against the
    /// daemon's own uid and the reader group's id (`None` when the group
    /// does not exist). A caller running as the daemon's user could signal
    /// or trace it anyway, so it may do what root may.
    pub fn classify(uid: u32, daemon_uid: u32, gids: &[u32], reader_gid: Option<u32>) -> Caller {
        if uid == 0 || uid == daemon_uid {
            Caller::Root
        } else if reader_gid.is_some_and(|g| gids.contains(&g)) {
            Caller::Reader
        } else {
            Caller::Other
        }
    }

    /// `Err` with the answer for a request this caller may not make.
    pub fn check(self, req: &Request) -> Result<(), String> {
        let changes = req.changes_state();
        match self {
            Caller::Root => Ok(()),
            Caller::Reader if !changes => Ok(()),
            _ if changes => Err(format!("permission denied: {} requires root", req.word())),
            _ => Err(format!(
                "permission denied: {} requires root or membership of group {READER_GROUP}",
                req.word()
            )),
        }
    }
}

/// The reader group's id, if the group exists.
pub fn reader_gid() -> Option<u32> {
    Group::from_name(READER_GROUP)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
}

/// The supplementary groups of process `pid`, from /proc/PID/status: the
/// kernel's view of that process (what it was given by setgroups), which a
/// lookup of its user in /etc/group would not be.
pub fn groups_of(pid: i32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| parse_groups(&s))
        .unwrap_or_default()
}

fn parse_groups(status: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Give the socket to the reader group (mode 0660) when it exists and we
/// may, else keep it to root (0600).
pub fn restrict_socket(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let group = reader_gid().filter(|_| nix::unistd::geteuid().is_root());
    let mode = match group {
        Some(gid) => match nix::unistd::chown(path, None, Some(Gid::from_raw(gid))) {
            Ok(()) => 0o660,
            Err(e) => {
                tracing::warn!(error = %e, "control socket: cannot give it to group {READER_GROUP}; root only");
                0o600
            }
        },
        None => 0o600,
    };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Which;

    #[test]
    fn status_is_for_root_and_readers_changes_for_root_only() {
        let reader = Caller::classify(1000, 0, &[1000, 105], Some(105));
        let other = Caller::classify(1000, 0, &[1000], Some(105));
        assert_eq!(reader, Caller::Reader);
        assert_eq!(other, Caller::Other);
        assert_eq!(Caller::classify(0, 0, &[], None), Caller::Root);
        // Without the group nobody but root is a reader.
        assert_eq!(Caller::classify(1000, 0, &[105], None), Caller::Other);
        // A daemon run unprivileged answers its own user in full.
        assert_eq!(Caller::classify(1000, 1000, &[1000], None), Caller::Root);

        let standby = Request::Standby { which: Which::All };
        assert!(Caller::Root.check(&standby).is_ok());
        assert!(reader.check(&Request::Status).is_ok());
        assert_eq!(
            reader.check(&standby).unwrap_err(),
            "permission denied: standby requires root"
        );
        assert_eq!(
            other.check(&Request::Shutdown).unwrap_err(),
            "permission denied: stop requires root"
        );
        let refused = other.check(&Request::Status).unwrap_err();
        assert!(refused.contains("group haclient"), "{refused}");
    }

    #[test]
    fn groups_come_from_the_proc_status_line() {
        let status = "Name:\tx\nUid:\t1\t1\t1\t1\nGroups:\t4 24 105 \nNSpid:\t9\n";
        assert_eq!(parse_groups(status), vec![4, 24, 105]);
        assert_eq!(parse_groups("Groups:\t\n"), Vec::<u32>::new());
        assert!(groups_of(std::process::id() as i32).len() < 65537);
    }
}
