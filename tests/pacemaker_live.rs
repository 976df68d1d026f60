//! The way out to Pacemaker, proven live: the lab's ha.d (VIP, Filesystem
//! on the lab's loop disk, the `webnode` service script) exported by
//! `heartbeat export pacemaker`, then Debian's corosync and pacemakerd
//! started for real on both nodes (each in its own network, mount and UTS
//! namespace, see lab/src/pacemaker.rs) with the exported corosync.conf
//! and key. They must form one membership, take the exported CIB as
//! docs/migration.md's step 7 loads it (`cibadmin --replace --scope
//! configuration`), place the group on the preferred node, and move it,
//! data included, when that node's corosync is SIGKILLed.
//!
//! What it does not prove, and prints once: the lab has no fence device,
//! so the CIB is exported with `--disable-fencing` (stonith-enabled=false)
//! and the node whose corosync died is never fenced. DRBD is not in this
//! configuration: `ocf:linbit:drbd` needs the kernel module (its exported
//! form is checked offline by tests/export.rs with crm_simulate).
//! Root only; under CI=true a missing program fails instead of skipping.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, NODES, VIP};
use lab_cluster::*;
use std::path::Path;
use std::time::{Duration, Instant};

const PROGRAMS: [&str; 8] = [
    "corosync",
    "corosync-cfgtool",
    "corosync-keygen",
    "pacemakerd",
    "crm_node",
    "crm_resource",
    "nsenter",
    "unshare",
];
const AGENTS: [&str; 2] = ["IPaddr2", "Filesystem"];
/// Corosync's membership and Pacemaker's first election (dc-deadtime,
/// 20 s by default) take about half a minute here.
const SETTLE: Duration = Duration::from_secs(120);

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn prerequisites(test: &str) -> bool {
    if !root(test) {
        return false;
    }
    let programs = PROGRAMS
        .iter()
        .all(|p| hb_lab::skip::unless(on_path(p), test, p));
    programs
        && AGENTS.iter().all(|a| {
            let path = format!("/usr/lib/ocf/resource.d/heartbeat/{a}");
            hb_lab::skip::unless(Path::new(&path).is_file(), test, &path)
        })
}

/// Fails with both nodes' Pacemaker and Corosync logs attached.
macro_rules! live_check {
    ($lab:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            for i in 0..2 {
                eprintln!("==== {} ====\n{}", NODES[i], $lab.pacemaker_log(i));
            }
            panic!($($msg)+);
        }
    };
}

#[test]
fn exported_ha_d_runs_on_corosync_and_pacemaker_and_fails_over_when_corosync_dies() {
    let test = "exported_ha_d_runs_on_corosync_and_pacemaker_and_fails_over_when_corosync_dies";
    if !prerequisites(test) {
        return;
    }
    let group = format!("g-ip-{VIP}");
    let mut lab = Lab::create(config("pcmk")).expect("lab");
    let export = lab.export_pacemaker().expect("export");
    let cib = std::fs::read_to_string(export.join("cib.xml")).unwrap();
    assert!(
        cib.contains("name=\"stonith-enabled\" value=\"false\""),
        "{cib}"
    );
    lab.start_pacemaker(A, &export).expect("pacemaker on alpha");
    lab.start_pacemaker(B, &export).expect("pacemaker on bravo");

    let both = [NODES[0].to_string(), NODES[1].to_string()];
    live_check!(
        lab,
        lab.wait_for(SETTLE, |l| (0..2).all(|i| l.pacemaker_members(i) == both)),
        "the nodes never formed one membership: alpha sees {:?}, bravo {:?}",
        lab.pacemaker_members(A),
        lab.pacemaker_members(B)
    );
    lab.load_pacemaker_config(A, &export)
        .expect("cibadmin --replace");
    let placed = lab.wait_for(SETTLE, |l| {
        l.pacemaker_location(B, &group) == [NODES[0]]
            && l.vip_holders() == [A]
            && l.probe(Duration::from_millis(500)).as_deref() == Some(NODES[0])
    });
    live_check!(
        lab,
        placed,
        "the group never ran on alpha: Pacemaker says {:?}, VIP on {:?}, client got {:?}",
        lab.pacemaker_location(B, &group),
        lab.vip_holders(),
        lab.probe(Duration::from_millis(500))
    );
    // The Filesystem resource mounted the lab's disk in alpha's mount
    // namespace: what is written there must be served by bravo later.
    lab.write_srv(A, "proof", "written on alpha")
        .expect("write on the disk");

    let killed = Instant::now();
    lab.kill_corosync(A).expect("kill alpha's corosync");
    let answered = lab.wait_for(SETTLE, |l| {
        l.probe(Duration::from_millis(200)).as_deref() == Some(NODES[1])
    });
    let took = killed.elapsed();
    live_check!(
        lab,
        answered,
        "the VIP never answered from bravo: Pacemaker on bravo says {:?}, VIP on {:?}",
        lab.pacemaker_location(B, &group),
        lab.vip_holders()
    );
    live_check!(
        lab,
        lab.pacemaker_location(B, &group) == [NODES[1]] && lab.vip_holders().contains(&B),
        "bravo answers but Pacemaker says {:?}, VIP on {:?}",
        lab.pacemaker_location(B, &group),
        lab.vip_holders()
    );
    assert_eq!(
        lab.fetch_srv("proof", Duration::from_secs(2)).as_deref(),
        Some("written on alpha"),
        "bravo's Filesystem did not mount the disk alpha wrote to"
    );
    println!(
        "pacemaker_live: corosync SIGKILL on alpha -> VIP answering from bravo in {} ms (token {} ms)",
        took.as_millis(),
        token_ms(&export)
    );
    println!(
        "pacemaker_live: not tested here: fencing (no fence device; stonith-enabled=false) — alpha, unfenced, {} the VIP after its corosync died; and DRBD (ocf:linbit:drbd needs the kernel module)",
        if lab.vip_holders().contains(&A) {
            "still holds"
        } else {
            "released"
        }
    );
}

/// The `token:` value of the exported corosync.conf.
fn token_ms(export: &Path) -> String {
    std::fs::read_to_string(export.join("corosync.conf"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: ").map(str::to_string))
        .unwrap_or_default()
}
