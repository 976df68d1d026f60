//! IPaddr and send-arp for real, inside network namespaces joined by a
//! bridge: the holder, an observer on the same LAN, and sometimes a third
//! host that already uses the address. Needs root.

mod support;

use heartbeat::resources::{ResourceStatus, start_group, status_group, stop_group};
use std::process::Command;
use std::time::Duration;
use support::agents::{AgentWorld, group, heartbeat_bin, ours, rt};
use support::{Netns, addr, lan, require_root, unique_prefix, wait_until};

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

#[test]
fn ipaddr_adds_and_removes_a_vip_and_the_lan_learns_its_mac() {
    if !require_root("ipaddr_adds_and_removes_a_vip_and_the_lan_learns_its_mac") {
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
    let g = group(vec![ours(&format!("IPaddr::{vip}/24/eth0"))]);
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

#[test]
fn ipaddr_finds_the_interface_and_prefix_itself() {
    if !require_root("ipaddr_finds_the_interface_and_prefix_itself") {
        return;
    }
    let lan = Lan::new("ifp", 1);
    let vip = lan.ip(101);
    let w = AgentWorld::new();
    let g = group(vec![ours(&format!("IPaddr::{vip}"))]);
    lan.hosts[0].run_in(|| rt().block_on(start_group(&g, &w.env)).unwrap());
    let shown = lan.hosts[0].exec_ok(&["ip", "-o", "addr", "show", "dev", "eth0", "to", &vip]);
    assert!(shown.contains(&format!("{vip}/24")), "{shown}");
    lan.hosts[0].run_in(|| rt().block_on(stop_group(&g, &w.env)).unwrap());
    assert!(!lan.has_addr(0, &vip));
}

#[test]
fn ipaddr_refuses_an_address_another_host_already_uses() {
    if !require_root("ipaddr_refuses_an_address_another_host_already_uses") {
        return;
    }
    let lan = Lan::new("dup", 2);
    let taken = lan.ip(2);
    let w = AgentWorld::new();
    let g = group(vec![ours(&format!("IPaddr::{taken}/24/eth0"))]);
    let err = lan.hosts[0]
        .run_in(|| rt().block_on(start_group(&g, &w.env)))
        .unwrap_err();
    assert_eq!(err.resource, format!("IPaddr::{taken}/24/eth0"));
    assert!(!lan.has_addr(0, &taken));
}

#[test]
fn ipaddr_manages_an_ipv6_vip() {
    if !require_root("ipaddr_manages_an_ipv6_vip") {
        return;
    }
    let lan = Lan::new("v6", 2);
    addr(&lan.hosts[0], "eth0", "fd00:222::1/64");
    addr(&lan.hosts[1], "eth0", "fd00:222::2/64");
    // Written without "::": haresources splits arguments on it.
    let vip = "fd00:222:0:0:0:0:0:100";
    let w = AgentWorld::new();
    let g = group(vec![ours(&format!("IPaddr::{vip}/64/eth0"))]);
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
