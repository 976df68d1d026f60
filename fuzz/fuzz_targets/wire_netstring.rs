//! The UDP decoder (`verify_netstring`) on any bytes, and once more with a
//! valid trailer appended so the fuzzer gets past the signature to the
//! fields, the common header and the resource report.
#![no_main]

use heartbeat::config::AuthKeys;
use heartbeat::wire::{self, MAX_FIELDS, MAX_PACKET, Message};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<AuthKeys> = LazyLock::new(heartbeat_fuzz::crc_keys);

fuzz_target!(|data: &[u8]| {
    let keys = &*KEYS;
    if let Ok(msg) = wire::verify_netstring(data, keys) {
        check_decoded(data, &msg, keys);
    }
    let signed = with_trailer(body(data), keys);
    if let Ok(msg) = wire::verify_netstring(&signed, keys) {
        check_decoded(&signed, &msg, keys);
    }
});

/// The input up to its first `%%%\n`, where a sender's trailer begins.
fn body(data: &[u8]) -> &[u8] {
    data.windows(4)
        .position(|w| w == b"%%%\n")
        .map_or(data, |at| &data[..at + 4])
}

/// `body` followed by the trailer a sender holding `keys` would write.
fn with_trailer(body: &[u8], keys: &AuthKeys) -> Vec<u8> {
    let key = keys.active_key();
    let value = format!("{} {}", key.id, wire::digest(key.method, &key.secret, body));
    let mut out = body.to_vec();
    out.extend_from_slice(format!("{}:{value},", value.len()).as_bytes());
    out
}

fn check_decoded(bytes: &[u8], msg: &Message, keys: &AuthKeys) {
    assert!(bytes.len() <= MAX_PACKET);
    assert!(msg.len() <= MAX_FIELDS);
    let _ = wire::header(msg);
    let _ = heartbeat::core::report_of(msg);
    // Whatever we decode we can relay: signed again, it decodes to the
    // same fields (a fresh `auth` moves to the end).
    let resigned = wire::sign_netstring(msg, keys);
    if resigned.len() <= MAX_PACKET {
        let back = wire::verify_netstring(&resigned, keys).expect("a re-signed message verifies");
        assert_eq!(without_auth(&back), without_auth(msg));
    }
}

fn without_auth(msg: &Message) -> Vec<&wire::Field> {
    msg.fields().iter().filter(|f| f.name != "auth").collect()
}
