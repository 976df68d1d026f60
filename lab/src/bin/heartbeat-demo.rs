//! `heartbeat-demo`: build a two-node cluster on this machine and show it
//! working (see [`hb_lab::demo`]). As root: network namespaces, a VIP, a
//! shared disk and a web service; otherwise both daemons on loopback with
//! the Dummy agent.

use clap::Parser;
use hb_lab::demo::{self, DemoArgs};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "heartbeat-demo",
    version,
    about = "Build a two-node demo cluster on this machine and show it working"
)]
struct Cli {
    /// Run one scripted story and report measured times (exit 0 when it went as expected).
    #[arg(long, value_parser = ["failover", "switchover", "failback", "sites"])]
    scenario: Option<String>,
    /// keepalive of the demo cluster.
    #[arg(long, default_value = "100ms")]
    keepalive: String,
    /// deadtime of the demo cluster.
    #[arg(long, default_value = "500ms")]
    deadtime: String,
    /// The heartbeat binary to run (default: `heartbeat` next to this one,
    /// as `cargo build` leaves them); cl_status and hb_standby beside it.
    #[arg(long)]
    heartbeat_bin: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let heartbeat_bin = match cli.heartbeat_bin {
        Some(b) => b,
        None => match std::env::current_exe() {
            Ok(me) => me.with_file_name("heartbeat"),
            Err(e) => {
                eprintln!("heartbeat-demo: cannot find my own binary: {e}");
                std::process::exit(1);
            }
        },
    };
    if !heartbeat_bin.is_file() {
        eprintln!(
            "heartbeat-demo: no heartbeat binary at {} (run `cargo build` at the workspace root, or pass --heartbeat-bin)",
            heartbeat_bin.display()
        );
        std::process::exit(1);
    }
    let code = demo::run(&DemoArgs {
        heartbeat_bin,
        scenario: cli.scenario.map(|s| s.parse().expect("clap checked it")),
        keepalive: cli.keepalive,
        deadtime: cli.deadtime,
    });
    std::process::exit(code);
}
