//! Time values and the timing directives: syntax, defaults, relations.

use super::*;

#[test]
fn time_values_follow_cl_get_msec() {
    assert_eq!(parse_time("2"), Ok(s(2)));
    assert_eq!(parse_time("1.5"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_time("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_time("500msec"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_time("1500us"), Ok(Duration::from_millis(2)));
    assert_eq!(parse_time("2000usec"), Ok(Duration::from_millis(2)));
    for bad in ["", "-1", "abc", "1.5x", "1s", "1.2.3", ".5", "5 ms"] {
        assert!(parse_time(bad).is_err(), "{bad:?} should be invalid");
    }
}

#[test]
fn defaults_match_the_original() {
    let c = ok("");
    assert_eq!(c.timings.keepalive, s(1));
    assert_eq!(c.timings.deadtime, s(30));
    assert_eq!(c.timings.warntime, s(15));
    assert_eq!(c.timings.initdead, s(30));
    assert_eq!(c.timings.deadping, s(30));
    assert_eq!((c.udpport, c.baud, c.hopfudge, c.debug), (694, 19200, 1, 0));
    assert!(c.realtime);
    assert_eq!(c.failback_delay, Duration::ZERO);
    assert_eq!(c.local.as_str(), "alpha");
    assert_eq!(c.peer.as_str(), "bravo");
}

#[test]
fn initdead_default_depends_on_deadtime() {
    assert_eq!(ok("deadtime 5\nwarntime 2\n").timings.initdead, s(12));
    assert_eq!(ok("deadtime 8\nwarntime 2\n").timings.initdead, s(16));
    assert_eq!(ok("deadtime 20\n").timings.initdead, s(20));
}

#[test]
fn deadtime_must_exceed_twice_keepalive_with_values_in_ms() {
    expect_err(
        "deadtime 2\n",
        Some(4),
        "deadtime [2000 ms] is too small compared to keepalive [1000 ms]",
    );
    expect_err(
        "keepalive 500ms\ndeadtime 1\n",
        Some(5),
        "deadtime [1000 ms] is too small compared to keepalive [500 ms]",
    );
}

#[test]
fn warntime_must_lie_between_keepalive_and_deadtime() {
    expect_err("warntime 0\n", Some(4), "warntime [0 ms] is invalid");
    expect_err(
        "warntime 30\n",
        Some(4),
        "warntime [30000 ms] must be between keepalive [1000 ms] and deadtime [30000 ms]",
    );
    expect_err(
        "keepalive 2\nwarntime 2\n",
        Some(5),
        "must be between keepalive",
    );
    assert_eq!(ok("warntime 10\n").timings.warntime, s(10));
}

#[test]
fn initdead_below_deadtime_is_fatal_and_below_twice_warns() {
    expect_err(
        "deadtime 5\nwarntime 2\ninitdead 4\n",
        Some(6),
        "initdead [4000 ms] is smaller than deadtime [5000 ms]",
    );
    expect_warn(
        "deadtime 20\ninitdead 30\n",
        Some(5),
        "less than twice deadtime",
    );
    expect_warn(
        "deadtime 4\nwarntime 2\ninitdead 8\n",
        Some(6),
        "may be too small",
    );
    let (_, d) = with("deadtime 20\ninitdead 40\n");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn ping_nodes_want_deadping_below_deadtime() {
    let warned = |extra: &str| {
        let (_, d) = with(extra);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        d.warnings
            .iter()
            .any(|w| w.message.contains("is not below deadtime"))
    };
    assert!(
        warned("ping 192.0.2.1\n"),
        "the default deadping is deadtime"
    );
    assert!(warned("ping_group w 192.0.2.1\ndeadtime 10\ndeadping 10\n"));
    assert!(!warned("ping 192.0.2.1\ndeadtime 10\ndeadping 5\n"));
    assert!(
        !warned("deadtime 10\ndeadping 20\n"),
        "no ping nodes, no guard"
    );
}

#[test]
fn deadping_must_exceed_twice_keepalive() {
    expect_err("deadping 2\n", Some(4), "deadping [2000 ms] is too small");
    assert_eq!(ok("deadping 3\n").timings.deadping, s(3));
}

#[test]
fn space_between_number_and_unit_is_an_error() {
    expect_err(
        "keepalive 500 ms\n",
        Some(4),
        "no space allowed between number and unit",
    );
}

#[test]
fn bad_time_and_several_values_are_errors() {
    expect_err(
        "keepalive 1.5x\n",
        Some(4),
        "keepalive: invalid time [1.5x]",
    );
    expect_err("keepalive 2 3\n", Some(4), "expected one value, got 2");
    expect_err("keepalive\n", Some(4), "keepalive: missing value");
}

#[test]
fn repeated_time_warns_and_last_wins() {
    expect_warn("keepalive 2\nkeepalive 1\n", Some(5), "overrides line 4");
    assert_eq!(ok("keepalive 2\nkeepalive 1\n").timings.keepalive, s(1));
}
