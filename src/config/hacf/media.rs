//! The heartbeat media directives of ha.cf (bcast, ucast, mcast, serial)
//! and the two settings they depend on (udpport, baud).

use super::parser::Parser;
use super::{At, BAUD_RATES};
use crate::config::model::Medium;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

const MAX_MCAST_TTL: u8 = 4;
/// Linux interface names are at most IFNAMSIZ-1 bytes.
const MAX_IFNAME: usize = 15;

impl Parser<'_> {
    pub(super) fn udpport(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "udpport", words) else {
            return;
        };
        match w.parse::<u16>() {
            Ok(p) if p > 0 => self.cf.udpport = Some(At { value: p, line: n }),
            _ => {
                self.d.error(
                    n,
                    format!("udpport: invalid port [{w}]: expected an integer from 1 to 65535"),
                );
                return;
            }
        }
        if let Some(m) = self.first_udp_medium {
            self.d.error(
                n,
                format!(
                    "udpport must precede media statements (line {m} already defined a UDP \
                     medium with the previous port)"
                ),
            );
        }
    }

    pub(super) fn baud(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "baud", words) else {
            return;
        };
        if let Some(prev) = &self.cf.baud {
            let l = prev.line;
            self.d.error(
                n,
                format!("baud multiply specified (already set on line {l})"),
            );
            return;
        }
        match w.parse::<u32>() {
            Ok(b) if BAUD_RATES.contains(&b) => self.cf.baud = Some(At { value: b, line: n }),
            _ => {
                let list: Vec<String> = BAUD_RATES.iter().map(u32::to_string).collect();
                self.d.error(
                    n,
                    format!(
                        "baud: invalid baud rate [{w}]: expected one of {}",
                        list.join(", ")
                    ),
                );
                return;
            }
        }
        if let Some(m) = self.first_serial {
            self.d.error(
                n,
                format!(
                    "baud must precede media statements (line {m} already defined a serial medium)"
                ),
            );
        }
    }

    fn iface(&mut self, n: usize, dir: &str, iface: &str) -> bool {
        let ok = !iface.is_empty()
            && iface.len() <= MAX_IFNAME
            && !iface.contains('/')
            && iface != "."
            && iface != "..";
        if !ok {
            self.d.error(
                n,
                format!("{dir}: invalid interface name [{iface}] (at most {MAX_IFNAME} characters, no '/')"),
            );
        }
        ok
    }

    fn add_medium(&mut self, n: usize, m: Medium) {
        match m {
            Medium::Serial { .. } => {
                self.first_serial.get_or_insert(n);
            }
            _ => {
                self.first_udp_medium.get_or_insert(n);
            }
        }
        self.cf.media.push(At { value: m, line: n });
    }

    pub(super) fn bcast(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d
                .error(n, "bcast: expected one or more interface names");
        }
        for w in words {
            if self.iface(n, "bcast", w) {
                self.add_medium(
                    n,
                    Medium::Bcast {
                        iface: w.to_string(),
                    },
                );
            }
        }
    }

    pub(super) fn ucast(&mut self, n: usize, words: &[&str]) {
        let [iface, peer] = words else {
            self.d.error(
                n,
                format!(
                    "ucast: expected \"ucast INTERFACE PEER-IP\", got {} word(s)",
                    words.len()
                ),
            );
            return;
        };
        if !self.iface(n, "ucast", iface) {
            return;
        }
        match peer.parse::<IpAddr>() {
            Ok(peer) => self.add_medium(
                n,
                Medium::Ucast {
                    iface: iface.to_string(),
                    peer,
                },
            ),
            Err(_) => self.d.error(
                n,
                format!("ucast: invalid peer address [{peer}]: expected an IP address (host names are not resolved)"),
            ),
        }
    }

    pub(super) fn mcast(&mut self, n: usize, words: &[&str]) {
        let Some(iface) = words.first() else {
            self.d
                .error(n, "mcast: expected \"mcast INTERFACE GROUP PORT TTL LOOP\"");
            return;
        };
        const FIELDS: [&str; 4] = ["group", "port", "ttl", "loop"];
        if words.len() < 5 {
            let missing = FIELDS[words.len() - 1];
            self.d.error(
                n,
                format!("mcast [{iface}] missing {missing}: expected \"mcast INTERFACE GROUP PORT TTL LOOP\""),
            );
            return;
        }
        if words.len() > 5 {
            self.d.error(
                n,
                format!("mcast [{iface}]: too many fields: expected \"mcast INTERFACE GROUP PORT TTL LOOP\""),
            );
            return;
        }
        if !self.iface(n, "mcast", iface) {
            return;
        }
        let mut ok = true;
        let group = match words[1].parse::<Ipv4Addr>() {
            Ok(g) if g.is_multicast() => Some(g),
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad group [{}]: expected an IPv4 multicast address (224.0.0.0 to 239.255.255.255)",
                        words[1]
                    ),
                );
                ok = false;
                None
            }
        };
        let port = match words[2].parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad port [{}]: expected 1 to 65535",
                        words[2]
                    ),
                );
                ok = false;
                0
            }
        };
        let ttl = match words[3].parse::<u8>() {
            Ok(t) if t <= MAX_MCAST_TTL => t,
            _ => {
                self.d.error(
                    n,
                    format!(
                        "mcast [{iface}] bad ttl [{}]: expected 0 to {MAX_MCAST_TTL}",
                        words[3]
                    ),
                );
                ok = false;
                0
            }
        };
        let loopback = match words[4] {
            "0" => false,
            "1" => true,
            other => {
                self.d.error(
                    n,
                    format!("mcast [{iface}] bad loop [{other}]: expected 0 or 1"),
                );
                ok = false;
                false
            }
        };
        if let (true, Some(group)) = (ok, group) {
            self.add_medium(
                n,
                Medium::Mcast {
                    iface: iface.to_string(),
                    group,
                    port,
                    ttl,
                    loopback,
                },
            );
        }
    }

    pub(super) fn serial(&mut self, n: usize, words: &[&str]) {
        if words.is_empty() {
            self.d.error(n, "serial: expected one or more device paths");
        }
        for w in words {
            if w.starts_with('/') {
                self.add_medium(
                    n,
                    Medium::Serial {
                        device: PathBuf::from(w),
                    },
                );
            } else {
                self.d.error(
                    n,
                    format!(
                        "serial: invalid device [{w}]: expected an absolute path such as /dev/ttyS0"
                    ),
                );
            }
        }
    }
}
