//! The netstring form every UDP packet uses:
//! `###\n` `LEN:(T)name=value,`… `%%%\n` `LEN:N HEX,`.
//!
//! Owns the byte layout and the trailer signature. Never trusts a length
//! from the wire before checking it against what is left of the packet.

use super::auth::{auth_value, check};
use super::classic::with_inner_auth;
use super::error::{MAX_FIELDS, MAX_PACKET, WireError, garbage};
use super::message::{Field, Message, Value, decode_name, decode_value, parse_type_prefix};
use crate::config::AuthKeys;

const START: &[u8] = b"###\n";
const END: &[u8] = b"%%%\n";
/// A length prefix longer than this cannot be below [`MAX_PACKET`].
const MAX_LEN_DIGITS: usize = 7;

/// Signs `msg` exactly as a 3.0.6 node does for UDP: the inner `auth` field
/// (replacing any present) is appended last, the fields are framed as
/// netstrings, and the trailer signs the framed bytes through `%%%\n`.
///
/// The caller must not send results longer than [`MAX_PACKET`]; peers drop them.
pub fn sign_netstring(msg: &Message, keys: &AuthKeys) -> Vec<u8> {
    let signed = with_inner_auth(msg, keys);
    let mut out = Vec::with_capacity(64 + 32 * signed.len());
    out.extend_from_slice(START);
    for f in signed.fields() {
        write_field(&mut out, f);
    }
    out.extend_from_slice(END);
    let trailer = auth_value(keys, &out);
    write_netstring(&mut out, trailer.as_bytes());
    out
}

/// Checks the trailer of a received packet with the key it names and
/// returns its fields, `auth` included. The inner `auth` field is not
/// checked, as UDP receivers of the original do not check it either.
pub fn verify_netstring(bytes: &[u8], keys: &AuthKeys) -> Result<Message, WireError> {
    let (msg, body_len) = decode_body(bytes)?;
    let rest = &bytes[body_len..];
    if rest.is_empty() {
        return Err(WireError::MissingTrailer);
    }
    let (trailer, used) = read_netstring(rest)?;
    if used != rest.len() {
        return Err(garbage("nothing after the authentication trailer"));
    }
    check(keys, trailer, &bytes[..body_len])?;
    Ok(msg)
}

fn write_field(out: &mut Vec<u8>, f: &Field) {
    let mut content = Vec::with_capacity(f.name.len() + f.value.as_bytes().len() + 4);
    content.extend_from_slice(format!("({})", f.value.type_digit()).as_bytes());
    content.extend_from_slice(f.name.as_bytes());
    content.push(b'=');
    content.extend_from_slice(f.value.as_bytes());
    write_netstring(out, &content);
}

fn write_netstring(out: &mut Vec<u8>, content: &[u8]) {
    out.extend_from_slice(content.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(content);
    out.push(b',');
}

/// Parses `###\n`, the field netstrings and `%%%\n`; returns the message and
/// the length of that signed body.
fn decode_body(bytes: &[u8]) -> Result<(Message, usize), WireError> {
    if bytes.len() > MAX_PACKET {
        return Err(WireError::Oversized { len: bytes.len() });
    }
    if !bytes.starts_with(START) {
        return Err(if START.starts_with(bytes) {
            WireError::Truncated
        } else {
            garbage("`###` and a newline at the start")
        });
    }
    let mut msg = Message::new();
    let mut pos = START.len();
    loop {
        let rest = &bytes[pos..];
        if rest.starts_with(END) {
            return Ok((msg, pos + END.len()));
        }
        if END.starts_with(rest) {
            return Err(WireError::Truncated);
        }
        if msg.len() == MAX_FIELDS {
            return Err(WireError::TooManyFields);
        }
        let (content, used) = read_netstring(rest)?;
        let (name, value) = parse_field(content)?;
        msg.push_decoded(name, value);
        pos += used;
    }
}

/// Reads one `LEN:content,` from the start of `buf`; returns the content and
/// the number of bytes consumed.
fn read_netstring(buf: &[u8]) -> Result<(&[u8], usize), WireError> {
    let digits = buf.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == buf.len() {
        return Err(WireError::Truncated);
    }
    if digits == 0 || digits > MAX_LEN_DIGITS {
        return Err(garbage("a netstring length of 1 to 7 decimal digits"));
    }
    if buf[digits] != b':' {
        return Err(garbage("`:` after a netstring length"));
    }
    let len = buf[..digits]
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    if len > MAX_PACKET {
        return Err(WireError::Oversized { len });
    }
    let start = digits + 1;
    let end = start + len;
    match buf.get(end) {
        None => Err(WireError::Truncated),
        Some(b',') => Ok((&buf[start..end], end + 1)),
        Some(_) => Err(garbage("`,` after a netstring")),
    }
}

/// Splits `(T)name=value` into a name and a typed value.
fn parse_field(content: &[u8]) -> Result<(String, Value), WireError> {
    let (ty, rest) = parse_type_prefix(content)?.ok_or(garbage("a `(T)` type prefix"))?;
    let eq = rest
        .iter()
        .position(|&b| b == b'=')
        .ok_or(garbage("`name=value` in a field"))?;
    let name = decode_name(&rest[..eq])?;
    Ok((
        name,
        decode_value(ty, &rest[eq + 1..], |raw| Ok(raw.to_vec()))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthMethod;

    fn keys(method: AuthMethod) -> AuthKeys {
        crate::wire::test_keys(method, "vectorkey")
    }

    fn keepalive() -> Message {
        let mut m = Message::new();
        m.add("t", "status")
            .add("st", "up")
            .add_bin("srcuuid", &[0xc0, 0, b',', b'\n', 0xff])
            .add("seq", "1e")
            .add("ttl", "3");
        m
    }

    #[test]
    fn signed_packet_has_the_original_layout() {
        let bytes = sign_netstring(&keepalive(), &keys(AuthMethod::Sha1));
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.starts_with("###\n11:(0)t=status,8:(0)st=up,"),
            "{text}"
        );
        assert!(text.contains("50:(0)auth=1 "), "{text}");
        let end = text.find("%%%\n").unwrap();
        assert!(text[end + 4..].starts_with("42:1 "), "{text}");
        assert!(text.ends_with(','));
    }

    #[test]
    fn sign_then_verify_returns_fields_with_auth_last() {
        let k = keys(AuthMethod::Md5);
        let msg = verify_netstring(&sign_netstring(&keepalive(), &k), &k).unwrap();
        let mut expected = keepalive();
        expected.remove("auth");
        assert_eq!(msg.fields()[..msg.len() - 1], *expected.fields());
        assert_eq!(msg.fields().last().unwrap().name, "auth");
    }

    #[test]
    fn resigning_replaces_an_existing_auth_field() {
        let k = keys(AuthMethod::Sha1);
        let once = sign_netstring(&keepalive(), &k);
        let received = verify_netstring(&once, &k).unwrap();
        assert_eq!(sign_netstring(&received, &k), once);
    }

    #[test]
    fn every_cut_of_a_packet_is_truncated_or_missing_its_trailer() {
        let k = keys(AuthMethod::Crc);
        let bytes = sign_netstring(&keepalive(), &k);
        let body_end = bytes.windows(4).position(|w| w == END).unwrap() + 4;
        for cut in 0..bytes.len() {
            let err = verify_netstring(&bytes[..cut], &k).unwrap_err();
            let want = if cut == body_end {
                WireError::MissingTrailer
            } else {
                WireError::Truncated
            };
            assert_eq!(err, want, "cut at {cut}");
        }
    }

    #[test]
    fn oversized_packets_and_lengths_are_rejected() {
        let k = keys(AuthMethod::Crc);
        let big = vec![b'#'; MAX_PACKET + 1];
        assert_eq!(
            verify_netstring(&big, &k),
            Err(WireError::Oversized {
                len: MAX_PACKET + 1
            })
        );
        assert_eq!(
            verify_netstring(b"###\n9999999:(0)t=x,", &k),
            Err(WireError::Oversized { len: 9_999_999 })
        );
    }

    #[test]
    fn malformed_frames_are_garbage() {
        let k = keys(AuthMethod::Crc);
        for bad in [
            &b">>>\nt=status\n<<<\n"[..],
            b"###\nx:(0)t=a,%%%\n",
            b"###\n12345678:",
            b"###\n5;(0)t=a,",
            b"###\n5:(0)t=ab%%%\n",
            b"###\n3:t=a,%%%\n",
            b"###\n4:(0)ta,%%%\n",
            b"###\n4:(0)=a,%%%\n",
            b"###\n8:(999)x=a,%%%\n",
            b"###\n6:(0)t=\xff,%%%\n",
        ] {
            let err = verify_netstring(bad, &k).unwrap_err();
            assert_eq!(
                err.reason(),
                "garbage",
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bytes_after_the_trailer_are_garbage() {
        let k = keys(AuthMethod::Sha1);
        let mut bytes = sign_netstring(&keepalive(), &k);
        bytes.push(b'\n');
        assert_eq!(
            verify_netstring(&bytes, &k),
            Err(garbage("nothing after the authentication trailer"))
        );
    }

    #[test]
    fn trailer_naming_an_absent_key_is_unknown_key() {
        let mut k = keys(AuthMethod::Sha1);
        let mut key3 = k.keys[&1].clone();
        key3.id = 3;
        k.keys.insert(3, key3);
        k.active = 3;
        let bytes = sign_netstring(&keepalive(), &k);
        k.keys.remove(&3);
        k.active = 1;
        assert_eq!(verify_netstring(&bytes, &k), Err(WireError::UnknownKey(3)));
    }

    #[test]
    fn any_flipped_body_byte_fails_the_digest() {
        let k = keys(AuthMethod::Sha1);
        let bytes = sign_netstring(&keepalive(), &k);
        // Change a value byte without changing the framing: `up` -> `uq`.
        let at = bytes.windows(5).position(|w| w == b"st=up").unwrap() + 4;
        let mut tampered = bytes.clone();
        tampered[at] = b'q';
        assert_eq!(
            verify_netstring(&tampered, &k),
            Err(WireError::BadDigest { key: 1 })
        );
    }

    #[test]
    fn other_types_are_kept_raw_with_their_digit() {
        let k = keys(AuthMethod::Crc);
        let mut m = Message::new();
        m.push(
            "nested",
            Value::Raw {
                ty: 2,
                data: b"{x}".to_vec(),
            },
        );
        let bytes = sign_netstring(&m, &k);
        assert!(bytes.windows(13).any(|w| w == b"(2)nested={x}"));
        let back = verify_netstring(&bytes, &k).unwrap();
        assert_eq!(back.fields()[0], m.fields()[0]);
    }

    #[test]
    fn field_count_is_bounded() {
        let mut bytes = START.to_vec();
        for _ in 0..=MAX_FIELDS {
            bytes.extend_from_slice(b"6:(0)a=b,");
        }
        bytes.extend_from_slice(END);
        assert_eq!(
            verify_netstring(&bytes, &keys(AuthMethod::Crc)),
            Err(WireError::TooManyFields)
        );
    }
}
