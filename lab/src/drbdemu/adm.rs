//! The drbdadm front end's words: parsing a drbdadm command line and
//! rendering answers and refusals the way DRBD 8.4's or DRBD 9's drbdadm
//! prints them, with their exit codes. Pure: the emulator daemon calls it
//! with its state.

use super::state::{Conn, Disk, Refusal, Resource};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    V84,
    V9,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "8.4" | "8" | "84" => Some(Format::V84),
            "9" => Some(Format::V9),
            _ => None,
        }
    }
}

/// What drbdadm prints and its exit status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub out: String,
    pub err: String,
    pub code: i32,
}

impl Reply {
    pub fn ok(out: String) -> Reply {
        Reply {
            out,
            ..Reply::default()
        }
    }
    pub fn fail(err: String, code: i32) -> Reply {
        Reply {
            err,
            code,
            ..Reply::default()
        }
    }
}

/// drbdadm's usage error status.
pub const USAGE: i32 = 20;
/// drbdadm's status for a resource missing from the configuration.
pub const NOT_CONFIGURED: i32 = 10;

/// A parsed drbdadm command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub cmd: String,
    pub res: String,
    pub force: bool,
    pub discard: bool,
}

/// The commands the emulator answers (drbdadm's, plus its own `emu-*`).
const COMMANDS: &[&str] = &[
    "role",
    "dstate",
    "cstate",
    "status",
    "primary",
    "secondary",
    "outdate",
    "connect",
    "disconnect",
    "emu-state",
    "emu-hold",
    "emu-release",
];

pub fn parse(args: &[String], configured: &str) -> Result<Request, Reply> {
    let (mut force, mut discard) = (false, false);
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "--force" => force = true,
            "--discard-my-data" => discard = true,
            s if s.starts_with('-') => {
                return Err(Reply::fail(
                    format!("drbdadm: unrecognized option '{s}'\n"),
                    USAGE,
                ));
            }
            s => words.push(s.to_string()),
        }
    }
    let [cmd, res] = words.as_slice() else {
        return Err(Reply::fail(
            "USAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}\n".into(),
            USAGE,
        ));
    };
    if !COMMANDS.contains(&cmd.as_str()) {
        return Err(Reply::fail(
            format!("drbdadm: Unknown command '{cmd}'\n"),
            USAGE,
        ));
    }
    if res != configured && res != "all" {
        return Err(Reply::fail(
            format!("'{res}' not defined in your config (for this host).\n"),
            NOT_CONFIGURED,
        ));
    }
    Ok(Request {
        cmd: cmd.clone(),
        res: configured.to_string(),
        force,
        discard,
    })
}

/// A refused state change, as drbdsetup reports it through drbdadm.
pub fn refused(fmt: Format, res: &str, cmd: &str, why: Refusal) -> Reply {
    let code = why.exit_code();
    let (who, setup) = match fmt {
        Format::V84 => ("0".to_string(), format!("drbdsetup-84 {cmd} 0")),
        Format::V9 => (res.to_string(), format!("drbdsetup {cmd} {res}")),
    };
    Reply::fail(
        format!(
            "{who}: State change failed: ({}) {}\nCommand '{setup}' terminated with exit code {code}\n",
            why.code(),
            why.message()
        ),
        code,
    )
}

fn peer_role(r: &Resource) -> &'static str {
    r.peer
        .filter(|_| r.connected())
        .map_or("Unknown", |p| p.role.name())
}

fn peer_disk(r: &Resource) -> &'static str {
    match r.peer.filter(|_| r.connected()) {
        Some(p) => p.disk.name(),
        None if r.peer_outdated => Disk::Outdated.name(),
        None => "DUnknown",
    }
}

/// The connection state word: 8.4 waits in WFConnection and shows the
/// resync there; 9 says Connecting and keeps resync out of the connection.
fn cstate(fmt: Format, c: Conn) -> &'static str {
    match (fmt, c) {
        (Format::V84, Conn::Connecting) => "WFConnection",
        (Format::V9, Conn::SyncSource | Conn::SyncTarget) => "Connected",
        _ => c.name(),
    }
}

/// `role`, `dstate`, `cstate` and `status`.
pub fn show(fmt: Format, cmd: &str, res: &str, peer_name: &str, r: &Resource, now: u64) -> String {
    match (cmd, fmt) {
        ("role", Format::V84) => format!("{}/{}\n", r.role.name(), peer_role(r)),
        ("role", Format::V9) => format!("{}\n", r.role.name()),
        ("dstate", _) => format!("{}/{}\n", r.disk.name(), peer_disk(r)),
        ("cstate", _) => format!("{}\n", cstate(fmt, r.conn)),
        ("status", Format::V84) => format!(
            " 0: cs:{} ro:{}/{} ds:{}/{} C r-----\n",
            cstate(fmt, r.conn),
            r.role.name(),
            peer_role(r),
            r.disk.name(),
            peer_disk(r)
        ),
        _ => status9(res, peer_name, r, now),
    }
}

fn status9(res: &str, peer_name: &str, r: &Resource, now: u64) -> String {
    let mut s = format!("{res} role:{}\n  disk:{}\n", r.role.name(), r.disk.name());
    match r.peer.filter(|_| r.connected()) {
        None => s.push_str(&format!("  {peer_name} connection:{}\n", r.conn.name())),
        Some(p) => {
            s.push_str(&format!("  {peer_name} role:{}\n", p.role.name()));
            let done = match r.conn {
                Conn::SyncTarget => format!(" done:{:.2}", r.sync_done(now)),
                _ => String::new(),
            };
            let repl = match r.conn {
                Conn::SyncSource | Conn::SyncTarget => format!("replication:{} ", r.conn.name()),
                _ => String::new(),
            };
            s.push_str(&format!("    {repl}peer-disk:{}{done}\n", p.disk.name()));
        }
    }
    s.push('\n');
    s
}

/// The emulator's own machine-readable state line (`emu-state`).
pub fn emu_state(r: &Resource) -> String {
    format!(
        "role={} disk={} conn={} generation={} base={} peer-role={} peer-disk={} split-brain={} held-open={}\n",
        r.role.name(),
        r.disk.name(),
        r.conn.name(),
        r.generation,
        r.base,
        r.peer.map_or("Unknown", |p| p.role.name()),
        peer_disk(r),
        r.split_brain,
        r.held_open
    )
}

#[cfg(test)]
mod tests {
    use super::super::state::{Fencing, PeerView, Role};
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn connected() -> Resource {
        let mut r = Resource::new(Disk::UpToDate, 1, 1, Fencing::DontCare, 1000);
        let peer = PeerView {
            role: Role::Secondary,
            disk: Disk::UpToDate,
            generation: 1,
            base: 1,
            discard: false,
        };
        r.handshake(peer, 0);
        r.role = Role::Primary;
        r
    }

    #[test]
    fn parses_commands_and_refuses_unknown_resources_and_commands() {
        let q = parse(&args("primary --force r0"), "r0").unwrap();
        assert_eq!((q.cmd.as_str(), q.force), ("primary", true));
        let e = parse(&args("role r9"), "r0").unwrap_err();
        assert_eq!(
            (e.code, e.err.as_str()),
            (10, "'r9' not defined in your config (for this host).\n")
        );
        assert_eq!(parse(&args("frob r0"), "r0").unwrap_err().code, USAGE);
        assert_eq!(parse(&args("role"), "r0").unwrap_err().code, USAGE);
    }

    #[test]
    fn renders_role_dstate_cstate_in_both_formats() {
        let r = connected();
        assert_eq!(
            show(Format::V84, "role", "r0", "bravo", &r, 0),
            "Primary/Secondary\n"
        );
        assert_eq!(show(Format::V9, "role", "r0", "bravo", &r, 0), "Primary\n");
        assert_eq!(
            show(Format::V9, "dstate", "r0", "bravo", &r, 0),
            "UpToDate/UpToDate\n"
        );
        assert_eq!(
            show(Format::V84, "cstate", "r0", "bravo", &r, 0),
            "Connected\n"
        );
        let mut apart = r.clone();
        apart.lost();
        assert_eq!(
            show(Format::V84, "role", "r0", "bravo", &apart, 0),
            "Primary/Unknown\n"
        );
        assert_eq!(
            show(Format::V84, "dstate", "r0", "bravo", &apart, 0),
            "UpToDate/DUnknown\n"
        );
        assert_eq!(
            show(Format::V84, "cstate", "r0", "bravo", &apart, 0),
            "WFConnection\n"
        );
        assert_eq!(
            show(Format::V9, "cstate", "r0", "bravo", &apart, 0),
            "Connecting\n"
        );
    }

    #[test]
    fn renders_status_in_both_formats() {
        let r = connected();
        assert_eq!(
            show(Format::V9, "status", "r0", "bravo", &r, 0),
            "r0 role:Primary\n  disk:UpToDate\n  bravo role:Secondary\n    peer-disk:UpToDate\n\n"
        );
        assert_eq!(
            show(Format::V84, "status", "r0", "bravo", &r, 0),
            " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
        );
        let mut t = Resource::new(Disk::UpToDate, 1, 1, Fencing::DontCare, 1000);
        let peer = PeerView {
            role: Role::Primary,
            disk: Disk::UpToDate,
            generation: 5,
            base: 4,
            discard: false,
        };
        t.handshake(peer, 0);
        assert_eq!(
            show(Format::V9, "status", "r0", "alpha", &t, 250),
            "r0 role:Secondary\n  disk:Inconsistent\n  alpha role:Primary\n    replication:SyncTarget peer-disk:UpToDate done:25.00\n\n"
        );
        t.disconnect().unwrap();
        assert_eq!(
            show(Format::V9, "status", "r0", "alpha", &t, 0),
            "r0 role:Secondary\n  disk:Inconsistent\n  alpha connection:StandAlone\n\n"
        );
    }

    #[test]
    fn refusals_carry_drbdsetup_text_and_status() {
        let r = refused(Format::V9, "r0", "primary", Refusal::TwoPrimaries);
        assert_eq!(r.code, 11);
        assert_eq!(
            r.err,
            "r0: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup primary r0' terminated with exit code 11\n"
        );
        let r = refused(Format::V84, "r0", "primary", Refusal::NoUpToDate);
        assert_eq!(r.code, 17);
        assert!(
            r.err
                .starts_with("0: State change failed: (-2) Need access to UpToDate data\n"),
            "{}",
            r.err
        );
        assert!(r.err.contains("'drbdsetup-84 primary 0'"));
    }
}
