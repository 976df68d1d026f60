//! What an `IPaddr` / `IPaddr2` item of haresources asks for:
//! `IP[/CIDR[/IFACE[/BROADCAST]]]`, the original's syntax. Pure: parsed and
//! refused at configuration time (with the haresources line), so a start
//! never meets a malformed address.

use std::net::{IpAddr, Ipv4Addr};
use thiserror::Error;

/// The names the in-process path serves (the original shipped both as
/// heartbeat-style scripts; IPaddr2 is what many haresources files name).
pub const NAMES: [&str; 2] = ["IPaddr", "IPaddr2"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    /// None: the longest connected route covering the address, else a host prefix.
    pub prefix: Option<u8>,
    /// None: the interface the kernel's route lookup chooses.
    pub iface: Option<String>,
    /// IPv4 only; None: computed from the prefix.
    pub broadcast: Option<Ipv4Addr>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VipSpecError {
    #[error("no address given (IPaddr::IP[/CIDR[/IFACE[/BROADCAST]]])")]
    Missing,
    #[error("{0} takes one argument IP[/CIDR[/IFACE[/BROADCAST]]], got {1}")]
    TooManyArguments(String, usize),
    #[error("{0:?} is not an IPv4 or IPv6 address")]
    BadAddress(String),
    #[error("prefix length {0:?} is not a number from 0 to {1}")]
    BadPrefix(String, u8),
    #[error("interface name {0:?} is not valid (1 to 15 characters, no '/', ':' or blanks)")]
    BadInterface(String),
    #[error("broadcast {0:?} is not an IPv4 address")]
    BadBroadcast(String),
    #[error("a broadcast address makes no sense for the IPv6 address {0}")]
    BroadcastOnV6(IpAddr),
}

impl VipSpec {
    /// `name` is the agent name, for messages; `args` the haresources arguments.
    pub fn parse(name: &str, args: &[String]) -> Result<VipSpec, VipSpecError> {
        let arg = match args {
            [] => return Err(VipSpecError::Missing),
            [one] => one.as_str(),
            more => return Err(VipSpecError::TooManyArguments(name.into(), more.len())),
        };
        let mut fields = arg.split('/');
        let ip = fields.next().unwrap_or_default();
        if ip.is_empty() {
            return Err(VipSpecError::Missing);
        }
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| VipSpecError::BadAddress(ip.into()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let non_empty = |f: Option<&str>| f.filter(|s| !s.is_empty()).map(str::to_string);
        let prefix = match non_empty(fields.next()) {
            None => None,
            Some(p) => Some(
                p.parse::<u8>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or(VipSpecError::BadPrefix(p, max))?,
            ),
        };
        let iface = non_empty(fields.next());
        if let Some(i) = &iface
            && !valid_iface(i)
        {
            return Err(VipSpecError::BadInterface(i.clone()));
        }
        let broadcast = match non_empty(fields.next()) {
            None => None,
            Some(_) if addr.is_ipv6() => return Err(VipSpecError::BroadcastOnV6(addr)),
            Some(b) => Some(b.parse().map_err(|_| VipSpecError::BadBroadcast(b))?),
        };
        if let Some(extra) = fields.next() {
            return Err(VipSpecError::BadBroadcast(format!("{extra}/…")));
        }
        Ok(VipSpec {
            addr,
            prefix,
            iface,
            broadcast,
        })
    }

    pub fn host_prefix(&self) -> u8 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

/// Linux interface names: at most 15 bytes, no slash, colon or blank (a
/// colon would be read as a label).
fn valid_iface(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_graphic() && c != '/' && c != ':')
}

/// The label an IPv4 VIP gets, `IFACE:hb`, so `ip addr` and ifconfig show
/// which addresses are ours; labels share the 15-byte limit of names.
pub fn label(iface: &str) -> String {
    let l = format!("{iface}:hb");
    if l.len() > 15 { iface.to_string() } else { l }
}

/// The broadcast address of `addr/prefix` (none for /31 and /32, RFC 3021).
pub fn broadcast_of(addr: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    if prefix >= 31 {
        return None;
    }
    let host_bits = u32::MAX >> prefix;
    Some(Ipv4Addr::from(u32::from(addr) | host_bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<VipSpec, VipSpecError> {
        VipSpec::parse("IPaddr", &[s.to_string()])
    }

    #[test]
    fn every_field_of_the_original_syntax() {
        let v = parse("10.0.0.5/24/eth0/10.0.0.255").unwrap();
        assert_eq!(v.addr, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(v.prefix, Some(24));
        assert_eq!(v.iface.as_deref(), Some("eth0"));
        assert_eq!(v.broadcast, Some(Ipv4Addr::new(10, 0, 0, 255)));
        let bare = parse("10.0.0.5").unwrap();
        assert_eq!(
            (bare.prefix, bare.iface, bare.broadcast),
            (None, None, None)
        );
        // An empty field means its default, as in the shell agent.
        let skip = parse("10.0.0.5//eth1").unwrap();
        assert_eq!((skip.prefix, skip.iface.as_deref()), (None, Some("eth1")));
        let v6 = parse("fd00:0:0:0:0:0:0:5/64/eth0").unwrap();
        assert_eq!((v6.prefix, v6.host_prefix()), (Some(64), 128));
    }

    #[test]
    fn malformed_items_are_refused_with_the_reason() {
        assert_eq!(
            parse("10.0.0.300"),
            Err(VipSpecError::BadAddress("10.0.0.300".into()))
        );
        assert_eq!(
            parse("10.0.0.5/33"),
            Err(VipSpecError::BadPrefix("33".into(), 32))
        );
        assert_eq!(
            parse("10.0.0.5/x"),
            Err(VipSpecError::BadPrefix("x".into(), 32))
        );
        assert!(matches!(
            parse("10.0.0.5/24/eth0:1"),
            Err(VipSpecError::BadInterface(_))
        ));
        assert!(matches!(
            parse("10.0.0.5/24/averyveryverylongname"),
            Err(VipSpecError::BadInterface(_))
        ));
        assert!(matches!(
            parse("fd00::5/64/eth0/1.2.3.4"),
            Err(VipSpecError::BroadcastOnV6(_))
        ));
        assert!(matches!(
            parse("10.0.0.5/24/eth0/nope"),
            Err(VipSpecError::BadBroadcast(_))
        ));
        assert_eq!(VipSpec::parse("IPaddr", &[]), Err(VipSpecError::Missing));
        assert!(matches!(
            VipSpec::parse("IPaddr2", &["10.0.0.5".into(), "x".into()]),
            Err(VipSpecError::TooManyArguments(_, 2))
        ));
    }

    #[test]
    fn labels_and_broadcasts_follow_the_kernel_limits() {
        assert_eq!(label("eth0"), "eth0:hb");
        assert_eq!(label("enp0s31f6abcd"), "enp0s31f6abcd");
        let a = Ipv4Addr::new(10, 0, 0, 5);
        assert_eq!(broadcast_of(a, 24), Some(Ipv4Addr::new(10, 0, 0, 255)));
        assert_eq!(broadcast_of(a, 0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(broadcast_of(a, 31), None);
        assert_eq!(broadcast_of(a, 32), None);
    }
}
