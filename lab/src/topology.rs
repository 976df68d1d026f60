//! The lab's network: a namespace per node, one for the client and one
//! for the LAN switch (a bridge), veth cables from every member's eth0 to
//! the switch, a crossover veth (eth1) between the nodes (or, with an
//! attacker, a bridge the attacker shares), and cutting or restoring a
//! node's link.

use crate::netns::ip;
use crate::serial::SerialRelay;
use crate::{ATTACKER_HOST, LAN_PREFIX, Lab, LabNode, NODES, XOVER_PREFIX};
use std::fs;
use std::io;

impl Lab {
    pub(crate) fn add_ns(&mut self, name: &str) -> io::Result<()> {
        ip(&["netns", "add", name])?;
        self.namespaces.push(name.to_string());
        ip(&["-n", name, "link", "set", "lo", "up"])?;
        Ok(())
    }

    /// Node `i`'s namespace (`{prefix}a`, `{prefix}b`) and directories.
    pub(crate) fn add_node(&mut self, i: usize) -> io::Result<String> {
        let ns = format!("{}{}", self.cfg.prefix, (b'a' + i as u8) as char);
        self.add_ns(&ns)?;
        let dir = self.dir.join(NODES[i]);
        for sub in ["ha.d/resource.d", "run", "state"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        self.nodes.push(LabNode {
            name: NODES[i].to_string(),
            ns: ns.clone(),
            dir,
            daemon: None,
        });
        Ok(ns)
    }

    pub(crate) fn build(&mut self) -> io::Result<()> {
        if self.cfg.sites {
            // Two sites joined through a router instead of a LAN (sites.rs).
            self.build_sites()?;
            return self.write_configs();
        }
        let sw = self.switch_ns.clone();
        let client = self.client_ns.clone();
        self.add_ns(&sw)?;
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        self.add_ns(&client)?;
        let mut members = vec![(
            client.clone(),
            format!("{LAN_PREFIX}.10/24"),
            "pc".to_string(),
        )];
        for i in 0..NODES.len() {
            let ns = self.add_node(i)?;
            members.push((
                ns.clone(),
                format!("{LAN_PREFIX}.{}/24", i + 1),
                format!("p{i}"),
            ));
        }
        if let Some(x) = self.attacker_ns.clone() {
            self.add_ns(&x)?;
            members.push((
                x.clone(),
                format!("{LAN_PREFIX}.{ATTACKER_HOST}/24"),
                "px".to_string(),
            ));
        }
        // LAN: every member's eth0 plugged into the switch's bridge.
        for (ns, addr, port) in &members {
            ip(&[
                "-n", &sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ])?;
            ip(&["-n", &sw, "link", "set", port, "master", "br0", "up"])?;
            ip(&["-n", ns, "addr", "add", addr, "dev", "eth0"])?;
            ip(&["-n", ns, "link", "set", "eth0", "up"])?;
        }
        self.build_crossover()?;
        if self.cfg.shared_disk {
            self.make_disk()?;
        }
        if self.cfg.serial {
            self.relay = Some(SerialRelay::start(&self.dir)?);
        }
        self.write_configs()?;
        if self.cfg.drbd {
            self.start_drbd()?;
        }
        Ok(())
    }

    /// The crossover (eth1): one veth pair between the nodes, or with an
    /// attacker a second bridge in the switch namespace that it shares.
    fn build_crossover(&mut self) -> io::Result<()> {
        let (a, b) = (self.nodes[0].ns.clone(), self.nodes[1].ns.clone());
        let mut ends = vec![(a.clone(), 1u8), (b.clone(), 2)];
        match self.attacker_ns.clone() {
            None => {
                ip(&[
                    "-n", &a, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1",
                    "netns", &b,
                ])?;
            }
            Some(x) => {
                let sw = self.switch_ns.clone();
                ip(&["-n", &sw, "link", "add", "br1", "type", "bridge"])?;
                ip(&["-n", &sw, "link", "set", "br1", "up"])?;
                ends.push((x, ATTACKER_HOST));
                for (i, (ns, _)) in ends.iter().enumerate() {
                    let port = format!("x{i}");
                    ip(&[
                        "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth1",
                        "netns", ns,
                    ])?;
                    ip(&["-n", &sw, "link", "set", &port, "master", "br1", "up"])?;
                }
            }
        }
        for (ns, host) in &ends {
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{XOVER_PREFIX}.{host}/24"),
                "brd",
                "+",
                "dev",
                "eth1",
            ])?;
            ip(&["-n", ns, "link", "set", "eth1", "up"])?;
        }
        Ok(())
    }

    /// Cut (`down`) or restore a link of node `i` (`eth0` LAN, `eth1` crossover).
    pub fn set_link(&self, i: usize, iface: &str, up: bool) -> io::Result<()> {
        ip(&[
            "-n",
            &self.nodes[i].ns,
            "link",
            "set",
            iface,
            if up { "up" } else { "down" },
        ])?;
        Ok(())
    }
}
