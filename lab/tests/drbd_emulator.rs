//! The DRBD emulator across two namespaces: the emulators connect over the
//! crossover, replicate, refuse what DRBD refuses with drbdadm's words and
//! exit codes, lose each other when the cable is cut, resync, detect split
//! brain, honour `outdate` and the fence-peer exit-code contract, and
//! drive the drbddisk agent. Root only (namespaces).

use hb_lab::{Lab, LabConfig, unique_prefix};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;
/// Generous: the link notices silence after 500 ms and reconnects at once.
const SETTLE: Duration = Duration::from_secs(10);

fn lab(test: &str, conf: &[&str]) -> Option<Lab> {
    if !hb_lab::skip::unless_root(test) {
        return None;
    }
    let mut cfg = LabConfig::new(&unique_prefix(test), Path::new("/bin/false"));
    cfg.shared_disk = false;
    cfg.drbd = true;
    cfg.drbd_conf = conf.iter().map(|s| s.to_string()).collect();
    let lab = Lab::create(cfg).expect("create the lab");
    for i in [A, B] {
        assert!(
            wait(&lab, i, "conn", "Connected"),
            "node {i} never connected: {}",
            emu_log(&lab, i)
        );
    }
    Some(lab)
}

/// drbdadm on node `i`: exit code, stdout, stderr.
fn adm(lab: &Lab, i: usize, args: &[&str]) -> (i32, String, String) {
    let o = lab.drbdadm(i, args).expect("run drbdadm");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn state(lab: &Lab, i: usize, key: &str) -> String {
    lab.drbd_state(i)
        .unwrap_or_default()
        .get(key)
        .cloned()
        .unwrap_or_default()
}

fn generation(lab: &Lab, i: usize) -> u64 {
    state(lab, i, "generation").parse().unwrap_or(0)
}

fn wait(lab: &Lab, i: usize, key: &str, want: &str) -> bool {
    lab.wait_for(SETTLE, |l| state(l, i, key) == want)
}

fn emu_log(lab: &Lab, i: usize) -> String {
    std::fs::read_to_string(lab.drbd_dir(i).join("emu.log")).unwrap_or_default()
}

fn cut(lab: &Lab, up: bool) {
    lab.set_link(A, "eth1", up).expect("set eth1");
}

#[test]
fn emulators_connect_replicate_and_refuse_a_second_primary() {
    let Some(lab) = lab("drbd_connect", &[]) else {
        return;
    };
    assert_eq!(
        adm(&lab, A, &["cstate", "r0"]),
        (0, "Connected\n".into(), String::new())
    );
    assert_eq!(adm(&lab, A, &["primary", "r0"]).0, 0);
    let g = generation(&lab, A);
    assert!(
        lab.wait_for(SETTLE, |l| generation(l, A) > g + 3),
        "alpha's generation does not advance"
    );
    assert!(
        lab.wait_for(SETTLE, |l| generation(l, B) > g),
        "bravo does not follow alpha's writes"
    );
    assert!(wait(&lab, B, "peer-role", "Primary"));
    let (code, out, err) = adm(&lab, B, &["primary", "r0"]);
    assert_eq!((code, out.as_str()), (11, ""));
    assert_eq!(
        err,
        "r0: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup primary r0' terminated with exit code 11\n"
    );
    assert_eq!(adm(&lab, B, &["primary", "--force", "r0"]).0, 11);
    assert_eq!(adm(&lab, A, &["role", "r0"]).1, "Primary\n");
    assert_eq!(adm(&lab, B, &["role", "r0"]).1, "Secondary\n");
    assert_eq!(adm(&lab, B, &["dstate", "r0"]).1, "UpToDate/UpToDate\n");
    assert_eq!(
        adm(&lab, A, &["status", "r0"]).1,
        "r0 role:Primary\n  disk:UpToDate\n  bravo role:Secondary\n    peer-disk:UpToDate\n\n"
    );
    let (code, _, err) = adm(&lab, A, &["role", "r7"]);
    assert_eq!(
        (code, err.as_str()),
        (10, "'r7' not defined in your config (for this host).\n")
    );
    // A mounted device is not demoted, unless forced.
    assert_eq!(adm(&lab, A, &["emu-hold", "r0"]).0, 0);
    let (code, _, err) = adm(&lab, A, &["secondary", "r0"]);
    assert_eq!(code, 11);
    assert!(
        err.starts_with("r0: State change failed: (-12) Device is held open by someone\n"),
        "{err}"
    );
    // The running Primary goes, and the other may take over.
    assert_eq!(adm(&lab, A, &["secondary", "--force", "r0"]).0, 0);
    assert!(wait(&lab, B, "peer-role", "Secondary"));
    assert_eq!(adm(&lab, B, &["primary", "r0"]).0, 0);
}

#[test]
fn cutting_the_crossover_disconnects_and_the_old_side_resyncs() {
    let handler =
        "after-resync-target = touch \"$(dirname \"$DRBD_CONF\")/resynced-$DRBD_RESOURCE\"";
    let Some(lab) = lab("drbd_resync", &["resync-ms = 3000", handler]) else {
        return;
    };
    assert_eq!(adm(&lab, A, &["primary", "r0"]).0, 0);
    cut(&lab, false);
    assert!(wait(&lab, A, "conn", "Connecting") && wait(&lab, B, "conn", "Connecting"));
    assert_eq!(adm(&lab, B, &["cstate", "r0"]).1, "Connecting\n");
    assert_eq!(adm(&lab, B, &["role", "r0"]).1, "Secondary\n");
    assert_eq!(adm(&lab, A, &["dstate", "r0"]).1, "UpToDate/DUnknown\n");
    let g = generation(&lab, A);
    assert!(
        lab.wait_for(SETTLE, |l| generation(l, A) > g + 3),
        "alpha stopped writing"
    );
    assert!(
        generation(&lab, B) < g,
        "bravo followed alpha across a cut cable"
    );
    cut(&lab, true);
    assert!(wait(&lab, B, "conn", "SyncTarget"), "{}", emu_log(&lab, B));
    assert_eq!(state(&lab, B, "disk"), "Inconsistent");
    let status = adm(&lab, B, &["status", "r0"]).1;
    assert!(
        status.contains("    replication:SyncTarget peer-disk:UpToDate done:"),
        "{status}"
    );
    assert_eq!(
        adm(&lab, B, &["primary", "r0"]).0,
        11,
        "a second Primary while syncing"
    );
    assert!(wait(&lab, B, "disk", "UpToDate"));
    assert!(wait(&lab, A, "conn", "Connected") && wait(&lab, B, "conn", "Connected"));
    assert!(
        generation(&lab, B) >= g + 3,
        "bravo did not get alpha's writes"
    );
    assert!(lab.wait_for(SETTLE, |l| l.drbd_dir(B).join("resynced-r0").exists()));
    assert!(
        !lab.drbd_dir(A).join("resynced-r0").exists(),
        "the sync source ran the target's handler"
    );
}

#[test]
fn two_primaries_apart_are_a_split_brain_on_reconnect() {
    let Some(lab) = lab("drbd_splitbrain", &["resync-ms = 200"]) else {
        return;
    };
    assert_eq!(adm(&lab, A, &["primary", "r0"]).0, 0);
    cut(&lab, false);
    assert!(wait(&lab, A, "conn", "Connecting") && wait(&lab, B, "conn", "Connecting"));
    assert_eq!(adm(&lab, B, &["primary", "--force", "r0"]).0, 0);
    cut(&lab, true);
    assert!(wait(&lab, A, "conn", "StandAlone") && wait(&lab, B, "conn", "StandAlone"));
    assert_eq!(state(&lab, A, "split-brain"), "true");
    assert_eq!(adm(&lab, B, &["cstate", "r0"]).1, "StandAlone\n");
    assert!(emu_log(&lab, A).contains("Split-Brain detected"));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        state(&lab, A, "conn"),
        "StandAlone",
        "reconnected on its own"
    );
    // Told which side to discard, they resync from the survivor.
    assert_eq!(adm(&lab, B, &["secondary", "r0"]).0, 0);
    assert_eq!(adm(&lab, B, &["connect", "--discard-my-data", "r0"]).0, 0);
    assert_eq!(adm(&lab, A, &["connect", "r0"]).0, 0);
    assert!(wait(&lab, B, "conn", "Connected") && wait(&lab, B, "disk", "UpToDate"));
    assert_eq!(state(&lab, A, "split-brain"), "false");
}

#[test]
fn an_outdated_secondary_is_not_promoted() {
    let Some(lab) = lab("drbd_outdate", &[]) else {
        return;
    };
    let (code, _, err) = adm(&lab, B, &["outdate", "r0"]);
    assert_eq!(code, 11);
    assert!(
        err.starts_with("r0: State change failed: (-6) Refusing to be Outdated while Connected\n"),
        "{err}"
    );
    cut(&lab, false);
    assert!(wait(&lab, B, "conn", "Connecting"));
    assert_eq!(adm(&lab, B, &["outdate", "r0"]).0, 0);
    assert_eq!(adm(&lab, B, &["dstate", "r0"]).1, "Outdated/DUnknown\n");
    let (code, _, err) = adm(&lab, B, &["primary", "r0"]);
    assert_eq!(code, 17);
    assert_eq!(
        err,
        "r0: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup primary r0' terminated with exit code 17\n"
    );
    assert_eq!(state(&lab, B, "role"), "Secondary");
}

#[test]
fn drbd84_formats() {
    let Some(lab) = lab("drbd_84", &["format = 8.4"]) else {
        return;
    };
    assert_eq!(adm(&lab, A, &["primary", "r0"]).0, 0);
    assert!(wait(&lab, B, "peer-role", "Primary"));
    assert_eq!(adm(&lab, A, &["role", "r0"]).1, "Primary/Secondary\n");
    assert_eq!(adm(&lab, B, &["role", "r0"]).1, "Secondary/Primary\n");
    assert_eq!(adm(&lab, B, &["dstate", "r0"]).1, "UpToDate/UpToDate\n");
    assert_eq!(adm(&lab, B, &["cstate", "r0"]).1, "Connected\n");
    assert_eq!(
        adm(&lab, A, &["status", "r0"]).1,
        " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
    );
    let (code, _, err) = adm(&lab, B, &["primary", "r0"]);
    assert_eq!(code, 11);
    assert_eq!(
        err,
        "0: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup-84 primary 0' terminated with exit code 11\n"
    );
    cut(&lab, false);
    assert!(wait(&lab, B, "conn", "Connecting"));
    assert_eq!(adm(&lab, B, &["cstate", "r0"]).1, "WFConnection\n");
    assert_eq!(adm(&lab, B, &["role", "r0"]).1, "Secondary/Unknown\n");
}

#[test]
fn the_fence_peer_exit_code_decides_a_disconnected_promotion() {
    let handler = "fence-peer = exit \"$(cat \"$(dirname \"$DRBD_CONF\")/fence-code\")\"";
    let Some(mut lab) = lab("drbd_fence", &["fencing = resource-only", handler]) else {
        return;
    };
    cut(&lab, false);
    // Bravo reboots alone: its UpToDate data comes back Consistent, and
    // only an outdated (or fenced) peer lets it be Primary.
    lab.kill_drbd_emulator(B).unwrap();
    lab.start_drbd_emulator(B).unwrap();
    assert_eq!(adm(&lab, B, &["dstate", "r0"]).1, "Consistent/DUnknown\n");
    let code_file = lab.drbd_dir(B).join("fence-code");
    for (code, ok) in [("5", false), ("6", false), ("4", true)] {
        std::fs::write(&code_file, code).unwrap();
        let (rc, _, err) = adm(&lab, B, &["primary", "r0"]);
        if ok {
            assert_eq!(rc, 0, "fence-peer exit {code}: {err}");
        } else {
            assert_eq!(rc, 11, "fence-peer exit {code}");
            assert!(
                err.contains("(-7) Refusing to be Primary while peer is not outdated"),
                "{err}"
            );
        }
    }
    assert_eq!(adm(&lab, B, &["dstate", "r0"]).1, "UpToDate/Outdated\n");
    assert!(
        emu_log(&lab, B).contains("fence-peer"),
        "{}",
        emu_log(&lab, B)
    );
}

fn drbddisk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../resource-agents/drbddisk")
}

fn agent(lab: &Lab, i: usize, action: &str) -> i32 {
    let path = format!(
        "{}:{}",
        lab.drbd_bin_dir(i).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(drbddisk())
        .args(["r0", action])
        .env("PATH", path)
        .env("OCF_RESKEY_tries", "1")
        .output()
        .expect("run drbddisk")
        .status
        .code()
        .unwrap_or(-1)
}

#[test]
fn the_drbddisk_agent_drives_the_emulator() {
    let Some(lab) = lab("drbd_agent", &[]) else {
        return;
    };
    assert_eq!(agent(&lab, A, "status"), 3, "not running yet");
    assert_eq!(agent(&lab, A, "start"), 0);
    assert_eq!(state(&lab, A, "role"), "Primary");
    assert_eq!(agent(&lab, A, "status"), 0);
    assert!(wait(&lab, B, "peer-role", "Primary"));
    assert_ne!(
        agent(&lab, B, "start"),
        0,
        "bravo promoted beside a connected Primary"
    );
    assert_eq!(agent(&lab, A, "stop"), 0);
    assert_eq!(state(&lab, A, "role"), "Secondary");
    assert!(wait(&lab, B, "peer-role", "Secondary"));
    assert_eq!(agent(&lab, B, "start"), 0);
}
