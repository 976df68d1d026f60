//! Skipping a test whose prerequisite is missing (root, a program, the
//! original Heartbeat, Debian's sample files): one line on stdout, in the
//! same words everywhere, `skipped: TEST needs WHAT`.
//!
//! Under `CI=true` a missing prerequisite fails the test instead. CI
//! (`.ci/run`) installs everything the suite needs and runs as root, so a
//! skip there would be a test that quietly stopped testing.

/// What to do when a prerequisite is missing.
#[derive(Debug, PartialEq, Eq)]
pub enum Missing {
    /// Run the test.
    Run,
    /// Print this line and return.
    Skip(String),
    /// Fail with this message.
    Fail(String),
}

/// The rule, apart from the environment: `ok` says whether the
/// prerequisite is there, `ci` whether `CI=true`.
pub fn decide(ok: bool, ci: bool, test: &str, needs: &str) -> Missing {
    match (ok, ci) {
        (true, _) => Missing::Run,
        (false, false) => Missing::Skip(format!("skipped: {test} needs {needs}")),
        (false, true) => Missing::Fail(format!(
            "{test} needs {needs}, which this machine lacks; under CI=true nothing may be skipped (.ci/run installs it)"
        )),
    }
}

/// True when the test may run; otherwise prints the skip line and returns
/// false, or panics under `CI=true`.
pub fn unless(ok: bool, test: &str, needs: &str) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    match decide(ok, ci, test, needs) {
        Missing::Run => true,
        Missing::Skip(line) => {
            println!("{line}");
            false
        }
        Missing::Fail(msg) => panic!("{msg}"),
    }
}

/// True when running as root (see [`unless`]).
pub fn unless_root(test: &str) -> bool {
    unless(nix::unistd::geteuid().is_root(), test, "root")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_prerequisite_skips_outside_ci_and_fails_in_ci() {
        assert_eq!(decide(true, true, "t", "root"), Missing::Run);
        assert_eq!(decide(true, false, "t", "root"), Missing::Run);
        assert_eq!(
            decide(false, false, "t", "root"),
            Missing::Skip("skipped: t needs root".into())
        );
        assert!(
            matches!(decide(false, true, "t", "root"), Missing::Fail(m) if m.contains("t needs root"))
        );
    }
}
