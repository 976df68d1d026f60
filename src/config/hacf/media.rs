//! The heartbeat media directives of ha.cf (bcast, ucast, mcast, serial)
//! and the two settings they depend on (udpport, baud).

use super::parser::Parser;
use super::{At, BAUD_RATES};
use crate::config::model::Medium;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

const MAX_MCAST_TTL: u8 = 4;
/// The shape of an mcast line, quoted by the messages about its fields.
const MCAST_USAGE: &str = "expected \"mcast INTERFACE GROUP PORT TTL LOOP\"";
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
        let Some([iface, group_w, port_w, ttl_w, loop_w]) = self.mcast_fields(n, words) else {
            return;
        };
        if !self.iface(n, "mcast", iface) {
            return;
        }
        // Every bad field is reported, not only the first.
        let group = group_w
            .parse::<Ipv4Addr>()
            .ok()
            .filter(Ipv4Addr::is_multicast);
        let group = self.mcast_field(
            n,
            iface,
            ("group", group_w),
            group,
            "an IPv4 multicast address (224.0.0.0 to 239.255.255.255)",
        );
        let port = port_w.parse::<u16>().ok().filter(|p| *p > 0);
        let port = self.mcast_field(n, iface, ("port", port_w), port, "1 to 65535");
        let ttl = ttl_w.parse::<u8>().ok().filter(|t| *t <= MAX_MCAST_TTL);
        let ttl_range = format!("0 to {MAX_MCAST_TTL}");
        let ttl = self.mcast_field(n, iface, ("ttl", ttl_w), ttl, &ttl_range);
        let loopback = match loop_w {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        };
        let loopback = self.mcast_field(n, iface, ("loop", loop_w), loopback, "0 or 1");
        if let (Some(group), Some(port), Some(ttl), Some(loopback)) = (group, port, ttl, loopback) {
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

    /// The five words of an mcast line, or an error naming the first
    /// missing field (or saying there are too many).
    fn mcast_fields<'w>(&mut self, n: usize, words: &[&'w str]) -> Option<[&'w str; 5]> {
        const FIELDS: [&str; 4] = ["group", "port", "ttl", "loop"];
        let Some(iface) = words.first() else {
            self.d.error(n, format!("mcast: {MCAST_USAGE}"));
            return None;
        };
        if words.len() < 5 {
            let missing = FIELDS[words.len() - 1];
            self.d.error(
                n,
                format!("mcast [{iface}] missing {missing}: {MCAST_USAGE}"),
            );
            return None;
        }
        let fields = <[&str; 5]>::try_from(words).ok();
        if fields.is_none() {
            self.d.error(
                n,
                format!("mcast [{iface}]: too many fields: {MCAST_USAGE}"),
            );
        }
        fields
    }

    /// One mcast field as parsed, or (when `value` is `None`) the error all
    /// bad mcast fields share: `(name, word)` as written, and what was expected.
    fn mcast_field<T>(
        &mut self,
        n: usize,
        iface: &str,
        (name, word): (&str, &str),
        value: Option<T>,
        expected: &str,
    ) -> Option<T> {
        if value.is_none() {
            self.d.error(
                n,
                format!("mcast [{iface}] bad {name} [{word}]: expected {expected}"),
            );
        }
        value
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
