//! Two sites without a shared LAN, as docs/sites.md sets them up: each
//! node sits behind its own uplink to a router (the internet) and reaches
//! its peer through a VPN tunnel that also runs through the router, so the
//! heartbeats are `ucast` across a routed path. Beyond the router: a DNS
//! server running BIND 9 with a TSIG-protected zone ([`DnsServer`]), a
//! client that asks it, and "the internet" (the ping node). The router can
//! cut, restore or flap each site's uplink and tunnel.
//!
//! ```text
//!  alpha ─eth0 (uplink)─┐          ┌─ dns    10.231.53.2
//!        ─tun0 (VPN)───┤ router ──┼─ client 10.231.9.2
//!  bravo ─eth0 (uplink)─┤          └─ world  10.231.100.2 (ping node)
//!        ─tun0 (VPN)───┘
//! ```
//!
//! [`Sites`] owns the [`Lab`] (namespaces, daemons) and the DNS server.

use crate::dns::{DnsServer, ZONE};
use crate::netns::ip;
use crate::{Lab, LabConfig};
use std::io;
use std::time::{Duration, Instant};

/// The DNS server's address.
pub const DNS_ADDR: &str = "10.231.53.2";
/// The ping node: a host "on the internet" beyond the router.
pub const WORLD_ADDR: &str = "10.231.100.2";
/// The client's address.
pub const CLIENT_ADDR: &str = "10.231.9.2";

/// Node `i`'s uplink address: what it publishes in DNS.
pub fn uplink_addr(i: usize) -> String {
    format!("10.231.{}.2", i + 1)
}

/// Node `i`'s tunnel address: where the peer's heartbeats go.
pub fn tunnel_addr(i: usize) -> String {
    format!("10.231.{}.2", 11 + i)
}

/// The name the sites' group points at itself.
pub fn service_name() -> String {
    format!("www.{ZONE}")
}

/// The TTL the lab's name is published with: how long a resolver that
/// cached the old answer may still send clients to the old site.
pub const TTL_SECS: u32 = 5;

/// The haresources item pointing [`service_name`] at the site that holds
/// the group, updates signed with `key`.
pub fn dns_item(key: &std::path::Path) -> String {
    format!(
        "DNSupdate::{}::{DNS_ADDR}::{}::{TTL_SECS}",
        service_name(),
        key.display()
    )
}

/// Timings for a routed VPN path (docs/sites.md): the loss of every ping
/// node is known (deadping) well before the peer is declared dead
/// (deadtime), so a site cut from everything knows it is the one cut off
/// before it would take over.
pub fn tune(cfg: &mut LabConfig) {
    cfg.keepalive = "200ms".into();
    cfg.warntime = "1".into();
    cfg.deadtime = "3".into();
    cfg.initdead = "10".into();
    cfg.auto_failback = "off".into();
    cfg.extra_hacf.push("deadping 1".into());
}

/// The link of a site that the router can cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteLink {
    /// The site's way to the internet (DNS server, client, ping node).
    Uplink,
    /// The VPN to the other site (the heartbeats).
    Tunnel,
}

impl SiteLink {
    /// The router's end of node `i`'s link.
    fn router_end(self, i: usize) -> String {
        let site = (b'a' + i as u8) as char;
        match self {
            SiteLink::Uplink => format!("u{site}"),
            SiteLink::Tunnel => format!("t{site}"),
        }
    }
}

pub struct Sites {
    // Declared first, dropped first: named goes before its namespace.
    pub dns: DnsServer,
    pub lab: Lab,
    pub router_ns: String,
}

impl Sites {
    /// Build the sites around `cfg` (its timings, agents and extra ha.cf
    /// lines), start the DNS server, and write haresources with the group
    /// `resources(&dns)` gives (the key file exists only once it runs).
    /// Nothing of the cluster is started.
    pub fn create(
        mut cfg: LabConfig,
        resources: impl Fn(&DnsServer) -> String,
    ) -> io::Result<Sites> {
        cfg.sites = true;
        cfg.bcast = false;
        cfg.shared_disk = false;
        // The same lines on both nodes: a ucast line naming the node's own
        // address is skipped by it.
        let mut hacf: Vec<String> = (0..2)
            .map(|i| format!("ucast tun0 {}", tunnel_addr(i)))
            .collect();
        hacf.push(format!("ping {WORLD_ADDR}"));
        hacf.append(&mut cfg.extra_hacf);
        cfg.extra_hacf = hacf;
        let mut lab = Lab::create(cfg)?;
        let router_ns = format!("{}r", lab.cfg.prefix);
        let dns = DnsServer::start(&format!("{}d", lab.cfg.prefix), DNS_ADDR)?;
        lab.cfg.resources = Some(resources(&dns));
        lab.write_configs()?;
        Ok(Sites {
            dns,
            lab,
            router_ns,
        })
    }

    /// What the client's resolver gets for the service name.
    pub fn client_answer(&self) -> Vec<String> {
        self.dns.query(&self.lab.client_ns, &service_name(), "A")
    }

    /// Cut (`false`) or restore node `i`'s `link` at the router.
    pub fn set_site_link(&self, i: usize, link: SiteLink, up: bool) -> io::Result<()> {
        let state = if up { "up" } else { "down" };
        ip(&[
            "-n",
            &self.router_ns,
            "link",
            "set",
            &link.router_end(i),
            state,
        ])?;
        Ok(())
    }

    /// A lossy tunnel: cut node `i`'s tunnel at the router for `down` in
    /// every `period`, for `total`; it is up again when this returns.
    /// (Link flaps rather than netem: they need no qdisc module.)
    pub fn flap_tunnel(
        &self,
        i: usize,
        down: Duration,
        period: Duration,
        total: Duration,
    ) -> io::Result<()> {
        let end = Instant::now() + total;
        while Instant::now() < end {
            self.set_site_link(i, SiteLink::Tunnel, false)?;
            std::thread::sleep(down);
            self.set_site_link(i, SiteLink::Tunnel, true)?;
            std::thread::sleep(period.saturating_sub(down));
        }
        Ok(())
    }
}

impl Lab {
    /// The sites' namespaces and links (see the module comment).
    pub(crate) fn build_sites(&mut self) -> io::Result<()> {
        let p = self.cfg.prefix.clone();
        let r = format!("{p}r");
        self.add_ns(&r)?;
        ip(&[
            "netns",
            "exec",
            &r,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ])?;
        for i in 0..2 {
            let ns = self.add_node(i)?;
            let up = format!("10.231.{}", i + 1);
            let tun = format!("10.231.{}", 11 + i);
            let other_tun = format!("10.231.{}.0/24", 12 - i);
            self.wire(&r, &SiteLink::Uplink.router_end(i), &ns, "eth0", &up)?;
            self.wire(&r, &SiteLink::Tunnel.router_end(i), &ns, "tun0", &tun)?;
            // The internet through the uplink, the other site through the VPN.
            route(&ns, "default", &format!("{up}.1"))?;
            route(&ns, &other_tun, &format!("{tun}.1"))?;
        }
        let client = self.client_ns.clone();
        for (ns, net) in [
            (format!("{p}d"), "10.231.53"),
            (client, "10.231.9"),
            (format!("{p}w"), "10.231.100"),
        ] {
            self.add_ns(&ns)?;
            self.wire(
                &r,
                &format!("r{}", net.rsplit('.').next().unwrap_or("x")),
                &ns,
                "eth0",
                net,
            )?;
            route(&ns, "default", &format!("{net}.1"))?;
        }
        Ok(())
    }

    /// A veth from the router's `r_dev` (NET.1/24) to `ns`'s `dev` (NET.2/24).
    fn wire(&self, router: &str, r_dev: &str, ns: &str, dev: &str, net: &str) -> io::Result<()> {
        ip(&[
            "-n", router, "link", "add", r_dev, "type", "veth", "peer", "name", dev, "netns", ns,
        ])?;
        ip(&[
            "-n",
            router,
            "addr",
            "add",
            &format!("{net}.1/24"),
            "dev",
            r_dev,
        ])?;
        ip(&["-n", ns, "addr", "add", &format!("{net}.2/24"), "dev", dev])?;
        ip(&["-n", router, "link", "set", r_dev, "up"])?;
        ip(&["-n", ns, "link", "set", dev, "up"])?;
        Ok(())
    }
}

/// A route in namespace `ns` to `dest` through `via`.
fn route(ns: &str, dest: &str, via: &str) -> io::Result<()> {
    ip(&["-n", ns, "route", "add", dest, "via", via])?;
    Ok(())
}
