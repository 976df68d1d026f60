//! Our resource report (`t=hbrsc`), read as the node reads a verified
//! packet (`core::report_of`). The input is the fields of a classic frame,
//! one `name=value` per line.
//! A report that decodes encodes back to itself; its group count and the
//! bad value an error carries are bounded.
#![no_main]

use heartbeat::config::haresources::MAX_GROUPS;
use heartbeat::ownership::{Report, ReportError};
use heartbeat::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The lines become a classic frame, read by the wire decoder.
    let mut frame = b">>>\n".to_vec();
    frame.extend_from_slice(data);
    if !data.ends_with(b"\n") {
        frame.push(b'\n');
    }
    frame.extend_from_slice(b"<<<\n");
    let Ok(msg) = wire::decode_classic(&frame) else {
        return;
    };
    match heartbeat::core::report_of(&msg) {
        Ok(report) => {
            assert!(report.groups.len() <= MAX_GROUPS);
            assert_eq!(Report::from_fields(&report.to_fields()), Ok(report));
        }
        Err(ReportError::Invalid { value, .. }) => assert!(value.chars().count() <= 65),
        Err(ReportError::Missing(_)) => {}
    }
});
