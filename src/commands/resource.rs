//! `heartbeat resource start|stop|status GROUP_OR_RESOURCE`: drive a chain by hand.
use super::Globals;

pub fn run(_g: &Globals, _action: &str, _target: &str) -> i32 {
    eprintln!("heartbeat resource: not built yet");
    super::exit::INVALID
}
