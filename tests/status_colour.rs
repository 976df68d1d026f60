//! `heartbeat status` colours its state words on a terminal only, and
//! never when NO_COLOR is set: run under `script` (a pty) and through a
//! pipe against a real daemon in the lab.

use hb_lab::{self as lab, Lab, LabConfig};
use std::path::Path;
use std::time::Duration;

const ESC: &str = "\x1b[";

/// `heartbeat status` on node 0: through a pty (`script`) or a pipe, with
/// NO_COLOR set to `no_color` or unset.
fn status(lab: &Lab, pty: bool, no_color: Option<&str>) -> String {
    let bin = env!("CARGO_BIN_EXE_heartbeat");
    let mut cmd = if pty {
        let mut c = lab.command(0, Path::new("script"));
        c.args(["-qec", &format!("{bin} status"), "/dev/null"]);
        c
    } else {
        let mut c = lab.command(0, Path::new(bin));
        c.arg("status");
        c
    };
    cmd.env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().expect("running heartbeat status");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn status_is_coloured_on_a_terminal_unless_no_color_is_set() {
    let test = "status_is_coloured_on_a_terminal_unless_no_color_is_set";
    if !hb_lab::skip::unless_root(test)
        || !hb_lab::skip::unless(Path::new("/usr/bin/script").exists(), test, "script")
    {
        return;
    }
    let mut c = LabConfig::new(
        &lab::unique_prefix("col"),
        Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.resources = Some("Dummy::g1".into());
    c.shared_disk = false;
    let mut lab = Lab::create(c).expect("lab");
    lab.start(0).expect("start alpha");
    let up = lab.wait_for(Duration::from_secs(15), |l| {
        l.ctl(0, &["status"]).status.success()
    });
    assert!(up, "alpha never answered: {}", lab.log(0));

    let tty = status(&lab, true, None);
    assert!(tty.contains(ESC), "no colour on a terminal: {tty:?}");
    // The peer is not up: its state in red, the words themselves unchanged.
    assert!(
        tty.contains("\x1b[1;31mdead\x1b[0m") || tty.contains("\x1b[33minit\x1b[0m"),
        "{tty:?}"
    );
    for no_color in ["1", "yes"] {
        let plain = status(&lab, true, Some(no_color));
        assert!(!plain.contains(ESC), "NO_COLOR={no_color}: {plain:?}");
    }
    // An empty NO_COLOR counts as unset, as no-color.org says.
    assert!(status(&lab, true, Some("")).contains(ESC));
    let piped = status(&lab, false, None);
    assert!(!piped.contains(ESC), "colour into a pipe: {piped:?}");
    assert!(piped.contains("peer bravo: "), "{piped}");
}
