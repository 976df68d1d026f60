//! The serial decoder: `split_classic_frames` on the input as a byte stream
//! arriving in chunks, then `decode_classic` and `verify_classic` on the
//! whole input and on every frame found.
#![no_main]

use heartbeat::config::AuthKeys;
use heartbeat::wire::{self, MAX_FIELDS, MAX_PACKET, Message, WireError};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<AuthKeys> = LazyLock::new(heartbeat_fuzz::crc_keys);

fuzz_target!(|data: &[u8]| {
    let keys = &*KEYS;
    check_frame(data, keys);
    // The first byte picks how the stream is cut into reads.
    let chunk = usize::from(data.first().copied().unwrap_or(0) % 64) + 1;
    let mut buf = Vec::new();
    for read in data.chunks(chunk) {
        buf.extend_from_slice(read);
        for frame in wire::split_classic_frames(&mut buf) {
            assert!(frame.starts_with(b">>>\n") && frame.ends_with(b"<<<\n"));
            // A frame the splitter found is whole: never "truncated".
            assert_ne!(wire::decode_classic(&frame), Err(WireError::Truncated));
            check_frame(&frame, keys);
        }
        // At most one unfinished frame stays buffered.
        assert!(
            buf.len() <= MAX_PACKET + 4,
            "buffer kept {} bytes",
            buf.len()
        );
    }
});

fn check_frame(bytes: &[u8], keys: &AuthKeys) {
    let _ = wire::verify_classic(bytes, keys);
    let Ok(msg) = wire::decode_classic(bytes) else {
        return;
    };
    assert!(msg.len() <= MAX_FIELDS);
    let _ = wire::header(&msg);
    // Whatever we decode we can sign again for a serial link: a classic
    // value holds no newline, so every field comes back as it was.
    let resigned = wire::sign_classic(&msg, keys);
    if resigned.len() <= MAX_PACKET {
        let back = wire::verify_classic(&resigned, keys).expect("a re-signed frame verifies");
        assert_eq!(without_auth(&back), without_auth(&msg));
    }
}

fn without_auth(msg: &Message) -> Vec<&wire::Field> {
    msg.fields().iter().filter(|f| f.name != "auth").collect()
}
