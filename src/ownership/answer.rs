//! What the operator who asked for a standby or a takeover reads back:
//! why it was refused (`Refusal`), or how it ended (`Outcome`), with the
//! words for each written here and nowhere else. `heartbeat standby`,
//! `hb_takeover` and the daemon's log show them as they are.
//!
//! Ownership hands them to the daemon as strings (`Output::Refused`,
//! `Output::RequestDone`); nothing here decides anything.

use super::{Busy, Which};
use crate::config::{GroupId, NodeName};
use std::fmt;
use std::time::Duration;

/// Why an operator request was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    StandbyBusy {
        which: Which,
        busy: Busy,
    },
    /// Nobody could take what we would give away.
    StandbyPeerNotUp {
        which: Which,
        peer: NodeName,
    },
    TakeoverBusy {
        which: Which,
        busy: Busy,
    },
    /// Membership has not decided yet whether the peer is up or dead.
    TakeoverPeerUnknown {
        which: Which,
        peer: NodeName,
    },
    /// Maintenance mode: nothing moves.
    Maintenance {
        what: &'static str,
    },
    MaintenanceShuttingDown,
}

/// How an accepted operator request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `heartbeat stop`: stopped here; the peer took everything handed
    /// over except `not_taken`, which now runs nowhere.
    Stopped {
        peer: NodeName,
        not_taken: Vec<GroupId>,
    },
    /// A standby found nothing the peer could take.
    NothingToGive {
        which: Which,
        peer: NodeName,
    },
    /// A takeover selected no group.
    NoSuchGroups {
        which: Which,
    },
    /// Shutdown came first.
    Interrupted,
    /// Maintenance mode came first.
    MaintenanceInterrupted,
    MaintenanceAlready {
        word: &'static str,
    },
    MaintenanceOn,
    /// Left, and every group probed.
    MaintenanceOff,
    /// The peer was busy and refused to go standby.
    PeerRefused {
        peer: NodeName,
    },
    /// The peer did not answer the takeover's standby request in time.
    NoAnswer {
        which: Which,
        peer: NodeName,
        timeout: Duration,
    },
    /// Every selected group is held by `holder`, as asked.
    AllHeldBy {
        which: Which,
        holder: NodeName,
    },
    /// A standby that moved only some groups.
    StandbyPartly {
        peer: NodeName,
        there: Vec<GroupId>,
        back: Vec<GroupId>,
        stuck: Vec<GroupId>,
    },
    /// A takeover that got only some groups.
    TakeoverPartly {
        me: NodeName,
        peer: NodeName,
        here: Vec<GroupId>,
        there: Vec<GroupId>,
        down: Vec<GroupId>,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::StandbyBusy { which, busy } => write!(f, "standby [{which}] refused: {busy}"),
            Refusal::StandbyPeerNotUp { which, peer } => write!(
                f,
                "standby [{which}] refused: {peer} is not up, nobody could take the resources"
            ),
            Refusal::TakeoverBusy { which, busy } => {
                write!(f, "takeover [{which}] refused: {busy}")
            }
            Refusal::TakeoverPeerUnknown { which, peer } => write!(
                f,
                "takeover [{which}] refused: the state of {peer} is not known yet"
            ),
            Refusal::Maintenance { what } => write!(
                f,
                "{what} refused: maintenance mode (resources are left as they are; \
                 `heartbeat maintenance off` first)"
            ),
            Refusal::MaintenanceShuttingDown => {
                f.write_str("maintenance refused: heartbeat is shutting down")
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Stopped { not_taken, .. } if not_taken.is_empty() => {
                f.write_str("heartbeat stopped; resources handed over")
            }
            Outcome::Stopped { peer, not_taken } => {
                f.write_str("heartbeat stopped; ")?;
                lists(f, &[(format!("{peer} did not take"), not_taken)])?;
                f.write_str(" (they run nowhere)")
            }
            Outcome::NothingToGive { which, peer } => {
                write!(f, "standby [{which}]: nothing to give to {peer}")
            }
            Outcome::NoSuchGroups { which } => {
                write!(f, "takeover [{which}]: no such resource groups configured")
            }
            Outcome::Interrupted => f.write_str("interrupted by heartbeat shutdown"),
            Outcome::MaintenanceInterrupted => f.write_str("interrupted: maintenance mode is on"),
            Outcome::MaintenanceAlready { word } => write!(f, "maintenance mode is already {word}"),
            Outcome::MaintenanceOn => f.write_str(
                "maintenance mode on (the peer follows): resources are left as they are",
            ),
            Outcome::MaintenanceOff => f.write_str(
                "maintenance mode off: every resource group probed; the rules apply again",
            ),
            Outcome::PeerRefused { peer } => write!(
                f,
                "{peer} refused the takeover request: its resources are in flux"
            ),
            Outcome::NoAnswer {
                which,
                peer,
                timeout,
            } => write!(
                f,
                "takeover [{which}]: no answer from {peer} within {timeout:?}"
            ),
            Outcome::AllHeldBy { which, holder } => {
                write!(f, "{which} resources now held by {holder}")
            }
            Outcome::StandbyPartly {
                peer,
                there,
                back,
                stuck,
            } => lists(
                f,
                &[
                    (format!("now held by {peer}"), there),
                    (format!("{peer} could not take"), back),
                    ("failed to stop here".to_string(), stuck),
                ],
            ),
            Outcome::TakeoverPartly {
                me,
                peer,
                here,
                there,
                down,
            } => lists(
                f,
                &[
                    (format!("now held by {me}"), here),
                    (format!("still held by {peer}"), there),
                    ("down".to_string(), down),
                ],
            ),
        }
    }
}

/// `what: id id; what: id`, leaving out the empty lists.
fn lists(f: &mut fmt::Formatter<'_>, parts: &[(String, &Vec<GroupId>)]) -> fmt::Result {
    let mut sep = "";
    for (what, ids) in parts.iter().filter(|(_, ids)| !ids.is_empty()) {
        write!(f, "{sep}{what}:")?;
        for id in ids.iter() {
            write!(f, " {id}")?;
        }
        sep = "; ";
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ownership::LocalState;

    fn g(id: &str) -> GroupId {
        GroupId(id.to_string())
    }

    fn n(name: &str) -> NodeName {
        NodeName::new(name)
    }

    /// Byte for byte what `heartbeat standby` and `hb_takeover` print.
    #[test]
    #[rustfmt::skip]
    fn answers_keep_their_words() {
        let busy = Busy::InFlux { group: g("ip-a"), state: LocalState::Stopping };
        let cases: Vec<(String, &str)> = vec![
            (Refusal::StandbyBusy { which: Which::All, busy: Busy::ShuttingDown }.to_string(), "standby [all] refused: heartbeat is shutting down"),
            (Refusal::StandbyPeerNotUp { which: Which::Local, peer: n("bravo") }.to_string(), "standby [local] refused: bravo is not up, nobody could take the resources"),
            (Refusal::TakeoverBusy { which: Which::All, busy }.to_string(), "takeover [all] refused: local resources in flux (resource group ip-a is Stopping)"),
            (Refusal::TakeoverBusy { which: Which::All, busy: Busy::RequestRunning }.to_string(), "takeover [all] refused: another standby/takeover request is still running"),
            (Refusal::TakeoverPeerUnknown { which: Which::Foreign, peer: n("bravo") }.to_string(), "takeover [foreign] refused: the state of bravo is not known yet"),
            (Outcome::NothingToGive { which: Which::All, peer: n("bravo") }.to_string(), "standby [all]: nothing to give to bravo"),
            (Outcome::NoSuchGroups { which: Which::Local }.to_string(), "takeover [local]: no such resource groups configured"),
            (Outcome::Interrupted.to_string(), "interrupted by heartbeat shutdown"),
            (Outcome::Stopped { peer: n("bravo"), not_taken: vec![] }.to_string(), "heartbeat stopped; resources handed over"),
            (Outcome::Stopped { peer: n("bravo"), not_taken: vec![g("ip-a"), g("ip-b")] }.to_string(), "heartbeat stopped; bravo did not take: ip-a ip-b (they run nowhere)"),
            (Outcome::PeerRefused { peer: n("bravo") }.to_string(), "bravo refused the takeover request: its resources are in flux"),
            (Outcome::NoAnswer { which: Which::All, peer: n("bravo"), timeout: Duration::from_secs(30) }.to_string(), "takeover [all]: no answer from bravo within 30s"),
            (Outcome::AllHeldBy { which: Which::All, holder: n("bravo") }.to_string(), "all resources now held by bravo"),
            (Outcome::StandbyPartly { peer: n("bravo"), there: vec![g("ip-a"), g("ip-c")], back: vec![], stuck: vec![g("ip-b")] }.to_string(), "now held by bravo: ip-a ip-c; failed to stop here: ip-b"),
            (Outcome::StandbyPartly { peer: n("bravo"), there: vec![], back: vec![g("ip-a")], stuck: vec![] }.to_string(), "bravo could not take: ip-a"),
            (Outcome::TakeoverPartly { me: n("alpha"), peer: n("bravo"), here: vec![g("ip-a")], there: vec![g("ip-b")], down: vec![g("ip-c")] }.to_string(), "now held by alpha: ip-a; still held by bravo: ip-b; down: ip-c"),
        ];
        for (got, words) in cases {
            assert_eq!(got, words);
        }
    }
}
