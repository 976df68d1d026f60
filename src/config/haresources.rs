//! haresources: text → resource groups as written (node, resource specs
//! split into agent name and arguments).
//!
//! Pure: agent lookup and the node check happen in `check.rs`, which has
//! ha.cf and the filesystem at hand.

use super::agents::safe_component;
use super::arguments;
use super::diag::Diags;
use std::net::Ipv4Addr;
use std::path::Path;

/// The most groups haresources may list. Each node reports every group in
/// one packet, and the receiver refuses a report with more (a bound on what
/// a peer can make it allocate).
pub const MAX_GROUPS: usize = 1024;

/// One `Name::arg1::arg2` item, before its agent is located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResource {
    pub spec: String,
    pub name: String,
    pub args: Vec<String>,
    /// Physical line the item is on (continuations make it differ from the group's).
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawGroup {
    /// The preferred node as written.
    pub node: String,
    pub resources: Vec<RawResource>,
    /// First physical line of the logical line.
    pub line: usize,
}

/// Joins backslash continuations and drops comments, keeping for each word
/// the physical line it came from.
fn logical_lines(text: &str) -> Vec<Vec<(usize, &str)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let s = raw.split('#').next().unwrap_or("").trim_end();
        let (body, continued) = match s.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (s, false),
        };
        cur.extend(body.split_whitespace().map(|w| (i + 1, w)));
        if !continued && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Looks like an attempt at an IPv4 address (digits and dots only).
fn ip_like(s: &str) -> bool {
    s.contains('.')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Splits one item into agent name and arguments, applying the shorthands.
pub fn parse_resource(spec: &str) -> Result<(String, Vec<String>), String> {
    let mut parts = spec.split("::");
    let head = parts.next().unwrap_or("");
    let args: Vec<String> = parts.map(str::to_string).collect();
    if args.iter().any(String::is_empty) {
        return Err(format!(
            "resource [{spec}] has an empty argument: arguments are separated by a single \"::\""
        ));
    }
    if let Some(ocf) = head.strip_prefix("ocf:") {
        let ok = matches!(ocf.split(':').collect::<Vec<_>>().as_slice(),
            [p, t] if safe_component(p) && safe_component(t));
        if !ok {
            return Err(format!(
                "resource [{spec}]: expected ocf:PROVIDER:TYPE[::param=value...]"
            ));
        }
        for a in &args {
            let valid = a.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
            if !valid {
                return Err(format!(
                    "resource [{spec}]: OCF argument [{a}] must be param=value"
                ));
            }
        }
        return checked(spec, head.to_string(), args);
    }
    // A bare address, possibly with /cidr[/iface[/broadcast]], means IPaddr.
    let addr = head.split('/').next().unwrap_or("");
    if addr.parse::<Ipv4Addr>().is_ok() {
        let mut all = vec![head.to_string()];
        all.extend(args);
        return checked(spec, "IPaddr".to_string(), all);
    }
    if ip_like(addr) {
        return Err(format!(
            "resource [{spec}]: [{addr}] is not a valid IPv4 address"
        ));
    }
    if !safe_component(head) {
        return Err(format!(
            "resource [{spec}]: invalid agent name [{head}] (no '/', not empty)"
        ));
    }
    checked(spec, head.to_string(), args)
}

/// The item, once its arguments passed [`arguments::check`].
fn checked(spec: &str, name: String, args: Vec<String>) -> Result<(String, Vec<String>), String> {
    match arguments::check(&name, &args) {
        Ok(()) => Ok((name, args)),
        Err(e) => Err(format!("resource [{}]: {e}", spec.escape_debug())),
    }
}

/// Parses haresources into groups, in file order.
pub fn parse(text: &str, file: &Path, diags: &mut Diags) -> Vec<RawGroup> {
    let mut d = diags.for_file(file);
    let mut groups: Vec<RawGroup> = Vec::new();
    for words in logical_lines(text) {
        let (line, node) = words[0];
        if words.len() < 2 {
            d.error(
                line,
                format!("node {node} has no resources: expected \"NODE RESOURCE [RESOURCE...]\""),
            );
            continue;
        }
        let mut resources = Vec::new();
        for &(rline, spec) in &words[1..] {
            match parse_resource(spec) {
                Ok((name, args)) => resources.push(RawResource {
                    spec: spec.to_string(),
                    name,
                    args,
                    line: rline,
                }),
                Err(e) => d.error(rline, e),
            }
        }
        let Some(first) = resources.first() else {
            continue;
        };
        if words[1].1 != first.spec {
            // The key is the first item as written; if it was unusable the
            // group would silently get another name, so drop the group.
            continue;
        }
        if let Some(prev) = groups.iter().find(|g| g.resources[0].spec == first.spec) {
            d.error(
                line,
                format!(
                    "resource group [{}] defined twice (first on line {}): the first resource names the group and must be unique",
                    first.spec, prev.line
                ),
            );
            continue;
        }
        if groups.len() == MAX_GROUPS {
            d.error(
                line,
                format!("more than {MAX_GROUPS} resource groups: peers refuse a larger report"),
            );
            break;
        }
        groups.push(RawGroup {
            node: node.to_string(),
            resources,
            line,
        });
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(text: &str) -> (Vec<RawGroup>, Diags) {
        let mut d = Diags::default();
        let g = parse(text, Path::new("haresources"), &mut d);
        (g, d)
    }

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shorthands_expand() {
        assert_eq!(
            parse_resource("10.0.0.5"),
            Ok(("IPaddr".into(), args(&["10.0.0.5"])))
        );
        assert_eq!(
            parse_resource("10.0.0.5/24/eth0"),
            Ok(("IPaddr".into(), args(&["10.0.0.5/24/eth0"])))
        );
        assert_eq!(
            parse_resource("IPaddr::135.9.8.7/24/eth0/135.9.8.210"),
            Ok(("IPaddr".into(), args(&["135.9.8.7/24/eth0/135.9.8.210"])))
        );
        assert_eq!(
            parse_resource("Filesystem::/dev/drbd0::/srv::ext4"),
            Ok(("Filesystem".into(), args(&["/dev/drbd0", "/srv", "ext4"])))
        );
        assert_eq!(parse_resource("apache2"), Ok(("apache2".into(), vec![])));
        assert_eq!(
            parse_resource("ocf:heartbeat:IPaddr2::ip=10.0.0.5::cidr_netmask=24"),
            Ok((
                "ocf:heartbeat:IPaddr2".into(),
                args(&["ip=10.0.0.5", "cidr_netmask=24"])
            ))
        );
    }

    #[test]
    fn bad_resources_are_explained() {
        assert!(
            parse_resource("10.0.0.300")
                .unwrap_err()
                .contains("not a valid IPv4 address")
        );
        assert!(
            parse_resource("ocf:heartbeat")
                .unwrap_err()
                .contains("expected ocf:PROVIDER:TYPE")
        );
        assert!(
            parse_resource("ocf:heartbeat:IPaddr2::10.0.0.5")
                .unwrap_err()
                .contains("must be param=value")
        );
        assert!(
            parse_resource("a::::b")
                .unwrap_err()
                .contains("empty argument")
        );
        assert!(
            parse_resource("::x")
                .unwrap_err()
                .contains("invalid agent name")
        );
        assert!(
            parse_resource("../x")
                .unwrap_err()
                .contains("invalid agent name")
        );
    }

    #[test]
    fn lines_comments_and_continuations() {
        let text = "# comment\n\nalpha 10.0.0.5 \\\n   httpd # web\nbravo Filesystem::/dev/sdb1::/data \\\n\\\n  MailTo::root\n";
        let (g, d) = run(text);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].node.as_str(), g[0].line), ("alpha", 3));
        assert_eq!(g[0].resources[0].spec, "10.0.0.5");
        assert_eq!(
            (g[0].resources[1].name.as_str(), g[0].resources[1].line),
            ("httpd", 4)
        );
        assert_eq!(g[1].line, 5);
        assert_eq!(g[1].resources[1].line, 7);
    }

    #[test]
    fn errors_carry_the_physical_line() {
        let (_, d) = run("alpha\nbravo 10.0.0.5 \\\n  ocf:x\n");
        assert_eq!(d.errors[0].line, Some(1));
        assert!(d.errors[0].message.contains("node alpha has no resources"));
        assert_eq!(d.errors[1].line, Some(3));
        assert!(d.errors[1].message.contains("expected ocf:PROVIDER:TYPE"));
    }

    #[test]
    fn group_keys_must_be_unique() {
        let (g, d) = run("alpha 10.0.0.5 a\nbravo 10.0.0.5 b\n");
        assert_eq!(g.len(), 1);
        assert_eq!(d.errors[0].line, Some(2));
        assert!(
            d.errors[0]
                .message
                .contains("resource group [10.0.0.5] defined twice (first on line 1)")
        );
    }

    #[test]
    fn group_count_is_bounded() {
        let text: String = (0..=MAX_GROUPS)
            .map(|i| format!("alpha Dummy::g{i}\n"))
            .collect();
        let (groups, d) = run(&text);
        assert_eq!(groups.len(), MAX_GROUPS);
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert_eq!(d.errors[0].line, Some(MAX_GROUPS + 1));
        assert!(
            d.errors[0]
                .message
                .contains("more than 1024 resource groups")
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let mut d = Diags::default();
            let _ = parse(&text, Path::new("haresources"), &mut d);
        }

        #[test]
        fn resource_shaped_text_never_panics(text in "([a-z]{1,3} ([0-9./:a-z=\\\\]{0,12} ?){0,4}\n?){0,5}") {
            let mut d = Diags::default();
            let _ = parse(&text, Path::new("haresources"), &mut d);
        }
    }
}
