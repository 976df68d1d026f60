//! Loading /etc/ha.d: reads the three files, runs their parsers, then the
//! checks that need more than one file (haresources nodes against ha.cf,
//! agents against the filesystem, `monitor`/`rsc_timeout` against
//! haresources).
//!
//! Reads files and metadata only; never changes anything, so `load` can
//! run on a live node at any time.

use super::agents::{AgentSearch, default_timeouts, resolve_agent};
use super::authkeys;
use super::diag::{ConfigErrors, Diagnostic, Diags};
use super::hacf::{self, Action, HaCfSettings};
use super::haresources::{self, RawGroup, RawResource};
use super::heartbeat_toml::{self, Extensions, HEARTBEAT_TOML};
use super::model::*;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub const HACF: &str = "ha.cf";
pub const AUTHKEYS: &str = "authkeys";
pub const HARESOURCES: &str = "haresources";

#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub config_dir: PathBuf,
    /// This node's name as the admin gave it (compared case-insensitively).
    pub node: String,
    pub agents: AgentSearch,
}

impl LoadOptions {
    /// The usual options for a directory: agents searched as
    /// [`AgentSearch::for_config_dir`] says.
    pub fn new(config_dir: &Path, node: &str) -> Self {
        LoadOptions {
            config_dir: config_dir.to_path_buf(),
            node: node.to_string(),
            agents: AgentSearch::for_config_dir(config_dir),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: ClusterConfig,
    pub warnings: Vec<Diagnostic>,
}

fn read(path: &Path, diags: &mut Diags) -> Option<String> {
    match std::fs::read(path) {
        // Lossy: a stray Latin-1 byte in a comment must not hide every other finding.
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) => {
            diags.error(path, None, format!("cannot open file: {e}"));
            None
        }
    }
}

fn read_authkeys(dir: &Path, diags: &mut Diags) -> Option<AuthKeys> {
    let auth_path = dir.join(AUTHKEYS);
    match std::fs::metadata(&auth_path) {
        Ok(meta) => read(&auth_path, diags)
            .and_then(|t| authkeys::parse(&t, meta.permissions().mode(), &auth_path, diags)),
        Err(e) => {
            diags.error(&auth_path, None, format!("cannot open keyfile: {e}"));
            None
        }
    }
}

/// Reads and validates only `authkeys` in `config_dir`: what the daemon
/// re-reads on SIGHUP, so a key is rotated one node at a time without a
/// restart.
pub fn load_authkeys(config_dir: &Path) -> Result<AuthKeys, ConfigErrors> {
    let mut diags = Diags::default();
    match read_authkeys(config_dir, &mut diags) {
        Some(keys) if diags.errors.is_empty() => Ok(keys),
        _ => Err(ConfigErrors(diags.errors)),
    }
}

/// Reads and validates the configuration in `opts.config_dir`.
pub fn load(opts: &LoadOptions) -> Result<Loaded, ConfigErrors> {
    let dir = &opts.config_dir;
    let mut diags = Diags::default();

    let hacf_path = dir.join(HACF);
    let cf = read(&hacf_path, &mut diags).map(|t| hacf::parse(&t, &hacf_path, &mut diags));
    let nodes: Option<Vec<NodeName>> = cf
        .as_ref()
        .map(|cf| cf.nodes.iter().map(|n| n.value.clone()).collect());
    let settings = cf.and_then(|cf| hacf::settle(cf, &opts.node, &hacf_path, &mut diags));

    let auth = read_authkeys(dir, &mut diags);

    let hares_path = dir.join(HARESOURCES);
    let raw_groups = if hares_path.exists() {
        read(&hares_path, &mut diags)
            .map(|t| haresources::parse(&t, &hares_path, &mut diags))
            .unwrap_or_default()
    } else {
        diags.warn(
            &hares_path,
            None,
            "no haresources file: this node manages no resource groups",
        );
        Vec::new()
    };

    let groups = build_groups(
        &raw_groups,
        nodes.as_deref(),
        settings.as_ref(),
        &opts.agents,
        &hares_path,
        &hacf_path,
        &mut diags,
    );

    let extensions = read_extensions(dir, &groups, &mut diags);
    if !diags.errors.is_empty() {
        return Err(ConfigErrors(diags.errors));
    }
    let (Some(s), Some(auth)) = (settings, auth) else {
        // Each parser reports why it produced nothing; this is a safety net.
        diags.error(dir, None, "configuration incomplete");
        return Err(ConfigErrors(diags.errors));
    };
    Ok(Loaded {
        config: ClusterConfig {
            config_dir: dir.clone(),
            local: s.local,
            peer: s.peer,
            nodes: s.nodes,
            timings: s.timings,
            udpport: s.udpport,
            baud: s.baud,
            media: s.media,
            auto_failback: s.auto_failback,
            failback_delay: s.failback_delay,
            announce: s.announce,
            ping: s.ping,
            ping_groups: s.ping_groups,
            logging: s.logging,
            realtime: s.realtime,
            debug: s.debug,
            hopfudge: s.hopfudge,
            respawn: s.respawn,
            metrics_listen: s.metrics_listen,
            auth,
            groups,
            extensions,
        },
        warnings: diags.warnings,
    })
}

/// heartbeat.toml, our optional extension file (checks, mail).
fn read_extensions(dir: &Path, groups: &[ResourceGroup], diags: &mut Diags) -> Extensions {
    let path = dir.join(HEARTBEAT_TOML);
    if !path.exists() {
        return Extensions::default();
    }
    read(&path, diags)
        .map(|t| heartbeat_toml::parse(&t, &path, groups, diags))
        .unwrap_or_default()
}

/// haresources against ha.cf and the filesystem.
fn build_groups(
    raw: &[RawGroup],
    nodes: Option<&[NodeName]>,
    settings: Option<&HaCfSettings>,
    search: &AgentSearch,
    hares_path: &Path,
    hacf_path: &Path,
    diags: &mut Diags,
) -> Vec<ResourceGroup> {
    let groups = raw
        .iter()
        .map(|g| build_group(g, nodes, settings, search, hares_path, diags))
        .collect();
    let Some(s) = settings else {
        return groups;
    };
    check_monitor_keys(raw, s, hacf_path, diags);
    check_rsc_timeout_agents(raw, s, hacf_path, diags);
    if !raw.is_empty() && s.auto_failback == AutoFailback::Legacy {
        diags.warn(
            hacf_path,
            s.auto_failback_line,
            "auto_failback legacy is deprecated (it is the default when unset): write auto_failback on or off",
        );
    }
    if raw.is_empty() && hares_path.exists() {
        diags.warn(hares_path, None, "no resource groups defined");
    }
    groups
}

/// The original's group key: the first resource of the line, as written.
fn group_key(g: &RawGroup) -> &str {
    &g.resources[0].spec
}

/// One haresources line. A resource whose agent is missing is reported and
/// left out, so every other problem still gets reported in the same run.
fn build_group(
    g: &RawGroup,
    nodes: Option<&[NodeName]>,
    settings: Option<&HaCfSettings>,
    search: &AgentSearch,
    hares_path: &Path,
    diags: &mut Diags,
) -> ResourceGroup {
    let preferred = NodeName::new(&g.node);
    if let Some(nodes) = nodes
        && !nodes.contains(&preferred)
    {
        let names: Vec<&str> = nodes.iter().map(NodeName::as_str).collect();
        diags.error(
            hares_path,
            Some(g.line),
            format!(
                "node [{}] is not declared in ha.cf (nodes: {})",
                g.node,
                names.join(", ")
            ),
        );
    }
    let resources = g
        .resources
        .iter()
        .filter_map(|r| build_resource(r, settings, search, hares_path, diags))
        .collect();
    let id = GroupId(group_key(g).to_string());
    let monitor = settings
        .and_then(|s| s.monitors.iter().find(|m| m.group == id.0))
        .map(|m| m.policy.clone());
    ResourceGroup {
        id,
        preferred,
        resources,
        monitor,
        line: g.line,
    }
}

/// One resource with its agent located; `None` (reported) when there is
/// no executable agent.
fn build_resource(
    r: &RawResource,
    settings: Option<&HaCfSettings>,
    search: &AgentSearch,
    hares_path: &Path,
    diags: &mut Diags,
) -> Option<Resource> {
    let Some(agent) = resolve_agent(search, &r.name) else {
        let looked: Vec<String> = search
            .candidates(&r.name)
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        diags.error(
            hares_path,
            Some(r.line),
            format!(
                "cannot locate resource agent {} (looked in {}): it must be an executable regular file",
                r.name,
                if looked.is_empty() { "nowhere: invalid name".to_string() } else { looked.join(", ") }
            ),
        );
        return None;
    };
    if agent.kind == AgentKind::Vip
        && let Err(e) = crate::vip::VipSpec::parse(&r.name, &r.args)
    {
        // Refused here, before anything is touched, rather than at a takeover.
        diags.error(hares_path, Some(r.line), format!("{}: {e}", r.spec));
        return None;
    }
    if let AgentKind::Systemd { unit } = &agent.kind
        && !r.args.is_empty()
    {
        let why = format!(
            "{}: systemd unit {unit} takes no arguments (systemctl passes none); put them in the unit or a drop-in",
            r.spec
        );
        diags.error(hares_path, Some(r.line), why);
        return None;
    }
    Some(Resource {
        spec: r.spec.clone(),
        name: r.name.clone(),
        args: r.args.clone(),
        agent,
        timeouts: agent_timeouts(&r.name, settings),
    })
}

/// The agent's default timeouts, overridden by the rsc_timeout lines that
/// name it (a later line wins).
fn agent_timeouts(agent: &str, settings: Option<&HaCfSettings>) -> ActionTimeouts {
    let mut timeouts = default_timeouts(agent);
    for t in settings
        .map(|s| s.rsc_timeouts.as_slice())
        .unwrap_or_default()
    {
        if t.agent == agent {
            match t.action {
                Action::Start => timeouts.start = t.timeout,
                Action::Stop => timeouts.stop = t.timeout,
                Action::Status => timeouts.status = t.timeout,
            }
        }
    }
    timeouts
}

/// Every `monitor` must name a group key of haresources.
fn check_monitor_keys(raw: &[RawGroup], s: &HaCfSettings, hacf_path: &Path, diags: &mut Diags) {
    let keys: Vec<&str> = raw.iter().map(group_key).collect();
    for m in &s.monitors {
        if !keys.contains(&m.group.as_str()) {
            diags.error(
                hacf_path,
                Some(m.line),
                format!(
                    "monitor: [{}] is not a group key of haresources (the first resource of a line; keys: {})",
                    m.group,
                    if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                ),
            );
        }
    }
}

/// An `rsc_timeout` for an agent no resource uses is harmless but likely a
/// typo: warn.
fn check_rsc_timeout_agents(
    raw: &[RawGroup],
    s: &HaCfSettings,
    hacf_path: &Path,
    diags: &mut Diags,
) {
    let used: HashSet<&str> = raw
        .iter()
        .flat_map(|g| g.resources.iter().map(|r| r.name.as_str()))
        .collect();
    for t in &s.rsc_timeouts {
        if !used.contains(t.agent.as_str()) {
            diags.warn(
                hacf_path,
                Some(t.line),
                format!(
                    "rsc_timeout: no resource in haresources uses agent {}",
                    t.agent
                ),
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;

    pub const HACF_OK: &str = "keepalive 1\nwarntime 5\ndeadtime 10\ninitdead 30\nbcast eth1\nauto_failback on\nnode alpha bravo\n";
    pub const AUTH_OK: &str = "auth 1\n1 sha1 s3cr3tA\n";
    pub const HARES_OK: &str = "alpha 10.0.0.5/24/eth0 Filesystem::/dev/drbd0::/srv::ext4 web\n";

    /// A config dir in a temp dir; agents are fake executables in resource.d.
    pub struct Dir {
        pub tmp: tempfile::TempDir,
    }

    impl Dir {
        pub fn new(hacf: &str, auth: &str, hares: Option<&str>) -> Dir {
            let tmp = tempfile::tempdir().unwrap();
            let p = tmp.path();
            fs::write(p.join(HACF), hacf).unwrap();
            fs::write(p.join(AUTHKEYS), auth).unwrap();
            fs::set_permissions(p.join(AUTHKEYS), fs::Permissions::from_mode(0o600)).unwrap();
            if let Some(h) = hares {
                fs::write(p.join(HARESOURCES), h).unwrap();
            }
            fs::create_dir(p.join("resource.d")).unwrap();
            for a in ["IPaddr", "Filesystem", "web", "MailTo", "drbddisk"] {
                let f = p.join("resource.d").join(a);
                fs::write(&f, "#!/bin/sh\nexit 0\n").unwrap();
                fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
            }
            Dir { tmp }
        }

        pub fn opts(&self, node: &str) -> LoadOptions {
            let p = self.tmp.path();
            LoadOptions {
                config_dir: p.to_path_buf(),
                node: node.into(),
                agents: AgentSearch {
                    resource_d: p.join("resource.d"),
                    project_agents: p.join("none"),
                    init_d: p.join("none"),
                    ocf_root: p.join("none"),
                },
            }
        }

        pub fn load(&self, node: &str) -> Result<Loaded, ConfigErrors> {
            load(&self.opts(node))
        }
    }

    #[track_caller]
    fn expect_err(r: Result<Loaded, ConfigErrors>, file: &str, line: Option<usize>, needle: &str) {
        let e = r.expect_err("should be invalid");
        assert!(
            e.0.iter()
                .any(|d| d.file.ends_with(file) && d.line == line && d.message.contains(needle)),
            "no {file}:{line:?} error containing {needle:?}:\n{e}"
        );
    }

    #[test]
    fn valid_directory_builds_the_whole_model() {
        let d = Dir::new(
            &format!("{HACF_OK}rsc_timeout web stop 45\nmonitor 10.0.0.5/24/eth0 5\n"),
            AUTH_OK,
            Some(HARES_OK),
        );
        let l = d.load("Alpha").unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let c = l.config;
        assert_eq!((c.local.as_str(), c.peer.as_str()), ("alpha", "bravo"));
        assert_eq!(c.auth.active, 1);
        let g = &c.groups[0];
        assert_eq!(g.id.0, "10.0.0.5/24/eth0");
        assert_eq!(g.preferred.as_str(), "alpha");
        let names: Vec<&str> = g.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["IPaddr", "Filesystem", "web"]);
        assert_eq!(g.resources[0].agent.kind, AgentKind::Heartbeat);
        assert_eq!(
            g.resources[0].agent.path,
            d.tmp.path().join("resource.d/IPaddr")
        );
        assert_eq!(g.resources[1].timeouts.start.as_secs(), 120);
        assert_eq!(g.resources[2].timeouts.stop.as_secs(), 45);
        assert_eq!(g.monitor.as_ref().unwrap().interval.as_secs(), 5);
    }

    #[test]
    fn haresources_node_must_be_declared_in_ha_cf() {
        let d = Dir::new(HACF_OK, AUTH_OK, Some("# x\ncharlie web\n"));
        expect_err(
            d.load("alpha"),
            "haresources",
            Some(2),
            "node [charlie] is not declared in ha.cf (nodes: alpha, bravo)",
        );
        let d = Dir::new(HACF_OK, AUTH_OK, Some("BRAVO web\n"));
        assert_eq!(
            d.load("alpha").unwrap().config.groups[0].preferred.as_str(),
            "bravo"
        );
    }

    #[test]
    fn missing_agent_names_every_place_looked() {
        let d = Dir::new(HACF_OK, AUTH_OK, Some("alpha web \\\n nosuch\n"));
        let e = d.load("alpha").unwrap_err();
        let msg = &e.0[0];
        assert_eq!(msg.line, Some(2));
        assert!(
            msg.message
                .starts_with("cannot locate resource agent nosuch (looked in "),
            "{msg}"
        );
        assert!(msg.message.contains("resource.d/nosuch"), "{msg}");
    }

    #[test]
    fn monitor_must_name_a_group_key() {
        let d = Dir::new(
            &format!("{HACF_OK}monitor web 10\n"),
            AUTH_OK,
            Some(HARES_OK),
        );
        expect_err(
            d.load("alpha"),
            "ha.cf",
            Some(8),
            "monitor: [web] is not a group key of haresources",
        );
    }

    #[test]
    fn unused_rsc_timeout_and_legacy_failback_warn() {
        let hacf = HACF_OK.replace("auto_failback on\n", "") + "rsc_timeout apache start 60\n";
        let d = Dir::new(&hacf, AUTH_OK, Some(HARES_OK));
        let w = d.load("alpha").unwrap().warnings;
        assert!(
            w.iter().any(|w| w.line == Some(7)
                && w.message
                    .contains("no resource in haresources uses agent apache")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.line.is_none()
                    && w.message.contains("auto_failback legacy is deprecated")),
            "{w:?}"
        );
    }

    #[test]
    fn missing_haresources_only_warns() {
        let d = Dir::new(HACF_OK, AUTH_OK, None);
        let l = d.load("alpha").unwrap();
        assert!(l.config.groups.is_empty());
        assert!(l.warnings[0].message.contains("no haresources file"));
    }

    #[test]
    fn errors_of_all_three_files_are_reported_together() {
        let d = Dir::new(
            &format!("{HACF_OK}udpport 0\n"),
            "auth 1\n",
            Some("alpha nosuch\n"),
        );
        let e = d.load("alpha").unwrap_err();
        let files: Vec<String> =
            e.0.iter()
                .map(|d| d.file.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
        for f in ["ha.cf", "authkeys", "haresources"] {
            assert!(files.iter().any(|x| x == f), "{f} missing in:\n{e}");
        }
    }

    #[test]
    fn missing_files_are_errors_without_line() {
        let t = tempfile::tempdir().unwrap();
        let e = load(&LoadOptions::new(t.path(), "alpha")).unwrap_err();
        assert!(e.0.iter().any(|d| d.file.ends_with("ha.cf")
            && d.line.is_none()
            && d.message.starts_with("cannot open file")));
        assert!(
            e.0.iter()
                .any(|d| d.file.ends_with("authkeys")
                    && d.message.starts_with("cannot open keyfile"))
        );
    }

    #[test]
    fn authkeys_mode_is_read_from_the_file() {
        let d = Dir::new(HACF_OK, AUTH_OK, Some(HARES_OK));
        fs::set_permissions(
            d.tmp.path().join(AUTHKEYS),
            fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        expect_err(
            d.load("alpha"),
            "authkeys",
            None,
            "bad permissions 0644 on keyfile",
        );
    }
}
