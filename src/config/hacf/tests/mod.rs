//! Unit tests of ha.cf parsing and settling, by topic; this file holds the
//! shared helpers (BASE config, run/ok/expect_err/expect_warn) and the
//! never-panics properties.

mod directives;
mod media;
mod timings;

use super::*;
use proptest::prelude::*;

const BASE: &str = "node alpha bravo\nbcast eth1\nauto_failback on\n";

fn run(text: &str) -> (Option<HaCfSettings>, Diags) {
    let mut d = Diags::default();
    let f = Path::new("ha.cf");
    let cf = parse(text, f, &mut d);
    let s = settle(cf, "alpha", f, &mut d);
    (s, d)
}

/// Runs BASE plus `extra` (extra starts on line 4).
fn with(extra: &str) -> (Option<HaCfSettings>, Diags) {
    run(&format!("{BASE}{extra}"))
}

fn ok(extra: &str) -> HaCfSettings {
    let (s, d) = with(extra);
    assert!(d.errors.is_empty(), "unexpected errors: {:?}", d.errors);
    s.unwrap()
}

#[track_caller]
fn expect_err(extra: &str, line: Option<usize>, needle: &str) {
    let (_, d) = with(extra);
    assert!(!d.errors.is_empty(), "{extra:?} should fail");
    assert!(
        d.errors
            .iter()
            .any(|e| e.line == line && e.message.contains(needle)),
        "no error at line {line:?} containing {needle:?}: {:?}",
        d.errors
    );
}

#[track_caller]
fn expect_warn(extra: &str, line: Option<usize>, needle: &str) {
    let (_, d) = with(extra);
    assert!(
        d.warnings
            .iter()
            .any(|e| e.line == line && e.message.contains(needle)),
        "no warning at line {line:?} containing {needle:?}: {:?}",
        d.warnings
    );
}

fn s(x: u64) -> Duration {
    Duration::from_secs(x)
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), local in "[a-z]{0,8}") {
        let mut d = Diags::default();
        let cf = parse(&text, Path::new("ha.cf"), &mut d);
        let _ = settle(cf, &local, Path::new("ha.cf"), &mut d);
    }

    #[test]
    fn directive_shaped_text_never_panics(
        lines in proptest::collection::vec(
            ("(node|keepalive|deadtime|warntime|initdead|deadping|udpport|baud|bcast|ucast|mcast|serial|auto_failback|monitor|rsc_timeout|ping_group|respawn)",
             "[ 0-9a-z.:/,]{0,30}"),
            0..12)
    ) {
        let text: String = lines.iter().map(|(d, r)| format!("{d} {r}\n")).collect();
        let mut d = Diags::default();
        let cf = parse(&text, Path::new("ha.cf"), &mut d);
        let _ = settle(cf, "alpha", Path::new("ha.cf"), &mut d);
    }

    #[test]
    fn parse_time_never_panics(w in "\\PC{0,20}") {
        let _ = parse_time(&w);
    }
}
