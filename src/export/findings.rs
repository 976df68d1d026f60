//! What the export has to tell the admin: each thing heartbeat does that
//! the Pacemaker configuration does differently or not at all, with what
//! to do instead. A [`Severity::Blocking`] finding stops the export before
//! anything is written.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Mapped, but read it: the behaviour differs in a detail.
    Note,
    /// No equivalent, or a choice the admin must revisit.
    Warning,
    /// Nothing is written until this is fixed.
    Blocking,
}

/// One finding: where it comes from (`ha.cf serial /dev/ttyS0`), what
/// happens to it, and what to do instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub subject: String,
    pub message: String,
}

impl Finding {
    pub fn new(severity: Severity, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Blocking => "error",
        };
        write!(f, "{level}: {}: {}", self.subject, self.message)
    }
}

/// Findings with a push per severity, so the mapping reads as prose.
#[derive(Clone, Debug, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn note(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.0.push(Finding::new(Severity::Note, subject, message));
    }
    pub fn warn(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.0
            .push(Finding::new(Severity::Warning, subject, message));
    }
    pub fn block(&mut self, subject: impl Into<String>, message: impl Into<String>) {
        self.0
            .push(Finding::new(Severity::Blocking, subject, message));
    }
    pub fn blocking(&self) -> bool {
        self.0.iter().any(|f| f.severity == Severity::Blocking)
    }
}

/// Parts of heartbeat that are commands, not configuration, so no file
/// mentions them: always listed, with their Pacemaker counterpart.
pub const TOOLS: [(&str, &str); 4] = [
    (
        "hb_standby [all|local|foreign] / heartbeat standby",
        "no per-group-origin standby in Pacemaker: put the whole node in standby (`pcs node standby NODE` / `crm node standby NODE`), or move one group (`pcs resource move GROUP NODE`, then `pcs resource clear GROUP` so the move does not stay forever)",
    ),
    (
        "hb_takeover [all|local|foreign] / heartbeat takeover",
        "`pcs resource move GROUP THIS-NODE` (then `pcs resource clear GROUP`) or `crm resource move GROUP THIS-NODE`",
    ),
    (
        "cl_status / heartbeat status",
        "`crm_mon -1` (or `pcs status`) shows nodes, links (`corosync-cfgtool -s`) and where each group runs",
    ),
    (
        "CONFIG_DIR/notify hook",
        "Pacemaker alerts (`pcs alert create path=SCRIPT`) call a script on every node and resource event; the arguments differ (CRM_alert_* variables)",
    ),
];
