//! The way out to Pacemaker, proven live: the lab's ha.d (VIP, Filesystem
//! on the lab's loop disk, the `webnode` service script) exported by
//! `heartbeat export pacemaker`, then Debian's corosync and pacemakerd
//! started for real on both nodes (each in its own network, mount and UTS
//! namespace, see lab/src/pacemaker.rs) with the exported corosync.conf
//! and key. They must form one membership, take the exported CIB as
//! docs/migration.md's step 7 loads it (`cibadmin --replace --scope
//! configuration`), place the group on the preferred node, and start it
//! on the other node when that node's corosync is SIGKILLed; once the lab
//! has powered the dead node off, the client reaches the group, data
//! included, on the survivor.
//!
//! `drbddisk::r0` goes live too, exported as the promotable
//! `ocf:linbit:drbd` clone: LINBIT's agent needs the kernel module, so the
//! lab plays that agent on its DRBD emulator (lab/src/pcmk-drbd; the
//! offline crm_simulate checks of tests/export.rs cover the same CIB).
//!
//! Fencing: the lab has no fence hardware, so the CIB is exported with
//! `--disable-fencing` (stonith-enabled=false), and as exported the node
//! whose corosync died is never fenced: it keeps its VIP, and with DRBD
//! its Primary role, which blocks the move until the lab powers that node
//! off by hand. The third test does step 9 of docs/migration.md with the
//! lab's own fence device (`fence_lab`, lab/src/pcmk-fence), and then
//! Pacemaker fences and moves everything by itself.
//! Root only; under CI=true a missing program fails instead of skipping.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::{Lab, LabConfig, NODES, VIP};
use lab_cluster::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PROGRAMS: [&str; 13] = [
    "corosync",
    "corosync-cfgtool",
    "corosync-keygen",
    "pacemakerd",
    "cibadmin",
    "crm_attribute",
    "crm_master",
    "crm_mon",
    "crm_node",
    "crm_resource",
    "stonith_admin",
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

/// The lab of `cfg` exported, Corosync and Pacemaker running on both
/// nodes in one membership, and the exported CIB loaded; `None` (after
/// the skip line) when a prerequisite is missing.
fn running_cluster(test: &str, cfg: LabConfig) -> Option<(Lab, PathBuf)> {
    if !prerequisites(test) {
        return None;
    }
    let mut lab = Lab::create(cfg).expect("lab");
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
    Some((lab, export))
}

#[test]
fn exported_ha_d_runs_on_corosync_and_pacemaker_and_fails_over_when_corosync_dies() {
    let test = "exported_ha_d_runs_on_corosync_and_pacemaker_and_fails_over_when_corosync_dies";
    let Some((mut lab, export)) = running_cluster(test, config("pmk")) else {
        return;
    };
    let group = format!("g-ip-{VIP}");
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
    let moved = lab.wait_for(SETTLE, |l| {
        l.pacemaker_location(B, &group) == [NODES[1]]
            && l.vip_holders().contains(&B)
            && served_on(l, B).as_deref() == Some(NODES[1])
    });
    let took = killed.elapsed();
    live_check!(
        lab,
        moved,
        "the group never started on bravo: Pacemaker on bravo says {:?}, VIP on {:?}",
        lab.pacemaker_location(B, &group),
        lab.vip_holders()
    );
    // Unfenced, alpha keeps its copy of the VIP (and its mount and web
    // service): which node a client reaches is then a race of ARP
    // answers. The lab now does what a fence device would do: power
    // alpha off. From then on the client must reach bravo, and bravo must
    // serve what alpha wrote on the disk.
    let alpha_kept = lab.vip_holders().contains(&A);
    lab.kill(A);
    live_check!(
        lab,
        lab.wait_for(SETTLE, |l| {
            l.probe(Duration::from_millis(200)).as_deref() == Some(NODES[1])
        }),
        "with alpha off, the client never reached bravo on the VIP"
    );
    assert_eq!(
        lab.fetch_srv("proof", Duration::from_secs(2)).as_deref(),
        Some("written on alpha"),
        "bravo's Filesystem did not mount the disk alpha wrote to"
    );
    println!(
        "pacemaker_live: corosync SIGKILL on alpha -> group started on bravo, VIP answering there, in {} ms (token {} ms)",
        took.as_millis(),
        token_ms(&export)
    );
    println!(
        "pacemaker_live: as exported (stonith-enabled=false, no fence device) alpha, unfenced, {} the VIP after its corosync died, until the lab powered it off; real fence hardware cannot be tested here (the lab's fence_lab stands in)",
        if alpha_kept { "still held" } else { "released" }
    );
}

/// What the web service on the VIP answers to node `i` itself (the
/// address is local there, so no ARP race with a node that also has it).
fn served_on(lab: &Lab, i: usize) -> Option<String> {
    hb_lab::in_netns(&lab.nodes[i].ns, || {
        hb_lab::http_get(VIP, 80, Duration::from_millis(500))
    })
    .ok()
    .flatten()
}

fn drbd_role(lab: &Lab, i: usize) -> String {
    lab.drbdadm(i, &["role", "r0"])
        .map(|o| stdout(&o))
        .unwrap_or_default()
}

/// `drbddisk::r0` exported as a promotable `ocf:linbit:drbd` clone, here
/// played on the DRBD emulator (lab/src/pcmk-drbd): Pacemaker promotes
/// alpha's side under the group. Then alpha's corosync dies, and without
/// fencing DRBD itself refuses bravo's promotion, alpha being Primary
/// still; once the lab powers alpha off, as a fence device would, bravo
/// promotes and the group answers from there.
#[test]
fn exported_drbd_clone_is_promoted_under_the_group_and_moves_once_the_dead_node_is_off() {
    let test =
        "exported_drbd_clone_is_promoted_under_the_group_and_moves_once_the_dead_node_is_off";
    let mut cfg = config("pmd");
    cfg.drbd = true;
    cfg.shared_disk = false;
    cfg.resources = Some(format!("drbddisk::r0 {VIP}/24/eth0 webnode"));
    let Some((mut lab, export)) = running_cluster(test, cfg) else {
        return;
    };
    let cib = std::fs::read_to_string(export.join("cib.xml")).unwrap();
    assert!(
        cib.contains("provider=\"linbit\" type=\"drbd\"") && cib.contains("promotable"),
        "{cib}"
    );
    let group = format!("g-ip-{VIP}");
    let placed = lab.wait_for(SETTLE, |l| {
        drbd_role(l, A) == "Primary"
            && drbd_role(l, B) == "Secondary"
            && l.probe(Duration::from_millis(500)).as_deref() == Some(NODES[0])
    });
    live_check!(
        lab,
        placed,
        "r0 and the group never ran on alpha: r0 {} / {}, group on {:?}, client got {:?}",
        drbd_role(&lab, A),
        drbd_role(&lab, B),
        lab.pacemaker_location(B, &group),
        lab.probe(Duration::from_millis(500))
    );

    lab.kill_corosync(A).expect("kill alpha's corosync");
    let refused = lab.wait_for(SETTLE, |l| {
        l.pacemaker_members(B) == [NODES[1]] && promote_failed_on_bravo(l)
    });
    live_check!(
        lab,
        refused,
        "bravo never tried to promote r0 after alpha's corosync died"
    );
    assert_eq!(drbd_role(&lab, A), "Primary", "who demoted alpha?");
    assert_eq!(drbd_role(&lab, B), "Secondary", "two Primaries");
    // The group follows the Promoted role only: none on bravo, none started.
    live_check!(
        lab,
        !lab.pacemaker_location(B, &group)
            .contains(&NODES[1].to_string()),
        "the group started on bravo without r0 promoted there"
    );

    let fenced = Instant::now();
    lab.kill(A);
    let answered = lab.wait_for(SETTLE, |l| {
        l.probe(Duration::from_millis(200)).as_deref() == Some(NODES[1])
    });
    let took = fenced.elapsed();
    live_check!(
        lab,
        answered && drbd_role(&lab, B) == "Primary",
        "after alpha was powered off the group never answered from bravo: r0 on bravo {}, group on {:?}",
        drbd_role(&lab, B),
        lab.pacemaker_location(B, &group)
    );
    println!(
        "pacemaker_live: DRBD: alpha's corosync dead but alpha unfenced, bravo's promotion was refused (alpha still Primary); alpha powered off by the lab as a fence device would -> VIP answering from bravo in {} ms",
        took.as_millis()
    );
}

/// Step 9 done in the lab: with a fence device per node (the lab's
/// `fence_lab`, which powers a node's namespace off) and
/// `stonith-enabled=true`, killing alpha's corosync is all it takes:
/// bravo's Pacemaker fences alpha, promotes DRBD and starts the group, and
/// the client reaches bravo with no help from the test.
#[test]
fn with_a_fence_device_the_group_and_drbd_move_when_corosync_dies() {
    let test = "with_a_fence_device_the_group_and_drbd_move_when_corosync_dies";
    let mut cfg = config("pmf");
    cfg.drbd = true;
    cfg.shared_disk = false;
    cfg.resources = Some(format!("drbddisk::r0 {VIP}/24/eth0 webnode"));
    let Some((lab, export)) = running_cluster(test, cfg) else {
        return;
    };
    lab.add_pacemaker_fencing(A).expect("fence devices");
    let placed = lab.wait_for(SETTLE, |l| {
        drbd_role(l, A) == "Primary"
            && l.probe(Duration::from_millis(500)).as_deref() == Some(NODES[0])
    });
    live_check!(
        lab,
        placed,
        "r0 and the group never ran on alpha: r0 {} / {}, client got {:?}",
        drbd_role(&lab, A),
        drbd_role(&lab, B),
        lab.probe(Duration::from_millis(500))
    );

    let killed = Instant::now();
    lab.kill_corosync(A).expect("kill alpha's corosync");
    let answered = lab.wait_for(SETTLE, |l| {
        l.probe(Duration::from_millis(200)).as_deref() == Some(NODES[1])
    });
    let took = killed.elapsed();
    live_check!(
        lab,
        answered && drbd_role(&lab, B) == "Primary",
        "the group never answered from bravo: r0 on bravo {}, alpha's processes {:?}",
        drbd_role(&lab, B),
        netns_pids(&lab, A)
    );
    live_check!(
        lab,
        netns_pids(&lab, A).is_empty(),
        "bravo took over but alpha was never fenced: {:?}",
        netns_pids(&lab, A)
    );
    let history = lab
        .pacemaker_tool(B, &["stonith_admin", "--history", NODES[0]])
        .map(|o| stdout(&o))
        .unwrap_or_default();
    assert!(
        history.contains(&format!("of {} successful", NODES[0])),
        "no fencing of alpha in bravo's history: {history}"
    );
    println!(
        "pacemaker_live: fenced: corosync SIGKILL on alpha -> alpha fenced, r0 promoted and VIP answering from bravo in {} ms (token {} ms)",
        took.as_millis(),
        token_ms(&export)
    );
}

/// The processes left in node `i`'s network namespace.
fn netns_pids(lab: &Lab, i: usize) -> Vec<String> {
    let o = std::process::Command::new("ip")
        .args(["netns", "pids", &lab.nodes[i].ns])
        .output()
        .expect("ip netns pids");
    stdout(&o).split_whitespace().map(str::to_string).collect()
}

/// Whether bravo's Pacemaker reports a failed promote of the DRBD clone.
fn promote_failed_on_bravo(lab: &Lab) -> bool {
    lab.pacemaker_tool(B, &["crm_mon", "-1"])
        .is_ok_and(|o| stdout(&o).contains("promote on bravo"))
}

/// The `token:` value of the exported corosync.conf.
fn token_ms(export: &Path) -> String {
    std::fs::read_to_string(export.join("corosync.conf"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: ").map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn lab_drbd_agent_and_fence_device_are_posix_sh_and_shellcheck_clean() {
    let test = "lab_drbd_agent_and_fence_device_are_posix_sh_and_shellcheck_clean";
    if !hb_lab::skip::unless(on_path("shellcheck"), test, "shellcheck") {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/src");
    let files = [dir.join("pcmk-drbd"), dir.join("pcmk-fence")];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{}", f.display());
    }
    let o = std::process::Command::new("shellcheck")
        .args(["-s", "sh"])
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stdout(&o));
}
