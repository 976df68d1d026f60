//! Just enough of drbd.conf for `heartbeat check`: which resources are
//! defined, and whether each has a `fence-peer` handler and a `fencing`
//! policy (in its own sections or in `common`). Reads `/etc/drbd.conf`
//! and every `*.res` and `*.conf` in `/etc/drbd.d/` (what the stock
//! `include` lines pull in); never writes anything.

use std::collections::BTreeMap;
use std::path::Path;

/// What matters for fencing about one resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fencing {
    pub fence_peer: bool,
    pub after_resync_target: bool,
    /// The `fencing` policy word (`resource-only`, …), if any.
    pub policy: Option<String>,
}

impl Fencing {
    fn merge(&self, common: &Fencing) -> Fencing {
        Fencing {
            fence_peer: self.fence_peer || common.fence_peer,
            after_resync_target: self.after_resync_target || common.after_resync_target,
            policy: self.policy.clone().or_else(|| common.policy.clone()),
        }
    }

    /// Whether DRBD will call a fence-peer handler before promoting
    /// without its peer.
    pub fn guarded(&self) -> bool {
        self.fence_peer
            && self
                .policy
                .as_deref()
                .is_some_and(|p| p.starts_with("resource"))
    }
}

/// Every resource found, with `common` applied.
pub fn read(etc: &Path) -> BTreeMap<String, Fencing> {
    let mut text = std::fs::read_to_string(etc.join("drbd.conf")).unwrap_or_default();
    if let Ok(dir) = std::fs::read_dir(etc.join("drbd.d")) {
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|e| e == "res" || e == "conf") {
                text.push('\n');
                text.push_str(&std::fs::read_to_string(&f).unwrap_or_default());
            }
        }
    }
    parse(&text)
}

/// The resources of drbd.conf text (comments stripped, `common` applied).
pub fn parse(text: &str) -> BTreeMap<String, Fencing> {
    let clean: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut common = Fencing::default();
    let mut found = BTreeMap::new();
    let mut rest = clean.as_str();
    while let Some((head, body, after)) = next_block(rest) {
        let words: Vec<&str> = head.split_whitespace().collect();
        match words.as_slice() {
            [.., "common"] => common = scan(body),
            [.., "resource", name] => {
                found.insert(name.to_string(), scan(body));
            }
            _ => {}
        }
        rest = after;
    }
    found
        .into_iter()
        .map(|(k, v)| (k, v.merge(&common)))
        .collect()
}

/// The next top-level `HEAD { BODY }` of `text`, and what follows it.
fn next_block(text: &str) -> Option<(&str, &str, &str)> {
    let open = text.find('{')?;
    let head = text[..open].rsplit([';', '}']).next().unwrap_or("");
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    let end = open + i;
                    return Some((head, &text[open + 1..end], &text[end + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

fn scan(body: &str) -> Fencing {
    let words: Vec<&str> = body
        .split(|c: char| c.is_whitespace() || c == ';' || c == '{' || c == '}')
        .filter(|w| !w.is_empty())
        .collect();
    let mut f = Fencing::default();
    for (i, w) in words.iter().enumerate() {
        match *w {
            "fence-peer" => f.fence_peer = true,
            "after-resync-target" => f.after_resync_target = true,
            "fencing" => f.policy = words.get(i + 1).map(|p| p.to_string()),
            _ => {}
        }
    }
    f
}

/// `heartbeat check`'s words about the DRBD resources haresources uses
/// (`all`: every one drbd.conf defines), read from `etc`.
pub fn warnings(used: &[String], etc: &Path) -> Vec<String> {
    if used.is_empty() {
        return Vec::new();
    }
    let conf = read(etc);
    if conf.is_empty() {
        return vec![format!(
            "haresources uses DRBD but no resource was found in {}/drbd.conf or {}/drbd.d/: fencing not checked",
            etc.display(),
            etc.display()
        )];
    }
    let mut names: Vec<&String> = used.iter().filter(|r| *r != "all").collect();
    if used.iter().any(|r| r == "all") {
        names.extend(conf.keys());
    }
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let Some(f) = conf.get(name) else {
            out.push(format!(
                "DRBD resource {name} (haresources) is not defined in drbd.conf"
            ));
            continue;
        };
        if !f.fence_peer {
            out.push(format!(
                "DRBD resource {name} has no fence-peer handler: a survivor may be promoted with stale data; add \
                 handlers {{ fence-peer \"/usr/sbin/heartbeat fence-peer\"; after-resync-target \"/usr/sbin/heartbeat unfence-peer\"; }}"
            ));
        }
        if !f.guarded() && f.fence_peer {
            out.push(format!(
                "DRBD resource {name} has a fence-peer handler but no `fencing resource-only;` (net section in DRBD 9, disk in 8.4): DRBD never calls it"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_and_policy_come_from_the_resource_or_common() {
        let conf = r#"
            # global
            global { usage-count no; }
            common {
                handlers { fence-peer "/usr/sbin/heartbeat fence-peer"; # dopd's successor
                           after-resync-target "/usr/sbin/heartbeat unfence-peer"; }
            }
            resource r0 { net { fencing resource-only; } on alpha { device /dev/drbd0; } }
            resource r1 { disk { on-io-error detach; } }
        "#;
        let r = parse(conf);
        assert!(r["r0"].guarded() && r["r0"].after_resync_target);
        assert!(r["r1"].fence_peer && !r["r1"].guarded());
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn check_warns_about_a_used_resource_without_fencing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("drbd.d")).unwrap();
        std::fs::write(dir.path().join("drbd.conf"), "include \"drbd.d/*.res\";\n").unwrap();
        std::fs::write(
            dir.path().join("drbd.d/r0.res"),
            "resource r0 { handlers { fence-peer \"/usr/sbin/heartbeat fence-peer\"; } net { fencing resource-only; } }\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("drbd.d/r1.res"), "resource r1 { }\n").unwrap();
        assert!(warnings(&["r0".into()], dir.path()).is_empty());
        let w = warnings(&["all".into(), "r9".into()], dir.path());
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("DRBD resource r1 has no fence-peer handler"));
        assert!(w[1].contains("r9 (haresources) is not defined"));
        assert!(warnings(&[], dir.path()).is_empty());
        let none = tempfile::tempdir().unwrap();
        assert!(warnings(&["r0".into()], none.path())[0].contains("fencing not checked"));
    }

    #[test]
    fn a_commented_handler_does_not_count() {
        let r = parse(
            "resource r0 {\n # handlers { fence-peer \"x\"; }\n disk { fencing resource-only; }\n}\n",
        );
        assert!(!r["r0"].fence_peer);
        assert_eq!(r["r0"].policy.as_deref(), Some("resource-only"));
    }
}
