//! Building resource groups of this project's agents without the config
//! parser, and the environment they run in during tests: a private
//! HA_RSCTMP, the fake `drbdadm`/`sendmail` first in PATH, and our binary
//! as HEARTBEAT_BIN.

use heartbeat::config::{
    ActionTimeouts, Agent, AgentKind, GroupId, NodeName, Resource, ResourceGroup,
};
use heartbeat::resources::AgentEnv;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn agent_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resource-agents")
}

pub fn fake_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-bin")
}

pub fn heartbeat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_heartbeat")
}

pub fn timeouts(each: Duration) -> ActionTimeouts {
    ActionTimeouts {
        start: each,
        stop: each,
        status: each,
    }
}

/// A haresources item `Name::arg1::arg2` of one of our agents (heartbeat convention).
pub fn ours(spec: &str) -> Resource {
    let mut parts = spec.split("::");
    let name = parts.next().unwrap().to_string();
    let path = agent_dir().join(&name);
    resource(
        spec,
        AgentKind::Heartbeat,
        &path,
        parts.map(String::from).collect(),
    )
}

/// An `IPaddr::…` / `IPaddr2::…` item as the daemon runs it: in process.
pub fn vip(spec: &str) -> Resource {
    let mut parts = spec.split("::");
    let name = parts.next().unwrap();
    resource(
        spec,
        AgentKind::Vip,
        &heartbeat::config::builtin_path(name),
        parts.map(String::from).collect(),
    )
}

pub fn resource(spec: &str, kind: AgentKind, path: &Path, args: Vec<String>) -> Resource {
    Resource {
        spec: spec.to_string(),
        name: spec.split("::").next().unwrap().to_string(),
        args,
        agent: Agent {
            kind,
            path: path.to_path_buf(),
        },
        timeouts: timeouts(Duration::from_secs(30)),
    }
}

pub fn group(resources: Vec<Resource>) -> ResourceGroup {
    ResourceGroup {
        id: GroupId(resources[0].spec.clone()),
        preferred: NodeName::new("alpha"),
        resources,
        monitor: None,
        line: 1,
    }
}

/// A private world for agents: its own HA_RSCTMP, mail spool and DRBD state.
pub struct AgentWorld {
    pub dir: tempfile::TempDir,
    pub env: AgentEnv,
}

impl AgentWorld {
    pub fn new() -> AgentWorld {
        let dir = tempfile::tempdir().expect("tempdir");
        let rsctmp = dir.path().join("rsctmp");
        std::fs::create_dir_all(&rsctmp).unwrap();
        let path = format!(
            "{}:{}",
            fake_bin().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
        );
        let env = AgentEnv {
            path_env: path,
            extra: vec![
                ("HA_RSCTMP".into(), rsctmp.display().to_string()),
                ("HEARTBEAT_BIN".into(), heartbeat_bin().into()),
                (
                    "FAKE_MAIL_DIR".into(),
                    dir.path().join("mail").display().to_string(),
                ),
                (
                    "FAKE_DRBD_DIR".into(),
                    dir.path().join("drbd").display().to_string(),
                ),
                ("FAKE_DRBD_NODE".into(), "alpha".into()),
                ("HA_CURHOST".into(), "alpha".into()),
            ],
            ..Default::default()
        };
        AgentWorld { dir, env }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.extra.retain(|(k, _)| k != key);
        self.env.extra.push((key.into(), value.into()));
    }

    pub fn rsctmp(&self) -> PathBuf {
        self.dir.path().join("rsctmp")
    }

    /// The fake sendmail's spool (empty when nothing was sent).
    pub fn mails(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mail/mails")).unwrap_or_default()
    }

    /// Define DRBD resource `res` on `node` with a role and disk state.
    pub fn drbd(&self, node: &str, res: &str, role: &str, disk: &str) {
        let d = self.dir.path().join("drbd").join(node).join(res);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("role"), format!("{role}\n")).unwrap();
        std::fs::write(d.join("disk"), format!("{disk}\n")).unwrap();
    }

    pub fn drbd_role(&self, node: &str, res: &str) -> String {
        let p = self
            .dir
            .path()
            .join("drbd")
            .join(node)
            .join(res)
            .join("role");
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Write an executable script into this world and return its path.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The recorder agent (heartbeat convention, `Recorder::NAME`): every call
/// appends `ACTION NAME MILLISECONDS` to `recorder.log` in the world, then
/// the output of `$RECORDER_PROBE` if set (a command that describes the
/// state of the world at that moment, for ordering against real agents).
/// Its faults are files beside the log: `NAME.fail-start` makes start exit
/// 1; `NAME.fail-stop` holding N makes the next N stops exit 1 (`forever`:
/// every stop). It runs while `NAME.on` exists.
const RECORDER: &str = r#"#!/bin/sh
name=$1 action=$2 dir=$RECORDER_DIR
echo "$action $name $(($(date +%s%N) / 1000000))" >> "$dir/recorder.log"
[ -n "$RECORDER_PROBE" ] && sh -c "$RECORDER_PROBE" >> "$dir/recorder.log" 2>&1
case "$action" in
start)
    [ -e "$dir/$name.fail-start" ] && exit 1
    touch "$dir/$name.on" ;;
stop)
    if [ -e "$dir/$name.fail-stop" ]; then
        left=$(cat "$dir/$name.fail-stop")
        case "$left" in
        forever) exit 1 ;;
        0) ;;
        *) echo $((left - 1)) > "$dir/$name.fail-stop"; exit 1 ;;
        esac
    fi
    rm -f "$dir/$name.on" ;;
status)
    if [ -e "$dir/$name.on" ]; then echo running; else echo stopped; fi ;;
esac
exit 0
"#;

/// One call the recorder saw: `("start", "a")` and when, in ms since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub action: String,
    pub name: String,
    pub at_ms: u64,
}

impl AgentWorld {
    fn recorder_dir(&self) -> PathBuf {
        self.dir.path().join("recorder")
    }

    /// `Recorder::NAME` in this world (see [`RECORDER`]).
    pub fn recorder(&mut self, name: &str) -> Resource {
        let dir = self.recorder_dir();
        if !dir.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            self.set("RECORDER_DIR", &dir.display().to_string());
        }
        let path = self.script("resource.d/Recorder", RECORDER);
        resource(
            &format!("Recorder::{name}"),
            AgentKind::Heartbeat,
            &path,
            vec![name.into()],
        )
    }

    /// Make the recorder `name` fail its start.
    pub fn fail_start(&self, name: &str) {
        std::fs::write(self.recorder_dir().join(format!("{name}.fail-start")), "").unwrap();
    }

    /// Make the recorder `name` fail its next `times` stops (`None`: all).
    pub fn fail_stop(&self, name: &str, times: Option<u32>) {
        let left = times.map_or("forever".to_string(), |n| n.to_string());
        std::fs::write(self.recorder_dir().join(format!("{name}.fail-stop")), left).unwrap();
    }

    /// The recorder's log as written: call lines and probe output.
    pub fn recorded(&self) -> String {
        std::fs::read_to_string(self.recorder_dir().join("recorder.log")).unwrap_or_default()
    }

    /// The log with the times taken out: `"start a"` lines, each followed
    /// by what the probe printed at that moment.
    pub fn story(&self) -> Vec<String> {
        self.recorded()
            .lines()
            .map(|l| match self.parse_call(l) {
                Some(c) => format!("{} {}", c.action, c.name),
                None => l.trim().to_string(),
            })
            .collect()
    }

    /// The calls the recorder saw, in order, as `"start a"` words.
    pub fn calls(&self) -> Vec<String> {
        self.timed_calls()
            .into_iter()
            .map(|c| format!("{} {}", c.action, c.name))
            .collect()
    }

    /// The calls with their times.
    pub fn timed_calls(&self) -> Vec<Call> {
        self.recorded()
            .lines()
            .filter_map(|l| self.parse_call(l))
            .collect()
    }

    fn parse_call(&self, line: &str) -> Option<Call> {
        let mut w = line.split_whitespace();
        let (action, name, at) = (w.next()?, w.next()?, w.next()?);
        if !["start", "stop", "status"].contains(&action) {
            return None;
        }
        Some(Call {
            action: action.into(),
            name: name.into(),
            at_ms: at.parse().ok()?,
        })
    }
}

/// The `Dump` agent (heartbeat or OCF convention): each call appends its
/// argv as `argv [A] [B] …` and then its whole environment to
/// `$HA_RSCTMP/dump`; it exits 0 (a silent status: running).
pub const DUMP: &str = r#"#!/bin/sh
{
    printf 'argv'
    printf ' [%s]' "$@"
    printf '\n'
    env
} >>"$HA_RSCTMP/dump"
"#;

impl AgentWorld {
    /// `Dump::ARG…` in this world (see [`DUMP`]).
    pub fn dump_agent(&self, args: &[&str]) -> Resource {
        let path = self.script("resource.d/Dump", DUMP);
        let spec = std::iter::once("Dump")
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join("::");
        resource(
            &spec,
            AgentKind::Heartbeat,
            &path,
            args.iter().map(|a| a.to_string()).collect(),
        )
    }

    /// What the Dump agent wrote so far.
    pub fn dumped(&self) -> String {
        std::fs::read_to_string(self.rsctmp().join("dump")).unwrap_or_default()
    }

    /// Agents from now on find no program named in `gone`: PATH becomes
    /// one directory of links to everything the current PATH (fakes
    /// first) offers but those, as after an uninstall.
    pub fn uninstall(&mut self, gone: &[&str]) {
        let bin = self.dir.path().join("bin");
        let _ = std::fs::remove_dir_all(&bin);
        std::fs::create_dir_all(&bin).unwrap();
        for dir in std::env::split_paths(&self.env.path_env) {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                let link = bin.join(&name);
                if gone.iter().any(|g| name == **g) || link.symlink_metadata().is_ok() {
                    continue;
                }
                std::os::unix::fs::symlink(e.path(), link).unwrap();
            }
        }
        self.env.path_env = bin.display().to_string();
    }
}
