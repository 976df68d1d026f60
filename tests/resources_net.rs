//! IPaddr and send-arp for real, inside network namespaces joined by a
//! bridge: the holder, an observer on the same LAN, and sometimes a third
//! host that already uses the address. Needs root.
//!
//! The behaviours both IPaddr implementations share run twice: once as the
//! shell agent (manual use, OCF, Pacemaker) and once in process (what the
//! daemon runs), from one body each.

mod support;

use hb_lab::capture::Capture;
use heartbeat::arp::GarpMode;
use heartbeat::config::Resource;
use heartbeat::resources::{
    Action, ResourceStatus, reannounce_group, run_action, start_group, status_group, stop_group,
};
use heartbeat::vip::AnnouncePolicy;
use std::process::Command;
use std::time::Duration;
use support::agents::{AgentWorld, group, heartbeat_bin, ours, rt, vip};
use support::{Netns, addr, lan, require_root, unique_prefix, wait_until};

/// How a body builds its IPaddr item: [`ours`] (the shell agent) or [`vip`].
type Make = fn(&str) -> Resource;

/// `#[test]`s `NAME::shell` and `NAME::in_process` running `fn NAME(tag, make)`.
macro_rules! both_agents {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn shell() {
                super::$name(concat!(stringify!($name), "::shell"), super::ours)
            }
            #[test]
            fn in_process() {
                super::$name(concat!(stringify!($name), "::in_process"), super::vip)
            }
        }
    )*};
}

both_agents!(
    ipaddr_adds_and_removes_a_vip_and_the_lan_learns_its_mac,
    ipaddr_finds_the_interface_and_prefix_itself,
    ipaddr_refuses_an_address_another_host_already_uses,
    ipaddr_manages_an_ipv6_vip,
    ipaddr_start_is_idempotent,
    ipaddr_stop_succeeds_after_its_interface_vanished,
);

/// A switch and `n` hosts on it, each with `eth0` = 10.222.<net>.<i+1>/24.
struct Lan {
    hosts: Vec<Netns>,
    _switch: Netns,
    net: u8,
}

impl Lan {
    fn new(tag: &str, n: usize) -> Lan {
        let p = unique_prefix(tag);
        let switch = Netns::new(&format!("{p}s"));
        let hosts: Vec<Netns> = (0..n).map(|i| Netns::new(&format!("{p}h{i}"))).collect();
        let members: Vec<(&Netns, &str)> = hosts.iter().map(|h| (h, "eth0")).collect();
        lan(&switch, &members);
        // Distinct subnets per test only for readability of captures; the
        // namespaces already keep tests apart.
        let net = (std::process::id() % 200) as u8 + 20;
        for (i, h) in hosts.iter().enumerate() {
            addr(h, "eth0", &format!("10.222.{net}.{}/24", i + 1));
        }
        Lan {
            hosts,
            _switch: switch,
            net,
        }
    }

    fn ip(&self, host: u8) -> String {
        format!("10.222.{}.{host}", self.net)
    }

    fn has_addr(&self, h: usize, ip: &str) -> bool {
        !self.hosts[h]
            .exec_ok(&["ip", "-o", "addr", "show", "to", ip])
            .trim()
            .is_empty()
    }

    fn neigh_mac(&self, h: usize, ip: &str) -> String {
        self.hosts[h].exec_ok(&["ip", "neigh", "show", "to", ip, "dev", "eth0"])
    }
}

fn ipaddr_adds_and_removes_a_vip_and_the_lan_learns_its_mac(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("vip", 2);
    let vip = lan.ip(100);
    // The observer still believes a previous holder has the VIP.
    lan.hosts[1].exec_ok(&[
        "ip",
        "neigh",
        "replace",
        &vip,
        "lladdr",
        "02:00:00:00:00:99",
        "dev",
        "eth0",
        "nud",
        "stale",
    ]);
    let w = AgentWorld::new();
    let g = group(vec![make(&format!("IPaddr::{vip}/24/eth0"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert!(lan.has_addr(0, &vip));
    let label = lan.hosts[0].exec_ok(&["ip", "-o", "addr", "show", "to", &vip]);
    assert!(label.contains("eth0:hb"), "{label}");
    let mac = lan.hosts[0].mac("eth0");
    assert!(
        wait_until(Duration::from_secs(5), || lan
            .neigh_mac(1, &vip)
            .contains(&mac)),
        "observer never learned {mac} for {vip}: {}",
        lan.neigh_mac(1, &vip)
    );
    let st = lan.hosts[0].run_in(|| rt().block_on(status_group(&g, &w.env)));
    assert_eq!(st[0].1, ResourceStatus::Running);
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, &vip));
    let st = lan.hosts[0].run_in(|| rt().block_on(status_group(&g, &w.env)));
    assert_eq!(st[0].1, ResourceStatus::Stopped);
}

fn ipaddr_finds_the_interface_and_prefix_itself(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("ifp", 1);
    let vip = lan.ip(101);
    let w = AgentWorld::new();
    let g = group(vec![make(&format!("IPaddr::{vip}"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    let shown = lan.hosts[0].exec_ok(&["ip", "-o", "addr", "show", "dev", "eth0", "to", &vip]);
    assert!(shown.contains(&format!("{vip}/24")), "{shown}");
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, &vip));
}

fn ipaddr_refuses_an_address_another_host_already_uses(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("dup", 2);
    let taken = lan.ip(2);
    let w = AgentWorld::new();
    let g = group(vec![make(&format!("IPaddr::{taken}/24/eth0"))]);
    let err = lan.hosts[0]
        .run_in(|| rt().block_on(start_group(&g, &w.env)))
        .unwrap_err();
    assert_eq!(err.resource, format!("IPaddr::{taken}/24/eth0"));
    assert!(!lan.has_addr(0, &taken));
}

fn ipaddr_manages_an_ipv6_vip(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("v6", 2);
    addr(&lan.hosts[0], "eth0", "fd00:222::1/64");
    addr(&lan.hosts[1], "eth0", "fd00:222::2/64");
    // Written without "::": haresources splits arguments on it.
    let vip = "fd00:222:0:0:0:0:0:100";
    let w = AgentWorld::new();
    let g = group(vec![make(&format!("IPaddr::{vip}/64/eth0"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert!(lan.has_addr(0, vip));
    let out = lan.hosts[1].exec(&["ping", "-c", "1", "-W", "2", vip]);
    assert!(out.status.success(), "the VIP does not answer");
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, vip));
}

#[test]
fn send_arp_names_a_missing_interface() {
    let out = Command::new(heartbeat_bin())
        .args(["send-arp", "nosuchif9", "10.222.0.1", "--count", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such interface: nosuchif9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn send_arp_announces_on_the_wire() {
    if !require_root("send_arp_announces_on_the_wire") {
        return;
    }
    let lan = Lan::new("arp", 2);
    let ip = lan.ip(1);
    lan.hosts[1].exec_ok(&[
        "ip",
        "neigh",
        "replace",
        &ip,
        "lladdr",
        "02:00:00:00:00:98",
        "dev",
        "eth0",
        "nud",
        "stale",
    ]);
    // Past the neighbour table's locktime (1 s) so the update is accepted.
    std::thread::sleep(Duration::from_millis(1100));
    lan.hosts[0].exec_ok(&[heartbeat_bin(), "send-arp", "eth0", &ip, "--count", "2"]);
    let mac = lan.hosts[0].mac("eth0");
    assert!(
        wait_until(Duration::from_secs(3), || lan
            .neigh_mac(1, &ip)
            .contains(&mac)),
        "{}",
        lan.neigh_mac(1, &ip)
    );
}

fn ipaddr_start_is_idempotent(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("idem", 1);
    let vip = lan.ip(102);
    let w = AgentWorld::new();
    let g = group(vec![make(&format!("IPaddr::{vip}/24/eth0"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    // The daemon's re-announce after a doubt starts a held group again,
    // without asking its status first: that start succeeds and adds nothing.
    lan.hosts[0].run_in(|| rt().block_on(reannounce_group(&g, &w.env)).unwrap());
    let shown = lan.hosts[0].exec_ok(&["ip", "-o", "addr", "show", "to", &vip]);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, &vip));
}

#[test]
fn vip_reannounce_sends_the_gratuitous_arp_again() {
    if !require_root("vip_reannounce_sends_the_gratuitous_arp_again") {
        return;
    }
    let lan = Lan::new("rean", 2);
    let ip = lan.ip(105);
    let mut w = AgentWorld::new();
    // A single announcement per start, so whatever the capture sees after
    // the first start came from the re-announce.
    vip_with(
        &mut w,
        AnnouncePolicy {
            burst: 1,
            repeats: 0,
            ..AnnouncePolicy::default()
        },
    );
    let g = group(vec![vip(&format!("IPaddr::{ip}/24/eth0"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    let cap = Capture::start(&lan.hosts[1].name, "eth0", &format!("arp and host {ip}"));
    lan.hosts[0].run_in(|| rt().block_on(reannounce_group(&g, &w.env)).unwrap());
    assert!(
        wait_until(Duration::from_secs(3), || cap.announcements(&ip) > 0),
        "the re-announce sent nothing for {ip}: {:#?}",
        cap.lines()
    );
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
}

/// The in-process VIP with a given announcement plan.
fn vip_with(w: &mut AgentWorld, announce: AnnouncePolicy) {
    w.env.announce = announce;
}

#[test]
fn vip_announces_in_the_asked_mode_refreshes_while_held_and_never_after_stop() {
    if !require_root("vip_announces_in_the_asked_mode_refreshes_while_held_and_never_after_stop") {
        return;
    }
    let lan = Lan::new("garp", 2);
    let ip = lan.ip(103);
    let mut w = AgentWorld::new();
    // One announcement at start, no repeats, then a refresh every 200 ms,
    // as replies only (for switches that ignore gratuitous requests).
    vip_with(
        &mut w,
        AnnouncePolicy {
            burst: 1,
            repeats: 0,
            refresh: Some(Duration::from_millis(200)),
            mode: GarpMode::Reply,
            ..AnnouncePolicy::default()
        },
    );
    let g = group(vec![vip(&format!("IPaddr::{ip}/24/eth0"))]);
    let cap = Capture::start(&lan.hosts[1].name, "eth0", &format!("arp and host {ip}"));
    let rt = rt();
    lan.hosts[0].run_in(|| {
        rt.block_on(async {
            start_group(&g, &w.env).await.unwrap();
            // The refresh runs on the runtime that started the VIP.
            tokio::time::sleep(Duration::from_millis(1500)).await;
        })
    });
    let replies = cap.count(&format!("Reply {ip} is-at"));
    assert!(
        replies >= 4,
        "{replies} replies in 1.5 s: {:#?}",
        cap.lines()
    );
    // Gratuitous requests (sender and target both the VIP) are not sent;
    // the duplicate probe's own who-has is another host's question.
    let requests = cap.count(&format!("tell {ip},"));
    assert_eq!(requests, 0, "{:#?}", cap.lines());
    lan.hosts[0].run_in(|| {
        rt.block_on(async {
            stop_group(&g, &w.env).await.unwrap();
            // Let tcpdump print what was on the wire before the stop.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let after_stop = cap.lines().len();
            tokio::time::sleep(Duration::from_millis(1000)).await;
            assert_eq!(
                cap.lines()[after_stop..],
                [] as [String; 0],
                "announced after the stop"
            );
        })
    });
}

/// The OCF stop contract: the interface went away with the address on it;
/// the stop itself (not the chain's status check after failed retries)
/// must succeed.
fn ipaddr_stop_succeeds_after_its_interface_vanished(test: &str, make: Make) {
    if !require_root(test) {
        return;
    }
    let lan = Lan::new("gone", 1);
    let h = &lan.hosts[0];
    h.exec_ok(&[
        "ip", "link", "add", "hbgone0", "type", "veth", "peer", "name", "hbgone1",
    ]);
    h.exec_ok(&["ip", "link", "set", "hbgone0", "up"]);
    let w = AgentWorld::new();
    let r = make("IPaddr::10.223.0.10/24/hbgone0");
    let g = group(vec![r.clone()]);
    h.run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert!(lan.has_addr(0, "10.223.0.10"));
    h.exec_ok(&["ip", "link", "del", "hbgone0"]);
    let stop = h.run_in(|| rt().block_on(run_action(&r, Action::Stop, &w.env)));
    assert_eq!(
        stop.map(|o| o.exit_code).ok(),
        Some(0),
        "stop of {}",
        r.spec
    );
    let st = h.run_in(|| rt().block_on(status_group(&g, &w.env)));
    assert_eq!(st[0].1, ResourceStatus::Stopped);
}

#[test]
fn vip_serves_ipaddr2_items_and_names_a_missing_interface() {
    if !require_root("vip_serves_ipaddr2_items_and_names_a_missing_interface") {
        return;
    }
    let lan = Lan::new("ip2", 1);
    let ip = lan.ip(104);
    let w = AgentWorld::new();
    let g = group(vec![vip(&format!("IPaddr2::{ip}/24/eth0"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    assert!(lan.has_addr(0, &ip));
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, &ip));
    let bad = group(vec![vip(&format!("IPaddr::{ip}/24/nosuch9"))]);
    let err = lan.hosts[0]
        .run_in(|| rt().block_on(start_group(&bad, &w.env)))
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("no such interface: nosuch9"),
        "{err:#}"
    );
}
