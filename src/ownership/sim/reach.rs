//! The ping-node guard of two sites without a shared LAN: a node that
//! reaches none of its ping nodes takes over nothing, whatever it hears
//! (or no longer hears) from its peer.

use super::scenarios::pair;
use super::*;

#[test]
fn a_node_reaching_no_ping_node_does_not_take_over_a_dead_peers_group() {
    let mut sim = pair(AutoFailback::Off);
    sim.input(0, Input::Reach { local: 1 });
    sim.input(1, Input::Reach { local: 0 });
    sim.run_for(Duration::from_secs(3));
    // ipfail's rule first: bravo, cut off, gives alpha its group.
    assert_eq!(sim.holders(1), ["alpha"]);
    // Then bravo loses alpha as well.
    sim.net.partitioned = true;
    sim.input(
        1,
        Input::PeerDead {
            cause: DeadCause::Dead,
        },
    );
    sim.run_for(Duration::from_secs(3));
    assert_eq!(
        sim.holders(0),
        ["alpha"],
        "alpha's groups stay where they are"
    );
    assert_eq!(sim.holders(1), ["alpha"]);
    assert!(sim.logged(
        1,
        "we reach none of our ping nodes: taking over nothing, whatever alpha does"
    ));
    // Once bravo reaches the world again, the dead peer's group is taken.
    sim.input(1, Input::Reach { local: 1 });
    sim.run_for(Duration::from_secs(3));
    assert_eq!(sim.holders(0), ["alpha", "bravo"]);
    assert_eq!(sim.holders(1), ["alpha", "bravo"]);
}

#[test]
fn a_node_reaching_no_ping_node_does_not_start_even_its_preferred_group() {
    let mut sim = Sim::new(&[("ip-a", 0)], AutoFailback::Off, Duration::ZERO);
    sim.boot(0);
    sim.input(0, Input::Reach { local: 0 });
    sim.input(
        0,
        Input::PeerDead {
            cause: DeadCause::InitDead,
        },
    );
    sim.run_for(Duration::from_secs(3));
    assert!(sim.holders(0).is_empty());
}
