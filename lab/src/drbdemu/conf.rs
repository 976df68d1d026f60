//! The emulator's configuration file, `emu.conf` in its directory: one
//! `key = value` per line, `#` comments. The lab writes it.

use super::adm::Format;
use super::state::{Disk, Fencing};
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conf {
    pub resource: String,
    pub node: String,
    pub peer: String,
    /// Where this node listens for its peer (`ip:port`, on the crossover).
    pub address: String,
    pub peer_address: String,
    pub format: Format,
    pub fencing: Fencing,
    /// Shell commands run as DRBD runs its handlers (empty: none).
    pub fence_peer: String,
    pub after_resync_target: String,
    pub resync_ms: u64,
    /// The disk state of a first start (no meta-data yet).
    pub initial_disk: Disk,
}

impl Conf {
    pub fn parse(text: &str) -> Result<Conf, String> {
        let mut c = Conf {
            resource: "r0".into(),
            node: String::new(),
            peer: String::new(),
            address: String::new(),
            peer_address: String::new(),
            format: Format::V9,
            fencing: Fencing::DontCare,
            fence_peer: String::new(),
            after_resync_target: String::new(),
            resync_ms: 2000,
            initial_disk: Disk::UpToDate,
        };
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (k, v) = line.split_once('=').ok_or(format!("no '=' in {line:?}"))?;
            let v = v.trim().to_string();
            let bad = || format!("bad value for {}: {v:?}", k.trim());
            match k.trim() {
                "resource" => c.resource = v,
                "node" => c.node = v,
                "peer" => c.peer = v,
                "address" => c.address = v,
                "peer-address" => c.peer_address = v,
                "format" => c.format = Format::parse(&v).ok_or_else(bad)?,
                "fencing" => c.fencing = Fencing::parse(&v).ok_or_else(bad)?,
                "fence-peer" => c.fence_peer = v,
                "after-resync-target" => c.after_resync_target = v,
                "resync-ms" => c.resync_ms = v.parse().map_err(|_| bad())?,
                "initial-disk" => c.initial_disk = Disk::parse(&v).ok_or_else(bad)?,
                other => return Err(format!("unknown key {other:?}")),
            }
        }
        Ok(c)
    }

    pub fn load(dir: &Path) -> Result<Conf, String> {
        let path = dir.join("emu.conf");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Conf::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_and_rejects_unknown_ones() {
        let c = Conf::parse(
            "# lab\nresource = r1\nnode = alpha\npeer = bravo\naddress = 10.0.0.1:7789\npeer-address = 10.0.0.2:7789\nformat = 8.4\nfencing = resource-only\nfence-peer = /bin/fp\nafter-resync-target = /bin/ar\nresync-ms = 50\ninitial-disk = Outdated\n",
        )
        .unwrap();
        assert_eq!(
            (c.resource.as_str(), c.format, c.fencing),
            ("r1", Format::V84, Fencing::ResourceOnly)
        );
        assert_eq!((c.resync_ms, c.initial_disk), (50, Disk::Outdated));
        assert!(Conf::parse("colour = blue").is_err());
        assert!(Conf::parse("format = 7").is_err());
    }
}
