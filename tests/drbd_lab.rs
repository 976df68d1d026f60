//! The real daemon drives the DRBD emulator (see docs/drbd-emulator.md):
//! its drbddisk agent, with the agents' fixed PATH, finds the emulator's
//! drbdadm, promotes r0 on the node that takes the group and hands it over
//! on standby. Root only (namespaces).

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::Lab;
use lab_cluster::*;
use std::time::Duration;

fn role(lab: &Lab, i: usize) -> String {
    let out = lab.drbdadm(i, &["role", "r0"]).expect("drbdadm");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_daemon_promotes_drbd_through_drbddisk_and_hands_it_over() {
    promotes_and_hands_over(
        "the_daemon_promotes_drbd_through_drbddisk_and_hands_it_over",
        "drbddisk::r0",
    );
}

/// The original's bare `drbddisk` means every resource (`drbdadm … all`).
#[test]
fn a_bare_drbddisk_promotes_every_resource_and_hands_them_over() {
    promotes_and_hands_over(
        "a_bare_drbddisk_promotes_every_resource_and_hands_them_over",
        "drbddisk",
    );
}

fn promotes_and_hands_over(test: &str, resources: &str) {
    if !root(test) {
        return;
    }
    let mut c = dummy_config("drbdd");
    c.resources = Some(resources.into());
    c.drbd = true;
    let mut lab = Lab::create(c).expect("lab");
    start_both(&mut lab);
    let t = Duration::from_secs(15);
    check!(
        lab,
        lab.wait_for(t, |l| role(l, A) == "Primary"),
        "alpha's daemon never promoted r0"
    );
    assert_eq!(role(&lab, B), "Secondary");
    lab.standby(A).expect("standby");
    check!(
        lab,
        lab.wait_for(t, |l| role(l, B) == "Primary" && role(l, A) == "Secondary"),
        "r0 did not move to bravo: alpha {}, bravo {}",
        role(&lab, A),
        role(&lab, B)
    );
}
