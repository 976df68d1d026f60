//! The resource report two nodes exchange (`t=hbrsc`): its typed form and
//! its string fields. Owns only the encoding; what a report means to the
//! receiver is decided in the parent module. Decoding must never panic: the
//! fields come off the network (signed, but possibly from a newer or buggy
//! peer).

use crate::config::haresources::MAX_GROUPS;
use std::fmt;
use thiserror::Error;

/// A node's incarnation number (the original's `hg`): it grows on every
/// daemon start, so a report from an older incarnation is recognisable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u64);

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which groups an operator request selects, in the words of `hb_standby`
/// and `hb_takeover`. `Failback` means `Foreign`, as the original maps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    All,
    Local,
    Foreign,
    Failback,
}

impl std::str::FromStr for Which {
    type Err = String;
    fn from_str(s: &str) -> Result<Which, String> {
        Which::parse(s).ok_or_else(|| format!("wrong resources({s})"))
    }
}

impl Which {
    pub fn word(self) -> &'static str {
        match self {
            Which::All => "all",
            Which::Local => "local",
            Which::Foreign => "foreign",
            Which::Failback => "failback",
        }
    }

    pub fn parse(word: &str) -> Option<Which> {
        match word {
            "all" => Some(Which::All),
            "local" => Some(Which::Local),
            "foreign" => Some(Which::Foreign),
            "failback" => Some(Which::Failback),
            _ => None,
        }
    }

    /// The same selection seen from the other node: my local groups are the
    /// peer's foreign ones.
    pub fn mirrored(self) -> Which {
        match self {
            Which::All => Which::All,
            Which::Local => Which::Foreign,
            Which::Foreign | Which::Failback => Which::Local,
        }
    }

    /// Does this selection include a group whose preferred node is (or is
    /// not) the node applying it?
    pub fn selects(self, preferred_here: bool) -> bool {
        match self {
            Which::All => true,
            Which::Local => preferred_here,
            Which::Foreign | Which::Failback => !preferred_here,
        }
    }
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The original's 2-bit resource set word (`rsc_hold`), kept in the report
/// for people reading packet dumps; the protocol itself uses `groups`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RscHold {
    None,
    Local,
    Foreign,
    All,
}

impl RscHold {
    pub fn from_bits(local: bool, foreign: bool) -> RscHold {
        match (local, foreign) {
            (false, false) => RscHold::None,
            (true, false) => RscHold::Local,
            (false, true) => RscHold::Foreign,
            (true, true) => RscHold::All,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            RscHold::None => "none",
            RscHold::Local => "local",
            RscHold::Foreign => "foreign",
            RscHold::All => "all",
        }
    }

    pub fn parse(word: &str) -> Option<RscHold> {
        match word {
            "none" => Some(RscHold::None),
            "local" => Some(RscHold::Local),
            "foreign" => Some(RscHold::Foreign),
            "all" => Some(RscHold::All),
            _ => None,
        }
    }
}

/// One group as the sender sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupReport {
    /// The sender runs (or is starting, or stopping, or failed to stop) it.
    pub holds: bool,
    /// The sender gives it to the receiver.
    pub yield_: bool,
    /// Grows on every start; decides who keeps a group both nodes hold.
    pub epoch: u64,
    /// The sender is still starting it: it holds the group, but whether it
    /// will run there is not known yet (a standby waits for the answer).
    pub starting: bool,
}

/// A takeover asking the receiver to go standby on `which` (already
/// mirrored to the receiver's point of view).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StandbyRequest {
    pub id: u64,
    pub which: Which,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyState {
    /// Releasing the selected groups.
    Accepted,
    /// Resources were in flux or another request was running.
    Refused,
    /// Everything selected was released.
    Done,
    /// Done, but at least one group failed to stop and stays here.
    Failed,
}

impl ReplyState {
    fn word(self) -> &'static str {
        match self {
            ReplyState::Accepted => "acc",
            ReplyState::Refused => "ref",
            ReplyState::Done => "done",
            ReplyState::Failed => "fail",
        }
    }

    fn parse(word: &str) -> Option<ReplyState> {
        match word {
            "acc" => Some(ReplyState::Accepted),
            "ref" => Some(ReplyState::Refused),
            "done" => Some(ReplyState::Done),
            "fail" => Some(ReplyState::Failed),
            _ => None,
        }
    }
}

/// The answer to the peer's [`StandbyRequest`] with the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestReply {
    pub id: u64,
    pub state: ReplyState,
}

/// Everything one node tells the other about resource ownership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Grows whenever anything below except the acks changes.
    pub version: u64,
    /// The last peer version the sender had received …
    pub ack: u64,
    /// … and the peer incarnation it came from (versions restart at 1 with
    /// every incarnation, so a bare number could ack a dead incarnation).
    pub ack_gen: Generation,
    pub groups: Vec<GroupReport>,
    /// Ping nodes the sender reaches.
    pub reach: u32,
    pub standby_request: Option<StandbyRequest>,
    pub reply: Option<RequestReply>,
    /// Informational only.
    pub rsc_hold: RscHold,
    /// The sender's maintenance flag (optional: absent until maintenance
    /// was ever used, and in an earlier version's reports).
    pub maintenance: Option<super::MaintenanceReport>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReportError {
    #[error("resource report lacks the field `{0}`")]
    Missing(&'static str),
    #[error("resource report field `{field}`: expected {expected}, got {value:?}")]
    Invalid {
        field: &'static str,
        expected: &'static str,
        value: String,
    },
}

const F_HOLD: &str = "rsc_hold";
const F_VERSION: &str = "v";
const F_ACK: &str = "ack";
const F_ACK_GEN: &str = "ackg";
const F_GROUPS: &str = "g";
const F_REACH: &str = "reach";
const F_REQUEST: &str = "sreq";
const F_REPLY: &str = "srep";
const F_STARTING: &str = "gs";
const F_MAINT: &str = "mnt";

const GROUPS_EXPECTED: &str = "comma-separated groups like `HY12` (H or -, Y or -, epoch)";
const GROUPS_BOUND: &str = "no more groups than haresources may list";

/// How much of a bad value an error carries: a peer may send a value as
/// long as a packet, and the error ends up in a log line.
const SHOWN_CHARS: usize = 64;

fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

impl Report {
    /// The message fields, in a fixed order. Groups are encoded as
    /// `<H|-><Y|-><epoch>` in haresources order, comma-separated.
    pub fn to_fields(&self) -> Vec<(String, String)> {
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                format!(
                    "{}{}{}",
                    if g.holds { 'H' } else { '-' },
                    if g.yield_ { 'Y' } else { '-' },
                    g.epoch
                )
            })
            .collect();
        let mut f = vec![
            (F_HOLD.to_string(), self.rsc_hold.word().to_string()),
            (F_VERSION.to_string(), self.version.to_string()),
            (F_ACK.to_string(), self.ack.to_string()),
            (F_ACK_GEN.to_string(), self.ack_gen.0.to_string()),
            (F_GROUPS.to_string(), groups.join(",")),
            (F_REACH.to_string(), self.reach.to_string()),
        ];
        let starting: Vec<String> = (self.groups.iter().enumerate())
            .filter(|(_, g)| g.starting)
            .map(|(i, _)| i.to_string())
            .collect();
        if !starting.is_empty() {
            f.push((F_STARTING.to_string(), starting.join(",")));
        }
        if let Some(r) = self.standby_request {
            f.push((
                F_REQUEST.to_string(),
                format!("{}:{}", r.id, r.which.word()),
            ));
        }
        if let Some(r) = self.reply {
            f.push((F_REPLY.to_string(), format!("{}:{}", r.id, r.state.word())));
        }
        if let Some(m) = self.maintenance {
            f.push((F_MAINT.to_string(), m.field()));
        }
        f
    }

    /// Inverse of [`Report::to_fields`]; unknown fields are ignored so a
    /// newer peer may add some.
    pub fn from_fields(fields: &[(String, String)]) -> Result<Report, ReportError> {
        let get = |name: &'static str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let need = |name: &'static str| get(name).ok_or(ReportError::Missing(name));
        let invalid =
            |field: &'static str, expected: &'static str, value: &str| ReportError::Invalid {
                field,
                expected,
                value: shown(value),
            };
        let number = |name: &'static str| -> Result<u64, ReportError> {
            let v = need(name)?;
            parse_decimal(v).ok_or_else(|| invalid(name, "a decimal number", v))
        };

        let hold = need(F_HOLD)?;
        let rsc_hold = RscHold::parse(hold)
            .ok_or_else(|| invalid(F_HOLD, "none, local, foreign or all", hold))?;
        let version = number(F_VERSION)?;
        let ack = number(F_ACK)?;
        let ack_gen = Generation(number(F_ACK_GEN)?);
        let reach_text = need(F_REACH)?;
        let reach = parse_decimal(reach_text)
            .and_then(|r| u32::try_from(r).ok())
            .ok_or_else(|| invalid(F_REACH, "a count of ping nodes", reach_text))?;

        let groups_text = need(F_GROUPS)?;
        let mut groups = if groups_text.is_empty() {
            Vec::new()
        } else {
            if groups_text.split(',').nth(MAX_GROUPS).is_some() {
                return Err(invalid(F_GROUPS, GROUPS_BOUND, groups_text));
            }
            groups_text
                .split(',')
                .map(|g| parse_group(g).ok_or_else(|| invalid(F_GROUPS, GROUPS_EXPECTED, g)))
                .collect::<Result<Vec<_>, _>>()?
        };
        // Optional (an earlier version of ours sends none): the groups the
        // sender is still starting, by index.
        if let Some(v) = get(F_STARTING).filter(|v| !v.is_empty()) {
            mark_starting(&mut groups, v)
                .ok_or_else(|| invalid(F_STARTING, "indices of reported groups", v))?;
        }

        let standby_request = match get(F_REQUEST) {
            None => None,
            Some(v) => {
                let (id, which) = split_id(v)
                    .and_then(|(id, w)| Some((id, Which::parse(w)?)))
                    .ok_or_else(|| invalid(F_REQUEST, "`<id>:<all|local|foreign|failback>`", v))?;
                Some(StandbyRequest { id, which })
            }
        };
        let reply = match get(F_REPLY) {
            None => None,
            Some(v) => {
                let (id, state) = split_id(v)
                    .and_then(|(id, s)| Some((id, ReplyState::parse(s)?)))
                    .ok_or_else(|| invalid(F_REPLY, "`<id>:<acc|ref|done|fail>`", v))?;
                Some(RequestReply { id, state })
            }
        };

        let maintenance = match get(F_MAINT) {
            None => None,
            Some(v) => Some(
                super::MaintenanceReport::parse(v)
                    .ok_or_else(|| invalid(F_MAINT, "`<serial>:<on|off|settling>`", v))?,
            ),
        };

        Ok(Report {
            version,
            ack,
            ack_gen,
            groups,
            reach,
            standby_request,
            reply,
            rsc_hold,
            maintenance,
        })
    }
}

/// Digits only: `u64::from_str` would also take a leading `+`.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_group(s: &str) -> Option<GroupReport> {
    let mut chars = s.chars();
    let holds = match chars.next()? {
        'H' => true,
        '-' => false,
        _ => return None,
    };
    let yield_ = match chars.next()? {
        'Y' => true,
        '-' => false,
        _ => return None,
    };
    let epoch = parse_decimal(chars.as_str())?;
    Some(GroupReport {
        holds,
        yield_,
        epoch,
        starting: false,
    })
}

/// Set `starting` on the groups `v` lists by index; `None` if one is not
/// an index of `groups`, or if it lists more indices than there are groups.
fn mark_starting(groups: &mut [GroupReport], v: &str) -> Option<()> {
    if v.split(',').nth(groups.len()).is_some() {
        return None;
    }
    for i in v.split(',') {
        let i = usize::try_from(parse_decimal(i)?).ok()?;
        groups.get_mut(i)?.starting = true;
    }
    Some(())
}

fn split_id(s: &str) -> Option<(u64, &str)> {
    let (id, rest) = s.split_once(':')?;
    Some((parse_decimal(id)?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn starting_groups_travel_in_an_optional_field() {
        let fields = sample().to_fields();
        assert!(fields.contains(&("gs".to_string(), "0".to_string())));
        // An earlier version of ours sends no `gs`: nothing is starting.
        let old: Vec<_> = fields.iter().filter(|(k, _)| k != "gs").cloned().collect();
        let r = Report::from_fields(&old).unwrap();
        assert!(r.groups.iter().all(|g| !g.starting));
        // An index beyond the groups is refused, not ignored.
        let mut bad = old.clone();
        bad.push(("gs".into(), "2".into()));
        assert!(matches!(
            Report::from_fields(&bad),
            Err(ReportError::Invalid { field: "gs", .. })
        ));
    }

    fn sample() -> Report {
        Report {
            version: 7,
            ack: 3,
            ack_gen: Generation(12),
            groups: vec![
                GroupReport {
                    holds: true,
                    yield_: false,
                    epoch: 4,
                    starting: true,
                },
                GroupReport {
                    holds: false,
                    yield_: true,
                    epoch: 0,
                    starting: false,
                },
            ],
            reach: 2,
            standby_request: Some(StandbyRequest {
                id: 5,
                which: Which::Foreign,
            }),
            reply: Some(RequestReply {
                id: 9,
                state: ReplyState::Done,
            }),
            rsc_hold: RscHold::Local,
            maintenance: None,
        }
    }

    #[test]
    fn report_fields_round_trip_and_are_readable() {
        let r = sample();
        let f = r.to_fields();
        assert!(f.contains(&("rsc_hold".into(), "local".into())));
        assert!(f.contains(&("g".into(), "H-4,-Y0".into())));
        assert_eq!(Report::from_fields(&f), Ok(r));
    }

    #[test]
    fn report_without_groups_round_trips() {
        let r = Report {
            groups: vec![],
            standby_request: None,
            reply: None,
            ..sample()
        };
        assert_eq!(Report::from_fields(&r.to_fields()), Ok(r));
    }

    #[test]
    fn report_decoding_names_the_bad_field() {
        let mut f = sample().to_fields();
        f.retain(|(k, _)| k != "ack");
        assert_eq!(Report::from_fields(&f), Err(ReportError::Missing("ack")));
        let mut f = sample().to_fields();
        f[4].1 = "HX4".into();
        assert!(matches!(
            Report::from_fields(&f),
            Err(ReportError::Invalid { field: "g", .. })
        ));
        let mut f = sample().to_fields();
        f[1].1 = "+7".into();
        assert!(matches!(
            Report::from_fields(&f),
            Err(ReportError::Invalid { field: "v", .. })
        ));
    }

    #[test]
    fn report_group_count_is_bounded() {
        let group_list = |n: usize| vec!["--0"; n].join(",");
        let mut f = sample().to_fields();
        f.retain(|(k, _)| k != "gs");
        f[4].1 = group_list(MAX_GROUPS);
        assert_eq!(Report::from_fields(&f).unwrap().groups.len(), MAX_GROUPS);
        f[4].1 = group_list(MAX_GROUPS + 1);
        assert!(matches!(
            Report::from_fields(&f),
            Err(ReportError::Invalid { field: "g", expected, .. }) if expected == GROUPS_BOUND
        ));
    }

    #[test]
    fn starting_list_is_no_longer_than_the_groups() {
        let mut f = sample().to_fields();
        let gs = f.iter().position(|(k, _)| k == "gs").unwrap();
        f[gs].1 = "0,1".into();
        assert!(Report::from_fields(&f).is_ok());
        f[gs].1 = "0,1,0".into();
        assert!(matches!(
            Report::from_fields(&f),
            Err(ReportError::Invalid { field: "gs", .. })
        ));
    }

    #[test]
    fn report_errors_carry_only_the_start_of_a_long_value() {
        let mut f = sample().to_fields();
        f[1].1 = "x".repeat(100_000);
        let Err(ReportError::Invalid { value, .. }) = Report::from_fields(&f) else {
            panic!("a version of letters is invalid");
        };
        assert_eq!(value, format!("{}…", "x".repeat(SHOWN_CHARS)));
    }

    #[test]
    fn which_mirrors_as_hb_takeover_does() {
        assert_eq!(Which::All.mirrored(), Which::All);
        assert_eq!(Which::Local.mirrored(), Which::Foreign);
        assert_eq!(Which::Foreign.mirrored(), Which::Local);
        assert_eq!(Which::Failback.mirrored(), Which::Local);
    }

    proptest! {
        #[test]
        fn report_decoding_never_panics(fields in proptest::collection::vec(
            (prop_oneof![Just("rsc_hold".to_string()), Just("v".to_string()), Just("ack".to_string()),
                         Just("ackg".to_string()), Just("g".to_string()), Just("reach".to_string()),
                         Just("sreq".to_string()), Just("srep".to_string()), Just("gs".to_string()), Just("mnt".to_string()), ".{0,4}"],
             ".{0,12}"), 0..10)) {
            let _ = Report::from_fields(&fields);
        }

        #[test]
        fn report_round_trips(version: u64, ack: u64, generation: u64, reach: u32,
                              groups in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<u64>(), any::<bool>()), 0..6)) {
            let r = Report {
                version, ack, ack_gen: Generation(generation), reach,
                groups: groups.into_iter().map(|(holds, yield_, epoch, starting)| GroupReport { holds, yield_, epoch, starting }).collect(),
                standby_request: None, reply: None, rsc_hold: RscHold::All,
                maintenance: (version % 3 == 0).then_some(crate::ownership::MaintenanceReport {
                    flag: crate::ownership::Maintenance { on: ack % 2 == 0, serial: ack },
                    settling: false,
                }),
            };
            prop_assert_eq!(Report::from_fields(&r.to_fields()), Ok(r));
        }
    }
}
