//! One control-socket request line, read by the daemon's parser
//! (`control::parse_request`). A request that parses serialises back to a
//! line that parses to the same request.
#![no_main]

use heartbeat::control;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The server reads lines as UTF-8 and refuses anything else before parsing.
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = control::parse_request(line) {
        let again = serde_json::to_string(&request).expect("requests serialise");
        let back = control::parse_request(&again).expect("our own line parses");
        assert_eq!(serde_json::to_string(&back).unwrap(), again);
    }
});
