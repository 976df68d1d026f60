use super::*;

fn node(disk: Disk, fencing: Fencing) -> Resource {
    Resource::new(disk, 1, 1, fencing, 1000)
}

/// Two nodes connected in sync, as a fresh lab starts them.
fn pair() -> (Resource, Resource) {
    let (mut a, mut b) = (
        node(Disk::UpToDate, Fencing::DontCare),
        node(Disk::UpToDate, Fencing::DontCare),
    );
    link(&mut a, &mut b, 0);
    (a, b)
}

fn link(a: &mut Resource, b: &mut Resource, now: u64) -> (Vec<Event>, Vec<Event>) {
    let (ha, hb) = (a.hello(), b.hello());
    (a.handshake(hb, now), b.handshake(ha, now))
}

/// One heartbeat each way.
fn beat(a: &mut Resource, b: &mut Resource) {
    let ha = a.hello();
    b.on_peer(ha);
    let hb = b.hello();
    a.on_peer(hb);
}

#[test]
fn a_fresh_pair_connects_in_sync() {
    let (a, b) = pair();
    assert_eq!((a.conn, b.conn), (Conn::Connected, Conn::Connected));
    assert_eq!((a.disk, b.disk), (Disk::UpToDate, Disk::UpToDate));
}

#[test]
fn a_primary_writes_and_the_connected_peer_follows() {
    let (mut a, mut b) = pair();
    assert_eq!(a.promote(false, None), Ok(Promotion::Done));
    let g = a.generation;
    a.tick(1);
    a.tick(2);
    assert_eq!(a.generation, g + 2);
    beat(&mut a, &mut b);
    assert_eq!(
        (b.generation, b.base, a.base),
        (a.generation, a.generation, a.generation)
    );
}

#[test]
fn no_second_primary_while_connected() {
    let (mut a, mut b) = pair();
    a.promote(false, None).unwrap();
    beat(&mut a, &mut b);
    assert_eq!(b.promote(false, None), Err(Refusal::TwoPrimaries));
    assert_eq!(b.promote(true, None), Err(Refusal::TwoPrimaries));
    assert_eq!(Refusal::TwoPrimaries.exit_code(), 11);
}

#[test]
fn outdated_inconsistent_and_diskless_data_is_not_promoted_without_force() {
    for disk in [Disk::Outdated, Disk::Inconsistent, Disk::Diskless] {
        let mut a = node(disk, Fencing::DontCare);
        assert_eq!(a.promote(false, None), Err(Refusal::NoUpToDate), "{disk:?}");
        assert_eq!(a.role, Role::Secondary);
    }
    assert_eq!(Refusal::NoUpToDate.exit_code(), 17);
    let mut a = node(Disk::Outdated, Fencing::DontCare);
    assert_eq!(a.promote(true, None), Ok(Promotion::Done));
    assert_eq!((a.role, a.disk), (Role::Primary, Disk::UpToDate));
    let mut d = node(Disk::Diskless, Fencing::DontCare);
    assert_eq!(d.promote(true, None), Err(Refusal::NoUpToDate));
}

#[test]
fn consistent_data_without_fencing_is_promoted() {
    let mut a = node(Disk::Consistent, Fencing::DontCare);
    assert_eq!(a.promote(false, None), Ok(Promotion::Done));
    assert_eq!(a.disk, Disk::UpToDate);
}

#[test]
fn with_resource_only_fencing_consistent_data_needs_the_peer_outdated() {
    for (code, ok) in [
        (3, true),
        (4, true),
        (7, true),
        (5, false),
        (6, false),
        (1, false),
    ] {
        let mut a = node(Disk::Consistent, Fencing::ResourceOnly);
        assert_eq!(a.promote(false, None), Ok(Promotion::AskFencePeer));
        let r = a.promote(false, Some(code));
        if ok {
            assert_eq!(r, Ok(Promotion::Done), "exit {code}");
            assert_eq!(a.disk, Disk::UpToDate);
        } else {
            assert_eq!(r, Err(Refusal::PeerNotOutdated), "exit {code}");
            assert_eq!((a.role, a.disk), (Role::Secondary, Disk::Consistent));
        }
    }
}

#[test]
fn with_resource_only_fencing_uptodate_data_is_promoted_unless_the_peer_is_primary() {
    for (code, ok) in [(4, true), (5, true), (1, true), (6, false)] {
        let mut a = node(Disk::UpToDate, Fencing::ResourceOnly);
        assert_eq!(a.promote(false, None), Ok(Promotion::AskFencePeer));
        assert_eq!(a.promote(false, Some(code)).is_ok(), ok, "exit {code}");
    }
    // resource-and-stonith wants the peer really fenced.
    for (code, ok) in [(4, true), (7, true), (5, false), (1, false)] {
        let mut a = node(Disk::UpToDate, Fencing::ResourceAndStonith);
        a.promote(false, None).unwrap();
        assert_eq!(a.promote(false, Some(code)).is_ok(), ok, "exit {code}");
    }
}

#[test]
fn a_connected_node_does_not_ask_the_fence_peer_handler() {
    let (mut a, mut b) = (
        node(Disk::UpToDate, Fencing::ResourceOnly),
        node(Disk::UpToDate, Fencing::ResourceOnly),
    );
    link(&mut a, &mut b, 0);
    assert_eq!(a.promote(false, None), Ok(Promotion::Done));
}

#[test]
fn losing_the_peer_as_primary_starts_a_generation_and_asks_for_fencing() {
    let (mut a, mut b) = (
        node(Disk::UpToDate, Fencing::ResourceOnly),
        node(Disk::UpToDate, Fencing::ResourceOnly),
    );
    link(&mut a, &mut b, 0);
    a.promote(false, None).unwrap();
    let g = a.generation;
    assert_eq!(a.lost(), vec![Event::FencePeer]);
    assert_eq!(b.lost(), vec![]);
    assert_eq!(
        (a.generation, a.conn, b.conn),
        (g + 1, Conn::Connecting, Conn::Connecting)
    );
    assert!(a.generation != a.base && b.generation == b.base);
}

#[test]
fn the_older_side_resyncs_from_the_newer_one() {
    let (mut a, mut b) = pair();
    a.promote(false, None).unwrap();
    beat(&mut a, &mut b);
    a.lost();
    b.lost();
    a.tick(10);
    assert_eq!(link(&mut a, &mut b, 100), (vec![], vec![]));
    assert_eq!((a.conn, b.conn), (Conn::SyncSource, Conn::SyncTarget));
    assert_eq!(b.disk, Disk::Inconsistent);
    assert_eq!(b.sync_done(600), 50.0);
    assert_eq!(b.tick(600), vec![]);
    beat(&mut a, &mut b);
    assert_eq!(b.tick(1100), vec![Event::AfterResyncTarget]);
    assert_eq!(
        (b.conn, b.disk, b.generation),
        (Conn::Connected, Disk::UpToDate, a.generation)
    );
    beat(&mut a, &mut b);
    assert_eq!(a.conn, Conn::Connected);
    assert_eq!((a.base, b.base), (a.generation, b.generation));
}

#[test]
fn an_interrupted_resync_restarts_and_keeps_the_target_inconsistent() {
    let (mut a, mut b) = pair();
    a.promote(false, None).unwrap();
    a.lost();
    b.lost();
    link(&mut a, &mut b, 0);
    a.lost();
    b.lost();
    assert_eq!(b.disk, Disk::Inconsistent);
    assert_eq!(b.promote(false, None), Err(Refusal::NoUpToDate));
    link(&mut a, &mut b, 0);
    assert_eq!((a.conn, b.conn), (Conn::SyncSource, Conn::SyncTarget));
}

#[test]
fn two_primaries_apart_are_a_split_brain_until_one_discards() {
    let (mut a, mut b) = pair();
    a.promote(false, None).unwrap();
    a.lost();
    b.lost();
    b.promote(true, None).unwrap();
    assert_eq!(
        link(&mut a, &mut b, 0),
        (vec![Event::SplitBrain], vec![Event::SplitBrain])
    );
    assert_eq!((a.conn, b.conn), (Conn::StandAlone, Conn::StandAlone));
    assert!(a.split_brain && b.split_brain && !a.wants_connection());
    // Reconnecting without a victim is split brain again.
    a.connect(false);
    b.connect(false);
    assert_eq!(link(&mut a, &mut b, 0).0, vec![Event::SplitBrain]);
    // The victim must be Secondary and say so.
    b.demote(false).unwrap();
    a.connect(false);
    b.connect(true);
    link(&mut a, &mut b, 0);
    assert_eq!((a.conn, b.conn), (Conn::SyncSource, Conn::SyncTarget));
    assert!(!a.split_brain && !b.split_brain);
}

#[test]
fn outdate_only_a_disconnected_secondary_with_data() {
    let (mut a, mut b) = pair();
    assert_eq!(b.outdate(), Err(Refusal::ConnectedOutdates));
    a.promote(false, None).unwrap();
    a.lost();
    b.lost();
    assert_eq!(a.outdate(), Err(Refusal::NoUpToDate));
    assert_eq!(b.outdate(), Ok(()));
    assert_eq!(b.disk, Disk::Outdated);
    assert_eq!(b.promote(false, None), Err(Refusal::NoUpToDate));
    let mut i = node(Disk::Inconsistent, Fencing::DontCare);
    i.conn = Conn::StandAlone;
    assert_eq!(i.outdate(), Err(Refusal::LowerThanOutdated));
    assert_eq!(Refusal::LowerThanOutdated.exit_code(), 5);
}

#[test]
fn an_outdated_peer_with_the_same_data_is_uptodate_again_on_connect() {
    let (mut a, mut b) = pair();
    a.lost();
    b.lost();
    b.outdate().unwrap();
    link(&mut a, &mut b, 0);
    assert_eq!((b.conn, b.disk), (Conn::Connected, Disk::UpToDate));
}

#[test]
fn demotion_is_refused_while_held_open_unless_forced() {
    let (mut a, _) = pair();
    a.promote(false, None).unwrap();
    a.held_open = true;
    assert_eq!(a.demote(false), Err(Refusal::DeviceInUse));
    assert_eq!(a.demote(true), Ok(()));
    assert_eq!(a.role, Role::Secondary);
}

#[test]
fn disconnect_goes_standalone_and_refuses_twice() {
    let (mut a, _) = pair();
    assert_eq!(a.disconnect(), Ok(vec![]));
    assert_eq!(a.conn, Conn::StandAlone);
    assert_eq!(a.disconnect(), Err(Refusal::AlreadyStandAlone));
    a.connect(false);
    assert!(a.wants_connection());
}

#[test]
fn names_round_trip() {
    for d in [
        Disk::Diskless,
        Disk::Inconsistent,
        Disk::Outdated,
        Disk::Consistent,
        Disk::UpToDate,
    ] {
        assert_eq!(Disk::parse(d.name()), Some(d));
    }
    assert_eq!(Fencing::parse("resource-only"), Some(Fencing::ResourceOnly));
    assert_eq!(Role::parse("Primary"), Some(Role::Primary));
}
