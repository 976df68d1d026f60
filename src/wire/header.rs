//! A typed view of the fields every message carries (spec §4.4), and the
//! writer that appends them in the original's order.
//!
//! Owns number formats: `seq`, `hg` and `ts` are hex, `ttl` is decimal.
//! Never interprets the message type; that is membership's and ownership's job.

use super::error::WireError;
use super::message::Message;
use crate::config::NodeName;

/// The common fields of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub t: String,
    pub src: NodeName,
    pub srcuuid: Option<[u8; 16]>,
    /// Absent in `NS_*` flow-control messages.
    pub seq: Option<u64>,
    pub hg: Option<u64>,
    pub ts: Option<u64>,
    pub ttl: Option<u32>,
    pub dest: Option<NodeName>,
}

/// What we put on every message we send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonFields {
    pub src: NodeName,
    pub srcuuid: [u8; 16],
    /// `None` for `NS_*` messages, which the original sends without `seq`.
    pub seq: Option<u64>,
    pub hg: u64,
    pub ts: u64,
    /// `/proc/loadavg` as read; `None` for `NS_*` messages.
    pub ld: Option<String>,
    pub ttl: u32,
}

/// The fields [`header`] reads, each of which may appear at most once.
const HEADER_FIELDS: [&str; 8] = ["t", "src", "srcuuid", "seq", "hg", "ts", "ttl", "dest"];

/// Reads the common fields. `t` and `src` are required; the others are
/// optional but must be well formed when present, and none may appear
/// twice: a second `hg` or `src` that one reader skips and another takes
/// is how a crafted message says two things at once.
pub fn header(msg: &Message) -> Result<Header, WireError> {
    for name in HEADER_FIELDS {
        if msg
            .fields()
            .iter()
            .filter(|f| f.name == name)
            .nth(1)
            .is_some()
        {
            return Err(WireError::DuplicateField(name));
        }
    }
    let t = msg.get("t").ok_or(WireError::MissingField("t"))?.to_owned();
    let src = node_name("src", msg.get("src").ok_or(WireError::MissingField("src"))?)?;
    let srcuuid = match msg.fields().iter().find(|f| f.name == "srcuuid") {
        None => None,
        Some(_) => Some(
            msg.get_bin("srcuuid")
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .ok_or(WireError::BadField {
                    name: "srcuuid",
                    expected: "16 binary bytes",
                })?,
        ),
    };
    Ok(Header {
        t,
        src,
        srcuuid,
        seq: optional_hex(msg, "seq")?,
        hg: optional_hex(msg, "hg")?,
        ts: optional_hex(msg, "ts")?,
        ttl: msg
            .get("ttl")
            .map(|v| {
                parse_decimal(v).ok_or(WireError::BadField {
                    name: "ttl",
                    expected: "a decimal number",
                })
            })
            .transpose()?,
        dest: msg.get("dest").map(|d| node_name("dest", d)).transpose()?,
    })
}

/// Appends `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`, `ttl` after the
/// type-specific fields, in the order a 3.0.6 node uses.
pub fn add_common_fields(msg: &mut Message, h: &CommonFields) {
    msg.add("src", h.src.as_str())
        .add_bin("srcuuid", &h.srcuuid);
    if let Some(seq) = h.seq {
        msg.add("seq", format!("{seq:x}"));
    }
    msg.add("hg", format!("{:x}", h.hg))
        .add("ts", format!("{:x}", h.ts));
    if let Some(ld) = &h.ld {
        msg.add("ld", ld.as_str());
    }
    msg.add("ttl", h.ttl.to_string());
}

fn node_name(name: &'static str, value: &str) -> Result<NodeName, WireError> {
    // Node names are host names: anything with blanks or controls is not one.
    if value.is_empty() || value.len() > 255 || value.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(WireError::BadField {
            name,
            expected: "a node name (1 to 255 bytes, no blanks)",
        });
    }
    Ok(NodeName::new(value))
}

fn optional_hex(msg: &Message, name: &'static str) -> Result<Option<u64>, WireError> {
    msg.get(name)
        .map(|v| {
            parse_hex(v).ok_or(WireError::BadField {
                name,
                expected: "a hexadecimal number of at most 16 digits",
            })
        })
        .transpose()
}

/// Hex digits only: `from_str_radix` alone would also take a leading `+`.
fn parse_hex(v: &str) -> Option<u64> {
    if v.is_empty() || v.len() > 16 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(v, 16).ok()
}

fn parse_decimal(v: &str) -> Option<u32> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn common(seq: Option<u64>, ld: Option<&str>) -> CommonFields {
        CommonFields {
            src: NodeName::new("nodea"),
            srcuuid: [7; 16],
            seq,
            hg: 0x6b03_5250,
            ts: 0x6b03_525f,
            ld: ld.map(str::to_owned),
            ttl: 3,
        }
    }

    fn names(msg: &Message) -> Vec<&str> {
        msg.fields().iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn common_fields_follow_the_original_order_and_formats() {
        let mut m = Message::new();
        m.add("t", "status").add("st", "up");
        add_common_fields(
            &mut m,
            &common(Some(0x1e), Some("0.27 0.14 0.05 1/90 21532")),
        );
        assert_eq!(
            names(&m),
            ["t", "st", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"]
        );
        assert_eq!(m.get("seq"), Some("1e"));
        assert_eq!(m.get("hg"), Some("6b035250"));
        assert_eq!(m.get("ttl"), Some("3"));
    }

    #[test]
    fn flow_control_messages_have_no_seq_or_ld() {
        let mut m = Message::new();
        m.add("t", "NS_ackmsg");
        add_common_fields(&mut m, &common(None, None));
        assert_eq!(names(&m), ["t", "src", "srcuuid", "hg", "ts", "ttl"]);
        let h = header(&m).unwrap();
        assert_eq!(h.seq, None);
        assert_eq!(h.hg, Some(0x6b03_5250));
    }

    #[test]
    fn header_round_trips_what_add_common_fields_wrote() {
        let mut m = Message::new();
        m.add("dest", "NodeB").add("t", "ip-request-resp");
        add_common_fields(&mut m, &common(Some(u64::MAX), Some("x")));
        let h = header(&m).unwrap();
        assert_eq!(h.t, "ip-request-resp");
        assert_eq!(h.src, NodeName::new("nodea"));
        assert_eq!(h.srcuuid, Some([7; 16]));
        assert_eq!(h.seq, Some(u64::MAX));
        assert_eq!(h.ts, Some(0x6b03_525f));
        assert_eq!(h.ttl, Some(3));
        assert_eq!(h.dest, Some(NodeName::new("nodeb")));
    }

    #[test]
    fn node_names_are_bounded() {
        let with_src = |len: usize| {
            let mut m = Message::new();
            m.add("t", "status").add("src", "n".repeat(len));
            header(&m).map(|h| h.src.as_str().len())
        };
        assert_eq!(with_src(255), Ok(255));
        assert_eq!(with_src(256).map_err(|e| e.reason()), Err("bad_field"));
    }

    #[test]
    fn header_rejects_missing_and_malformed_fields() {
        let mut m = Message::new();
        m.add("src", "nodea");
        assert_eq!(header(&m), Err(WireError::MissingField("t")));
        let mut m = Message::new();
        m.add("t", "status");
        assert_eq!(header(&m), Err(WireError::MissingField("src")));
        for (name, value) in [
            ("seq", "+1"),
            ("hg", "xyz"),
            ("ts", "12345678123456789"),
            ("ttl", "-1"),
        ] {
            let mut m = Message::new();
            m.add("t", "status").add("src", "a").add(name, value);
            assert_eq!(
                header(&m).map_err(|e| e.reason()),
                Err("bad_field"),
                "{name}={value}"
            );
        }
        let mut m = Message::new();
        m.add("t", "status")
            .add("src", "a")
            .add_bin("srcuuid", &[1, 2]);
        assert_eq!(header(&m).map_err(|e| e.reason()), Err("bad_field"));
        let mut m = Message::new();
        m.add("t", "status").add("src", "two words");
        assert_eq!(header(&m).map_err(|e| e.reason()), Err("bad_field"));
    }

    #[test]
    fn a_header_field_given_twice_is_refused() {
        for name in HEADER_FIELDS {
            let mut m = Message::new();
            m.add("t", "status");
            add_common_fields(&mut m, &common(Some(1), None));
            m.add("dest", "nodeb");
            let copy = m.fields().iter().find(|f| f.name == name).unwrap().clone();
            m.push(&copy.name, copy.value);
            assert_eq!(header(&m), Err(WireError::DuplicateField(name)), "{name}");
        }
    }
}
