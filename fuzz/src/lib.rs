//! What the fuzz targets share: the keys of the captured 3.0.6 traffic and
//! reading fuzz input the way the daemon reads its files.
//!
//! Each target (fuzz_targets/) feeds one parser of the daemon and checks
//! what must hold for any input besides "no panic": round trips, and the
//! bounds the decoders promise. See README.md for running them.

use heartbeat::config::{AuthKeys, AuthMethod, Diags, authkeys};
use std::borrow::Cow;
use std::path::Path;

/// The authkeys of the captures in tests/fixtures/vectors (key 1 with the
/// secret `vectorkey`), parsed by the daemon's own authkeys parser.
pub fn vector_keys() -> Vec<AuthKeys> {
    ["1 crc", "1 md5 vectorkey", "1 sha1 vectorkey"]
        .iter()
        .map(|line| {
            let text = format!("auth 1\n{line}\n");
            let mut d = Diags::default();
            authkeys::parse(&text, 0o600, Path::new("authkeys"), &mut d)
                .unwrap_or_else(|| panic!("the captures' authkeys parse: {:?}", d.errors))
        })
        .collect()
}

/// The CRC keys: the cheapest to compute, for targets that sign their input.
pub fn crc_keys() -> AuthKeys {
    let keys = vector_keys().swap_remove(0);
    assert_eq!(keys.active_key().method, AuthMethod::Crc);
    keys
}

/// A file's text as `config::load` reads it: invalid UTF-8 replaced.
pub fn file_text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Every diagnostic names a line of `text` (or the whole file) and renders.
pub fn check_diagnostics(text: &str, diags: &Diags) {
    let lines = text.lines().count();
    for d in diags.errors.iter().chain(&diags.warnings) {
        assert!(
            d.line.is_none_or(|n| (1..=lines).contains(&n)),
            "{d} points outside a file of {lines} lines"
        );
        let _ = d.to_string();
    }
}
