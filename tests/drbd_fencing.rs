//! DRBD you can trust, through the real daemons in two namespaces and the
//! DRBD emulator (docs/drbd-emulator.md), with fencing set up as
//! docs/guide.md tells users to: `fencing resource-only`, `fence-peer`
//! calling `heartbeat fence-peer`, `after-resync-target` calling
//! `heartbeat unfence-peer`. The heartbeats run on a serial line as well
//! as on the crossover, so cutting the crossover cuts the replication
//! link while the heartbeats flow. One test runs without fencing, where
//! only the peer's reports of its DRBD state guard the data. Root only.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, LabConfig, VIP};
use lab_cluster::*;
use std::time::{Duration, Instant};

const SETTLE: Duration = Duration::from_secs(15);

fn emu(lab: &Lab, i: usize, key: &str) -> String {
    let s = lab.drbd_state(i).unwrap_or_default();
    s.get(key).cloned().unwrap_or_default()
}

fn emu_num(lab: &Lab, i: usize, key: &str) -> u64 {
    emu(lab, i, key).parse().unwrap_or(0)
}

/// [`drbd_lab`] with fencing set up, heartbeats also on a serial line
/// when `serial`.
fn fencing_lab(tag: &str, after: &str, hacf: &[&str], serial: bool) -> Lab {
    let mut c = config(tag);
    c.drbd_fencing = true;
    c.serial = serial;
    c.extra_hacf = hacf.iter().map(|s| s.to_string()).collect();
    drbd_lab(c, after)
}

/// The lab of `c` (fencing as it says) with a VIP and DRBD r0 (then
/// `after`) preferred by alpha; each node's notify hook records its calls
/// in `notified`.
fn drbd_lab(mut c: LabConfig, after: &str) -> Lab {
    c.shared_disk = false;
    c.drbd = true;
    c.resources = Some(format!("{VIP}/24/eth0 drbddisk::r0{after}"));
    let lab = Lab::create(c).expect("lab");
    for i in [A, B] {
        let hook = lab.nodes[i].config_dir().join("notify");
        let record = lab.nodes[i].dir.join("notified");
        std::fs::write(
            &hook,
            format!("#!/bin/sh\necho \"$@\" >> {}\n", record.display()),
        )
        .unwrap();
        std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    lab
}

fn notified(lab: &Lab, i: usize) -> String {
    std::fs::read_to_string(lab.nodes[i].dir.join("notified")).unwrap_or_default()
}

/// Both up, alpha Primary and holding the VIP.
fn serving(lab: &mut Lab) {
    start_both(lab);
    let ok = lab.wait_for(SETTLE, |l| {
        emu(l, A, "role") == "Primary" && l.vip_holders() == vec![A]
    });
    check!(lab, ok, "alpha never served: {:?}", lab.drbd_state(A));
}

fn cut_replication(lab: &Lab) {
    lab.set_link(A, "eth1", false).expect("cut the crossover");
}

fn group_cause(lab: &Lab, i: usize) -> String {
    status_json(lab, i)["groups"][0]["cause"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// For `d`, every 100 ms: `f` holds.
fn always(lab: &Lab, d: Duration, mut f: impl FnMut(&Lab) -> bool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if !f(lab) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// alpha (holding the group) dies: bravo declares it dead and, for a few
/// deadtimes, neither promotes r0 nor adds the VIP; its status, log and
/// notify hook say `why`. Returns `heartbeat status` on bravo.
fn survivor_refuses(lab: &mut Lab, why: &str) -> String {
    lab.kill(A);
    let dead = lab.wait_for(SETTLE, |l| status_json(l, B)["peer_status"] == "dead");
    check!(lab, dead, "bravo never declared alpha dead");
    let held_back = always(lab, Duration::from_secs(3), |l| {
        l.vip_holders().is_empty() && emu(l, B, "role") == "Secondary"
    });
    check!(
        lab,
        held_back,
        "bravo took over: {:?} {:?}",
        lab.vip_holders(),
        lab.drbd_state(B)
    );
    let cause = group_cause(lab, B);
    check!(
        lab,
        cause.contains(why),
        "status does not say why: {cause:?}"
    );
    check!(
        lab,
        lab.log(B)
            .contains(&format!("cannot take over group {VIP}/24/eth0: {why}")),
        "the log does not say why"
    );
    let text = stdout(&lab.ctl(B, &["status"]));
    check!(lab, text.contains(why), "heartbeat status: {text}");
    check!(
        lab,
        notified(lab, B).contains("takeover-refused bravo"),
        "notify hook: {:?}",
        notified(lab, B)
    );
    text
}

#[test]
fn replication_cut_then_primary_killed_the_outdated_survivor_does_not_promote() {
    if !root("replication_cut_then_primary_killed_the_outdated_survivor_does_not_promote") {
        return;
    }
    let mut lab = fencing_lab("fck", "", &[], true);
    serving(&mut lab);
    cut_replication(&lab);
    let outdated = lab.wait_for(SETTLE, |l| emu(l, B, "disk") == "Outdated");
    check!(
        lab,
        outdated,
        "bravo was never outdated: {:?}",
        lab.drbd_state(B)
    );
    let text = survivor_refuses(&mut lab, "r0 is Outdated (outdated by alpha at ");
    check!(
        lab,
        text.contains("drbd r0") && text.contains("Outdated/DUnknown"),
        "heartbeat status: {text}"
    );
}

/// Without fencing nothing outdates bravo's copy when the replication
/// link breaks: its disk still says UpToDate when alpha dies, and only
/// alpha's last report (Primary, not replicating) tells it alpha wrote on.
#[test]
fn replication_cut_without_fencing_then_primary_killed_the_survivor_knows_the_peer_is_newer() {
    if !root(
        "replication_cut_without_fencing_then_primary_killed_the_survivor_knows_the_peer_is_newer",
    ) {
        return;
    }
    let mut c = config("fcn");
    c.serial = true;
    let mut lab = drbd_lab(c, "");
    serving(&mut lab);
    cut_replication(&lab);
    // alpha's daemon sees its DRBD disconnected and reports it (over the
    // serial line) while it goes on writing what bravo no longer gets.
    let apart = lab.wait_for(SETTLE, |l| {
        status_json(l, A)["drbd"][0]["connection"] == "Connecting"
            && emu(l, B, "conn") != "Connected"
            && emu_num(l, A, "generation") > emu_num(l, B, "generation") + 2
    });
    check!(
        lab,
        apart,
        "alpha never wrote alone: {:?} {:?}",
        lab.drbd_state(A),
        lab.drbd_state(B)
    );
    // Ten keepalives: the report alpha sent on seeing the cut has reached
    // bravo (it is sent at once, numbered: a lost one is asked for again).
    std::thread::sleep(Duration::from_secs(1));
    survivor_refuses(
        &mut lab,
        "alpha holds newer data of r0 (it was Primary without replication)",
    );
    check!(
        lab,
        emu(&lab, B, "disk") == "UpToDate",
        "bravo's copy was outdated: this lab has no fencing"
    );
}

#[test]
fn replication_cut_while_heartbeats_flow_the_primary_outdates_its_peer_and_keeps_serving() {
    if !root(
        "replication_cut_while_heartbeats_flow_the_primary_outdates_its_peer_and_keeps_serving",
    ) {
        return;
    }
    let mut lab = fencing_lab("fcf", "", &[], true);
    serving(&mut lab);
    let cut = Instant::now();
    cut_replication(&lab);
    let seen = lab.wait_for(SETTLE, |l| emu(l, A, "conn") != "Connected");
    check!(lab, seen, "alpha's DRBD never saw the cut");
    let noticed = cut.elapsed();
    let outdated = lab.wait_for(SETTLE, |l| emu(l, B, "disk") == "Outdated");
    let fenced = cut.elapsed();
    check!(lab, outdated, "bravo was never outdated");
    eprintln!("cut noticed after {noticed:?}, peer outdated after {fenced:?}");
    check!(
        lab,
        fenced - noticed < Duration::from_secs(1),
        "fencing took {:?} after DRBD noticed",
        fenced - noticed
    );
    let emu_log =
        |l: &Lab| std::fs::read_to_string(l.drbd_dir(A).join("emu.log")).unwrap_or_default();
    let handler = lab.wait_for(SETTLE, |l| {
        emu_log(l).contains("fence-peer") && emu_log(l).contains("exit code 4")
    });
    check!(
        lab,
        handler,
        "the fence-peer handler did not exit 4: {}",
        emu_log(&lab)
    );
    let before = emu_num(&lab, A, "generation");
    let serving = always(&lab, Duration::from_secs(2), |l| {
        l.vip_holders() == vec![A] && emu(l, A, "role") == "Primary"
    });
    check!(lab, serving, "alpha stopped serving");
    check!(
        lab,
        emu_num(&lab, A, "generation") > before,
        "alpha no longer writes"
    );
    let a = status_json(&lab, A);
    check!(
        lab,
        a["drbd"][0]["peer_fenced_at"].is_string(),
        "alpha's status: {a}"
    );
    // The cable back: bravo resyncs, after-resync-target lifts the fencing.
    lab.set_link(A, "eth1", true)
        .expect("restore the crossover");
    let lifted = lab.wait_for(Duration::from_secs(20), |l| {
        emu(l, B, "disk") == "UpToDate"
            && status_json(l, B)["drbd"][0]["outdated_by"].is_null()
            && status_json(l, A)["drbd"][0]["peer_fenced_at"].is_null()
    });
    check!(
        lab,
        lifted,
        "fencing never lifted: {}",
        status_json(&lab, B)
    );
}

/// bravo dies first, alpha goes on writing alone and dies too, then bravo
/// boots alone with data of unknown currency (Consistent) and waits.
fn stale_one_boots_first(tag: &str) -> Lab {
    let mut lab = fencing_lab(tag, "", &["drbd_wfc_timeout 5"], true);
    serving(&mut lab);
    lab.kill(B);
    let alone = lab.wait_for(SETTLE, |l| status_json(l, A)["peer_status"] == "dead");
    check!(lab, alone, "alpha never declared bravo dead");
    std::thread::sleep(Duration::from_millis(500));
    check!(
        lab,
        lab.vip_holders() == vec![A],
        "alpha stopped serving alone"
    );
    lab.kill(A);
    lab.start_drbd_emulator(B).expect("bravo's DRBD");
    lab.start(B).expect("bravo's daemon");
    let waiting = lab.wait_for(SETTLE, |l| group_cause(l, B).contains("r0 is Consistent"));
    check!(
        lab,
        waiting,
        "bravo does not say it waits: {:?}",
        group_cause(&lab, B)
    );
    lab
}

#[test]
fn both_crash_and_the_stale_one_boots_first_it_waits_until_an_operator_forces_it() {
    if !root("both_crash_and_the_stale_one_boots_first_it_waits_until_an_operator_forces_it") {
        return;
    }
    let lab = stale_one_boots_first("fcw");
    let over = lab.wait_for(SETTLE, |l| l.log(B).contains("gave up waiting for alpha"));
    check!(lab, over, "the wait never ended");
    let held_back = always(&lab, Duration::from_secs(2), |l| {
        l.vip_holders().is_empty() && emu(l, B, "role") == "Secondary"
    });
    check!(lab, held_back, "bravo started stale data on its own");
    let plain = lab.ctl(B, &["takeover"]);
    check!(lab, !plain.status.success(), "a plain takeover started it");
    check!(
        lab,
        lab.vip_holders().is_empty(),
        "a plain takeover started the VIP"
    );
    let forced = lab.tool(B, "hb_takeover", &["--force"]);
    check!(
        lab,
        forced.status.success(),
        "hb_takeover --force: {}",
        stdout(&forced)
    );
    let serving = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![B] && emu(l, B, "role") == "Primary"
    });
    check!(lab, serving, "the forced takeover did not serve");
    check!(
        lab,
        lab.log(B).contains("operator forced a takeover"),
        "not logged"
    );
}

#[test]
fn both_crash_and_the_stale_one_boots_first_the_returning_peer_serves_its_newer_data() {
    if !root("both_crash_and_the_stale_one_boots_first_the_returning_peer_serves_its_newer_data") {
        return;
    }
    let mut lab = stale_one_boots_first("fcr");
    lab.start_drbd_emulator(A).expect("alpha's DRBD");
    lab.start(A).expect("alpha's daemon");
    let back = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![A] && emu(l, A, "role") == "Primary"
    });
    check!(
        lab,
        back,
        "alpha did not serve its data: {:?}",
        lab.drbd_state(A)
    );
    // bravo resyncs from alpha: its copy was the stale one.
    let synced = lab.wait_for(SETTLE, |l| emu(l, B, "disk") == "UpToDate");
    check!(lab, synced, "bravo never resynced: {:?}", lab.drbd_state(B));
    check!(
        lab,
        !lab.log(B)
            .contains("Resource group 10.213.7.100/24/eth0 is running here"),
        "bravo ran the group"
    );
}

#[test]
fn split_brain_on_reconnect_is_reported_on_both_nodes_and_nothing_is_discarded() {
    if !root("split_brain_on_reconnect_is_reported_on_both_nodes_and_nothing_is_discarded") {
        return;
    }
    let mut lab = fencing_lab("fcs", "", &[], true);
    serving(&mut lab);
    // Every cable between them at once: each believes the other dead.
    lab.set_link(A, "eth1", false).unwrap();
    lab.set_serial(false);
    let both = lab.wait_for(SETTLE, |l| {
        emu(l, A, "role") == "Primary" && emu(l, B, "role") == "Primary"
    });
    check!(lab, both, "bravo never took over during the partition");
    std::thread::sleep(Duration::from_millis(500));
    let (ga, gb) = (
        emu_num(&lab, A, "generation"),
        emu_num(&lab, B, "generation"),
    );
    lab.set_link(A, "eth1", true).unwrap();
    lab.set_serial(true);
    let reported = lab.wait_for(SETTLE, |l| {
        (0..2).all(|i| l.log(i).contains("is StandAlone") && notified(l, i).contains("split-brain"))
    });
    check!(
        lab,
        reported,
        "split brain not reported on both: {:?} {:?}",
        notified(&lab, A),
        notified(&lab, B)
    );
    std::thread::sleep(Duration::from_secs(2));
    for i in [A, B] {
        check!(
            lab,
            emu(&lab, i, "conn") == "StandAlone",
            "node {i} reconnected by itself"
        );
        check!(
            lab,
            emu(&lab, i, "disk") == "UpToDate",
            "node {i}'s data was discarded"
        );
    }
    check!(
        lab,
        emu_num(&lab, A, "generation") >= ga && emu_num(&lab, B, "generation") >= gb,
        "a side's writes were rolled back"
    );
}

#[test]
fn primary_killed_while_connected_the_peer_promotes_the_same_data_generation() {
    if !root("primary_killed_while_connected_the_peer_promotes_the_same_data_generation") {
        return;
    }
    let mut lab = fencing_lab("fcg", "", &[], false);
    serving(&mut lab);
    std::thread::sleep(Duration::from_millis(500));
    lab.kill(A);
    let meta = std::fs::read_to_string(lab.drbd_dir(A).join("meta")).unwrap_or_default();
    let last: u64 = meta
        .split_whitespace()
        .next()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    let took = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![B] && emu(l, B, "role") == "Primary"
    });
    check!(
        lab,
        took,
        "bravo did not take over: {:?}",
        lab.drbd_state(B)
    );
    // bravo continues from alpha's last replicated write (the emulator
    // replicates every 100 ms, so the write of alpha's last tick may be
    // the one that did not make it).
    let base = emu_num(&lab, B, "base");
    check!(
        lab,
        base + 1 >= last && base <= last,
        "bravo's base {base}, alpha's last generation {last}"
    );
}

/// Each node's agents find a fake `sendmail` (/usr/local/bin in the
/// daemon's mount namespace is the node's DRBD directory) that keeps the
/// mails in `mails/` beside the node.
fn fake_sendmail(lab: &Lab, i: usize) {
    let fake = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-bin/sendmail");
    let wrapper = lab.drbd_bin_dir(i).join("sendmail");
    let spool = lab.nodes[i].dir.join("mails");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nFAKE_MAIL_DIR={} exec {} \"$@\"\n",
            spool.display(),
            fake.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
}

fn mails(lab: &Lab, i: usize) -> String {
    std::fs::read_to_string(lab.nodes[i].dir.join("mails/mails")).unwrap_or_default()
}

#[test]
fn the_seed_chain_fails_over_after_its_stop_kills_a_process_holding_the_mount() {
    if !root("the_seed_chain_fails_over_after_its_stop_kills_a_process_holding_the_mount") {
        return;
    }
    let mut c = config("fcc");
    c.drbd = true;
    c.drbd_fencing = true;
    let mut lab = Lab::create(c).expect("lab");
    // The tutorial's chain: IPaddr, drbddisk, Filesystem, the service, MailTo.
    let dev = lab.loop_dev.clone().expect("the lab's disk");
    let chain = format!(
        "alpha {VIP}/24/eth0 drbddisk::r0 Filesystem::{dev}::{}::ext4 webnode MailTo::root@localhost::seed\n",
        lab.srv_dir().display()
    );
    for i in [A, B] {
        std::fs::write(lab.nodes[i].config_dir().join("haresources"), &chain).unwrap();
        fake_sendmail(&lab, i);
    }
    start_both(&mut lab);
    let up = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![A] && l.probe(Duration::from_secs(1)).is_some()
    });
    check!(lab, up, "alpha never served the chain");
    lab.write_srv(A, "data", "written on alpha").unwrap();
    check!(
        lab,
        emu(&lab, A, "role") == "Primary",
        "r0 not Primary on alpha"
    );
    check!(
        lab,
        mails(&lab, A).contains("seed: takeover on alpha"),
        "mail: {}",
        mails(&lab, A)
    );
    // A process of alpha's keeps the mount busy (its cwd is in it).
    let pid = lab.daemon_pid(A).unwrap();
    let script = format!("cd {} && exec sleep 7777", lab.srv_dir().display());
    let mut holder = hb_lab::in_daemon_namespaces(pid, &["sh", "-c", &script])
        .spawn()
        .expect("the holder");
    std::thread::sleep(Duration::from_millis(300));
    lab.standby(A).expect("standby");
    let moved = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![B]
            && l.fetch_srv("data", Duration::from_secs(1)).as_deref() == Some("written on alpha")
    });
    check!(
        lab,
        moved,
        "the chain did not move to bravo with alpha's data"
    );
    check!(
        lab,
        emu(&lab, B, "role") == "Primary" && emu(&lab, A, "role") == "Secondary",
        "r0 did not move"
    );
    let log = lab.log(A);
    check!(
        lab,
        log.contains("is busy; sending SIGTERM to its users:") && log.contains("(sleep 7777)"),
        "the holder's kill is not logged with its pid and command"
    );
    check!(
        lab,
        holder.try_wait().ok().flatten().is_some(),
        "the holder still runs"
    );
    check!(
        lab,
        mails(&lab, A).contains("seed: release on alpha"),
        "mail: {}",
        mails(&lab, A)
    );
    check!(
        lab,
        mails(&lab, B).contains("seed: takeover on bravo"),
        "mail: {}",
        mails(&lab, B)
    );
    let _ = holder.kill();
    let _ = holder.wait();
}

/// A device held open (by a mount whose holder cannot be killed) on
/// alpha, then alpha goes standby; `format`: the emulator's DRBD version.
fn standby_held_open(tag: &str, format: &str) -> Lab {
    let mut c = config(tag);
    c.shared_disk = false;
    c.drbd = true;
    c.drbd_conf = vec![format!("format = {format}")];
    c.resources = Some(format!("{VIP}/24/eth0 drbddisk::r0"));
    let mut lab = Lab::create(c).expect("lab");
    serving(&mut lab);
    lab.drbdadm(A, &["emu-hold", "r0"]).expect("hold r0 open");
    let _ = lab.ctl(A, &["standby"]);
    lab
}

#[test]
fn a_held_open_drbd_9_device_is_demoted_with_force_and_the_group_moves() {
    if !root("a_held_open_drbd_9_device_is_demoted_with_force_and_the_group_moves") {
        return;
    }
    let lab = standby_held_open("fcd", "9");
    let moved = lab.wait_for(SETTLE, |l| {
        l.vip_holders() == vec![B] && emu(l, B, "role") == "Primary"
    });
    check!(lab, moved, "the group did not move");
    check!(
        lab,
        lab.log(A).contains("demoted r0 with --force"),
        "the forced demote is not logged"
    );
}

#[test]
fn a_held_open_drbd_8_4_device_keeps_the_group_where_it_may_still_write() {
    if !root("a_held_open_drbd_8_4_device_keeps_the_group_where_it_may_still_write") {
        return;
    }
    let lab = standby_held_open("fc8", "8.4");
    let failed = lab.wait_for(SETTLE, |l| {
        l.log(A).contains("DRBD 8.4 has no forced demote")
    });
    check!(lab, failed, "the stop did not fail as it must");
    let stays = always(&lab, Duration::from_secs(2), |l| {
        emu(l, A, "role") == "Primary" && emu(l, B, "role") == "Secondary"
    });
    check!(lab, stays, "r0 was handed over while alpha may still write");
    check!(
        lab,
        status_json(&lab, B)["groups"][0]["local_state"] != "running",
        "bravo started the group"
    );
}
