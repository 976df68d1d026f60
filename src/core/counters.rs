//! What the node counts: every dropped packet by reason, duplicates, deaths,
//! late heartbeats, stalls. A plain struct of integers, so counting costs an
//! add and no allocation even under a flood of forged packets; `status`
//! serialises it with the field names admins and tests read.

use crate::wire::WireError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub dropped_truncated: u64,
    pub dropped_oversized: u64,
    pub dropped_garbage: u64,
    pub dropped_too_many_fields: u64,
    pub dropped_unknown_key: u64,
    pub dropped_bad_digest: u64,
    pub dropped_missing_auth: u64,
    pub dropped_missing_trailer: u64,
    pub dropped_missing_field: u64,
    pub dropped_bad_field: u64,
    /// A header field (`t`, `src`, `seq`, `hg`, …) given twice: which one
    /// counts would be a guess, and the original never sends that.
    pub dropped_duplicate_field: u64,
    /// A sequence number we already saw, beyond the reorder window.
    pub dropped_replay: u64,
    /// From an incarnation older than the peer's current one.
    pub dropped_old_generation: u64,
    /// A generation no real node can have (see `membership::MAX_GENERATION`).
    pub dropped_future_generation: u64,
    /// A sequence number no real node can reach (`membership::MAX_SEQ`).
    pub dropped_future_seq: u64,
    /// Our own node name with another generation, uuid or a sequence
    /// number we never sent: not our broadcast looping back.
    pub dropped_own_name: u64,
    /// The peer's name with another uuid within the same generation.
    pub dropped_uuid_mismatch: u64,
    /// From a node that is not in ha.cf.
    pub dropped_unknown_node: u64,
    /// A `t=hbrsc` whose fields do not parse.
    pub dropped_bad_report: u64,
    /// A packet seen before within the reorder window (it arrived on two
    /// media): not an attack, only not processed twice.
    pub duplicate: u64,
    pub peer_deaths: u64,
    pub late_heartbeats: u64,
    pub local_stalls: u64,
    /// Log lines the writer thread had to drop (filled in by the daemon).
    pub log_lines_dropped: u64,
    /// Keepalives a medium that fell behind dropped from its queue (filled
    /// in by the daemon from the media).
    pub dropped_keepalives_queued: u64,
}

/// Why a packet was dropped, for the counter and the one-line log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    Wire(WireError),
    Replay,
    OldGeneration,
    FutureGeneration,
    FutureSeq,
    OwnName,
    UuidMismatch,
    UnknownNode,
    BadReport,
}

impl DropReason {
    /// The stable label (`dropped_` + it is the counter's name).
    pub fn reason(&self) -> &'static str {
        match self {
            DropReason::Wire(e) => e.reason(),
            DropReason::Replay => "replay",
            DropReason::OldGeneration => "old_generation",
            DropReason::FutureGeneration => "future_generation",
            DropReason::FutureSeq => "future_seq",
            DropReason::OwnName => "own_name",
            DropReason::UuidMismatch => "uuid_mismatch",
            DropReason::UnknownNode => "unknown_node",
            DropReason::BadReport => "bad_report",
        }
    }
}

impl Counters {
    pub fn count_drop(&mut self, why: &DropReason) {
        let c = match why {
            DropReason::Wire(e) => match e {
                WireError::Truncated => &mut self.dropped_truncated,
                WireError::Oversized { .. } => &mut self.dropped_oversized,
                WireError::Garbage { .. } => &mut self.dropped_garbage,
                WireError::TooManyFields => &mut self.dropped_too_many_fields,
                WireError::UnknownKey(_) => &mut self.dropped_unknown_key,
                WireError::BadDigest { .. } => &mut self.dropped_bad_digest,
                WireError::MissingAuth => &mut self.dropped_missing_auth,
                WireError::MissingTrailer => &mut self.dropped_missing_trailer,
                WireError::MissingField(_) => &mut self.dropped_missing_field,
                WireError::BadField { .. } => &mut self.dropped_bad_field,
                WireError::DuplicateField(_) => &mut self.dropped_duplicate_field,
            },
            DropReason::Replay => &mut self.dropped_replay,
            DropReason::OldGeneration => &mut self.dropped_old_generation,
            DropReason::FutureGeneration => &mut self.dropped_future_generation,
            DropReason::FutureSeq => &mut self.dropped_future_seq,
            DropReason::OwnName => &mut self.dropped_own_name,
            DropReason::UuidMismatch => &mut self.dropped_uuid_mismatch,
            DropReason::UnknownNode => &mut self.dropped_unknown_node,
            DropReason::BadReport => &mut self.dropped_bad_report,
        };
        *c += 1;
    }

    /// Every packet dropped for any reason (duplicates are not drops).
    pub fn dropped_total(&self) -> u64 {
        self.dropped_by_reason().iter().map(|(_, n)| n).sum()
    }

    /// The drop counters by [`DropReason::reason`] label, for the
    /// `heartbeat_dropped_packets_total{reason}` metric.
    pub fn dropped_by_reason(&self) -> [(&'static str, u64); 19] {
        [
            ("truncated", self.dropped_truncated),
            ("oversized", self.dropped_oversized),
            ("garbage", self.dropped_garbage),
            ("too_many_fields", self.dropped_too_many_fields),
            ("unknown_key", self.dropped_unknown_key),
            ("bad_digest", self.dropped_bad_digest),
            ("missing_auth", self.dropped_missing_auth),
            ("missing_trailer", self.dropped_missing_trailer),
            ("missing_field", self.dropped_missing_field),
            ("bad_field", self.dropped_bad_field),
            ("duplicate_field", self.dropped_duplicate_field),
            ("replay", self.dropped_replay),
            ("old_generation", self.dropped_old_generation),
            ("future_generation", self.dropped_future_generation),
            ("future_seq", self.dropped_future_seq),
            ("own_name", self.dropped_own_name),
            ("uuid_mismatch", self.dropped_uuid_mismatch),
            ("unknown_node", self.dropped_unknown_node),
            ("bad_report", self.dropped_bad_report),
        ]
    }

    /// The counters that are not zero, by name, for `heartbeat status`.
    pub fn nonzero(&self) -> Vec<(String, u64)> {
        let Ok(serde_json::Value::Object(map)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        map.into_iter()
            .filter_map(|(k, v)| v.as_u64().filter(|&n| n > 0).map(|n| (k, n)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_drop_reason_counts_under_its_own_name() {
        let mut c = Counters::default();
        c.count_drop(&DropReason::Wire(WireError::BadDigest { key: 1 }));
        c.count_drop(&DropReason::Replay);
        c.count_drop(&DropReason::Replay);
        assert_eq!(c.dropped_bad_digest, 1);
        assert_eq!(c.dropped_replay, 2);
        assert_eq!(c.dropped_total(), 3);
        for why in [
            DropReason::FutureGeneration,
            DropReason::FutureSeq,
            DropReason::OwnName,
            DropReason::UuidMismatch,
            DropReason::Wire(WireError::DuplicateField("hg")),
        ] {
            let mut one = Counters::default();
            one.count_drop(&why);
            assert_eq!(
                one.nonzero(),
                vec![(format!("dropped_{}", why.reason()), 1)],
                "{why:?}"
            );
            assert_eq!(one.dropped_total(), 1);
        }
        assert_eq!(
            c.nonzero(),
            vec![
                ("dropped_bad_digest".to_string(), 1),
                ("dropped_replay".to_string(), 2)
            ]
        );
    }

    /// The metric's reason labels are the counters' names without
    /// `dropped_`, so status and metrics say the same.
    #[test]
    fn every_drop_counter_has_its_reason_label() {
        let c = Counters::default();
        let serde_json::Value::Object(fields) = serde_json::to_value(&c).unwrap() else {
            panic!("counters serialise to an object");
        };
        let mut from_fields: Vec<String> = fields
            .keys()
            .filter_map(|k| k.strip_prefix("dropped_"))
            .filter(|r| *r != "keepalives_queued")
            .map(String::from)
            .collect();
        let mut labels: Vec<String> = c
            .dropped_by_reason()
            .iter()
            .map(|(r, _)| r.to_string())
            .collect();
        from_fields.sort();
        labels.sort();
        assert_eq!(from_fields, labels);
    }
}
