//! Where a resource agent named in haresources lives, which calling
//! convention it follows, and its default action timeouts.
//!
//! Only looks at the filesystem (metadata); never runs an agent.

use super::model::{ActionTimeouts, Agent, AgentKind};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The directories searched for agents, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSearch {
    /// CONFIG_DIR/resource.d (the admin's own heartbeat-style scripts).
    pub resource_d: PathBuf,
    /// The agents shipped with this project.
    pub project_agents: PathBuf,
    /// LSB init scripts.
    pub init_d: PathBuf,
    /// Root of the OCF agents (`ocf_root/PROVIDER/TYPE`).
    pub ocf_root: PathBuf,
}

impl AgentSearch {
    pub fn for_config_dir(dir: &Path) -> Self {
        let project_agents = std::env::var_os("HEARTBEAT_AGENT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                // A build tree runs its own agents; an installed binary the packaged ones.
                // A package build (HEARTBEAT_PACKAGED at compile time, set by
                // contrib/debian/build) never looks at the tree it was built in,
                // which may well still exist on the build host.
                let dev = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/resource-agents"));
                if option_env!("HEARTBEAT_PACKAGED").is_none() && dev.is_dir() {
                    dev.to_path_buf()
                } else {
                    PathBuf::from("/usr/lib/heartbeat/resource-agents")
                }
            });
        let ocf_root = std::env::var_os("HEARTBEAT_OCF_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/ocf/resource.d"));
        AgentSearch {
            resource_d: dir.join("resource.d"),
            project_agents,
            init_d: PathBuf::from("/etc/init.d"),
            ocf_root,
        }
    }

    /// The places `name` may live, in lookup order, with the convention each implies.
    /// Empty when the name itself is unusable (it would escape the directories).
    pub fn candidates(&self, name: &str) -> Vec<(PathBuf, AgentKind)> {
        if let Some(rest) = name.strip_prefix("ocf:") {
            let parts: Vec<&str> = rest.split(':').collect();
            return match parts.as_slice() {
                [provider, kind] if safe_component(provider) && safe_component(kind) => vec![(
                    self.ocf_root.join(provider).join(kind),
                    AgentKind::Ocf {
                        provider: provider.to_string(),
                        kind: kind.to_string(),
                    },
                )],
                _ => Vec::new(),
            };
        }
        if let Some(unit) = name.strip_prefix("systemd:") {
            return systemd_unit(unit).into_iter().collect();
        }
        if !safe_component(name) {
            return Vec::new();
        }
        let mut found = vec![(self.resource_d.join(name), AgentKind::Heartbeat)];
        // A unit named in full: nothing but the admin's own script of that name comes first.
        if name.ends_with(UNIT_SUFFIX) {
            found.extend(systemd_unit(name));
            return found;
        }
        // The admin's own script wins; after it, the VIP needs no process.
        if crate::vip::NAMES.contains(&name) {
            found.push((builtin_path(name), AgentKind::Vip));
        }
        found.push((self.project_agents.join(name), AgentKind::Heartbeat));
        found.push((self.init_d.join(name), AgentKind::Lsb));
        found
    }
}

/// The suffix a name needs to be taken for a systemd unit without `systemd:`.
const UNIT_SUFFIX: &str = ".service";

/// `systemd:NAME` as Pacemaker reads it: NAME is a service unit, its
/// `.service` implied. No file is looked for: units may be generated or
/// instances of a template, and systemd itself says at start whether one exists.
fn systemd_unit(name: &str) -> Option<(PathBuf, AgentKind)> {
    let valid = |c: char| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c);
    if name.is_empty() || name.starts_with('.') || !name.chars().all(valid) {
        return None;
    }
    let unit = if name.ends_with(UNIT_SUFFIX) {
        name.to_string()
    } else {
        format!("{name}{UNIT_SUFFIX}")
    };
    Some((
        PathBuf::from(format!("systemd:{unit}")),
        AgentKind::Systemd { unit },
    ))
}

/// The name an in-process agent shows where others show their file.
pub fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("builtin:{name}"))
}

/// A single path component: no separators and no way up.
pub(crate) fn safe_component(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && !s.contains('\0')
}

fn is_executable_file(p: &Path) -> bool {
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Finds the agent `name` (`IPaddr`, `apache2`, `ocf:heartbeat:IPaddr2`):
/// the first candidate that is an executable regular file.
pub fn resolve_agent(search: &AgentSearch, name: &str) -> Option<Agent> {
    search
        .candidates(name)
        .into_iter()
        .find(|(p, kind)| {
            matches!(kind, AgentKind::Vip | AgentKind::Systemd { .. }) || is_executable_file(p)
        })
        .map(|(path, kind)| Agent { kind, path })
}

/// Default timeouts: generous for the agents known to be slow to start
/// (a Filesystem start may run fsck; drbddisk waits for the peer).
pub fn default_timeouts(name: &str) -> ActionTimeouts {
    let start = match name {
        "Filesystem" | "ocf:heartbeat:Filesystem" => 120,
        "drbddisk" => 60,
        _ => 30,
    };
    ActionTimeouts {
        start: Duration::from_secs(start),
        stop: Duration::from_secs(30),
        status: Duration::from_secs(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn search(root: &Path) -> AgentSearch {
        AgentSearch {
            resource_d: root.join("resource.d"),
            project_agents: root.join("project"),
            init_d: root.join("init.d"),
            ocf_root: root.join("ocf"),
        }
    }

    fn make(p: &Path, mode: u32) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "#!/bin/sh\nexit 0\n").unwrap();
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn resource_d_wins_over_project_and_init_d() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        make(&t.path().join("init.d/x"), 0o755);
        assert_eq!(resolve_agent(&s, "x").unwrap().kind, AgentKind::Lsb);
        make(&t.path().join("project/x"), 0o755);
        let a = resolve_agent(&s, "x").unwrap();
        assert_eq!(
            (a.kind, a.path),
            (AgentKind::Heartbeat, t.path().join("project/x"))
        );
        make(&t.path().join("resource.d/x"), 0o755);
        assert_eq!(
            resolve_agent(&s, "x").unwrap().path,
            t.path().join("resource.d/x")
        );
    }

    #[test]
    fn ipaddr_runs_in_process_unless_the_admin_has_an_own_script() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        // Our shell agent is installed, yet the daemon serves the VIP itself.
        make(&t.path().join("project/IPaddr"), 0o755);
        for name in ["IPaddr", "IPaddr2"] {
            let a = resolve_agent(&s, name).unwrap();
            assert_eq!((a.kind, a.path), (AgentKind::Vip, builtin_path(name)));
        }
        make(&t.path().join("resource.d/IPaddr"), 0o755);
        let own = resolve_agent(&s, "IPaddr").unwrap();
        assert_eq!(
            (own.kind, own.path),
            (AgentKind::Heartbeat, t.path().join("resource.d/IPaddr"))
        );
        // Pacemaker's OCF agent of the same name stays an OCF agent.
        assert!(resolve_agent(&s, "ocf:heartbeat:IPaddr2").is_none());
    }

    #[test]
    fn non_executable_or_directory_is_not_an_agent() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        make(&t.path().join("resource.d/x"), 0o644);
        fs::create_dir_all(t.path().join("project/x")).unwrap();
        assert_eq!(resolve_agent(&s, "x"), None);
    }

    #[test]
    fn ocf_agent_is_found_under_provider() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        make(&t.path().join("ocf/heartbeat/IPaddr2"), 0o755);
        let a = resolve_agent(&s, "ocf:heartbeat:IPaddr2").unwrap();
        assert_eq!(
            a.kind,
            AgentKind::Ocf {
                provider: "heartbeat".into(),
                kind: "IPaddr2".into()
            }
        );
        assert_eq!(resolve_agent(&s, "ocf:heartbeat"), None);
    }

    #[test]
    fn names_that_escape_the_directories_are_never_resolved() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        make(&t.path().join("evil"), 0o755);
        assert!(s.candidates("../evil").is_empty());
        assert!(s.candidates("..").is_empty());
        assert!(s.candidates("ocf:..:evil").is_empty());
        assert_eq!(resolve_agent(&s, "../evil"), None);
    }

    #[test]
    fn systemd_units_resolve_by_prefix_or_suffix() {
        let t = tempfile::tempdir().unwrap();
        let s = search(t.path());
        let unit = |u: &str| AgentKind::Systemd { unit: u.into() };
        for (name, want) in [
            ("systemd:nginx", "nginx.service"),
            ("systemd:nginx.service", "nginx.service"),
            ("nginx.service", "nginx.service"),
            ("systemd:getty@tty1", "getty@tty1.service"),
        ] {
            let a = resolve_agent(&s, name).unwrap();
            assert_eq!(a.kind, unit(want), "{name}");
            assert_eq!(a.path, PathBuf::from(format!("systemd:{want}")));
        }
        // Without the prefix or the suffix a name stays a script's name.
        assert_eq!(resolve_agent(&s, "nginx"), None);
        for bad in [
            "systemd:",
            "systemd:../x",
            "systemd:a b",
            "systemd:.service",
        ] {
            assert_eq!(resolve_agent(&s, bad), None, "{bad}");
        }
        // The admin's own script of that name still wins.
        make(&t.path().join("resource.d/nginx.service"), 0o755);
        assert_eq!(
            resolve_agent(&s, "nginx.service").unwrap().kind,
            AgentKind::Heartbeat
        );
    }

    #[test]
    fn slow_agents_get_longer_start_timeouts() {
        assert_eq!(
            default_timeouts("Filesystem").start,
            Duration::from_secs(120)
        );
        assert_eq!(default_timeouts("drbddisk").start, Duration::from_secs(60));
        let d = default_timeouts("IPaddr");
        assert_eq!(
            (d.start, d.stop, d.status),
            (
                Duration::from_secs(30),
                Duration::from_secs(30),
                Duration::from_secs(10)
            )
        );
    }
}
