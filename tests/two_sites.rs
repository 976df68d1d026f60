//! Two sites without a shared LAN (hb_lab::sites, docs/sites.md): ucast
//! heartbeats through a router, a ping node "on the internet" as the
//! guard, and a group that points a DNS name at its site (Dummy, then
//! DNSupdate) against a real BIND 9 with a TSIG-protected zone. A client
//! beyond the router asks the server which site the name points at.

#[macro_use]
#[path = "support/lab_cluster.rs"]
mod lab_cluster;

use hb_lab::dns::DnsServer;
use hb_lab::sites::{SiteLink, Sites, dns_item, uplink_addr};
use lab_cluster::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn sites_config(tag: &str) -> hb_lab::LabConfig {
    let mut c = config(tag);
    hb_lab::sites::tune(&mut c);
    c
}

/// The group: a recorder first (so a failed DNSupdate start has something
/// to roll back), then the name, with the key `key` picks.
fn build(tag: &str, key: fn(&DnsServer) -> PathBuf) -> Option<Sites> {
    let have_named = hb_lab::dns::named_program().is_ok();
    if !root(tag) || !hb_lab::skip::unless(have_named, tag, "named (bind9)") {
        return None;
    }
    let sites = Sites::create(sites_config(tag), |dns| {
        format!("Dummy::web {}", dns_item(&key(dns)))
    })
    .expect("sites");
    Some(sites)
}

fn running_on(s: &Sites, i: usize) -> bool {
    status_json(&s.lab, i)["groups"][0]["local_state"] == "running"
}

/// Whether node `i`'s Dummy resource is started (its state file exists).
fn recorder_started(s: &Sites, i: usize) -> bool {
    s.lab.nodes[i]
        .run_dir()
        .join("rsctmp/Dummy-web.state")
        .exists()
}

/// Both daemons up, alpha holding the group and the name pointing at it.
fn serving(tag: &str) -> Option<Sites> {
    let mut s = build(tag, DnsServer::key_path)?;
    start_both(&mut s.lab);
    let a = uplink_addr(A);
    let ok = s.lab.wait_for(Duration::from_secs(20), |_| {
        running_on(&s, A) && s.client_answer() == [a.as_str()]
    });
    check!(
        s.lab,
        ok,
        "alpha never served the name: {:?}",
        s.client_answer()
    );
    Some(s)
}

/// Wait until the client sees node `i`'s address, failing with the logs
/// if it does not; prints how long it took after `what`.
fn client_sees(s: &Sites, i: usize, what: &str) {
    let t0 = Instant::now();
    let want = uplink_addr(i);
    let seen = s.lab.wait_for(Duration::from_secs(20), |_| {
        s.client_answer() == [want.as_str()]
    });
    check!(
        s.lab,
        seen,
        "the client never got {want}: {:?}",
        s.client_answer()
    );
    eprintln!("{what} -> the client sees {want}: {:?}", t0.elapsed());
}

#[test]
fn the_name_fails_over_from_site_a_to_site_b() {
    let Some(mut s) = serving("sfo") else {
        return;
    };
    // Site A's machine goes down: daemon, agents, everything.
    s.lab.kill(A);
    client_sees(&s, B, "site A down");
    // The name answers as soon as the update is in; the start ends with its check.
    let running = s
        .lab
        .wait_for(Duration::from_secs(10), |_| running_on(&s, B));
    check!(s.lab, running, "bravo does not run the group");
    check!(
        s.lab,
        s.lab
            .log(B)
            .contains(&format!("points at {}", uplink_addr(B))),
        "bravo's log lacks DNSupdate's line"
    );
}

#[test]
fn a_wrong_key_fails_the_start_with_the_servers_refusal_and_nothing_stays_started() {
    let Some(mut s) = build("swk", DnsServer::wrong_key_path) else {
        return;
    };
    start_both(&mut s.lab);
    let refused = |l: &hb_lab::Lab, i: usize| l.log(i).contains("NOTAUTH(BADSIG)");
    let both = s
        .lab
        .wait_for(Duration::from_secs(30), |l| refused(l, A) && refused(l, B));
    check!(s.lab, both, "the server's refusal is not in both logs");
    let down = s.lab.wait_for(Duration::from_secs(10), |l| {
        l.log(A).contains("could not be started on either node")
            || l.log(B).contains("could not be started on either node")
    });
    check!(s.lab, down, "the group was not given up on both nodes");
    for i in [A, B] {
        check!(
            s.lab,
            !recorder_started(&s, i),
            "Dummy left started on node {i}"
        );
        check!(s.lab, !running_on(&s, i), "the group runs on node {i}");
    }
    assert!(s.client_answer().is_empty(), "{:?}", s.client_answer());
}

#[test]
fn a_site_cut_from_the_internet_gives_the_name_to_the_other() {
    let Some(s) = serving("sup") else {
        return;
    };
    let reach = |i| status_json(&s.lab, i)["ping_reachable"].as_u64();
    check!(
        s.lab,
        s.lab
            .wait_for(Duration::from_secs(5), |_| reach(A) == Some(1)
                && reach(B) == Some(1)),
        "the ping node is not reached from both sites"
    );
    // The tunnel stays: alpha still hears bravo, but no longer the world.
    s.set_site_link(A, SiteLink::Uplink, false).unwrap();
    client_sees(&s, B, "uplink A cut");
    let moved = s.lab.wait_for(Duration::from_secs(10), |_| {
        running_on(&s, B) && !running_on(&s, A)
    });
    check!(s.lab, moved, "the group did not move");
    check!(
        s.lab,
        s.lab
            .log(A)
            .contains("bravo reaches 1 ping nodes, we reach 0"),
        "alpha's log lacks the reason"
    );
}

#[test]
fn a_site_cut_from_everything_does_nothing() {
    let Some(s) = serving("sev") else {
        return;
    };
    s.set_site_link(B, SiteLink::Uplink, false).unwrap();
    s.set_site_link(B, SiteLink::Tunnel, false).unwrap();
    let cut_off = s.lab.wait_for(Duration::from_secs(15), |l| {
        l.log(B)
            .contains("we reach none of our ping nodes: taking over nothing")
    });
    check!(s.lab, cut_off, "bravo never said it is cut off");
    // Past bravo's deadtime with a margin: still nothing moved.
    std::thread::sleep(Duration::from_secs(2));
    // Not even tried: a start would fail at the DNS server out of reach and
    // roll back, which looks the same from outside but is a takeover.
    check!(
        s.lab,
        !s.lab.log(B).contains("Taking over resource group"),
        "bravo tried to take the group over"
    );
    check!(s.lab, !recorder_started(&s, B), "bravo started the group");
    check!(s.lab, !running_on(&s, B), "bravo runs the group");
    check!(s.lab, running_on(&s, A), "alpha gave the group up");
    assert_eq!(s.client_answer(), [uplink_addr(A)]);
}

#[test]
fn one_ha_cf_for_both_sites_gives_one_tunnel_link_that_stays_up() {
    let Some(s) = serving("sln") else {
        return;
    };
    // Past initdead (10 s): a second, receive-only link for the ucast line
    // naming the node itself would now be declared dead.
    std::thread::sleep(Duration::from_secs(11));
    for (i, peer) in [(A, "bravo"), (B, "alpha")] {
        let links = stdout(&s.lab.tool(i, "cl_status", &["listhblinks", peer]));
        check!(
            s.lab,
            links.split_whitespace().eq(["tun0"]),
            "links of {peer}: {links}"
        );
        check!(
            s.lab,
            !s.lab.log(i).contains(&format!("Link {peer}:tun0 dead")),
            "a tunnel link was declared dead"
        );
    }
}

#[test]
fn a_lossy_tunnel_moves_nothing() {
    let Some(s) = serving("slo") else {
        return;
    };
    // The tunnel drops out for 1.2 s in every 2 s, for 8 s: well inside deadtime.
    let (down, period) = (Duration::from_millis(1200), Duration::from_secs(2));
    s.flap_tunnel(A, down, period, Duration::from_secs(8))
        .unwrap();
    for i in [A, B] {
        check!(
            s.lab,
            !s.lab.log(i).contains("is dead"),
            "a node declared its peer dead"
        );
    }
    check!(
        s.lab,
        running_on(&s, A) && !running_on(&s, B),
        "the group moved"
    );
}
