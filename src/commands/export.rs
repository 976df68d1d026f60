//! `heartbeat export pacemaker` and `heartbeat check --pacemaker`: load
//! ha.d as the daemon does, map it (`crate::export`), print what differs,
//! and write the files only when nothing blocks.
//!
//! Exit status: 0 when written (or, for the check, writable), 1 when the
//! configuration is invalid or a finding blocks, 2 when a file cannot be
//! written.
use super::Globals;
use crate::export::{self, Export, Facts, Format, Options};
use std::path::{Path, PathBuf};

pub struct ExportArgs {
    pub options: Options,
    pub format: Format,
    /// Where the files go (created if missing).
    pub out: PathBuf,
}

/// Loads and maps; `None` when the configuration is invalid (already said).
fn mapped(g: &Globals, options: &Options) -> Option<Export> {
    let cfg = crate::daemon::load_config(g).ok()?;
    let e = export::export(&cfg, &Facts::from_system(), options);
    for f in &e.findings.0 {
        eprintln!("{f}");
    }
    Some(e)
}

/// `heartbeat check --pacemaker`: every finding, nothing written.
pub fn check(g: &Globals, options: &Options) -> i32 {
    let Some(e) = mapped(g, options) else {
        return super::exit::INVALID;
    };
    if e.findings.blocking() {
        eprintln!("the export to Pacemaker would be refused (see the errors above)");
        return super::exit::INVALID;
    }
    println!(
        "{} can be exported to Pacemaker: {} group(s), {} clone(s), {} constraint(s), {} Corosync link(s)",
        g.config_dir.display(),
        e.plan.groups.len(),
        e.plan.clones.len(),
        e.plan.constraints.len(),
        e.membership.links.len()
    );
    super::exit::OK
}

pub fn run(g: &Globals, args: &ExportArgs) -> i32 {
    let Some(e) = mapped(g, &args.options) else {
        return super::exit::INVALID;
    };
    if e.findings.blocking() {
        eprintln!("nothing written: fix the errors above first");
        return super::exit::INVALID;
    }
    match write_all(&args.out, &export::render(&e, args.format)).and_then(|()| keygen(&args.out)) {
        Ok(()) => super::exit::OK,
        Err(err) => {
            eprintln!("heartbeat export: {err:#}");
            super::exit::USAGE
        }
    }
}

fn write_all(dir: &Path, files: &[(&str, String)]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// A fresh Corosync key beside the files (`corosync-keygen -k`), when the
/// program is installed: authkeys is never reused, its secret is not one
/// Corosync can take.
fn keygen(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let key = dir.join("authkey");
    // corosync-keygen refuses nothing, but an old key must not survive a failed run.
    let _ = std::fs::remove_file(&key);
    match std::process::Command::new("corosync-keygen")
        .arg("-k")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {
            println!("wrote {} (corosync-keygen)", key.display());
            Ok(())
        }
        Ok(s) => anyhow::bail!("corosync-keygen -k {} failed ({s})", key.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "corosync-keygen is not installed here: run it on one node to make /etc/corosync/authkey"
            );
            Ok(())
        }
        Err(e) => Err(e).context("running corosync-keygen"),
    }
}
