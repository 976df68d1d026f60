//! `heartbeat-demo --scenario …` as CI runs it: each story must go as
//! expected (exit 0) and leave no namespace, loop device or process behind.
//!
//! The demo runs the `heartbeat` binary next to it: a `cargo test` at the
//! workspace root builds both (the root package's integration tests need
//! its binaries). Run alone (`cargo test -p hb-lab`), cargo does not build
//! the other package's binary, so [`heartbeat_bin`] refuses a missing or
//! stale one instead of testing old code.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const DEMO: &str = env!("CARGO_BIN_EXE_heartbeat-demo");

/// The `heartbeat` binary the demo will run, checked to be newer than
/// every source file of the product crate.
fn heartbeat_bin() -> PathBuf {
    let bin = Path::new(DEMO).with_file_name("heartbeat");
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run cargo test at the workspace root (or cargo build -p heartbeat first)",
                bin.display()
            )
        });
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
    if let Some(newer) = newest_source(&src).filter(|(t, _)| *t > built) {
        panic!(
            "{} is older than {}: run cargo test at the workspace root (or cargo build -p heartbeat first)",
            bin.display(),
            newer.1.display()
        );
    }
    bin
}

/// The newest `.rs` file under `dir`, leaving out `src/bin` (other programs).
fn newest_source(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let path = e.path();
        let found = if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "bin") {
                continue;
            }
            newest_source(&path)
        } else if path.extension().is_some_and(|x| x == "rs") {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (t, path))
        } else {
            None
        };
        if let Some(f) = found
            && newest.as_ref().is_none_or(|n| f.0 > n.0)
        {
            newest = Some(f);
        }
    }
    newest
}

fn scenario(name: &str) {
    if !hb_lab::skip::unless_root(&format!("demo scenario {name}")) {
        return;
    }
    let out = Command::new(DEMO)
        .args(["--scenario", name])
        .arg("--heartbeat-bin")
        .arg(heartbeat_bin())
        .output()
        .expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(out.status.success(), "scenario {name} failed:\n{text}");
    assert!(text.contains("VIP answers from"), "no timeline in:\n{text}");
    // The namespaces it announced are gone.
    let line = text
        .lines()
        .find(|l| l.starts_with("demo cluster:"))
        .expect("topology line");
    let prefix = line
        .split("namespaces ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .map(|ns| ns.trim_end_matches('a').to_string())
        .expect("namespace names");
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&list.stdout);
    assert!(
        !left.contains(&prefix),
        "namespaces of {prefix} left behind:\n{left}"
    );
    let loops = Command::new("losetup").arg("-a").output().unwrap();
    let loops = String::from_utf8_lossy(&loops.stdout);
    assert!(
        !loops.contains(&format!("heartbeat-lab-{prefix}")),
        "loop device left: {loops}"
    );
}

#[test]
fn demo_failover_story_succeeds_and_cleans_up() {
    scenario("failover");
}

#[test]
fn demo_switchover_story_succeeds_and_cleans_up() {
    scenario("switchover");
}

#[test]
fn demo_failback_story_succeeds_and_cleans_up() {
    scenario("failback");
}

#[test]
fn demo_without_root_runs_on_loopback_with_the_dummy_agent() {
    if !nix::unistd::geteuid().is_root() {
        // We are the unprivileged user already: run it as we are.
        let out = Command::new(DEMO)
            .args(["--scenario", "failover"])
            .arg("--heartbeat-bin")
            .arg(heartbeat_bin())
            .output()
            .expect("run the demo");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        return;
    }
    // As root, drop to nobody for this one run, with copies of the binaries
    // and agents that nobody can read wherever the checkout lives.
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = heartbeat_bin();
    for name in ["heartbeat", "cl_status", "hb_standby"] {
        std::fs::copy(bin.with_file_name(name), dir.path().join(name)).unwrap();
    }
    // The demo finds heartbeat next to itself.
    std::fs::copy(DEMO, dir.path().join("heartbeat-demo")).unwrap();
    let agents = dir.path().join("agents");
    std::fs::create_dir(&agents).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../resource-agents");
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), agents.join(e.file_name())).unwrap();
    }
    std::fs::set_permissions(&agents, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(dir.path().join("heartbeat-demo"))
        .args(["--scenario", "failover"])
        .env("TMPDIR", "/tmp")
        .env("HEARTBEAT_AGENT_DIR", &agents)
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run the demo as nobody");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.lines().next().unwrap_or("").starts_with("not root:"),
        "no one-line notice:\n{text}"
    );
    assert!(out.status.success(), "loopback demo failed:\n{text}");
    assert!(
        text.contains("bravo holds the group"),
        "no takeover in:\n{text}"
    );
}
