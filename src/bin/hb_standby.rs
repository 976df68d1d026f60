//! `hb_standby [all|foreign|local|failback]`: give resources to the peer.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(heartbeat::commands::ctl::hb_transition(
        "hb_standby",
        &args,
        false,
    ));
}
