//! `heartbeat standby` shows each step as it happens: on a live pair with
//! the default chain (VIP, Filesystem, web service), alpha's stops in chain
//! order (right to left) with their times, then bravo's start, then the
//! result. `hb_standby` keeps the original's words on stdout, nothing more.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, VIP};
use lab_cluster::*;
use std::time::Duration;

fn settled(lab: &Lab, i: usize) -> bool {
    lab.wait_for(Duration::from_secs(15), |l| {
        stdout(&l.tool(i, "cl_status", &["rscstatus"])) == "local"
    })
}

/// The position of the first line containing every one of `words`.
fn line_with(lines: &[&str], words: &[&str]) -> Option<usize> {
    lines
        .iter()
        .position(|l| words.iter().all(|w| l.contains(w)))
}

#[test]
fn standby_prints_each_step_with_its_time_then_the_result() {
    if !root("standby_prints_each_step_with_its_time_then_the_result") {
        return;
    }
    let mut c = config("prg");
    c.auto_failback = "off".into();
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    check!(lab, settled(&lab, A), "alpha's group never settled");

    let out = lab.ctl(A, &["standby"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    println!("heartbeat standby:\n{said}");
    check!(lab, out.status.success(), "standby failed: {out:?}");
    let lines: Vec<&str> = said.lines().collect();
    // Every line but the last is a progress line with its time.
    let (result, progress) = lines.split_last().expect("standby said nothing");
    check!(
        lab,
        !progress.is_empty()
            && progress
                .iter()
                .all(|l| l.starts_with('+') && l.contains(" ms  ")),
        "progress lines without times: {lines:?}"
    );
    check!(
        lab,
        result.contains("held by bravo") && !result.starts_with('+'),
        "the last line is not the result: {result:?}"
    );
    let at = |words: &[&str]| line_with(progress, words);
    let order = [
        at(&["alpha: releasing"]),
        at(&["alpha: stop webnode ok (", " ms)"]),
        at(&["alpha: stop Filesystem", " ok ("]),
        at(&["alpha: stop ", VIP, " ok ("]),
        at(&["alpha: ", " released"]),
        at(&["bravo: running"]),
    ];
    check!(
        lab,
        order.iter().all(Option::is_some) && order.windows(2).all(|w| w[0] < w[1]),
        "steps missing or out of order ({order:?}): {lines:?}"
    );

    // The compatibility tool: its words exactly, no progress (stderr is
    // not a terminal here).
    let out = lab.tool(B, "hb_standby", &[]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    check!(lab, out.status.success(), "hb_standby failed: {out:?}");
    let lines: Vec<&str> = said.lines().collect();
    check!(
        lab,
        lines.len() == 2
            && lines[0] == "Going standby [all]."
            && lines[1].contains("held by alpha"),
        "hb_standby said {said:?}"
    );
    check!(
        lab,
        out.stderr.is_empty(),
        "hb_standby wrote to stderr: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );

    // On a terminal (script's pty) the steps go to stderr; stdout, sent to
    // a file, still holds the words alone.
    let test = "standby_prints_each_step_with_its_time_then_the_result";
    if hb_lab::skip::unless(
        std::path::Path::new("/usr/bin/script").exists(),
        test,
        "script",
    ) {
        let file = lab.nodes[A].dir.join("hb_standby.out");
        let bin =
            std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")).with_file_name("hb_standby");
        let run = format!("{} > {}", bin.display(), file.display());
        let tty = lab
            .command(A, std::path::Path::new("script"))
            .args(["-qec", &run, "/dev/null"])
            .output()
            .expect("running script");
        let tty = String::from_utf8_lossy(&tty.stdout).to_string();
        let words = std::fs::read_to_string(&file).unwrap_or_default();
        check!(
            lab,
            tty.contains("alpha: stop webnode ok (") && tty.contains("bravo: running"),
            "no progress on the terminal: {tty:?}"
        );
        check!(
            lab,
            words.starts_with("Going standby [all].\n") && !words.contains('+'),
            "hb_standby's stdout changed on a terminal: {words:?}"
        );
    }
}
