//! Why bytes from the wire were rejected, and the size limits every decoder
//! checks before trusting a length.
//!
//! The bottom layer of `wire`: it imports nothing from its siblings, so every
//! encoding can use it without import cycles.

/// The largest datagram or classic frame we accept or expect a peer to
/// accept: the original reads at most 256 KiB − 1 bytes per packet.
pub const MAX_PACKET: usize = 256 * 1024 - 1;

/// Upper bound on the number of fields in one message. Real traffic carries
/// at most a dozen or so; the bound only stops a hostile packet from making
/// us allocate one `Field` per three bytes.
pub const MAX_FIELDS: usize = 1024;

/// Why bytes from the wire were rejected. Every decoder failure is one of
/// these; [`WireError::reason`] gives a stable label for drop counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message is truncated: expected more bytes before the end marker")]
    Truncated,
    #[error("message of {len} bytes exceeds the maximum of {MAX_PACKET} bytes")]
    Oversized { len: usize },
    #[error("malformed message: expected {what}")]
    Garbage { what: &'static str },
    #[error("message has more than {MAX_FIELDS} fields")]
    TooManyFields,
    #[error("message is signed with key {0}, which is not in authkeys")]
    UnknownKey(u8),
    #[error("signature does not match for key {key}: expected the digest of the message")]
    BadDigest { key: u8 },
    #[error("message carries no `auth` field: expected `auth=N HEX`")]
    MissingAuth,
    #[error("netstring message has no authentication trailer: expected `LEN:N HEX,` after `%%%`")]
    MissingTrailer,
    #[error("message has no `{0}` field")]
    MissingField(&'static str),
    #[error("field `{0}` appears more than once: expected it once")]
    DuplicateField(&'static str),
    #[error("field `{name}` has an invalid value: expected {expected}")]
    BadField {
        name: &'static str,
        expected: &'static str,
    },
}

impl WireError {
    /// A short, stable label (snake case) for per-reason drop counters.
    pub fn reason(&self) -> &'static str {
        match self {
            WireError::Truncated => "truncated",
            WireError::Oversized { .. } => "oversized",
            WireError::Garbage { .. } => "garbage",
            WireError::TooManyFields => "too_many_fields",
            WireError::UnknownKey(_) => "unknown_key",
            WireError::BadDigest { .. } => "bad_digest",
            WireError::MissingAuth => "missing_auth",
            WireError::MissingTrailer => "missing_trailer",
            WireError::MissingField(_) => "missing_field",
            WireError::BadField { .. } => "bad_field",
            WireError::DuplicateField(_) => "duplicate_field",
        }
    }
}

/// Shorthand used by the decoders.
pub(crate) fn garbage(what: &'static str) -> WireError {
    WireError::Garbage { what }
}
