//! heartbeat.toml, our extension file, read against two groups `web` and
//! `db`. Any text is judged without a panic; every diagnostic names a line
//! of the file; what is accepted only names those groups and sane timings.
#![no_main]

use heartbeat::config::{Diags, GroupId, NodeName, ResourceGroup, heartbeat_toml};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = heartbeat_fuzz::file_text(data);
    let groups: Vec<ResourceGroup> = ["web", "db"]
        .iter()
        .map(|k| ResourceGroup {
            id: GroupId(k.to_string()),
            preferred: NodeName::new("alpha"),
            resources: Vec::new(),
            monitor: None,
            line: 1,
        })
        .collect();
    let mut diags = Diags::default();
    let ext = heartbeat_toml::parse(&text, Path::new("heartbeat.toml"), &groups, &mut diags);
    heartbeat_fuzz::check_diagnostics(&text, &diags);
    if diags.errors.is_empty() {
        for c in &ext.checks {
            assert!(groups.iter().any(|g| g.id == c.group), "unknown group accepted");
            assert!(!c.interval.is_zero() && c.rise > 0 && c.fall > 0, "{c:?}");
        }
    }
});
