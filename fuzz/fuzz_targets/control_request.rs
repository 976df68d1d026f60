//! One control-socket request line, read by the daemon's parser
//! (`control::parse_request`). A request that parses serialises back to a
//! line that parses to the same request.
#![no_main]

use heartbeat::control;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The server hands the parser the line's bytes as read (bounded in
    // length by the reader); JSON itself refuses what is not UTF-8.
    if let Ok(request) = control::parse_request(data) {
        let again = serde_json::to_string(&request).expect("requests serialise");
        let back = control::parse_request(again.as_bytes()).expect("our own line parses");
        assert_eq!(serde_json::to_string(&back).unwrap(), again);
    }
});
