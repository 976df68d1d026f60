//! The message model of Heartbeat 3.0.6, its two byte encodings (netstring
//! for UDP, classic for serial links and the FIFO) and both signatures.
//!
//! Owns: turning a [`Message`] into exactly the bytes a 3.0.6 node sends, and
//! turning untrusted bytes back into a verified [`Message`] or a typed
//! [`WireError`]. Must never: open sockets or devices, read clocks or files,
//! log peer data at levels above debug, or panic on any input. Every length
//! taken from the wire is checked against what is left and against
//! [`MAX_PACKET`] before it is used.
//!
//! See docs/protocol.md for the format in prose.

// Layers, each importing only the ones above it (no cycles):
//   error     the error type and the size limits (imports nothing of wire)
//   auth      digests and the `N HEX` value (error)
//   message   the field list (error, auth's hex)
//   classic   the text form and the inner `auth` field it defines (message, auth)
//   netstring the UDP form and its trailer (message, auth, classic's inner auth)
//   header    the common fields (message)
mod auth;
mod classic;
mod error;
mod header;
mod message;
mod netstring;

pub use auth::digest;
pub use classic::{decode_classic, sign_classic, split_classic_frames, verify_classic};
pub use error::{MAX_FIELDS, MAX_PACKET, WireError};
pub use header::{CommonFields, Header, add_common_fields, header};
pub use message::{Field, Message, Value};
pub use netstring::{sign_netstring, verify_netstring};

/// Key 1 of `method` with `secret`, active: what the captures used.
#[cfg(test)]
pub(crate) fn test_keys(
    method: crate::config::AuthMethod,
    secret: &str,
) -> crate::config::AuthKeys {
    use crate::config::{AuthKey, AuthKeys};
    AuthKeys {
        active: 1,
        keys: std::collections::BTreeMap::from([(
            1,
            AuthKey {
                id: 1,
                method,
                secret: secret.as_bytes().to_vec(),
            },
        )]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_and_netstring_carry_the_same_inner_auth() {
        let k = test_keys(crate::config::AuthMethod::Sha1, "vectorkey");
        let mut m = Message::new();
        m.add("t", "resource")
            .add("src", "nodea")
            .add_bin("srcuuid", &[0xc0, 0xe9, 0x31]);
        let serial = verify_classic(&sign_classic(&m, &k), &k).unwrap();
        let udp = verify_netstring(&sign_netstring(&m, &k), &k).unwrap();
        assert_eq!(serial.get("auth"), udp.get("auth"));
    }

    #[test]
    fn every_error_has_its_own_counter_label() {
        let all = [
            WireError::Truncated,
            WireError::Oversized { len: 1 },
            WireError::Garbage { what: "x" },
            WireError::TooManyFields,
            WireError::UnknownKey(2),
            WireError::BadDigest { key: 1 },
            WireError::MissingAuth,
            WireError::MissingTrailer,
            WireError::MissingField("t"),
            WireError::BadField {
                name: "seq",
                expected: "hex",
            },
            WireError::DuplicateField("hg"),
        ];
        let labels: std::collections::BTreeSet<_> = all.iter().map(WireError::reason).collect();
        assert_eq!(labels.len(), all.len());
    }
}

#[cfg(test)]
mod props {
    //! Property tests over both encodings: no input makes a decoder panic,
    //! and whatever we sign verifies and decodes to what we signed.

    use super::*;
    use crate::config::{AuthKey, AuthKeys, AuthMethod};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn any_keys() -> impl Strategy<Value = AuthKeys> {
        let method = prop_oneof![
            Just(AuthMethod::Crc),
            Just(AuthMethod::Md5),
            Just(AuthMethod::Sha1),
            Just(AuthMethod::Sha256),
        ];
        (
            method,
            0u8..16,
            proptest::collection::vec(any::<u8>(), 0..100),
        )
            .prop_map(|(method, id, secret)| AuthKeys {
                active: id,
                keys: BTreeMap::from([(id, AuthKey { id, method, secret })]),
            })
    }

    fn name() -> impl Strategy<Value = String> {
        "[^=\n(][^=\n]{0,12}".prop_filter("auth is ours to add", |n| n != "auth")
    }

    /// Values the netstring form carries unchanged: anything.
    fn netstring_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::Str),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bin),
            (2u8.., proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(ty, data)| Value::Raw { ty, data }),
        ]
    }

    /// Values the classic form carries: text and raw values without newlines.
    fn classic_value() -> impl Strategy<Value = Value> {
        let no_newline =
            proptest::collection::vec(any::<u8>().prop_filter("", |&b| b != b'\n'), 0..40);
        prop_oneof![
            "[^\n]{0,40}".prop_map(Value::Str),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bin),
            (2u8.., no_newline).prop_map(|(ty, data)| Value::Raw { ty, data }),
        ]
    }

    fn message(value: impl Strategy<Value = Value>) -> impl Strategy<Value = Message> {
        proptest::collection::vec((name(), value), 0..12).prop_map(|fields| {
            let mut m = Message::new();
            for (n, v) in fields {
                m.push(&n, v);
            }
            m
        })
    }

    /// `signed` is `original` plus one trailing `auth` field.
    fn assert_signed_copy(original: &Message, signed: &Message) {
        assert_eq!(signed.len(), original.len() + 1);
        assert_eq!(signed.fields()[..original.len()], *original.fields());
        assert_eq!(signed.fields()[original.len()].name, "auth");
    }

    /// Noise lines that cannot be taken for a frame start.
    fn noise() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            proptest::collection::vec(any::<u8>().prop_filter("", |&b| b != b'\n'), 0..20)
                .prop_filter("not a start line", |l| l != b">>>"),
            0..4,
        )
        .prop_map(|lines| {
            lines
                .into_iter()
                .flat_map(|mut l| {
                    l.push(b'\n');
                    l
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn decoders_never_panic_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            keys in any_keys(),
        ) {
            let _ = verify_netstring(&bytes, &keys);
            let _ = verify_classic(&bytes, &keys);
            let _ = decode_classic(&bytes);
            let mut buf = bytes.clone();
            for frame in split_classic_frames(&mut buf) {
                prop_assert!(frame.starts_with(b">>>\n") && frame.ends_with(b"<<<\n"));
            }
            prop_assert!(buf.len() <= bytes.len());
        }

        #[test]
        fn decoders_never_panic_on_mangled_packets(
            msg in message(netstring_value()),
            keys in any_keys(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        ) {
            for mut bytes in [sign_netstring(&msg, &keys), sign_classic(&msg, &keys)] {
                for (at, byte, op) in &edits {
                    if bytes.is_empty() { break; }
                    let i = at.index(bytes.len());
                    match op {
                        0 => bytes[i] = *byte,
                        1 => bytes.insert(i, *byte),
                        _ => bytes.truncate(i),
                    }
                }
                let _ = verify_netstring(&bytes, &keys);
                let _ = verify_classic(&bytes, &keys);
                let _ = split_classic_frames(&mut bytes);
            }
        }

        #[test]
        fn netstring_sign_then_verify_round_trips(msg in message(netstring_value()), keys in any_keys()) {
            let bytes = sign_netstring(&msg, &keys);
            let back = verify_netstring(&bytes, &keys).unwrap();
            assert_signed_copy(&msg, &back);
            prop_assert_eq!(sign_netstring(&back, &keys), bytes);
        }

        #[test]
        fn classic_sign_then_verify_round_trips(msg in message(classic_value()), keys in any_keys()) {
            let bytes = sign_classic(&msg, &keys);
            let back = verify_classic(&bytes, &keys).unwrap();
            assert_signed_copy(&msg, &back);
            prop_assert_eq!(sign_classic(&back, &keys), bytes);
        }

        #[test]
        fn split_finds_every_frame_whatever_the_noise_and_chunking(
            msgs in proptest::collection::vec((message(classic_value()), noise()), 1..5),
            chunk in 1usize..64,
            keys in any_keys(),
        ) {
            let mut stream = Vec::new();
            let mut frames = Vec::new();
            for (msg, noise) in &msgs {
                stream.extend_from_slice(noise);
                let frame = sign_classic(msg, &keys);
                stream.extend_from_slice(&frame);
                frames.push(frame);
            }
            let mut buf = Vec::new();
            let mut found = Vec::new();
            for piece in stream.chunks(chunk) {
                buf.extend_from_slice(piece);
                found.extend(split_classic_frames(&mut buf));
            }
            prop_assert_eq!(found, frames);
            prop_assert!(buf.is_empty());
        }
    }
}
