//! haresources: the parser. Every group it keeps has a node and at least
//! one resource, group names are unique, the count is bounded, and every
//! diagnostic names a line of the file.
#![no_main]

use heartbeat::config::{Diags, haresources};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = heartbeat_fuzz::file_text(data);
    let mut diags = Diags::default();
    let groups = haresources::parse(&text, Path::new("haresources"), &mut diags);
    assert!(groups.len() <= haresources::MAX_GROUPS);
    let mut names = HashSet::new();
    for g in &groups {
        assert!(!g.node.is_empty() && !g.resources.is_empty());
        assert!(
            names.insert(&g.resources[0].spec),
            "group {} twice",
            g.resources[0].spec
        );
        for r in &g.resources {
            assert_eq!(
                haresources::parse_resource(&r.spec),
                Ok((r.name.clone(), r.args.clone()))
            );
        }
    }
    heartbeat_fuzz::check_diagnostics(&text, &diags);
});
