//! ha.cf: the directive parser, then the settling checks as the local node
//! named in its first `node` line (or an unknown one). A refusal is always
//! explained, and every diagnostic names a line of the file.
#![no_main]

use heartbeat::config::{Diags, hacf};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = heartbeat_fuzz::file_text(data);
    let file = Path::new("ha.cf");
    let mut diags = Diags::default();
    let cf = hacf::parse(&text, file, &mut diags);
    let local = (cf.nodes.first()).map_or_else(|| "nodea".to_string(), |n| n.value.to_string());
    let settled = hacf::settle(cf, &local, file, &mut diags);
    assert!(
        settled.is_some() || !diags.errors.is_empty(),
        "refused without a reason"
    );
    heartbeat_fuzz::check_diagnostics(&text, &diags);
});
