//! Loading /etc/ha.d: reads the three files, runs their parsers, then the
//! checks that need more than one file (haresources nodes against ha.cf,
//! agents against the filesystem, `monitor`/`rsc_timeout` against
//! haresources).
//!
//! Reads files and metadata only; never changes anything, so `load` can
//! run on a live node at any time.

use super::agents::{AgentSearch, default_timeouts, resolve_agent};
use super::diag::{ConfigErrors, Diagnostic, Diags};
use super::hacf::{self, Action, HaCfSettings};
use super::haresources::{self, RawGroup};
use super::model::*;
use super::authkeys;
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

    let auth_path = dir.join(AUTHKEYS);
    let auth = match std::fs::metadata(&auth_path) {
        Ok(meta) => read(&auth_path, &mut diags)
            .and_then(|t| authkeys::parse(&t, meta.permissions().mode(), &auth_path, &mut diags)),
        Err(e) => {
            diags.error(&auth_path, None, format!("cannot open keyfile: {e}"));
            None
        }
    };

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
            ping: s.ping,
            ping_groups: s.ping_groups,
            logging: s.logging,
            realtime: s.realtime,
            debug: s.debug,
            hopfudge: s.hopfudge,
            respawn: s.respawn,
            auth,
            groups,
        },
        warnings: diags.warnings,
    })
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
    let mut groups = Vec::new();
    for g in raw {
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
        let mut resources = Vec::new();
        for r in &g.resources {
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
                continue;
            };
            let mut timeouts = default_timeouts(&r.name);
            for t in settings.map(|s| s.rsc_timeouts.as_slice()).unwrap_or_default() {
                if t.agent == r.name {
                    match t.action {
                        Action::Start => timeouts.start = t.timeout,
                        Action::Stop => timeouts.stop = t.timeout,
                        Action::Status => timeouts.status = t.timeout,
                    }
                }
            }
            resources.push(Resource {
                spec: r.spec.clone(),
                name: r.name.clone(),
                args: r.args.clone(),
                agent,
                timeouts,
            });
        }
        let id = GroupId(g.resources[0].spec.clone());
        let monitor = settings
            .and_then(|s| s.monitors.iter().find(|m| m.group == id.0))
            .map(|m| m.policy.clone());
        groups.push(ResourceGroup {
            id,
            preferred,
            resources,
            monitor,
            line: g.line,
        });
    }

    let Some(s) = settings else {
        return groups;
    };
    let keys: Vec<&str> = raw.iter().map(|g| g.resources[0].spec.as_str()).collect();
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
    let used: HashSet<&str> = raw
        .iter()
        .flat_map(|g| g.resources.iter().map(|r| r.name.as_str()))
        .collect();
    for t in &s.rsc_timeouts {
        if !used.contains(t.agent.as_str()) {
            diags.warn(
                hacf_path,
                Some(t.line),
                format!("rsc_timeout: no resource in haresources uses agent {}", t.agent),
            );
        }
    }
    if !raw.is_empty() && s.auto_failback == AutoFailback::Legacy {
        let msg = "auto_failback legacy is deprecated (it is the default when unset): write auto_failback on or off";
        match s.auto_failback_line {
            Some(l) => diags.warn(hacf_path, Some(l), msg),
            None => diags.warn(hacf_path, None, msg),
        }
    }
    if raw.is_empty() && hares_path.exists() {
        diags.warn(hares_path, None, "no resource groups defined");
    }
    groups
}
