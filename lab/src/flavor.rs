//! How the lab runs each cluster manager it can compare: our daemon, the
//! original Heartbeat 3.0.6 (Debian's `heartbeat` package) and keepalived.
//! It only writes files under a lab's own directory and builds commands;
//! it never starts anything outside the lab's namespaces.

use super::{LabConfig, LabNode, NODES, VIP, parse_ms};
use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Our `heartbeat daemon`.
    #[default]
    Ours,
    /// Heartbeat 3.0.6, each node in its own mount and UTS namespace.
    Original,
    /// keepalived 2.x: VRRP moves the VIP; the web service runs on both nodes.
    Keepalived,
}

impl Flavor {
    pub const ALL: [Flavor; 3] = [Flavor::Ours, Flavor::Original, Flavor::Keepalived];

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Ours => "heartbeat (ours)",
            Flavor::Original => "Heartbeat 3.0.6",
            Flavor::Keepalived => "keepalived",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Flavor::Ours => "ours",
            Flavor::Original => "original",
            Flavor::Keepalived => "keepalived",
        }
    }
}

impl std::str::FromStr for Flavor {
    type Err = String;
    fn from_str(s: &str) -> Result<Flavor, String> {
        Flavor::ALL
            .into_iter()
            .find(|f| f.short() == s)
            .ok_or_else(|| format!("unknown flavor {s} (ours, original, keepalived)"))
    }
}

/// The original's master control process; `-f` keeps it in the foreground
/// so the lab's child is the daemon itself.
pub const ORIGINAL_DAEMON: &str = "/usr/libexec/heartbeat/heartbeat";
pub const ORIGINAL_HB_STANDBY: &str = "/usr/share/heartbeat/hb_standby";
const ORIGINAL_STATE: &str = "/var/lib/heartbeat";

/// ha.cf lines the original needs on top of the lab's: no logging daemon
/// (the log goes to the lab's file) and the v1 resource manager.
pub const ORIGINAL_HACF: [&str; 3] = ["use_logd no", "logfacility none", "crm off"];

/// The original reads its agents and scripts from its own /etc/ha.d, which
/// the lab hides behind the node's directory: copy the package's files in.
pub fn copy_original_ha_d(config_dir: &Path) -> io::Result<()> {
    copy_tree(Path::new("/etc/ha.d"), config_dir)?;
    // Its state directory carries the package's layout (fifo, api, ccm, …).
    let state = config_dir.with_file_name("state");
    copy_tree(Path::new(ORIGINAL_STATE), &state)
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    let out = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "copying {} (is the heartbeat package installed?): {}",
            from.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The original's command: private /etc/ha.d, /var/lib/heartbeat and /run,
/// the node's host name, then the daemon in the foreground.
pub fn original_command(node: &LabNode) -> Command {
    let script = format!(
        "set -e; mount --bind '{cfg}' /etc/ha.d; mount --bind '{state}' {ORIGINAL_STATE}; \
         mount -t tmpfs -o mode=755 lab-run /run; \
         mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/heartbeat/rsctmp \
         /run/resource-agents /run/lock; chown -R hacluster:haclient /run/heartbeat; \
         hostname {name}; export HA_RSCTMP=/run/resource-agents; exec {ORIGINAL_DAEMON} -f",
        cfg = node.config_dir().display(),
        state = node.state_dir().display(),
        name = node.name,
    );
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &node.ns, "unshare", "-m", "-u", "sh", "-c"])
        .arg(script);
    cmd
}

/// A command run in the mount, UTS and network namespaces of process `pid`
/// (the original's tools find its sockets and FIFO under its private dirs).
pub fn in_daemon_namespaces(pid: i32, argv: &[&str]) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.args(["-t", &pid.to_string(), "-m", "-u", "-n", "--"])
        .args(argv)
        .stdin(std::process::Stdio::null());
    cmd
}

/// keepalived's command: VRRP only, in the foreground, logging to the
/// console, with pid files of its own so the two nodes do not collide.
pub fn keepalived_command(node: &LabNode) -> Command {
    let d = &node.dir;
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &node.ns,
        "keepalived",
        "-n",
        "-l",
        "-D",
        "-P",
        "-f",
    ])
    .arg(d.join("keepalived.conf"))
    .arg("-p")
    .arg(d.join("keepalived.pid"))
    .arg("-r")
    .arg(d.join("vrrp.pid"))
    .arg("-c")
    .arg(d.join("checkers.pid"))
    .args(["-i", &node.name]);
    cmd
}

/// The VRRP equivalent of the lab's ha.cf: adverts on the crossover link
/// (where heartbeat sends its heartbeats), the VIP on the LAN, alpha
/// preferred, `advert_int` = keepalive, and preemption only when
/// `auto_failback` is on. VRRP v3 for sub-second advert intervals.
pub fn keepalived_conf(c: &LabConfig, i: usize) -> io::Result<String> {
    let keepalive_ms = parse_ms(&c.keepalive)
        .ok_or_else(|| io::Error::other(format!("bad keepalive {}", c.keepalive)))?;
    // keepalived counts advert_int in centiseconds (v3).
    let advert = (keepalive_ms.max(10) as f64 / 1000.0 * 100.0).round() / 100.0;
    let preempt = matches!(c.auto_failback.as_str(), "on" | "yes" | "true" | "1");
    let (state, prio) = match (i, preempt) {
        (0, true) => ("MASTER", 150),
        (0, false) => ("BACKUP", 150),
        _ => ("BACKUP", 100),
    };
    Ok(format!(
        "global_defs {{\n    router_id {name}\n    vrrp_version 3\n}}\n\
         vrrp_instance LAB {{\n    state {state}\n    interface eth1\n    virtual_router_id 51\n    \
         priority {prio}\n    advert_int {advert}\n{nopreempt}    virtual_ipaddress {{\n        \
         {VIP}/24 dev eth0\n    }}\n}}\n",
        name = NODES[i],
        nopreempt = if preempt { "" } else { "    nopreempt\n" },
    ))
}

/// `pid` and all its descendants, from /proc.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut parent_of = Vec::new();
    if let Ok(rd) = fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) {
                // The command name may hold spaces: fields start after ')'.
                if let Some(ppid) = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|s| s.parse::<i32>().ok())
                {
                    parent_of.push((p, ppid));
                }
            }
        }
    }
    let mut family = vec![pid];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    family
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(keepalive: &str, auto_failback: &str) -> LabConfig {
        let mut c = LabConfig::new("t", Path::new("/bin/true"));
        c.keepalive = keepalive.into();
        c.auto_failback = auto_failback.into();
        c
    }

    #[test]
    fn keepalived_preempts_only_when_auto_failback_is_on() {
        let on = keepalived_conf(&cfg("1", "on"), 0).unwrap();
        assert!(
            on.contains("state MASTER") && !on.contains("nopreempt"),
            "{on}"
        );
        let off = keepalived_conf(&cfg("1", "off"), 0).unwrap();
        assert!(
            off.contains("state BACKUP") && off.contains("nopreempt"),
            "{off}"
        );
        let bravo = keepalived_conf(&cfg("1", "on"), 1).unwrap();
        assert!(bravo.contains("priority 100") && on.contains("priority 150"));
    }

    #[test]
    fn keepalived_advert_int_is_keepalive_in_centiseconds() {
        assert!(
            keepalived_conf(&cfg("1", "on"), 0)
                .unwrap()
                .contains("advert_int 1\n")
        );
        assert!(
            keepalived_conf(&cfg("50ms", "on"), 0)
                .unwrap()
                .contains("advert_int 0.05\n")
        );
        // Below VRRP v3's resolution the lab uses its minimum.
        assert!(
            keepalived_conf(&cfg("2ms", "on"), 0)
                .unwrap()
                .contains("advert_int 0.01\n")
        );
    }

    #[test]
    fn keepalived_adverts_on_crossover_and_vip_on_lan() {
        let c = keepalived_conf(&cfg("1", "on"), 0).unwrap();
        assert!(c.contains("interface eth1"), "{c}");
        assert!(c.contains(&format!("{VIP}/24 dev eth0")), "{c}");
    }

    #[test]
    fn descendants_include_the_root_and_its_children() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let me = std::process::id() as i32;
        let family = descendants(me);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(family[0], me);
        assert!(family.contains(&(child.id() as i32)), "{family:?}");
    }

    #[test]
    fn webnode_agent_knows_the_web_server_without_heartbeat_bin() {
        let agent =
            super::super::webnode_agent(Path::new("/opt/lab/hb-lab-web"), Path::new("/lab/srv"));
        assert!(agent.contains("WEB=\"/opt/lab/hb-lab-web\""), "{agent}");
        assert!(agent.contains("SRV=\"/lab/srv\""), "{agent}");
        assert!(!agent.contains("@HB_LAB_"));
    }

    #[test]
    fn flavor_names_parse_back() {
        for f in Flavor::ALL {
            assert_eq!(f.short().parse::<Flavor>().unwrap(), f);
        }
        assert!("pacemaker".parse::<Flavor>().is_err());
    }
}
