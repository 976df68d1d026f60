//! Filesystem on a real ext4 loop device, and whole chains (VIP, DRBD role,
//! mount, service, mail) inside a network namespace. Needs root.

mod support;

use heartbeat::resources::{ResourceStatus, start_group, status_group, stop_group};
use std::process::Command;
use std::time::Duration;
use support::agents::{AgentWorld, group, ours, rt};
use support::{
    ChildGuard, LoopDevice, MountGuard, Netns, addr, is_mount_point, require_root, unique_prefix,
    veth, wait_until,
};

fn fs_spec(dev: &LoopDevice, mp: &std::path::Path) -> String {
    format!("Filesystem::{}::{}::ext4", dev.device, mp.display())
}

#[test]
fn filesystem_mounts_and_unmounts_an_ext4_loop_device() {
    if !require_root("filesystem_mounts_and_unmounts_an_ext4_loop_device") {
        return;
    }
    let dev = LoopDevice::ext4(32);
    let w = AgentWorld::new();
    let mp = w.dir.path().join("data");
    let _m = MountGuard(mp.clone());
    let g = group(vec![ours(&fs_spec(&dev, &mp))]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert!(is_mount_point(&mp));
    assert_eq!(dev.mount_points(), vec![mp.display().to_string()]);
    let st = rt.block_on(status_group(&g, &w.env));
    assert_eq!(st[0].1, ResourceStatus::Running);
    // A repeated start leaves the one mount alone.
    rt.block_on(start_group(&g, &w.env)).unwrap();
    assert_eq!(dev.mount_points().len(), 1);
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert!(!is_mount_point(&mp));
}

#[test]
fn filesystem_stop_kills_a_process_keeping_the_mount_busy() {
    if !require_root("filesystem_stop_kills_a_process_keeping_the_mount_busy") {
        return;
    }
    let dev = LoopDevice::ext4(32);
    let w = AgentWorld::new();
    let mp = w.dir.path().join("busy");
    let _m = MountGuard(mp.clone());
    let g = group(vec![ours(&fs_spec(&dev, &mp))]);
    let rt = rt();
    rt.block_on(start_group(&g, &w.env)).unwrap();
    let mut user = ChildGuard(
        Command::new("sleep")
            .arg("1000")
            .current_dir(&mp)
            .spawn()
            .unwrap(),
    );
    rt.block_on(stop_group(&g, &w.env)).unwrap();
    assert!(!is_mount_point(&mp));
    assert!(
        wait_until(Duration::from_secs(2), || user
            .0
            .try_wait()
            .unwrap()
            .is_some()),
        "the process using the mount was not killed"
    );
}

/// A node namespace with `eth0` on a veth to a peer namespace.
fn node(tag: &str) -> (Netns, Netns, String) {
    let p = unique_prefix(tag);
    let n = Netns::new(&format!("{p}n"));
    let peer = Netns::new(&format!("{p}p"));
    veth(&n, "eth0", &peer, "eth0");
    let net = (std::process::id() % 200) as u8 + 20;
    addr(&n, "eth0", &format!("10.223.{net}.1/24"));
    addr(&peer, "eth0", &format!("10.223.{net}.2/24"));
    (n, peer, format!("10.223.{net}.100"))
}

fn vip_on(ns: &Netns, vip: &str) -> bool {
    !ns.exec_ok(&["ip", "-o", "addr", "show", "to", vip])
        .trim()
        .is_empty()
}

#[test]
fn a_chain_whose_third_member_fails_leaves_no_vip_and_no_mount() {
    if !require_root("a_chain_whose_third_member_fails_leaves_no_vip_and_no_mount") {
        return;
    }
    let (n, _peer, vip) = node("rb");
    let dev = LoopDevice::ext4(32);
    let w = AgentWorld::new();
    let mp = w.dir.path().join("data");
    let _m = MountGuard(mp.clone());
    let broken = w.script(
        "resource.d/Broken",
        "#!/bin/sh\ncase \"$1\" in start) exit 1;; status) exit 3;; esac\nexit 0\n",
    );
    let g = group(vec![
        ours(&format!("IPaddr::{vip}/24/eth0")),
        ours(&fs_spec(&dev, &mp)),
        support::agents::resource(
            "Broken",
            heartbeat::config::AgentKind::Heartbeat,
            &broken,
            vec![],
        ),
    ]);
    let err = n
        .run_in(|| rt().block_on(start_group(&g, &w.env)))
        .unwrap_err();
    assert_eq!(err.resource, "Broken");
    assert!(err.rollback.is_none(), "{err}");
    assert!(!vip_on(&n, &vip), "the VIP was left up");
    assert!(!is_mount_point(&mp), "the filesystem was left mounted");
}

#[test]
fn the_seed_chain_starts_and_stops_for_real() {
    if !require_root("the_seed_chain_starts_and_stops_for_real") {
        return;
    }
    let (n, _peer, vip) = node("sd");
    let dev = LoopDevice::ext4(32);
    let w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    w.drbd("bravo", "r0", "Secondary", "UpToDate");
    let mp = w.dir.path().join("data");
    let _m = MountGuard(mp.clone());
    let g = group(vec![
        ours(&format!("IPaddr::{vip}/24/eth0")),
        ours("drbddisk::r0"),
        ours(&fs_spec(&dev, &mp)),
        ours("Dummy::service"),
        ours("MailTo::root@localhost::seed"),
    ]);
    n.run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert!(vip_on(&n, &vip));
    assert_eq!(w.drbd_role("alpha", "r0"), "Primary");
    assert!(is_mount_point(&mp));
    assert!(w.mails().contains("seed: takeover on alpha"));
    let st = n.run_in(|| rt().block_on(status_group(&g, &w.env)));
    assert!(
        st.iter().all(|(_, s)| *s == ResourceStatus::Running),
        "{st:?}"
    );

    n.run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!vip_on(&n, &vip));
    assert_eq!(w.drbd_role("alpha", "r0"), "Secondary");
    assert!(!is_mount_point(&mp));
    assert!(w.mails().contains("seed: release on alpha"));
    let st = n.run_in(|| rt().block_on(status_group(&g, &w.env)));
    assert!(
        st.iter().all(|(_, s)| *s == ResourceStatus::Stopped),
        "{st:?}"
    );
}
