//! `heartbeat check`: validate the configuration and print the model.
use super::Globals;

pub struct CheckArgs {
    pub json: bool,
    pub against: Option<std::path::PathBuf>,
}

pub fn run(_g: &Globals, _args: &CheckArgs) -> i32 {
    eprintln!("heartbeat check: not built yet");
    super::exit::INVALID
}
