//! haresources: text → resource groups as written (node, resource specs
//! split into agent name and arguments).
//!
//! Pure: agent lookup and the node check happen in `check.rs`, which has
//! ha.cf and the filesystem at hand.

use super::agents::safe_component;
use super::diag::Diags;
use std::net::Ipv4Addr;
use std::path::Path;

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
    s.contains('.') && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
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
        return Ok((head.to_string(), args));
    }
    // A bare address, possibly with /cidr[/iface[/broadcast]], means IPaddr.
    let addr = head.split('/').next().unwrap_or("");
    if addr.parse::<Ipv4Addr>().is_ok() {
        let mut all = vec![head.to_string()];
        all.extend(args);
        return Ok(("IPaddr".to_string(), all));
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
    Ok((head.to_string(), args))
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
        groups.push(RawGroup {
            node: node.to_string(),
            resources,
            line,
        });
    }
    groups
}
