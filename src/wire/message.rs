//! The in-memory message: an ordered list of named, typed values, as in the
//! original's `struct ha_msg`. Order matters because both signatures cover
//! the fields in the order they were added.

use super::auth::hex;
use super::error::{WireError, garbage};
use std::fmt;

/// One field value. The original knows six types (0 string, 1 binary,
/// 2 struct, 3 list, 4 compressed, 5 uncompressed); v1 traffic only uses the
/// first two, so the others are carried opaquely with their type digit.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Type 0.
    Str(String),
    /// Type 1 (`srcuuid`, `destuuid`).
    Bin(Vec<u8>),
    /// Any other type, kept byte for byte so a relayed message is unchanged.
    Raw { ty: u8, data: Vec<u8> },
}

impl Value {
    /// The type digit written as `(T)` on the wire.
    pub fn type_digit(&self) -> u8 {
        match self {
            Value::Str(_) => 0,
            Value::Bin(_) => 1,
            Value::Raw { ty, .. } => *ty,
        }
    }

    /// The value bytes as the netstring form carries them (binary raw).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Value::Str(s) => s.as_bytes(),
            Value::Bin(b) | Value::Raw { data: b, .. } => b,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bin(b) => write!(f, "bin:{}", hex(b)),
            Value::Raw { ty, data } => write!(f, "({ty}):{}", hex(data)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: Value,
}

/// An ordered list of fields. Names may repeat (the original allows it);
/// lookups return the first match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    fields: Vec<Field>,
}

/// Names we can put on both encodings: the classic form ends a name at the
/// first `=` and a field at `\n`, and reads a leading `(` as a type prefix.
pub(crate) fn is_encodable_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('(') && !name.contains(['=', '\n'])
}

/// Reads a leading `(T)`; `None` when the bytes do not start with `(`.
pub(crate) fn parse_type_prefix(bytes: &[u8]) -> Result<Option<(u8, &[u8])>, WireError> {
    const SHAPE: &str = "a type prefix `(T)` with T from 0 to 255";
    if bytes.first() != Some(&b'(') {
        return Ok(None);
    }
    let digits = bytes[1..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 3 || bytes.get(1 + digits) != Some(&b')') {
        return Err(garbage(SHAPE));
    }
    let n = bytes[1..=digits]
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let ty = u8::try_from(n).map_err(|_| garbage(SHAPE))?;
    Ok(Some((ty, &bytes[digits + 2..])))
}

/// A field name from the wire; we only accept names we could re-encode in
/// both forms, so anything we decode can be relayed unchanged.
pub(crate) fn decode_name(bytes: &[u8]) -> Result<String, WireError> {
    match std::str::from_utf8(bytes) {
        Ok(name) if is_encodable_name(name) => Ok(name.to_owned()),
        _ => Err(garbage(
            "a non-empty UTF-8 field name without `=`, newline or leading `(`",
        )),
    }
}

/// A value from its bytes on the wire; `binary` turns the bytes of a type 1
/// value into raw bytes (netstring: as they are; classic: base64).
pub(crate) fn decode_value(
    ty: u8,
    bytes: &[u8],
    binary: fn(&[u8]) -> Result<Vec<u8>, WireError>,
) -> Result<Value, WireError> {
    Ok(match ty {
        0 => Value::Str(
            String::from_utf8(bytes.to_vec()).map_err(|_| garbage("a UTF-8 string value"))?,
        ),
        1 => Value::Bin(binary(bytes)?),
        ty => Value::Raw {
            ty,
            data: bytes.to_vec(),
        },
    })
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a string field (type 0).
    pub fn add(&mut self, name: &str, v: impl Into<String>) -> &mut Self {
        self.push(name, Value::Str(v.into()))
    }

    /// Appends a binary field (type 1).
    pub fn add_bin(&mut self, name: &str, v: &[u8]) -> &mut Self {
        self.push(name, Value::Bin(v.to_vec()))
    }

    /// Appends a field of any type.
    pub fn push(&mut self, name: &str, value: Value) -> &mut Self {
        debug_assert!(
            is_encodable_name(name),
            "field name {name:?} cannot be encoded"
        );
        self.fields.push(Field {
            name: name.to_owned(),
            value,
        });
        self
    }

    /// The first string field called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find_map(|f| match &f.value {
            Value::Str(s) if f.name == name => Some(s.as_str()),
            _ => None,
        })
    }

    /// The first binary field called `name`.
    pub fn get_bin(&self, name: &str) -> Option<&[u8]> {
        self.fields.iter().find_map(|f| match &f.value {
            Value::Bin(b) if f.name == name => Some(b.as_slice()),
            _ => None,
        })
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|f| f.name != name);
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Decoders build messages from names already checked for shape; this
    /// skips the debug assertion, which is about our own callers.
    pub(crate) fn push_decoded(&mut self, name: String, value: Value) {
        self.fields.push(Field { name, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_return_first_field_of_matching_type() {
        let mut m = Message::new();
        m.add("t", "status")
            .add_bin("srcuuid", &[1, 2])
            .add("t", "later");
        assert_eq!(m.get("t"), Some("status"));
        assert_eq!(m.get("srcuuid"), None, "a binary field is not a string");
        assert_eq!(m.get_bin("srcuuid"), Some(&[1u8, 2][..]));
        assert_eq!(m.get_bin("t"), None);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn remove_drops_every_field_of_that_name_and_keeps_order() {
        let mut m = Message::new();
        m.add("a", "1")
            .add("auth", "x")
            .add("b", "2")
            .add("auth", "y");
        m.remove("auth");
        let names: Vec<_> = m.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
