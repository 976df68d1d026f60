//! One haresources item split into an agent and its arguments
//! (`parse_resource`), as the chain passes them on: argv for heartbeat
//! scripts, `OCF_RESKEY_name=value` for OCF agents, the in-process VIP's
//! own syntax for IPaddr/IPaddr2, and the OCF instance name.
#![no_main]

use heartbeat::config::haresources::parse_resource;
use heartbeat::resources::agent::instance_name;
use heartbeat::vip::VipSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let spec = String::from_utf8_lossy(data);
    let instance = instance_name(&spec);
    assert!(
        (instance.chars()).all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "instance name {instance:?}"
    );
    let Ok((name, args)) = parse_resource(&spec) else {
        return;
    };
    assert!(
        !name.is_empty() && !name.contains('/'),
        "agent name {name:?}"
    );
    for a in &args {
        assert!(!a.is_empty() && !a.contains("::"), "argument {a:?}");
    }
    if name.starts_with("ocf:") {
        for a in &args {
            let (key, _) = a.split_once('=').expect("OCF arguments are name=value");
            assert!(!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        }
    }
    if name == "IPaddr" || name == "IPaddr2" {
        let _ = VipSpec::parse(&name, &args);
    }
});
