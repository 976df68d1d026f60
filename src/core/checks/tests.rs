use super::*;
use crate::config::CheckKind;
use std::time::Duration;

fn rf(health: Health) -> RiseFall {
    RiseFall {
        health,
        ..RiseFall::IDLE
    }
}

#[test]
fn a_healthy_check_fails_only_after_fall_failures_in_a_row() {
    let mut s = rf(Health::Healthy);
    assert_eq!(s.record(false, 2, 3), Verdict::Unchanged);
    assert_eq!(s.record(false, 2, 3), Verdict::Unchanged);
    assert_eq!(s.record(false, 2, 3), Verdict::Failed);
    assert_eq!(s.health, Health::Failing);
}

#[test]
fn one_slow_answer_between_successes_moves_nothing() {
    let mut s = rf(Health::Healthy);
    for ok in [true, false, true, false, false, true, true] {
        assert_eq!(s.record(ok, 2, 3), Verdict::Unchanged);
    }
    assert_eq!(s.health, Health::Healthy);
}

#[test]
fn a_failing_check_recovers_after_rise_successes_in_a_row() {
    let mut s = rf(Health::Failing);
    assert_eq!(s.record(true, 2, 3), Verdict::Unchanged);
    assert_eq!(s.record(false, 2, 3), Verdict::Unchanged);
    assert_eq!(s.record(true, 2, 3), Verdict::Unchanged);
    assert_eq!(s.record(true, 2, 3), Verdict::Recovered);
    assert_eq!(s.health, Health::Healthy);
}

#[test]
fn a_check_still_failing_says_so_every_fall_failures() {
    let mut s = rf(Health::Failing);
    let verdicts: Vec<Verdict> = (0..4).map(|_| s.record(false, 1, 2)).collect();
    use Verdict::*;
    assert_eq!(verdicts, [Unchanged, StillFailing, Unchanged, StillFailing]);
}

#[test]
fn fall_one_fails_at_the_first_failure() {
    let mut s = rf(Health::Healthy);
    assert_eq!(s.record(false, 1, 1), Verdict::Failed);
    assert_eq!(s.record(true, 1, 1), Verdict::Recovered);
}

fn spec(group: &str, interval_ms: u64) -> CheckConfig {
    CheckConfig {
        name: format!("{group}-tcp"),
        group: GroupId(group.into()),
        kind: CheckKind::TcpCheck {
            address: "127.0.0.1:80".into(),
        },
        interval: Duration::from_millis(interval_ms),
        timeout: Duration::from_millis(100),
        rise: 1,
        fall: 2,
        line: 1,
    }
}

fn ok(ok: bool) -> CheckOutcome {
    CheckOutcome {
        ok,
        text: String::new(),
    }
}

#[test]
fn checks_run_only_while_armed_and_one_at_a_time() {
    let t0 = Instant::now();
    let ids = [GroupId("web".into()), GroupId("db".into())];
    let mut c = Checks::new(&[spec("web", 100), spec("db", 100)], &ids);
    assert_eq!(c.next_deadline(), None, "nothing armed, nothing due");
    c.arm(GroupIdx(0), t0);
    let t1 = t0 + Duration::from_millis(100);
    assert_eq!(c.next_deadline(), Some(t1));
    let due = c.due(t1);
    assert_eq!(due.len(), 1, "only the armed group's check");
    let (idx, epoch, _) = due[0].clone();
    assert!(
        c.due(t1 + Duration::from_secs(5)).is_empty(),
        "never two runs of one check"
    );
    let later = t1 + Duration::from_millis(30);
    assert_eq!(
        c.done(later, idx, epoch, ok(true)),
        Some((GroupIdx(0), Verdict::Unchanged))
    );
    assert_eq!(c.next_deadline(), Some(later + Duration::from_millis(100)));
}

#[test]
fn a_result_from_before_a_rearm_or_disarm_is_ignored() {
    let t0 = Instant::now();
    let mut c = Checks::new(&[spec("web", 100)], &[GroupId("web".into())]);
    c.arm(GroupIdx(0), t0);
    let (idx, epoch, _) = c.due(t0 + Duration::from_secs(1)).remove(0);
    c.arm(GroupIdx(0), t0 + Duration::from_secs(1));
    assert_eq!(c.done(t0, idx, epoch, ok(false)), None);
    c.disarm(GroupIdx(0));
    assert_eq!(c.report(t0)[0].health, Health::Idle);
    assert_eq!(c.next_deadline(), None);
}

#[test]
fn a_restart_keeps_a_failing_check_failing_until_it_rises() {
    let t0 = Instant::now();
    let mut c = Checks::new(&[spec("web", 100)], &[GroupId("web".into())]);
    c.arm(GroupIdx(0), t0);
    let run = |c: &mut Checks, good: bool| {
        let (idx, epoch, _) = c.due(t0 + Duration::from_secs(100)).remove(0);
        c.done(t0, idx, epoch, ok(good)).unwrap().1
    };
    assert_eq!(run(&mut c, false), Verdict::Unchanged);
    assert_eq!(run(&mut c, false), Verdict::Failed);
    c.arm(GroupIdx(0), t0);
    let r = &c.report(t0)[0];
    assert_eq!((r.health, r.failures), (Health::Failing, 0));
    assert_eq!(run(&mut c, false), Verdict::Unchanged);
    assert_eq!(run(&mut c, false), Verdict::StillFailing);
    assert_eq!(run(&mut c, true), Verdict::Recovered);
}

#[test]
fn a_pause_keeps_the_state_and_drops_the_run_under_way() {
    let t0 = Instant::now();
    let mut c = Checks::new(&[spec("web", 100)], &[GroupId("web".into())]);
    c.arm(GroupIdx(0), t0);
    for _ in 0..2 {
        let (idx, epoch, _) = c.due(t0 + Duration::from_secs(100)).remove(0);
        c.done(t0, idx, epoch, ok(false));
    }
    let (idx, epoch, _) = c.due(t0 + Duration::from_secs(100)).remove(0);
    c.pause(GroupIdx(0));
    assert_eq!(c.done(t0, idx, epoch, ok(true)), None);
    assert_eq!(c.next_deadline(), None);
    assert_eq!(c.report(t0)[0].health, Health::Failing);
}
