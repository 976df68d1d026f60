//! Progress lines on the simulator: a standby, takeover or stop that asked
//! for them hears each step of its transition, in order, before its
//! answer; one that did not ask hears none.

use super::*;
use crate::ownership::Which;

fn lines(sim: &Sim, i: usize, id: RequestId) -> Vec<String> {
    (sim.nodes[i].progress.iter())
        .filter(|(p, _, _)| *p == id)
        .map(|(_, _, l)| l.clone())
        .collect()
}

fn clean(sim: &Sim) {
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
}

#[test]
fn a_standby_that_asked_hears_the_release_each_step_and_the_peer_start_in_order() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    let id = sim
        .request_progress(A, Request::Standby { which: Which::All })
        .unwrap();
    sim.run_for(Duration::from_millis(600));
    assert_eq!(sim.holder(0), Some(B));
    assert_eq!(
        lines(&sim, A, id),
        [
            "alpha: releasing vip",
            "alpha: stop fake-0 ok (0.0 ms)",
            "alpha: vip released",
            "bravo: running vip",
        ]
    );
    // Times count from the request and never go back.
    let times: Vec<f64> = sim.nodes[A].progress.iter().map(|p| p.1).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[3] > 0.0, "{times:?}");
    // Then the answer, once.
    let answered = sim.nodes[A].answers.iter().filter(|(a, _)| *a == id);
    assert_eq!(answered.count(), 1);
    clean(&sim);
}

#[test]
fn a_takeover_and_a_stop_that_asked_hear_their_steps_too() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    let id = sim
        .request_progress(
            B,
            Request::Takeover {
                which: Which::All,
                force: false,
            },
        )
        .unwrap();
    sim.run_for(Duration::from_millis(600));
    assert_eq!(
        lines(&sim, B, id),
        [
            "bravo: starting vip",
            "bravo: start fake-0 ok (0.0 ms)",
            "bravo: vip started",
        ]
    );
    let id = sim.request_progress(B, Request::Shutdown).unwrap();
    sim.run_for(Duration::from_millis(600));
    assert_eq!(
        lines(&sim, B, id),
        [
            "bravo: releasing vip",
            "bravo: stop fake-0 ok (0.0 ms)",
            "bravo: vip released",
            "alpha: running vip",
        ]
    );
    clean(&sim);
}

#[test]
fn a_request_that_did_not_ask_hears_no_progress() {
    let mut sim = Sim::new(&[("vip", A)]);
    sim.both_up();
    sim.request(A, Request::Standby { which: Which::All });
    sim.run_for(Duration::from_millis(600));
    assert_eq!(sim.holder(0), Some(B));
    assert!(
        sim.nodes[A].progress.is_empty(),
        "{:?}",
        sim.nodes[A].progress
    );
    clean(&sim);
}
