//! `heartbeat send-arp`: gratuitous ARP / unsolicited NA for an address.
pub struct SendArpArgs {
    pub iface: String,
    pub addr: std::net::IpAddr,
    pub count: u32,
    pub interval_ms: u64,
}

pub fn run(_args: &SendArpArgs) -> i32 {
    eprintln!("heartbeat send-arp: not built yet");
    super::exit::INVALID
}
