//! Running one agent action: the calling conventions (heartbeat resource.d,
//! LSB init scripts, OCF agents), their exit-code rules, the clean
//! environment, and the timeout that kills the agent's whole process group.
//!
//! Owns a single call only. Ordering, retries and rollback belong to
//! `chain.rs`; this module must never decide what to do after a failure.

use crate::config::{AgentKind, Resource};
use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

/// What a timed-out agent gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long output readers may lag behind the agent's exit: a detached
/// background child that kept our pipe open must not hold the chain.
const OUTPUT_DRAIN: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Status,
}

impl Action {
    /// The operation word the agent receives.
    pub fn verb(self, kind: &AgentKind) -> &'static str {
        match (self, kind) {
            (Action::Start, _) => "start",
            (Action::Stop, _) => "stop",
            (Action::Status, AgentKind::Ocf { .. }) => "monitor",
            (Action::Status, _) => "status",
        }
    }

    pub(super) fn timeout(self, r: &Resource) -> Duration {
        match self {
            Action::Start => r.timeouts.start,
            Action::Stop => r.timeouts.stop,
            Action::Status => r.timeouts.status,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceStatus {
    Running,
    Stopped,
    /// The agent answered something that is neither; the text says what.
    Unknown(String),
}

impl std::fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResourceStatus::Running => f.write_str("running"),
            ResourceStatus::Stopped => f.write_str("stopped"),
            ResourceStatus::Unknown(why) => write!(f, "unknown ({why})"),
        }
    }
}

/// The PATH every agent gets, whatever the daemon's own PATH is: an
/// agent must not find its `mount` or `ip` in a directory an operator's
/// login shell (or a unit's `Environment=`) happened to put first.
pub const AGENT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The environment every agent gets: PATH, LANG=C, LC_ALL=C, the
/// variables below and, for OCF agents, the OCF_* ones of the call.
/// Nothing of the caller's own environment leaks in (no IFS, ENV,
/// BASH_ENV, LD_PRELOAD, secrets), so a chain behaves the same from the
/// daemon, a shell or systemd, and cannot be steered through it.
#[derive(Clone, Debug)]
pub struct AgentEnv {
    /// [`AGENT_PATH`] outside tests (which put their fakes first).
    pub path_env: String,
    /// E.g. HA_RSCTMP, HEARTBEAT_BIN.
    pub extra: Vec<(String, String)>,
    /// IPaddr's duplicate-address probe (`HA_IPADDR_DUPLICATE_CHECK` for
    /// the shell agent).
    pub duplicate_check: crate::vip::DuplicateCheck,
    /// How the in-process VIP announces itself.
    pub announce: crate::vip::AnnouncePolicy,
    /// Where a chain run's steps are timed (the daemon's timeline).
    pub steps: super::steps::StepLog,
}

impl Default for AgentEnv {
    fn default() -> Self {
        AgentEnv {
            path_env: AGENT_PATH.to_string(),
            extra: Vec::new(),
            duplicate_check: Default::default(),
            announce: Default::default(),
            steps: Default::default(),
        }
    }
}

/// A program of ours to run (agent or hook) with `env` and nothing else of
/// ours: the one place a child's environment is made.
pub fn clean_command(program: &Path, env: &AgentEnv) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", &env.path_env)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .envs(env.extra.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    cmd
}

/// A completed call. For `Start`/`Stop` it exists only on success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionOutcome {
    pub exit_code: i32,
    /// For `Status` what the agent said; for a successful `Start` Running,
    /// for a successful `Stop` Stopped.
    pub status: ResourceStatus,
    /// stdout lines (already logged).
    pub output: Vec<String>,
}

#[derive(Debug, Error)]
pub enum AgentError {
    #[error("cannot run {path}: {source}")]
    Spawn {
        path: String,
        source: std::io::Error,
    },
    #[error("OCF resource {spec}: argument {arg:?} is not of the form param=value")]
    BadArgument { spec: String, arg: String },
    #[error("{action} of {spec} timed out after {after:?}; its process group was killed")]
    Timeout {
        spec: String,
        action: &'static str,
        after: Duration,
    },
    #[error("{action} of {spec} failed: {reason}")]
    InProcess {
        spec: String,
        action: &'static str,
        reason: String,
    },
    #[error("Return code {code} from {path} ({action} of {spec})")]
    Failed {
        spec: String,
        action: &'static str,
        path: String,
        code: i32,
    },
}

/// Run one action of `r` and interpret its result by the agent's convention.
pub async fn run_action(
    r: &Resource,
    action: Action,
    env: &AgentEnv,
) -> Result<ActionOutcome, AgentError> {
    if r.agent.kind == AgentKind::Vip {
        return run_vip(r, action, env).await;
    }
    if let AgentKind::Systemd { unit } = &r.agent.kind {
        return super::systemd::run(r, unit, action, env).await;
    }
    let verb = action.verb(&r.agent.kind);
    let cmd = command_for(r, action, env)?;
    let path = r.agent.path.display().to_string();
    tracing::debug!(resource = %r.spec, "running {path} {verb}");
    match run_program(cmd, &r.spec, verb, &path, action.timeout(r)).await {
        Err(AgentError::Spawn { source, .. })
            if action == Action::Stop && source.kind() == ErrorKind::NotFound =>
        {
            Ok(stop_of_vanished_agent(r, &path))
        }
        Err(e) => Err(e),
        Ok((code, output)) => interpret(r, action, code, output, &path),
    }
}

/// Run `cmd` (made by [`clean_command`], in its own process group) for
/// `verb` of `spec` within `limit`, logging its output: its exit code and
/// stdout lines. On timeout its whole process group is killed.
pub(super) async fn run_program(
    mut cmd: Command,
    spec: &str,
    verb: &'static str,
    path: &str,
    limit: Duration,
) -> Result<(i32, Vec<String>), AgentError> {
    let spawn_error = |source| AgentError::Spawn {
        path: path.to_string(),
        source,
    };
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let (mut child, pgid) = spawn_grouped(&mut cmd).map_err(spawn_error)?;
    let out = log_lines(child.stdout.take(), spec.to_string(), false);
    let err = log_lines(child.stderr.take(), spec.to_string(), true);
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => return Err(spawn_error(source)),
        Err(_) => {
            tracing::error!(resource = %spec, "{verb} of {spec} timed out after {limit:?}, killing it");
            if let Some(pgid) = pgid {
                kill_group(&mut child, pgid).await;
            }
            out.abort();
            err.abort();
            return Err(AgentError::Timeout {
                spec: spec.to_string(),
                action: verb,
                after: limit,
            });
        }
    };
    let output = drain(out).await;
    drain(err).await;
    Ok((exit_code(status), output))
}

/// The OCF stop contract for an agent that was uninstalled since the
/// configuration was loaded: what it managed went with it (a package's
/// removal stops its service), so there is nothing left to stop. Failing
/// instead would keep the group held here for ever and the daemon from
/// shutting down.
pub(super) fn stop_of_vanished_agent(r: &Resource, path: &str) -> ActionOutcome {
    tracing::warn!(resource = %r.spec, "{path} is gone (uninstalled?): stop of {} counts as done", r.spec);
    ActionOutcome {
        exit_code: 0,
        status: ResourceStatus::Stopped,
        output: Vec::new(),
    }
}

/// The in-process VIP, under the same timeout and outcome rules as a script.
async fn run_vip(
    r: &Resource,
    action: Action,
    env: &AgentEnv,
) -> Result<ActionOutcome, AgentError> {
    use crate::vip;
    let verb = action.verb(&r.agent.kind);
    let failed = |reason: String| AgentError::InProcess {
        spec: r.spec.clone(),
        action: verb,
        reason,
    };
    let v = vip::VipSpec::parse(&r.name, &r.args).map_err(|e| failed(e.to_string()))?;
    let opts = vip::VipOptions {
        duplicate_check: env.duplicate_check,
        announce: env.announce,
    };
    let limit = action.timeout(r);
    let work = async {
        match action {
            Action::Start => vip::start(&v, opts).await.map(|()| ResourceStatus::Running),
            Action::Stop => vip::stop(&v).await.map(|()| ResourceStatus::Stopped),
            Action::Status => vip::status(&v).await,
        }
    };
    let status = match tokio::time::timeout(limit, work).await {
        Ok(Ok(status)) => status,
        // A status that cannot be asked is unknown, as for a script.
        Ok(Err(e)) if action == Action::Status => ResourceStatus::Unknown(e.to_string()),
        Ok(Err(e)) => {
            tracing::error!(resource = %r.spec, "{verb} of {} failed: {e}", r.spec);
            return Err(failed(e.to_string()));
        }
        Err(_) => {
            return Err(AgentError::Timeout {
                spec: r.spec.clone(),
                action: verb,
                after: limit,
            });
        }
    };
    Ok(ActionOutcome {
        exit_code: 0,
        status,
        output: Vec::new(),
    })
}

fn command_for(r: &Resource, action: Action, env: &AgentEnv) -> Result<Command, AgentError> {
    let mut cmd = clean_command(&r.agent.path, env);
    cmd.env("HA_IPADDR_DUPLICATE_CHECK", env.duplicate_check.word());
    let verb = action.verb(&r.agent.kind);
    match &r.agent.kind {
        AgentKind::Heartbeat => {
            cmd.args(&r.args).arg(verb);
        }
        AgentKind::Vip | AgentKind::Systemd { .. } => {
            unreachable!("run_action serves these without a script")
        }
        AgentKind::Lsb => {
            cmd.arg(verb);
        }
        AgentKind::Ocf { provider, kind } => {
            for arg in &r.args {
                let Some((p, v)) = arg.split_once('=') else {
                    return Err(AgentError::BadArgument {
                        spec: r.spec.clone(),
                        arg: arg.clone(),
                    });
                };
                cmd.env(format!("OCF_RESKEY_{p}"), v);
            }
            cmd.env("OCF_ROOT", ocf_root(&r.agent.path))
                .env("OCF_RA_VERSION_MAJOR", "1")
                .env("OCF_RA_VERSION_MINOR", "0")
                .env("OCF_RESOURCE_INSTANCE", instance_name(&r.spec))
                .env("OCF_RESOURCE_TYPE", kind)
                .env("OCF_RESOURCE_PROVIDER", provider)
                .env(
                    "OCF_RESKEY_CRM_meta_timeout",
                    action.timeout(r).as_millis().to_string(),
                )
                .arg(verb);
        }
    }
    Ok(cmd)
}

/// OCF agents live at OCF_ROOT/resource.d/PROVIDER/TYPE.
fn ocf_root(agent: &Path) -> String {
    agent
        .ancestors()
        .nth(3)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/usr/lib/ocf".to_string())
}

/// OCF instance names end up in file names; keep only safe characters.
pub fn instance_name(spec: &str) -> String {
    spec.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn interpret(
    r: &Resource,
    action: Action,
    code: i32,
    output: Vec<String>,
    path: &str,
) -> Result<ActionOutcome, AgentError> {
    let status = match action {
        Action::Status => status_from(&r.agent.kind, code, &output),
        _ if code != 0 => {
            tracing::error!(resource = %r.spec, "Return code {code} from {path}");
            return Err(AgentError::Failed {
                spec: r.spec.clone(),
                action: action.verb(&r.agent.kind),
                path: path.to_string(),
                code,
            });
        }
        Action::Start => ResourceStatus::Running,
        Action::Stop => ResourceStatus::Stopped,
    };
    Ok(ActionOutcome {
        exit_code: code,
        status,
        output,
    })
}

/// The status rule per convention.
///
/// Heartbeat scripts: exit 3 (LSB "not running") means stopped whatever is
/// printed; otherwise the output decides as in the original ("not running"
/// → stopped, "running" or "OK" → running); other text means stopped, as
/// the original reads it (`echo stopped; exit 0` is stopped). Only a silent
/// script is judged by its exit code (0 running), for LSB-aware scripts.
/// LSB: 0 running, 1–3 stopped (dead or not running), else unknown.
/// OCF: 0 (and 8, promoted) running, 7 stopped, else unknown.
pub fn status_from(kind: &AgentKind, code: i32, output: &[String]) -> ResourceStatus {
    match kind {
        AgentKind::Heartbeat => {
            if code == 3 {
                return ResourceStatus::Stopped;
            }
            let text = output.join("\n");
            match heartbeat_words(&text) {
                Some(s) => s,
                None if code == 0 && text.trim().is_empty() => ResourceStatus::Running,
                None => ResourceStatus::Stopped,
            }
        }
        AgentKind::Lsb => match code {
            0 => ResourceStatus::Running,
            1..=3 => ResourceStatus::Stopped,
            n => ResourceStatus::Unknown(format!("LSB status exit {n}")),
        },
        AgentKind::Ocf { .. } => match code {
            0 | 8 => ResourceStatus::Running,
            7 => ResourceStatus::Stopped,
            n => ResourceStatus::Unknown(format!("OCF monitor exit {n}")),
        },
        // No exit code: run_vip answers the status itself.
        AgentKind::Vip | AgentKind::Systemd { .. } => {
            ResourceStatus::Unknown(format!("in-process status {code}"))
        }
    }
}

/// The original's `*[Nn][Oo][Tt] *[Rr]unning*` / `*[Rr]unning*` / `*OK*` globs.
fn heartbeat_words(text: &str) -> Option<ResourceStatus> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("not") {
        if rest[i + 3..].trim_start_matches(' ').starts_with("running") {
            return Some(ResourceStatus::Stopped);
        }
        rest = &rest[i + 3..];
    }
    if lower.contains("running") || text.contains("OK") {
        return Some(ResourceStatus::Running);
    }
    None
}

fn log_lines<R>(stream: Option<R>, spec: String, stderr: bool) -> JoinHandle<Vec<String>>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut lines = Vec::new();
        let Some(stream) = stream else {
            return lines;
        };
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if stderr {
                tracing::warn!(resource = %spec, stream = "stderr", "{line}");
            } else {
                tracing::info!(resource = %spec, stream = "stdout", "{line}");
            }
            lines.push(line);
        }
        lines
    })
}

async fn drain(h: JoinHandle<Vec<String>>) -> Vec<String> {
    let abort = h.abort_handle();
    match tokio::time::timeout(OUTPUT_DRAIN, h).await {
        Ok(Ok(lines)) => lines,
        _ => {
            abort.abort();
            Vec::new()
        }
    }
}

/// Spawn `cmd` in a process group of its own, so that [`kill_group`] at a
/// timeout reaches every process it started; killed if dropped. Agents,
/// health-check scripts and sendmail all start this way.
pub fn spawn_grouped(cmd: &mut Command) -> std::io::Result<(tokio::process::Child, Option<Pid>)> {
    let child = cmd.process_group(0).kill_on_drop(true).spawn()?;
    let pgid = child.id().map(|id| Pid::from_raw(id as i32));
    Ok((child, pgid))
}

/// SIGTERM the group, give it `KILL_GRACE`, then SIGKILL whatever is left.
pub async fn kill_group(child: &mut tokio::process::Child, pgid: Pid) {
    let _ = killpg(pgid, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + KILL_GRACE;
    loop {
        // Reap the leader first: a zombie still counts as a group member.
        let _ = child.try_wait();
        if killpg(pgid, None) == Err(Errno::ESRCH) {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = child.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[&str]) -> Vec<String> {
        s.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn heartbeat_status_follows_the_original_words() {
        let k = AgentKind::Heartbeat;
        assert_eq!(
            status_from(&k, 0, &lines(&["Dummy is NOT running"])),
            ResourceStatus::Stopped
        );
        assert_eq!(
            status_from(&k, 0, &lines(&["not  running"])),
            ResourceStatus::Stopped
        );
        assert_eq!(
            status_from(&k, 0, &lines(&["x is running"])),
            ResourceStatus::Running
        );
        assert_eq!(status_from(&k, 1, &lines(&["OK"])), ResourceStatus::Running);
    }

    #[test]
    fn heartbeat_status_exit_3_is_stopped_and_silent_success_is_running() {
        let k = AgentKind::Heartbeat;
        assert_eq!(
            status_from(&k, 3, &lines(&["running"])),
            ResourceStatus::Stopped
        );
        assert_eq!(status_from(&k, 0, &[]), ResourceStatus::Running);
        assert_eq!(status_from(&k, 1, &[]), ResourceStatus::Stopped);
    }

    #[test]
    fn lsb_and_ocf_status_use_exit_codes_only() {
        assert_eq!(
            status_from(&AgentKind::Lsb, 0, &lines(&["not running"])),
            ResourceStatus::Running
        );
        assert_eq!(
            status_from(&AgentKind::Lsb, 3, &[]),
            ResourceStatus::Stopped
        );
        assert!(matches!(
            status_from(&AgentKind::Lsb, 4, &[]),
            ResourceStatus::Unknown(_)
        ));
        let ocf = AgentKind::Ocf {
            provider: "heartbeat".into(),
            kind: "Dummy".into(),
        };
        assert_eq!(status_from(&ocf, 7, &[]), ResourceStatus::Stopped);
        assert_eq!(status_from(&ocf, 0, &[]), ResourceStatus::Running);
        assert!(matches!(
            status_from(&ocf, 1, &[]),
            ResourceStatus::Unknown(_)
        ));
    }

    #[test]
    fn ocf_root_is_three_levels_above_the_agent() {
        assert_eq!(
            ocf_root(Path::new("/usr/lib/ocf/resource.d/heartbeat/Dummy")),
            "/usr/lib/ocf"
        );
        assert_eq!(instance_name("IPaddr::10.0.0.5/24"), "IPaddr__10_0_0_5_24");
    }
}
