//! A systemd unit as a resource (`systemd:nginx`, `nginx.service`), driven
//! through `systemctl` as Pacemaker's systemd class drives it over D-Bus:
//! start and stop wait for their job, then for the unit to settle; the
//! state is the unit's ActiveState, and a failed unit is reported with its
//! Result.
//!
//! Owns one call on one unit, under the action's timeout like a script.
//! It never enables, masks or resets a unit: what the admin set stays.

use super::agent::{
    Action, ActionOutcome, AgentEnv, AgentError, ResourceStatus, clean_command, run_program,
    stop_of_vanished_agent,
};
use crate::config::Resource;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;
use tokio::time::Instant;

/// How often a unit still activating or deactivating is asked again.
const SETTLE_POLL: Duration = Duration::from_millis(100);
/// The program, found through the agents' PATH.
const SYSTEMCTL: &str = "systemctl";
/// What is asked of the unit: enough to name its state and why it failed.
const PROPERTIES: [&str; 4] = ["LoadState", "ActiveState", "SubState", "Result"];

/// Run `action` on `unit` (the item `r`) within the action's timeout.
pub async fn run(
    r: &Resource,
    unit: &str,
    action: Action,
    env: &AgentEnv,
) -> Result<ActionOutcome, AgentError> {
    let ctl = Systemctl {
        r,
        unit,
        env,
        verb: action.verb(&r.agent.kind),
        limit: action.timeout(r),
        deadline: Instant::now() + action.timeout(r),
    };
    let status = match action {
        Action::Start => ctl.start().await?,
        Action::Stop => ctl.stop().await?,
        Action::Status => ctl.status().await?,
    };
    Ok(ActionOutcome {
        exit_code: 0,
        status,
        output: Vec::new(),
    })
}

/// A unit's properties as `systemctl show` prints them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Unit(BTreeMap<String, String>);

impl Unit {
    fn parse(lines: &[String]) -> Unit {
        Unit(
            lines
                .iter()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    fn active_state(&self) -> &str {
        self.get("ActiveState")
    }

    /// A job or the unit's own start or stop is still under way.
    fn settling(&self) -> bool {
        matches!(self.active_state(), "activating" | "deactivating")
    }

    /// How Pacemaker reads ActiveState: a reload does not stop the service.
    fn runs(&self) -> bool {
        matches!(self.active_state(), "active" | "reloading")
    }

    fn stopped(&self) -> bool {
        matches!(self.active_state(), "inactive" | "failed")
    }

    /// `nginx.service is failed (exit-code)`, as an admin would want it said.
    fn describe(&self, unit: &str) -> String {
        if self.get("LoadState") == "not-found" {
            return format!("{unit} is not loaded (no such unit)");
        }
        let mut s = format!(
            "{unit} is {} ({})",
            self.active_state(),
            self.get("SubState")
        );
        if self.active_state() == "failed" {
            s.push_str(&format!(", result {}", self.get("Result")));
        }
        s
    }
}

/// One action's calls on one unit, sharing its deadline.
struct Systemctl<'a> {
    r: &'a Resource,
    unit: &'a str,
    env: &'a AgentEnv,
    verb: &'static str,
    limit: Duration,
    deadline: Instant,
}

impl Systemctl<'_> {
    /// `systemctl start` waits for its job; then the unit must run. A
    /// oneshot unit without RemainAfterExit is inactive again at once,
    /// which would make every monitor restart it: refused, with the reason.
    async fn start(&self) -> Result<ResourceStatus, AgentError> {
        let code = self.call(&["start", self.unit]).await?.0;
        let unit = self.settled().await?;
        if code == 0 && unit.runs() {
            return Ok(ResourceStatus::Running);
        }
        let mut reason = format!(
            "{}; systemctl start exited {code}",
            unit.describe(self.unit)
        );
        if code == 0 && unit.active_state() == "inactive" {
            reason.push_str(" (a oneshot unit needs RemainAfterExit=yes)");
        }
        Err(self.failed(reason))
    }

    /// The stop contract: success once the unit does not run, also when
    /// there is no such unit or no systemctl at all.
    async fn stop(&self) -> Result<ResourceStatus, AgentError> {
        let code = match self.call(&["stop", self.unit]).await {
            Err(AgentError::Spawn { source, path }) if source.kind() == ErrorKind::NotFound => {
                return Ok(stop_of_vanished_agent(self.r, &path).status);
            }
            other => other?.0,
        };
        let unit = self.settled().await?;
        if unit.stopped() {
            return Ok(ResourceStatus::Stopped);
        }
        let reason = format!("{}; systemctl stop exited {code}", unit.describe(self.unit));
        Err(self.failed(reason))
    }

    /// Running, stopped, or unknown with the unit's state and result (a
    /// failed unit is not running, but it says why, unlike a stopped one).
    async fn status(&self) -> Result<ResourceStatus, AgentError> {
        let unit = self.settled().await?;
        Ok(match unit.active_state() {
            _ if unit.runs() => ResourceStatus::Running,
            "inactive" => ResourceStatus::Stopped,
            _ => ResourceStatus::Unknown(unit.describe(self.unit)),
        })
    }

    /// The unit's properties once it is neither activating nor
    /// deactivating, asked again until then (within the deadline).
    async fn settled(&self) -> Result<Unit, AgentError> {
        loop {
            let mut args = vec!["show"];
            for p in PROPERTIES {
                args.extend(["-p", p]);
            }
            args.push(self.unit);
            let (code, lines) = self.call(&args).await?;
            let unit = Unit::parse(&lines);
            if code != 0 || unit.active_state().is_empty() {
                return Err(self.failed(format!("systemctl show {} exited {code}", self.unit)));
            }
            if !unit.settling() {
                return Ok(unit);
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.timed_out());
            }
            tokio::time::sleep(left.min(SETTLE_POLL)).await;
        }
    }

    /// One `systemctl` run with what is left of the deadline: exit code and stdout.
    async fn call(&self, args: &[&str]) -> Result<(i32, Vec<String>), AgentError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.timed_out());
        }
        let mut cmd = clean_command(Path::new(SYSTEMCTL), self.env);
        // A job must never wait for a password prompt nobody answers.
        cmd.arg("--no-ask-password").args(args);
        tracing::debug!(resource = %self.r.spec, "running systemctl {}", args.join(" "));
        match run_program(cmd, &self.r.spec, self.verb, SYSTEMCTL, left).await {
            Err(AgentError::Timeout { .. }) => Err(self.timed_out()),
            other => other,
        }
    }

    fn failed(&self, reason: String) -> AgentError {
        tracing::error!(resource = %self.r.spec, "{} of {} failed: {reason}", self.verb, self.r.spec);
        AgentError::InProcess {
            spec: self.r.spec.clone(),
            action: self.verb,
            reason,
        }
    }

    fn timed_out(&self) -> AgentError {
        AgentError::Timeout {
            spec: self.r.spec.clone(),
            action: self.verb,
            after: self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(text: &str) -> Unit {
        Unit::parse(&text.lines().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn states_read_as_pacemaker_reads_them() {
        let u = unit("LoadState=loaded\nActiveState=reloading\nSubState=reload\nResult=success");
        assert!(u.runs() && !u.settling() && !u.stopped());
        let u = unit("ActiveState=activating\nSubState=start");
        assert!(u.settling() && !u.runs());
        assert!(unit("ActiveState=failed").stopped());
    }

    #[test]
    fn a_failed_unit_is_described_with_its_result() {
        let u = unit("LoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code");
        assert_eq!(
            u.describe("x.service"),
            "x.service is failed (failed), result exit-code"
        );
        let u = unit("LoadState=not-found\nActiveState=inactive\nSubState=dead\nResult=success");
        assert_eq!(
            u.describe("x.service"),
            "x.service is not loaded (no such unit)"
        );
    }
}
