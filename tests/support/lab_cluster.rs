//! What the namespace tests of a running pair share: lab configurations,
//! reading a node's state through its own tools, failing with both logs
//! attached, and sending or capturing raw heartbeat packets from inside a
//! namespace. Stands alone (include it with `#[macro_use] #[path = …]`), so
//! a test file needs nothing else of `support`.
#![allow(dead_code)]

use hb_lab::{self as lab, Lab, LabConfig, NODES};
use std::time::Duration;

pub const A: usize = 0;
pub const B: usize = 1;

pub fn root(test: &str) -> bool {
    hb_lab::skip::unless_root(test)
}

pub fn config(tag: &str) -> LabConfig {
    LabConfig::new(
        &lab::unique_prefix(tag),
        std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    )
}

/// A lab whose only resource is the built-in state-file agent: membership
/// tests need no VIP or disk.
pub fn dummy_config(tag: &str) -> LabConfig {
    let mut c = config(tag);
    c.resources = Some("Dummy::g1".into());
    c.shared_disk = false;
    c
}

/// Both daemons of a [`dummy_config`] lab running, alpha holding `g1`; `None`
/// (after the one skip line) when not root.
pub fn dummy_pair(tag: &str) -> Option<Lab> {
    if !root(tag) {
        return None;
    }
    let mut lab = Lab::create(dummy_config(tag)).expect("lab");
    lab.start(A).expect("start alpha");
    lab.start(B).expect("start bravo");
    let settled = lab.wait_for(Duration::from_secs(15), |l| {
        let s = status_json(l, A);
        s["peer_status"] == "active" && s["groups"][0]["local_state"] == "running"
    });
    assert!(settled, "never settled:\n{}\n{}", lab.log(A), lab.log(B));
    Some(lab)
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

pub fn nodestatus(lab: &Lab, observer: usize, of: usize) -> String {
    stdout(&lab.tool(observer, "cl_status", &["nodestatus", NODES[of]]))
}

pub fn status_json(lab: &Lab, i: usize) -> serde_json::Value {
    let out = lab.ctl(i, &["status", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

pub fn dump_logs(lab: &Lab) {
    for (i, name) in NODES.iter().enumerate() {
        eprintln!("==== {name} log ====\n{}", lab.log(i));
        let out = std::fs::read_to_string(lab.nodes[i].dir.join("daemon.out")).unwrap_or_default();
        eprintln!("==== {name} output ====\n{out}");
    }
}

/// Assert with the daemons' logs attached, so a CI failure explains itself.
macro_rules! check {
    ($lab:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            dump_logs(&$lab);
            panic!($($msg)+);
        }
    };
}

pub fn start_both(lab: &mut Lab) {
    lab.start(A).expect("start alpha");
    lab.start(B).expect("start bravo");
    let up = lab.wait_for(Duration::from_secs(15), |l| {
        nodestatus(l, A, B) == "active" && nodestatus(l, B, A) == "active"
    });
    check!(lab, up, "the two daemons never saw each other");
}

/// The first heartbeat packet from `from_ip` seen on `iface` of namespace
/// `ns` (udp port 694; our socket shares the port with the daemon's).
pub fn capture_packet(ns: &str, iface: &str, from_ip: &str) -> Vec<u8> {
    let iface = iface.to_string();
    let from_ip = from_ip.to_string();
    lab::in_netns(ns, move || {
        use socket2::{Domain, Protocol, Socket, Type};
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        s.set_reuse_address(true).unwrap();
        s.set_reuse_port(true).unwrap();
        s.bind_device(Some(iface.as_bytes())).unwrap();
        let any: std::net::SocketAddr = "0.0.0.0:694".parse().unwrap();
        s.bind(&any.into()).unwrap();
        let s: std::net::UdpSocket = s.into();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = vec![0u8; 65536];
        loop {
            let (n, from) = s.recv_from(&mut buf).expect("a heartbeat packet");
            if from.ip().to_string() == from_ip {
                return buf[..n].to_vec();
            }
        }
    })
    .unwrap()
}

/// Send `packets` from namespace `ns`, bound to `from_ip`, to `to` (an
/// `ADDRESS:PORT`), 200 µs apart: the tests count what the daemon drops by
/// reason, so a burst must not overflow its socket's receive buffer first
/// (unpaced, 200 packets sometimes arrived as 189).
pub fn send_packets(ns: &str, from_ip: &str, to: &str, packets: &[Vec<u8>]) {
    lab::in_netns(ns, || {
        let s = std::net::UdpSocket::bind(format!("{from_ip}:0")).expect("bind");
        for p in packets {
            s.send_to(p, to).expect("send");
            std::thread::sleep(Duration::from_micros(200));
        }
    })
    .unwrap();
}
