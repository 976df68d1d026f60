//! `heartbeat send-arp`: gratuitous ARP / unsolicited NA for an address.
//! A thin shell over [`crate::arp::announce`], used by the IPaddr agent.
pub struct SendArpArgs {
    pub iface: String,
    pub addr: std::net::IpAddr,
    pub count: u32,
    pub interval_ms: u64,
    pub mode: crate::arp::GarpMode,
}

pub fn run(args: &SendArpArgs) -> i32 {
    match crate::arp::announce(
        &args.iface,
        args.addr,
        args.count,
        std::time::Duration::from_millis(args.interval_ms),
        args.mode,
    ) {
        Ok(()) => super::exit::OK,
        Err(e) => {
            eprintln!("heartbeat send-arp: {e}");
            super::exit::INVALID
        }
    }
}
