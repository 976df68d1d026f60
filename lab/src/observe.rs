//! Looking at a running lab from outside its daemons: commands in a
//! namespace, who holds the VIP, what the client's web request and
//! neighbour table see, and the minimal HTTP client behind [`Lab::probe`].

use crate::netns::in_netns;
use crate::{Lab, VIP};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

impl Lab {
    pub fn exec_in(&self, ns: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", ns])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("ip netns exec")
    }

    /// Which nodes have the VIP configured right now.
    pub fn vip_holders(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| {
                let out = self.exec_in(
                    &self.nodes[i].ns,
                    &["ip", "-4", "-o", "addr", "show", "dev", "eth0"],
                );
                String::from_utf8_lossy(&out.stdout).contains(&format!("{VIP}/"))
            })
            .collect()
    }

    /// Ask the web service on the VIP from the client namespace; returns the
    /// node name it answered with.
    pub fn probe(&self, timeout: Duration) -> Option<String> {
        self.get_from_vip("/", timeout)
    }

    /// Ask the web service on the VIP for a file of the shared disk
    /// (`/srv/NAME`, see `web.rs`); `None` when nothing serves it.
    pub fn fetch_srv(&self, name: &str, timeout: Duration) -> Option<String> {
        self.get_from_vip(&format!("/srv/{name}"), timeout)
    }

    /// `GET path` on the VIP from the client namespace.
    fn get_from_vip(&self, path: &str, timeout: Duration) -> Option<String> {
        let ns = self.client_ns.clone();
        let path = path.to_string();
        in_netns(&ns, move || http_get_path(VIP, 80, &path, timeout))
            .ok()
            .flatten()
    }

    /// The MAC address of node `i`'s LAN interface.
    pub fn lan_mac(&self, i: usize) -> String {
        let out = self.exec_in(&self.nodes[i].ns, &["cat", "/sys/class/net/eth0/address"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The MAC the client's neighbour table has for the VIP, if any.
    pub fn client_vip_mac(&self) -> Option<String> {
        let out = self.exec_in(
            &self.client_ns,
            &["ip", "neigh", "show", VIP, "dev", "eth0"],
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut words = text.split_whitespace();
        words.find(|w| *w == "lladdr")?;
        words.next().map(str::to_string)
    }
}

/// A minimal HTTP GET; returns the first line of the body.
pub fn http_get(host: &str, port: u16, timeout: Duration) -> Option<String> {
    http_get_path(host, port, "/", timeout)
}

/// `GET path`: the first line of the body of a 200 answer.
pub fn http_get_path(host: &str, port: u16, path: &str, timeout: Duration) -> Option<String> {
    http_exchange(host, port, path, timeout, timeout)
}

/// [`http_get`] for a prober: a connection whose SYN went to a node that
/// no longer holds the address is abandoned after `connect` (a real client
/// would wait for its SYN retransmission, a second), so the next try, on
/// the new holder, is not held up; the answer itself may take `read`.
pub fn http_probe(host: &str, port: u16, connect: Duration, read: Duration) -> Option<String> {
    http_exchange(host, port, "/", connect, read)
}

fn http_exchange(
    host: &str,
    port: u16,
    path: &str,
    connect: Duration,
    read: Duration,
) -> Option<String> {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = format!("{host}:{port}").parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, connect).ok()?;
    s.set_read_timeout(Some(read)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    if !buf.starts_with("HTTP/1.0 200") {
        return None;
    }
    let body = buf.split("\r\n\r\n").nth(1)?;
    Some(body.lines().next().unwrap_or("").trim().to_string())
}
