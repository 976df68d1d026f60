//! The man pages in docs/man and the completions in contrib/completions are
//! generated from the CLI definition; this fails when they are stale.
//! Regenerate with `heartbeat manpages docs/man` and
//! `heartbeat completions SHELL > contrib/completions/heartbeat.SHELL`.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_heartbeat");

#[test]
fn committed_man_pages_match_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new(BIN)
        .arg("manpages")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() > 5, "too few man pages: {names:?}");
    for name in names {
        let fresh = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let old = std::fs::read_to_string(committed.join(&name)).unwrap_or_default();
        assert_eq!(
            fresh,
            old,
            "docs/man/{} is stale: run heartbeat manpages docs/man",
            name.to_string_lossy()
        );
    }
}

#[test]
fn committed_completions_match_the_cli() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("contrib/completions/heartbeat.{shell}"));
        let old = std::fs::read(&committed).unwrap_or_default();
        assert!(out.stdout == old, "{} is stale", committed.display());
    }
}
