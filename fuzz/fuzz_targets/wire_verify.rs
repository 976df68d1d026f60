//! Signature verification of both forms with the keys of the captures
//! (key 1: crc, md5 or sha1 with the secret `vectorkey`). The captured
//! packets verify; no input panics, and none verifies under two of the
//! key sets, whose digests differ even in length.
#![no_main]

use heartbeat::config::AuthKeys;
use heartbeat::wire::{self, Message, WireError};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<Vec<AuthKeys>> = LazyLock::new(heartbeat_fuzz::vector_keys);

fuzz_target!(|data: &[u8]| {
    let verified = |verify: fn(&[u8], &AuthKeys) -> Result<Message, WireError>| {
        KEYS.iter().filter(|k| verify(data, k).is_ok()).count()
    };
    let udp = verified(wire::verify_netstring);
    let serial = verified(wire::verify_classic);
    assert!(
        udp <= 1 && serial <= 1,
        "verified under {udp} + {serial} key sets"
    );
    if udp == 1 {
        assert!(trailer(data).starts_with(b"1 "), "only key 1 exists");
    }
    if serial == 1 {
        let msg = wire::decode_classic(data).expect("it verified");
        assert!(msg.get("auth").is_some_and(|a| a.starts_with("1 ")));
    }
});

/// The content of the trailer `LEN:N HEX,` after the last `%%%\n`.
fn trailer(data: &[u8]) -> &[u8] {
    let end = data
        .windows(4)
        .rposition(|w| w == b"%%%\n")
        .expect("a body end")
        + 4;
    let rest = &data[end..];
    let colon = rest.iter().position(|&b| b == b':').expect("a length");
    &rest[colon + 1..rest.len() - 1]
}
