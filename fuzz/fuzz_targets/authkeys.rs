//! authkeys: the parser under the mode the daemon requires (0600). What it
//! accepts is usable: the active key exists (signing looks it up without a
//! check) and every key is filed under its own number.
#![no_main]

use heartbeat::config::{Diags, authkeys};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = heartbeat_fuzz::file_text(data);
    let mut diags = Diags::default();
    let parsed = authkeys::parse(&text, 0o600, Path::new("authkeys"), &mut diags);
    match parsed {
        Some(keys) => {
            assert!(diags.errors.is_empty());
            assert!(keys.keys.contains_key(&keys.active));
            assert!(
                keys.keys
                    .iter()
                    .all(|(id, k)| *id == k.id && *id <= authkeys::MAX_KEY_ID)
            );
        }
        None => assert!(!diags.errors.is_empty(), "refused without a reason"),
    }
    heartbeat_fuzz::check_diagnostics(&text, &diags);
});
