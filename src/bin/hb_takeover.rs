//! `hb_takeover [all|foreign|local|failback]`: take resources from the peer.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(heartbeat::commands::ctl::hb_transition(
        "hb_takeover",
        &args,
        true,
    ));
}
