//! Crafted packets from a third party, on the simulator: each rule of the
//! receive path exactly, with the real node pair around it (what
//! tests/hostile_peers.rs proves end to end with real daemons). Every
//! crafted packet must be dropped, counted under its reason, logged at most
//! once per reason and interval, and change no membership and no group.

use super::*;
use crate::core::PeerNotice;
use crate::wire::{self, CommonFields, Message};

/// A status packet as `src` would send it, signed with the cluster's key;
/// `extra` fields go after the common ones.
fn crafted(
    src: &str,
    uuid: [u8; 16],
    hg: u64,
    seq: Option<u64>,
    extra: &[(&str, &str)],
) -> Vec<u8> {
    let mut m = Message::new();
    m.add("t", "status").add("st", "active");
    wire::add_common_fields(
        &mut m,
        &CommonFields {
            src: NodeName::new(src),
            srcuuid: uuid,
            seq,
            hg,
            ts: 0,
            ld: None,
            ttl: 3,
        },
    );
    for (k, v) in extra {
        m.add(k, *v);
    }
    wire::sign_netstring(&m, &auth())
}

impl Sim {
    fn inject(&mut self, i: usize, bytes: Vec<u8>) {
        self.input(
            i,
            Input::Packet {
                link: LinkId(0),
                bytes,
                encoding: Encoding::Netstring,
            },
        );
    }

    fn counters(&self, i: usize) -> super::super::Counters {
        self.node(i).expect("running").counters.clone()
    }

    fn generation_of(&self, i: usize) -> u64 {
        self.nodes[i].generation
    }
}

/// Both up, alpha holding g0; returns bravo's uuid as alpha knows it.
fn settled() -> (Sim, [u8; 16]) {
    let mut sim = Sim::new(&[("g0", A)]);
    sim.both_up();
    assert_eq!(sim.holder(0), Some(A));
    (sim, [B as u8 + 1; 16])
}

fn drop_lines(sim: &Sim, i: usize, reason: &str) -> usize {
    sim.count_notices(
        i,
        |n| matches!(n, Notice::PacketDropped { reason: r, .. } if *r == reason),
    )
}

fn peer_changes(sim: &Sim, i: usize) -> usize {
    sim.count_notices(i, |n| {
        matches!(
            n,
            Notice::Peer(
                PeerNotice::PeerDead { .. }
                    | PeerNotice::PeerRestarted { .. }
                    | PeerNotice::PeerRolledBack { .. }
                    | PeerNotice::PeerReturned { .. }
            )
        )
    })
}

/// Sends `packets` to alpha a hundred times over a second, runs on for
/// twice deadtime, and checks the one reason, the one log line, and that
/// nothing else moved.
fn attack(reason: &str, packets: impl Fn(&Sim) -> Vec<Vec<u8>>) -> Sim {
    let (mut sim, _) = settled();
    let before = sim.counters(A);
    let changes = peer_changes(&sim, A);
    let generation = sim.node(A).unwrap().membership.peer_generation();
    for _ in 0..100 {
        for p in packets(&sim) {
            sim.inject(A, p);
        }
        sim.run_for(Duration::from_millis(10));
    }
    sim.run_for(Duration::from_secs(6));
    let after = sim.counters(A);
    let n = |c: &super::super::Counters| {
        c.nonzero()
            .into_iter()
            .find(|(k, _)| *k == format!("dropped_{reason}"))
            .map_or(0, |(_, v)| v)
    };
    assert!(n(&after) - n(&before) >= 100, "{reason}: {after:?}");
    assert_eq!(
        after.dropped_total() - before.dropped_total(),
        n(&after) - n(&before),
        "only {reason} counted: {after:?}"
    );
    assert_eq!(drop_lines(&sim, A, reason), 1, "{reason} logged once");
    assert_eq!(
        peer_changes(&sim, A),
        changes,
        "{reason} changed membership"
    );
    assert_eq!(
        sim.node(A).unwrap().membership.peer_generation(),
        generation
    );
    assert_eq!(sim.holder(0), Some(A), "{reason} moved the group");
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    sim
}

#[test]
fn our_own_name_sent_back_with_another_generation_uuid_or_future_seq_is_dropped() {
    attack("own_name", |sim| {
        let hg = sim.generation_of(A);
        let uuid = [A as u8 + 1; 16];
        vec![
            crafted("alpha", uuid, hg + 1, Some(1), &[]),
            crafted("alpha", [9; 16], hg, Some(1), &[]),
            crafted("alpha", uuid, hg, Some(1_000_000), &[]),
        ]
    });
    // Our own broadcast looping back is normal and not counted.
    let (mut sim, _) = settled();
    let (hg, sent) = (sim.generation_of(A), sim.node(A).unwrap().seq);
    sim.inject(A, crafted("alpha", [A as u8 + 1; 16], hg, Some(sent), &[]));
    assert_eq!(sim.counters(A).dropped_total(), 0);
}

#[test]
fn a_spoofed_uuid_for_the_peers_name_is_dropped() {
    attack("uuid_mismatch", |sim| {
        let hg = sim.generation_of(B);
        vec![crafted("bravo", [0xee; 16], hg, Some(5_000), &[])]
    });
}

#[test]
fn a_far_future_generation_is_dropped_and_the_real_peer_stays_accepted() {
    attack("future_generation", |sim| {
        let uuid = [B as u8 + 1; 16];
        let hg = sim.generation_of(B);
        vec![
            crafted("bravo", uuid, u64::MAX, Some(1), &[]),
            crafted("bravo", uuid, hg + (1 << 33), Some(1), &[]),
        ]
    });
}

#[test]
fn a_huge_sequence_number_is_dropped_and_the_real_peer_stays_accepted() {
    attack("future_seq", |sim| {
        let hg = sim.generation_of(B);
        vec![crafted("bravo", [B as u8 + 1; 16], hg, Some(u64::MAX), &[])]
    });
}

#[test]
fn a_duplicated_header_field_is_dropped() {
    attack("duplicate_field", |sim| {
        let hg = format!("{:x}", sim.generation_of(B) + 1);
        vec![crafted(
            "bravo",
            [B as u8 + 1; 16],
            1,
            Some(1),
            &[("hg", &hg)],
        )]
    });
}

#[test]
fn a_spoofed_unknown_node_name_is_dropped() {
    attack("unknown_node", |_| {
        vec![crafted("mallory", [3; 16], 5, Some(1), &[])]
    });
}

#[test]
fn an_older_generation_is_dropped_while_the_peer_lives() {
    attack("old_generation", |sim| {
        let hg = sim.generation_of(B);
        vec![crafted("bravo", [B as u8 + 1; 16], hg - 1, Some(9), &[])]
    });
}

#[test]
fn a_restarted_peer_with_a_new_generation_is_accepted() {
    let (mut sim, _) = settled();
    let old = sim.generation_of(B);
    sim.crash(B);
    sim.boot(B);
    sim.run_for(Duration::from_secs(8));
    assert_eq!(
        sim.node(A).unwrap().membership.peer_generation(),
        Some(old + 1)
    );
    // Only the crashed process's packets still in flight are refused.
    let c = sim.counters(A);
    assert_eq!(c.dropped_total(), c.dropped_old_generation, "{c:?}");
    let restarts = sim.count_notices(A, |n| {
        matches!(n, Notice::Peer(PeerNotice::PeerRestarted { new_hg, .. }) if *new_hg == old + 1)
    });
    assert_eq!(restarts, 1);
}

#[test]
fn a_peer_with_a_restored_state_directory_is_reported_and_accepted_after_deadtime() {
    let (mut sim, _) = settled();
    // bravo at generation 5, then its state directory is restored to 2.
    for _ in 0..3 {
        sim.crash(B);
        sim.boot(B);
        sim.run_for(Duration::from_secs(8));
    }
    let current = sim.generation_of(B);
    sim.crash(B);
    sim.nodes[B].generation = current - 3;
    sim.boot(B);
    sim.run_for(Duration::from_secs(1));
    // Refused, and said why, while the dead generation's deadtime runs.
    assert!(sim.counters(A).dropped_old_generation > 0);
    assert!(sim.notices(A).any(|n| matches!(
        n,
        Notice::PacketDropped { reason: "old_generation", detail, .. }
            if detail.contains("state directory was restored")
    )));
    sim.run_for(Duration::from_secs(10));
    let rolled = sim.count_notices(A, |n| {
        matches!(n, Notice::Peer(PeerNotice::PeerRolledBack { old_hg, new_hg, .. })
            if *old_hg == current && *new_hg == current - 2)
    });
    assert_eq!(rolled, 1, "{}", sim.trace_tail(40));
    assert_eq!(
        sim.node(A).unwrap().membership.peer_generation(),
        Some(current - 2)
    );
    assert!(sim.connected());
    assert_eq!(sim.holder(0), Some(A));
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
}

/// Keys 1 (the simulator's) and 2, signing with `active`, listing `ids`.
fn rotation_keys(ids: &[u8], active: u8) -> AuthKeys {
    let mut keys = auth();
    let one = keys.keys[&1].clone();
    keys.keys.clear();
    for &id in ids {
        let mut k = one.clone();
        k.id = id;
        if id == 2 {
            k.secret = b"rotated".to_vec();
        }
        keys.keys.insert(id, k);
    }
    keys.active = active;
    keys
}

/// SIGHUP after authkeys changed: the reload carries the new keys.
fn reload_keys(sim: &mut Sim, node: usize, keys: AuthKeys) {
    let mut cfg = sim.config(node);
    cfg.auth = keys;
    sim.input(node, Input::Reload(Box::new(cfg)));
}

#[test]
fn a_key_is_rotated_one_node_at_a_time_without_a_death_or_a_drop() {
    let (mut sim, _) = settled();
    let steps: [(usize, &[u8], u8); 6] = [
        (A, &[1, 2], 1),
        (B, &[1, 2], 1),
        (A, &[1, 2], 2),
        (B, &[1, 2], 2),
        (A, &[2], 2),
        (B, &[2], 2),
    ];
    for (node, ids, active) in steps {
        reload_keys(&mut sim, node, rotation_keys(ids, active));
        sim.run_for(Duration::from_secs(5));
        for i in [A, B] {
            let c = sim.counters(i);
            assert_eq!(c.dropped_total(), 0, "step {ids:?}/{active}: {c:?}");
            assert_eq!(peer_changes(&sim, i), 0, "{}", sim.trace_tail(20));
        }
        assert_eq!(sim.holder(0), Some(A));
    }
    assert_eq!(sim.node(A).unwrap().cfg.auth.active, 2);
    // Had a node switched to key 2 before the other listed it, that one
    // would drop every packet as an unknown key.
    reload_keys(&mut sim, A, rotation_keys(&[3], 3));
    sim.run_for(Duration::from_millis(600));
    assert!(sim.counters(B).dropped_unknown_key > 0);
}
