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
use std::time::{Duration, Instant, SystemTime};

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

/// The newest `.rs` file under `dir`, leaving out `src/bin` (other programs)
/// and the modules compiled for tests only (`sim/`, `tests/`, `tests.rs`):
/// editing those does not rebuild the binary, so they cannot make it stale.
fn newest_source(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let path = e.path();
        let name = e.file_name();
        let found = if path.is_dir() {
            if ["bin", "sim", "tests"].iter().any(|n| name == *n) {
                continue;
            }
            newest_source(&path)
        } else if name == "tests.rs" {
            continue;
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

/// The demo's stdout for `--scenario name`, asserted to have succeeded;
/// `None` (after the skip line) when not root.
fn run_scenario(name: &str) -> Option<String> {
    let mut cmd = Command::new(DEMO);
    cmd.args(["--scenario", name])
        .arg("--heartbeat-bin")
        .arg(heartbeat_bin());
    run_story(name, cmd)
}

fn run_story(name: &str, mut cmd: Command) -> Option<String> {
    if !hb_lab::skip::unless_root(&format!("demo scenario {name}")) {
        return None;
    }
    let out = cmd.output().expect("run the demo");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    assert!(out.status.success(), "scenario {name} failed:\n{text}");
    Some(text)
}

/// Nothing of the lab with namespace prefix `prefix` is left.
fn assert_gone(prefix: &str) {
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&list.stdout);
    assert!(
        !left.contains(prefix),
        "namespaces of {prefix} left behind:\n{left}"
    );
    let loops = Command::new("losetup").arg("-a").output().unwrap();
    let loops = String::from_utf8_lossy(&loops.stdout);
    assert!(
        !loops.contains(&format!("heartbeat-lab-{prefix}")),
        "loop device left: {loops}"
    );
}

fn scenario(name: &str) {
    let Some(text) = run_scenario(name) else {
        return;
    };
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
    assert_gone(&prefix);
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
fn demo_sites_story_moves_the_dns_name_and_cleans_up() {
    // As the issue spells it: `heartbeat demo` runs heartbeat-demo beside it.
    let mut cmd = Command::new(heartbeat_bin());
    cmd.args(["demo", "--scenario", "sites"]);
    let Some(text) = run_story("sites", cmd) else {
        return;
    };
    // The timeline, in the order the story happens (the demo sorts the
    // lines by when they happened, the daemons' by their log times).
    let steps = [
        "client: www.sites.test → 10.231.1.2",
        "fault: site A's uplink cut",
        "alpha: reaches no ping node",
        "bravo takes the group over",
        "client: www.sites.test → 10.231.2.2",
    ];
    let at: Vec<usize> = steps
        .iter()
        .map(|step| {
            text.find(step)
                .unwrap_or_else(|| panic!("no \"{step}\" in:\n{text}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "steps out of order:\n{text}"
    );
    let prefix = text
        .split("through router ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .map(|ns| ns.trim_end_matches('r').to_string())
        .expect("router namespace");
    assert_gone(&prefix);
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

/// The live demo in a detached tmux session of its own (a server on a
/// socket named for this test), killed in `Drop`, also when the test fails.
struct Tmux {
    socket: String,
}

impl Tmux {
    const SESSION: &str = "demo";

    /// Start `command` in an 80×50 pane.
    fn start(command: &str) -> Tmux {
        let t = Tmux {
            socket: format!("hb-demo-test-{}", std::process::id()),
        };
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                Self::SESSION,
                "-x",
                "80",
                "-y",
                "50",
            ])
            .arg(command)
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).args(args);
        c
    }

    /// What the pane shows now (its visible lines, not its history).
    fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-t", Self::SESSION])
            .output();
        String::from_utf8_lossy(&out.expect("tmux capture-pane").stdout).to_string()
    }

    /// How many lines have scrolled off the top of the pane.
    fn history(&self) -> usize {
        let out = self
            .cmd(&["display", "-p", "-t", Self::SESSION, "#{history_size}"])
            .output()
            .expect("tmux display");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(usize::MAX)
    }

    /// A key as typed, without Enter.
    fn key(&self, k: &str) {
        let ok = self.cmd(&["send-keys", "-t", Self::SESSION, k]).status();
        assert!(ok.expect("tmux send-keys").success());
    }

    /// Wait until the screen satisfies `f`; the last screen either way.
    fn wait(&self, timeout: Duration, f: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.screen();
            if f(&s) {
                return Ok(s);
            }
            if Instant::now() > deadline {
                return Err(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    /// Hang up the pane and wait for the demo to tear its lab down (it
    /// does on SIGHUP), so a failed test leaves nothing behind either.
    fn drop(&mut self) {
        let out = self
            .cmd(&["display", "-p", "-t", Self::SESSION, "#{pane_pid}"])
            .output();
        let shell = out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        let demo = shell.ok().and_then(|s| children_of(&s));
        let _ = self.cmd(&["kill-server"]).output();
        let deadline = Instant::now() + Duration::from_secs(30);
        for pid in demo.unwrap_or_default() {
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The pids whose parent is `parent`.
fn children_of(parent: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid …; comm may hold spaces, so split after ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1));
        if ppid == Some(parent) {
            found.push(e.file_name().to_string_lossy().to_string());
        }
    }
    Some(found)
}

/// An event line `  WHAT at +N ms`, with N a number.
fn timed_event(screen: &str, what: &str) -> bool {
    screen.lines().any(|l| {
        l.trim_start()
            .strip_prefix(what)
            .and_then(|r| r.strip_prefix(" at +"))
            .and_then(|r| r.strip_suffix(" ms"))
            .is_some_and(|n| n.parse::<u64>().is_ok())
    })
}

#[test]
fn live_demo_redraws_in_place_and_acts_on_keys_without_enter_under_tmux() {
    if !hb_lab::skip::unless_root("the live demo under tmux") {
        return;
    }
    let has_tmux = Command::new("tmux").arg("-V").output().is_ok();
    if !hb_lab::skip::unless(has_tmux, "the live demo under tmux", "tmux") {
        return;
    }
    let command = format!(
        "{DEMO} --heartbeat-bin {}; echo demo-exit=$?; sleep 600",
        heartbeat_bin().display()
    );
    let tmux = Tmux::start(&command);
    let ready = |s: &str| {
        s.contains("answered by alpha")
            && s.lines().any(|l| {
                l.starts_with("peer") && l.contains("bravo active") && l.contains("alpha active")
            })
    };
    let screen = tmux
        .wait(Duration::from_secs(60), ready)
        .unwrap_or_else(|s| panic!("the demo never showed alpha serving and both nodes up:\n{s}"));
    let ns = screen
        .lines()
        .find_map(|l| l.strip_prefix("nodes in namespaces "))
        .and_then(|r| r.split(' ').next())
        .map(|a| a.trim_end_matches('a').to_string())
        .unwrap_or_else(|| panic!("no namespaces on the screen:\n{screen}"));
    let history = tmux.history();

    tmux.key("k");
    let after = tmux
        .wait(Duration::from_secs(30), |s| {
            timed_event(s, "bravo declared alpha dead")
                && timed_event(s, "VIP answering from bravo")
                && s.contains("answered by bravo")
        })
        .unwrap_or_else(|s| panic!("no timed death and VIP lines after k:\n{s}"));
    println!("{after}");
    assert!(
        after.contains("> k: alpha killed"),
        "no fault line:\n{after}"
    );
    // Redrawn in place: one header on the pane, nothing scrolled off it.
    let headers = after.matches("heartbeat demo:").count();
    assert_eq!(headers, 1, "the screen scrolled:\n{after}");
    assert_eq!(tmux.history(), history, "lines scrolled off the pane");

    tmux.key("q");
    let end = tmux
        .wait(Duration::from_secs(60), |s| s.contains("demo-exit="))
        .unwrap_or_else(|s| panic!("the demo did not exit on q:\n{s}"));
    assert!(end.contains("demo-exit=0"), "{end}");
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&list.stdout);
    assert!(
        !left.contains(&ns),
        "namespaces of {ns} left behind:\n{left}"
    );
}
