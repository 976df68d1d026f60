//! Forged packets at the active node's heartbeat channel, sent from the
//! passive node's namespace over the crossover link (the only path the
//! daemons listen on): heartbeat status packets signed with a wrong key,
//! or, for keepalived, VRRP adverts claiming a higher priority with a bad
//! checksum. Rate-paced and bounded in time; it stops by itself.

use std::net::{SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// One forged status packet from `src`, signed with a key the cluster
/// does not have (the hash is simply wrong).
fn forged_heartbeat(src: &str, seq: u64) -> Vec<u8> {
    format!(
        ">>>\nt=status\nst=active\ndt=1388\nprotocol=1\nsrc={src}\nseq={seq:x}\nhg=5a5a5a5a\n\
         ts={:x}\nld=0.00 0.00 0.00 1/100 1\nttl=3\nauth=1 {:040x}\n<<<\n",
        1_800_000_000u64 + seq,
        seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128
    )
    .into_bytes()
}

/// A VRRPv3 advert for the lab's router id with priority 254 and a wrong
/// checksum: accepted, it would take the master role away.
fn forged_vrrp(vip: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0x31, 51, 254, 1, 0x00, 0x64, 0xde, 0xad];
    p.extend_from_slice(&vip);
    p
}

pub struct FloodStats {
    pub sent: u64,
    pub seconds: f64,
}

/// Sends `rate` packets a second to `target` for `secs` seconds. Runs on a
/// thread that has joined the sending namespace.
pub fn run(ns: &str, target: [u8; 4], keepalived: bool, rate: u64, secs: f64) -> FloodStats {
    let ns = ns.to_string();
    hb_lab::in_netns(&ns, move || {
        let start = Instant::now();
        let until = start + Duration::from_secs_f64(secs);
        let mut sent = 0u64;
        let send: Box<dyn FnMut(u64) -> bool> = if keepalived {
            let s = match raw_vrrp_socket() {
                Some(s) => s,
                None => {
                    return FloodStats {
                        sent: 0,
                        seconds: 0.0,
                    };
                }
            };
            let pkt = forged_vrrp([10, 213, 7, 100]);
            let dest = socket2::SockAddr::from(SocketAddrV4::new(target.into(), 0));
            Box::new(move |_| s.send_to(&pkt, &dest).is_ok())
        } else {
            let s = match UdpSocket::bind("0.0.0.0:0") {
                Ok(s) => s,
                Err(_) => {
                    return FloodStats {
                        sent: 0,
                        seconds: 0.0,
                    };
                }
            };
            let dest = SocketAddrV4::new(target.into(), 694);
            Box::new(move |seq| s.send_to(&forged_heartbeat("bravo", seq), dest).is_ok())
        };
        let mut send = send;
        while Instant::now() < until {
            // Pace in 1 ms slices so the rate holds over the whole window.
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due {
                send(sent);
                sent += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        FloodStats {
            sent,
            seconds: start.elapsed().as_secs_f64(),
        }
    })
    .unwrap_or(FloodStats {
        sent: 0,
        seconds: 0.0,
    })
}

fn raw_vrrp_socket() -> Option<socket2::Socket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112))).ok()?;
    // VRRP drops adverts whose TTL is not 255: make the checksum the fault.
    s.set_ttl_v4(255).ok()?;
    s.set_multicast_ttl_v4(255).ok()?;
    // Out of the crossover link, and not looped back to the sender's own
    // keepalived.
    s.set_multicast_if_v4(&std::net::Ipv4Addr::new(10, 213, 8, 2))
        .ok()?;
    s.set_multicast_loop_v4(false).ok()?;
    Some(s)
}
