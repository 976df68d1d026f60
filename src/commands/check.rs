//! `heartbeat check`: validate the configuration and print the model.
//!
//! Reads only; exit 0 when valid, 1 when invalid or (with `--against`)
//! when the two copies differ.
use super::Globals;
use crate::config::{
    self, AgentKind, ClusterConfig, ConfigErrors, Diagnostic, LoadOptions, Loaded, Medium,
};
use std::fmt::Write as _;

pub struct CheckArgs {
    pub json: bool,
    pub against: Option<std::path::PathBuf>,
    /// Where drbd.conf and drbd.d/ are (`/etc`).
    pub drbd_etc: std::path::PathBuf,
}

fn print_errors(errors: &ConfigErrors) {
    for d in &errors.0 {
        eprintln!("{d}");
    }
}

pub fn run(g: &Globals, args: &CheckArgs) -> i32 {
    let opts = LoadOptions::new(&g.config_dir, &g.node_name());
    let loaded = match config::load(&opts) {
        Ok(l) => l,
        Err(e) => {
            print_errors(&e);
            eprintln!(
                "configuration in {} is invalid ({} error{})",
                g.config_dir.display(),
                e.0.len(),
                if e.0.len() == 1 { "" } else { "s" }
            );
            return super::exit::INVALID;
        }
    };
    if args.json {
        println!("{}", json(&loaded));
    } else {
        print!("{}", summary(&loaded));
    }
    let used: Vec<String> = crate::drbd::resources_of(&loaded.config.groups)
        .into_iter()
        .flatten()
        .collect();
    for w in crate::drbd::conf::warnings(&used, &args.drbd_etc) {
        eprintln!("WARN: {w}");
    }
    let Some(dir) = &args.against else {
        return super::exit::OK;
    };
    // The peer's copy is read as the peer would read it.
    let peer_opts = LoadOptions::new(dir, loaded.config.peer.as_str());
    let theirs = match config::load(&peer_opts) {
        Ok(l) => l,
        Err(e) => {
            print_errors(&e);
            eprintln!("the other copy in {} is invalid", dir.display());
            return super::exit::INVALID;
        }
    };
    let diffs = config::compare(&loaded.config, &theirs.config);
    if diffs.is_empty() {
        println!(
            "{} and {} agree (digest {})",
            g.config_dir.display(),
            dir.display(),
            config::config_digest(&loaded.config)
        );
        return super::exit::OK;
    }
    for d in &diffs {
        eprintln!("{d}");
    }
    eprintln!(
        "{} difference{} between {} and {}",
        diffs.len(),
        if diffs.len() == 1 { "" } else { "s" },
        g.config_dir.display(),
        dir.display()
    );
    super::exit::INVALID
}

fn json(l: &Loaded) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        config: &'a ClusterConfig,
        digest: String,
        warnings: &'a [Diagnostic],
    }
    serde_json::to_string_pretty(&Out {
        config: &l.config,
        digest: config::config_digest(&l.config),
        warnings: &l.warnings,
    })
    .expect("the model serialises")
}

use crate::config::hacf::format_time as secs;

fn medium(c: &ClusterConfig, m: &Medium) -> String {
    match m {
        Medium::Bcast { .. } | Medium::Ucast { .. } => format!("{m} (udp port {})", c.udpport),
        Medium::Serial { .. } => format!("{m} ({} baud)", c.baud),
        Medium::Mcast { .. } => m.to_string(),
    }
}

fn kind(k: &AgentKind) -> String {
    match k {
        AgentKind::Heartbeat => "heartbeat".into(),
        AgentKind::Lsb => "lsb".into(),
        AgentKind::Ocf { provider, kind } => format!("ocf {provider}:{kind}"),
        AgentKind::Vip => "in process: netlink and gratuitous ARP".into(),
        AgentKind::Systemd { unit } => format!("systemd unit {unit}, through systemctl"),
    }
}

fn summary(l: &Loaded) -> String {
    let c = &l.config;
    let mut s = String::new();
    let _ = writeln!(s, "configuration in {} is valid", c.config_dir.display());
    let _ = writeln!(s, "this node:     {}", c.local);
    let _ = writeln!(s, "peer:          {}", c.peer);
    for m in &c.media {
        let _ = writeln!(s, "medium:        {}", medium(c, m));
    }
    let t = &c.timings;
    let _ = writeln!(
        s,
        "timings:       keepalive {}, warntime {}, deadtime {}, initdead {}",
        secs(t.keepalive),
        secs(t.warntime),
        secs(t.deadtime),
        secs(t.initdead)
    );
    let _ = writeln!(
        s,
        "auto_failback: {}{}",
        format!("{:?}", c.auto_failback).to_lowercase(),
        if c.failback_delay.is_zero() {
            String::new()
        } else {
            format!(" (after {})", secs(c.failback_delay))
        }
    );
    let key = c.auth.active_key();
    let _ = writeln!(s, "auth:          key {} ({})", key.id, key.method.name());
    let _ = writeln!(s, "digest:        {}", config::config_digest(c));
    if c.groups.is_empty() {
        let _ = writeln!(s, "resource groups: none");
    }
    for g in &c.groups {
        let _ = writeln!(
            s,
            "group {} (preferred node {}, haresources line {}), start order:",
            g.id, g.preferred, g.line
        );
        for (i, r) in g.resources.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {}. {}  [{}] {}  (start {}, stop {}, status {})",
                i + 1,
                std::iter::once(r.name.as_str())
                    .chain(r.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" "),
                kind(&r.agent.kind),
                r.agent.path.display(),
                secs(r.timeouts.start),
                secs(r.timeouts.stop),
                secs(r.timeouts.status)
            );
        }
        if let Some(m) = &g.monitor {
            let _ = writeln!(
                s,
                "  monitored every {}, {} restart(s) within {} before moving",
                secs(m.interval),
                m.max_restarts,
                secs(m.window)
            );
        }
        let ext = &c.extensions;
        for ch in ext.checks.iter().filter(|ch| ch.group == g.id) {
            let _ = writeln!(
                s,
                "  check {}: {} {} every {}, timeout {}, rise {}, fall {}",
                ch.name,
                ch.kind.word(),
                ch.kind.target(),
                secs(ch.interval),
                secs(ch.timeout),
                ch.rise,
                ch.fall
            );
        }
        if let (None, Some(p)) = (&g.monitor, ext.restart_policy(&g.id)) {
            let _ = writeln!(
                s,
                "  a failing check: {} restart(s) within {} before moving",
                p.max_restarts,
                secs(p.window)
            );
        }
    }
    if let Some(m) = &c.extensions.mail {
        let _ = writeln!(
            s,
            "mail:          every state change to {} via {}",
            m.to.join(", "),
            m.sendmail.display()
        );
    }
    if !l.warnings.is_empty() {
        let _ = writeln!(s, "warnings:");
        for w in &l.warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    s
}
