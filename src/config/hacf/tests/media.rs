//! Media directives and the settings they depend on (udpport, baud).

use super::*;
use std::net::Ipv4Addr;

#[test]
fn udpport_range_and_placement() {
    assert_eq!(
        run("udpport 700\nnode alpha bravo\nbcast eth1\n")
            .0
            .unwrap()
            .udpport,
        700
    );
    expect_err("udpport 0\n", Some(4), "udpport: invalid port [0]");
    expect_err("udpport 65536\n", Some(4), "invalid port [65536]");
    expect_err(
        "udpport 700\n",
        Some(4),
        "udpport must precede media statements (line 2",
    );
    // A serial line before udpport is fine: it does not use the port.
    let (s, d) = run("serial /dev/ttyS0\nudpport 700\nnode alpha bravo\n");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(s.unwrap().udpport, 700);
}

#[test]
fn baud_values_placement_and_repetition() {
    let (s, d) = run("baud 38400\nserial /dev/ttyS0\nnode alpha bravo\n");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(s.unwrap().baud, 38400);
    expect_err("baud 12345\n", Some(4), "invalid baud rate [12345]");
    expect_err(
        "serial /dev/ttyS0\nbaud 9600\n",
        Some(5),
        "baud must precede media statements (line 4",
    );
    expect_err(
        "baud 9600\nbaud 9600\n",
        Some(5),
        "baud multiply specified (already set on line 4)",
    );
}

#[test]
fn bcast_takes_several_interfaces() {
    let c = ok("bcast eth2, eth3\n");
    let names: Vec<String> = c.media.iter().map(Medium::link_name).collect();
    assert_eq!(names, ["eth1", "eth2", "eth3"]);
    expect_err(
        "bcast averyveryverylongname0\n",
        Some(4),
        "invalid interface name",
    );
    expect_err(
        "bcast\n",
        Some(4),
        "bcast: expected one or more interface names",
    );
}

#[test]
fn ucast_needs_interface_and_ip() {
    let c = ok("ucast eth1 10.0.0.2\n");
    assert_eq!(
        c.media[1],
        Medium::Ucast {
            iface: "eth1".into(),
            peer: "10.0.0.2".parse().unwrap()
        }
    );
    expect_err(
        "ucast eth1\n",
        Some(4),
        "expected \"ucast INTERFACE PEER-IP\"",
    );
    expect_err(
        "ucast eth1 bravo.example\n",
        Some(4),
        "host names are not resolved",
    );
}

#[test]
fn mcast_fields_are_validated() {
    let c = ok("mcast eth1 239.0.0.1 694 1 0\n");
    assert_eq!(
        c.media[1],
        Medium::Mcast {
            iface: "eth1".into(),
            group: Ipv4Addr::new(239, 0, 0, 1),
            port: 694,
            ttl: 1,
            loopback: false
        }
    );
    expect_err(
        "mcast eth1 239.0.0.1 694 9 0\n",
        Some(4),
        "mcast [eth1] bad ttl [9]",
    );
    expect_err(
        "mcast eth1 239.0.0.1 694 1 2\n",
        Some(4),
        "mcast [eth1] bad loop [2]",
    );
    expect_err(
        "mcast eth1 10.0.0.1 694 1 0\n",
        Some(4),
        "bad group [10.0.0.1]",
    );
    expect_err("mcast eth1 239.0.0.1 0 1 0\n", Some(4), "bad port [0]");
    expect_err(
        "mcast eth1 239.0.0.1 694\n",
        Some(4),
        "mcast [eth1] missing ttl",
    );
    expect_err(
        "mcast eth1 239.0.0.1 694 1 0 7\n",
        Some(4),
        "too many fields",
    );
}

#[test]
fn serial_needs_absolute_device() {
    let c = ok("serial /dev/ttyS0\n");
    assert_eq!(
        c.media[1],
        Medium::Serial {
            device: "/dev/ttyS0".into()
        }
    );
    expect_err("serial ttyS0\n", Some(4), "expected an absolute path");
}

#[test]
fn at_least_one_medium_is_required() {
    let (s, d) = run("node alpha bravo\n");
    assert!(s.is_none());
    assert_eq!(d.errors[0].line, None);
    assert!(d.errors[0].message.contains("no heartbeat media defined"));
}
