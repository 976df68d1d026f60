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

/// What the recorder's probe prints at each call: whether the VIP is on,
/// whether the mount is there (and the DRBD role, where there is one).
fn probe(w: &mut AgentWorld, vip: &str, mp: &std::path::Path, drbd: bool) {
    let mut cmd = format!(
        "ip -o addr show to {vip} | grep -q . && echo vip || echo no-vip; \
         mountpoint -q {} && echo mounted || echo not-mounted",
        mp.display()
    );
    if drbd {
        cmd.push_str(&format!(
            "; cat {}/drbd/alpha/r0/role",
            w.dir.path().display()
        ));
    }
    w.set("RECORDER_PROBE", &cmd);
}

#[test]
fn a_chain_whose_third_member_fails_leaves_no_vip_and_no_mount() {
    if !require_root("a_chain_whose_third_member_fails_leaves_no_vip_and_no_mount") {
        return;
    }
    let (n, _peer, vip) = node("rb");
    let dev = LoopDevice::ext4(32);
    let mut w = AgentWorld::new();
    let mp = w.dir.path().join("data");
    let _m = MountGuard(mp.clone());
    probe(&mut w, &vip, &mp, false);
    let g = group(vec![
        ours(&format!("IPaddr::{vip}/24/eth0")),
        w.recorder("between"),
        ours(&fs_spec(&dev, &mp)),
        w.recorder("broken"),
    ]);
    w.fail_start("broken");
    let err = n
        .run_in(|| rt().block_on(start_group(&g, &w.env)))
        .unwrap_err();
    assert_eq!(err.resource, "Recorder::broken");
    assert!(err.rollback.is_none(), "{err}");
    // The real agents ran in order both ways: the VIP before the mount on
    // the way up, the mount gone before the VIP on the way back.
    let seen = [
        ("status between", "vip", "not-mounted"),
        ("start between", "vip", "not-mounted"),
        ("status broken", "vip", "mounted"),
        ("start broken", "vip", "mounted"),
        ("stop broken", "vip", "mounted"),
        ("stop between", "vip", "not-mounted"),
    ];
    let expected: Vec<String> = seen
        .iter()
        .flat_map(|(c, v, m)| [c.to_string(), v.to_string(), m.to_string()])
        .collect();
    assert_eq!(w.story(), expected);
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
    let mut w = AgentWorld::new();
    w.drbd("alpha", "r0", "Secondary", "UpToDate");
    w.drbd("bravo", "r0", "Secondary", "UpToDate");
    let mp = w.dir.path().join("data");
    let _m = MountGuard(mp.clone());
    probe(&mut w, &vip, &mp, true);
    let g = group(vec![
        ours(&format!("IPaddr::{vip}/24/eth0")),
        ours("drbddisk::r0"),
        w.recorder("promoted"),
        ours(&fs_spec(&dev, &mp)),
        ours("Dummy::service"),
        ours("MailTo::root@localhost::seed"),
        w.recorder("last"),
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
    // Up: VIP, then the disk promoted, then the mount; down the reverse.
    let seen = [
        ("status promoted", "vip", "not-mounted", "Primary"),
        ("start promoted", "vip", "not-mounted", "Primary"),
        ("status last", "vip", "mounted", "Primary"),
        ("start last", "vip", "mounted", "Primary"),
        ("status promoted", "vip", "mounted", "Primary"),
        ("status last", "vip", "mounted", "Primary"),
        ("stop last", "vip", "mounted", "Primary"),
        ("stop promoted", "vip", "not-mounted", "Primary"),
        ("status promoted", "no-vip", "not-mounted", "Secondary"),
        ("status last", "no-vip", "not-mounted", "Secondary"),
    ];
    let expected: Vec<String> = seen
        .iter()
        .flat_map(|(c, v, m, r)| [c.to_string(), v.to_string(), m.to_string(), r.to_string()])
        .collect();
    assert_eq!(w.story(), expected);
}
