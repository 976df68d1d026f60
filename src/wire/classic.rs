//! The classic text form: `>>>\n`, one `name=value\n` line per field
//! (other types as `(T)name=value`, binary in base64), `<<<\n`.
//!
//! Serial links carry it, signed only by the inner `auth` field; the FIFO
//! carries it unsigned. The inner `auth` field is defined over these lines,
//! so it lives here too and the netstring form borrows it. Also owns finding frames in a serial byte stream.
//! Never reads the device itself.

use super::auth::{auth_value, check};
use super::error::{MAX_FIELDS, MAX_PACKET, WireError, garbage};
use super::message::{Field, Message, Value, decode_name, decode_value, parse_type_prefix};
use crate::config::AuthKeys;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

const START_LINE: &[u8] = b">>>";
const END_LINE: &[u8] = b"<<<";

/// Appends one field as a classic line. Shared by the frame encoder and the
/// inner signature, whose text is exactly these lines.
pub(crate) fn write_line(out: &mut Vec<u8>, f: &Field) {
    match &f.value {
        Value::Str(s) => {
            out.extend_from_slice(f.name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bin(b) => {
            out.extend_from_slice(b"(1)");
            out.extend_from_slice(f.name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(BASE64.encode(b).as_bytes());
        }
        Value::Raw { ty, data } => {
            out.extend_from_slice(format!("({ty})").as_bytes());
            out.extend_from_slice(f.name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(data);
        }
    }
    out.push(b'\n');
}

/// A copy of `msg` without any `auth` field, with a fresh inner `auth`
/// field (signed by the active key) appended last.
pub(crate) fn with_inner_auth(msg: &Message, keys: &AuthKeys) -> Message {
    let mut signed = msg.clone();
    signed.remove("auth");
    let value = auth_value(keys, &inner_auth_text(signed.fields()));
    signed.add("auth", value);
    signed
}

/// The text the inner `auth` field signs: every field but `auth`, in order,
/// as classic lines (binary as `(1)name=BASE64`), without `>>>`/`<<<`.
pub(crate) fn inner_auth_text<'a>(fields: impl IntoIterator<Item = &'a Field>) -> Vec<u8> {
    let mut text = Vec::new();
    for f in fields.into_iter().filter(|f| f.name != "auth") {
        write_line(&mut text, f);
    }
    text
}

/// Signs `msg` for a serial link: any `auth` field is replaced by a fresh
/// one, appended last. String values must not contain a newline (the form
/// cannot carry one; the receiver would reject the frame).
pub fn sign_classic(msg: &Message, keys: &AuthKeys) -> Vec<u8> {
    let signed = with_inner_auth(msg, keys);
    let mut out = b">>>\n".to_vec();
    for f in signed.fields() {
        write_line(&mut out, f);
    }
    out.extend_from_slice(b"<<<\n");
    out
}

/// Decodes one frame and checks its inner `auth` field with the key it names.
pub fn verify_classic(bytes: &[u8], keys: &AuthKeys) -> Result<Message, WireError> {
    let msg = decode_classic(bytes)?;
    let auth = msg
        .fields()
        .iter()
        .find(|f| f.name == "auth")
        .ok_or(WireError::MissingAuth)?;
    let Value::Str(value) = &auth.value else {
        return Err(garbage("`auth` as a string field"));
    };
    check(keys, value.as_bytes(), &inner_auth_text(msg.fields()))?;
    Ok(msg)
}

/// Decodes one `>>>\n…<<<\n` frame without checking any signature (the
/// control FIFO path, where messages come from local scripts).
pub fn decode_classic(bytes: &[u8]) -> Result<Message, WireError> {
    if bytes.len() > MAX_PACKET {
        return Err(WireError::Oversized { len: bytes.len() });
    }
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    match lines.next() {
        Some(b">>>\n") => {}
        Some(first) if b">>>\n".starts_with(first) => return Err(WireError::Truncated),
        None => return Err(WireError::Truncated),
        Some(_) => return Err(garbage("a `>>>` line at the start")),
    }
    let mut msg = Message::new();
    for line in lines.by_ref() {
        let Some(line) = line.strip_suffix(b"\n") else {
            return Err(WireError::Truncated);
        };
        if line == END_LINE {
            return match lines.next() {
                None => Ok(msg),
                Some(_) => Err(garbage("nothing after the `<<<` line")),
            };
        }
        if msg.len() == MAX_FIELDS {
            return Err(WireError::TooManyFields);
        }
        let (name, value) = parse_line(line)?;
        msg.push_decoded(name, value);
    }
    Err(WireError::Truncated)
}

fn parse_line(line: &[u8]) -> Result<(String, Value), WireError> {
    let (ty, rest) = parse_type_prefix(line)?.unwrap_or((0, line));
    let eq = rest
        .iter()
        .position(|&b| b == b'=')
        .ok_or(garbage("a `name=value` line"))?;
    let name = decode_name(&rest[..eq])?;
    let value = decode_value(ty, &rest[eq + 1..], |raw| {
        BASE64
            .decode(raw)
            .map_err(|_| garbage("standard padded base64 in a binary field"))
    })?;
    Ok((name, value))
}

/// Takes every complete frame out of a serial receive buffer.
///
/// Like the original reader, a frame starts at a line that is exactly `>>>`
/// and ends at the next line that is exactly `<<<`; anything before a start
/// line is line noise and is dropped. A second `>>>` line before the end
/// means the first frame was cut off: we restart from the second. What stays
/// in `buf` is at most one unfinished frame (dropped once it grows beyond
/// [`MAX_PACKET`]) or at most three bytes of an unfinished noise line, so the
/// buffer stays bounded however much garbage arrives.
///
/// `buf` is taken to begin at a line start the first time; later calls rely
/// on what the previous call left in it.
pub fn split_classic_frames(buf: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut from = 0;
    loop {
        let Some(start) = find_marker_line(buf, from, |l| l == START_LINE).map(|(at, _)| at) else {
            drop_noise(buf, from);
            return frames;
        };
        let body = start + START_LINE.len() + 1;
        match find_marker_line(buf, body, |l| l == START_LINE || l == END_LINE) {
            Some((end, END_LINE)) => {
                let stop = end + END_LINE.len() + 1;
                frames.push(buf[start..stop].to_vec());
                from = stop;
            }
            // Another start line: the frame before it was cut off.
            Some((restart, _)) => from = restart,
            None if buf.len() - start > MAX_PACKET => {
                tracing::debug!(bytes = buf.len() - start, "dropping oversized serial frame");
                from = body;
            }
            None => {
                buf.drain(..start);
                return frames;
            }
        }
    }
}

/// The first complete line at or after `from` (a line start) that `is_marker`
/// accepts: its offset and content (without the newline).
fn find_marker_line(
    buf: &[u8],
    from: usize,
    is_marker: impl Fn(&[u8]) -> bool,
) -> Option<(usize, &[u8])> {
    let mut at = from;
    while let Some(len) = buf[at..].iter().position(|&b| b == b'\n') {
        let line = &buf[at..at + len];
        if is_marker(line) {
            return Some((at, line));
        }
        at += len + 1;
    }
    None
}

/// Cuts a buffer holding no start line after `from`: complete lines are
/// noise and go. An unfinished last line stays while it can still become
/// `>>>`; otherwise it shrinks to one placeholder byte, so that whatever
/// completes it is still known to be mid-line (noise such as `xx>>>` split
/// across two reads must not look like a start line).
fn drop_noise(buf: &mut Vec<u8>, from: usize) {
    let tail = buf[from..]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |nl| from + nl + 1);
    if b">>>\n".starts_with(&buf[tail..]) {
        buf.drain(..tail);
    } else {
        buf.clear();
        buf.push(NOISE_PLACEHOLDER);
    }
}

/// Stands for the unfinished noise line [`drop_noise`] removed.
const NOISE_PLACEHOLDER: u8 = b'~';

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthMethod;

    fn keys(method: AuthMethod) -> AuthKeys {
        crate::wire::test_keys(method, "vectorkey")
    }

    fn sample() -> Message {
        let mut m = Message::new();
        m.add("t", "resource")
            .add("rsc_hold", "all")
            .add("src", "nodea")
            .add_bin(
                "srcuuid",
                &[
                    0xc0, 0xe9, 0x31, 0x41, 0x27, 0x31, 0x4a, 0x31, 0xbc, 0x5b, 0x47, 0xf4, 0xfe,
                    0x1f, 0xd7, 0x01,
                ],
            )
            .add("ld", "0.00 0.05 0.03 1/84 25053=x");
        m
    }

    #[test]
    fn classic_frame_round_trips_with_auth_last() {
        for method in [
            AuthMethod::Crc,
            AuthMethod::Md5,
            AuthMethod::Sha1,
            AuthMethod::Sha256,
        ] {
            let k = keys(method);
            let bytes = sign_classic(&sample(), &k);
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(text.starts_with(">>>\nt=resource\nrsc_hold=all\nsrc=nodea\n"));
            assert!(
                text.contains("\n(1)srcuuid=wOkxQScxSjG8W0f0/h/XAQ==\n"),
                "{text}"
            );
            assert!(text.ends_with("\n<<<\n"));
            let back = verify_classic(&bytes, &k).unwrap();
            assert_eq!(back.fields()[..5], *sample().fields());
            assert_eq!(back.fields()[5].name, "auth");
        }
    }

    #[test]
    fn classic_rejects_wrong_digest_unknown_key_and_missing_auth() {
        let k = keys(AuthMethod::Md5);
        let good = String::from_utf8(sign_classic(&sample(), &k)).unwrap();
        let tampered = good.replace("rsc_hold=all", "rsc_hold=none");
        assert_eq!(
            verify_classic(tampered.as_bytes(), &k),
            Err(WireError::BadDigest { key: 1 })
        );
        let other_key = good.replace("\nauth=1 ", "\nauth=7 ");
        assert_eq!(
            verify_classic(other_key.as_bytes(), &k),
            Err(WireError::UnknownKey(7))
        );
        assert_eq!(
            verify_classic(b">>>\nt=status\n<<<\n", &k),
            Err(WireError::MissingAuth)
        );
    }

    #[test]
    fn classic_rejects_truncated_oversized_and_garbage() {
        let k = keys(AuthMethod::Crc);
        let good = sign_classic(&sample(), &k);
        for cut in 0..good.len() {
            assert_eq!(
                verify_classic(&good[..cut], &k),
                Err(WireError::Truncated),
                "{cut}"
            );
        }
        let big = vec![b'>'; MAX_PACKET + 1];
        assert_eq!(
            verify_classic(&big, &k),
            Err(WireError::Oversized {
                len: MAX_PACKET + 1
            })
        );
        for bad in [
            &b"###\n"[..],
            b">>>\nnoequals\n<<<\n",
            b">>>\n=value\n<<<\n",
            b">>>\n(1)uuid=not base64!\n<<<\n",
            b">>>\n(x)a=b\n<<<\n",
            b">>>\nt=a\n<<<\nmore",
            b">>>\nt=\xff\n<<<\n",
        ] {
            assert_eq!(
                verify_classic(bad, &k).map_err(|e| e.reason()),
                Err("garbage"),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn classic_field_count_is_bounded() {
        let frame = |fields: usize| {
            let mut bytes = b">>>\n".to_vec();
            bytes.extend(std::iter::repeat_n(b"a=b\n", fields).flatten());
            bytes.extend_from_slice(b"<<<\n");
            bytes
        };
        assert_eq!(
            decode_classic(&frame(MAX_FIELDS)).map(|m| m.len()),
            Ok(MAX_FIELDS)
        );
        assert_eq!(
            decode_classic(&frame(MAX_FIELDS + 1)),
            Err(WireError::TooManyFields)
        );
    }

    #[test]
    fn split_drops_noise_between_frames_and_keeps_the_unfinished_one() {
        let k = keys(AuthMethod::Crc);
        let frame = sign_classic(&sample(), &k);
        let mut buf = b"\x00\xffnoise\n<<<\n".to_vec();
        buf.extend_from_slice(&frame);
        buf.extend_from_slice(b"garbage line\nt=orphan\n");
        buf.extend_from_slice(&frame);
        buf.extend_from_slice(&frame[..10]);
        let frames = split_classic_frames(&mut buf);
        assert_eq!(frames, vec![frame.clone(), frame.clone()]);
        assert_eq!(
            buf,
            frame[..10],
            "the unfinished frame waits for more bytes"
        );
        buf.extend_from_slice(&frame[10..]);
        assert_eq!(split_classic_frames(&mut buf), vec![frame]);
        assert!(buf.is_empty());
    }

    #[test]
    fn split_restarts_at_a_second_start_line() {
        let k = keys(AuthMethod::Sha1);
        let frame = sign_classic(&sample(), &k);
        let mut buf = b">>>\nt=cut off\n".to_vec();
        buf.extend_from_slice(&frame);
        let frames = split_classic_frames(&mut buf);
        assert_eq!(frames.len(), 1);
        assert!(verify_classic(&frames[0], &k).is_ok());
    }

    #[test]
    fn split_keeps_only_what_can_still_become_a_start_line() {
        let mut buf = b"line noise\n>>".to_vec();
        assert!(split_classic_frames(&mut buf).is_empty());
        assert_eq!(buf, b">>");
        let mut buf = b"line noise without end".to_vec();
        assert!(split_classic_frames(&mut buf).is_empty());
        assert_eq!(buf.len(), 1);
    }

    #[test]
    fn split_does_not_take_the_end_of_a_noise_line_for_a_start() {
        let mut buf = b"noise>>".to_vec();
        assert!(split_classic_frames(&mut buf).is_empty());
        buf.extend_from_slice(b">\nt=a\n<<<\n");
        assert!(split_classic_frames(&mut buf).is_empty());
        assert!(buf.is_empty());
    }

    #[test]
    fn split_drops_a_frame_that_never_ends() {
        let mut buf = b">>>\n".to_vec();
        buf.extend(std::iter::repeat_n(b"x=y\n", MAX_PACKET / 4 + 1).flatten());
        assert!(split_classic_frames(&mut buf).is_empty());
        assert!(buf.len() < 4, "buffer kept {} bytes", buf.len());
    }
}
