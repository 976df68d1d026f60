//! `hb-drbd-emu`, a DRBD emulator for the lab, since no DRBD kernel
//! module can be loaded where the tests run. One daemon per node and
//! resource keeps the resource's [`state`]; the two nodes' daemons talk
//! over a real TCP [`link`] on the crossover; the same program invoked as
//! `drbdadm` (or `hb-drbd-emu adm DIR …`) is the front end that asks the
//! daemon of DIR over its control socket and prints what DRBD 8.4's or
//! DRBD 9's drbdadm prints ([`adm`]). See docs/drbd-emulator.md for what
//! it emulates and what only real DRBD proves.
//!
//! This module uses the standard library only: lab/build.rs compiles it
//! as a program of its own, which the lab library embeds (as it does the
//! web server).

pub mod adm;
pub mod conf;
pub mod link;
pub mod server;
pub mod state;

use std::path::Path;

/// The program: `daemon DIR`, `adm DIR ARGS…`, or, invoked as `drbdadm`,
/// drbdadm's own arguments with the emulator's directory in `HB_DRBD_DIR`.
pub fn main(argv0: &str, args: Vec<String>) -> i32 {
    if Path::new(argv0).file_name().is_some_and(|n| n == "drbdadm") {
        let Some(dir) = std::env::var_os("HB_DRBD_DIR") else {
            eprintln!("drbdadm (emulated): HB_DRBD_DIR must name the emulator's directory");
            return adm::NOT_CONFIGURED;
        };
        return server::client(Path::new(&dir), &args);
    }
    match args.split_first() {
        Some((mode, rest)) if mode == "daemon" && rest.len() == 1 => {
            match server::run(Path::new(&rest[0])) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("hb-drbd-emu: {e}");
                    1
                }
            }
        }
        Some((mode, rest)) if mode == "adm" && !rest.is_empty() => {
            server::client(Path::new(&rest[0]), &rest[1..])
        }
        _ => {
            eprintln!("usage: hb-drbd-emu daemon DIR | hb-drbd-emu adm DIR DRBDADM-ARGS…");
            adm::USAGE
        }
    }
}
