//! The `heartbeat` command: global options and subcommands, nothing else.

use clap::{Parser, Subcommand};
use heartbeat::commands::{self, Globals};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "heartbeat",
    version,
    about = "Two-node active/passive cluster manager (Heartbeat v1 compatible)"
)]
struct Cli {
    /// Directory holding ha.cf, authkeys, haresources and resource.d/.
    #[arg(
        long,
        global = true,
        env = "HEARTBEAT_CONFIG_DIR",
        default_value = "/etc/ha.d"
    )]
    config_dir: PathBuf,
    /// This node's name (default: `uname -n`).
    #[arg(long, global = true, env = "HEARTBEAT_NODE")]
    node: Option<String>,
    /// Persistent state: generation number, uuid.
    #[arg(
        long,
        global = true,
        env = "HEARTBEAT_STATE_DIR",
        default_value = "/var/lib/heartbeat"
    )]
    state_dir: PathBuf,
    /// Runtime files: the control socket, the pid file.
    #[arg(
        long,
        global = true,
        env = "HEARTBEAT_RUN_DIR",
        default_value = "/run/heartbeat"
    )]
    run_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate ha.cf, authkeys, haresources and heartbeat.toml and print what they mean.
    Check {
        /// Print the validated model as JSON.
        #[arg(long)]
        json: bool,
        /// Compare with a copy of the peer's configuration directory.
        #[arg(long, value_name = "DIR")]
        against: Option<PathBuf>,
        /// Where drbd.conf and drbd.d/ are read from, to check that every DRBD resource haresources
        /// uses has a fence-peer handler.
        #[arg(long, value_name = "DIR", default_value = "/etc")]
        drbd_etc: PathBuf,
        /// Check instead whether the configuration can be exported to
        /// Pacemaker and Corosync, and print what would differ (writes nothing).
        #[arg(long, conflicts_with_all = ["json", "against"])]
        pacemaker: bool,
        #[command(flatten)]
        export: PacemakerOpts,
    },
    /// Write this configuration for another cluster manager.
    Export {
        #[command(subcommand)]
        target: ExportTarget,
    },
    /// Run the cluster daemon in the foreground (systemd style).
    Daemon {
        /// Detach from the terminal instead.
        #[arg(long)]
        daemonize: bool,
    },
    /// Show membership, links and who holds which resource group.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print the status in the Prometheus text format (for node_exporter's textfile collector).
    Metrics,
    /// Give resource groups to the peer (like hb_standby), printing each step with its time, and wait for the result.
    Standby {
        #[arg(default_value = "all", value_parser = ["all", "local", "foreign", "failback"])]
        which: String,
    },
    /// Take resource groups from the peer (like hb_takeover), printing each step with its time, and wait for the result.
    Takeover {
        #[arg(default_value = "all", value_parser = ["all", "local", "foreign", "failback"])]
        which: String,
        /// Start even DRBD data of unknown currency (Consistent, the peer gone): the operator
        /// vouches that this node's copy is the newest. Logged.
        #[arg(long)]
        force: bool,
    },
    /// DRBD's fence-peer handler (replaces dopd's drbd-peer-outdater): ask the peer over every
    /// heartbeat medium to outdate its copy; exits 3 (peer Inconsistent), 4 (peer outdated),
    /// 5 (peer unreachable), 6 (peer Primary) as drbd.conf(5) defines.
    FencePeer {
        /// The DRBD resource (default: DRBD_RESOURCE, as DRBD sets it).
        #[arg(short, long, env = "DRBD_RESOURCE")]
        resource: Option<String>,
        /// Seconds to wait for the peer's answer before exiting 5.
        #[arg(short, long, default_value_t = 10)]
        timeout: u64,
    },
    /// DRBD's after-resync-target handler: lift what fence-peer recorded for the resource.
    UnfencePeer {
        /// The DRBD resource (default: DRBD_RESOURCE, as DRBD sets it).
        #[arg(short, long, env = "DRBD_RESOURCE")]
        resource: Option<String>,
    },
    /// Stop the daemon, handing its resource groups to the peer at once and printing each step with its time.
    Stop,
    /// Maintenance mode on both nodes: membership goes on, resources are left as they
    /// are (no takeover, no monitor restarts, no failback); `off` probes every group.
    Maintenance {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Run the demo cluster on this machine (heartbeat-demo, built beside this binary):
    /// `heartbeat demo --scenario sites` moves a DNS name between two sites.
    Demo {
        /// Passed on as they are: `--scenario failover|switchover|failback|sites`,
        /// `--keepalive T`, `--deadtime T`; none for the live screen.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Write the man pages (heartbeat.8 and one per subcommand) into DIR.
    Manpages { dir: PathBuf },
    /// Start, stop or query a resource group (or one resource) by hand, without the daemon.
    Resource {
        #[arg(value_parser = ["start", "stop", "status"])]
        action: String,
        /// A group key (first resource of a haresources line) or one resource spec.
        target: String,
    },
    /// Announce an address with gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6).
    SendArp {
        /// Interface to send on.
        iface: String,
        /// The address to announce.
        addr: std::net::IpAddr,
        /// Number of announcements.
        #[arg(long, default_value_t = 5)]
        count: u32,
        /// Milliseconds between announcements.
        #[arg(long, default_value_t = 200)]
        interval_ms: u64,
        /// IPv4 frames to send: both (request and reply), request or reply.
        #[arg(long, default_value = "both", value_parser = parse_garp_mode)]
        mode: heartbeat::arp::GarpMode,
    },
}

fn parse_garp_mode(s: &str) -> Result<heartbeat::arp::GarpMode, String> {
    heartbeat::arp::GarpMode::parse(s)
        .ok_or_else(|| format!("{s}: expected both, request or reply"))
}

#[derive(Subcommand, Debug)]
enum ExportTarget {
    /// A Pacemaker configuration (CIB, pcs or crmsh) plus corosync.conf,
    /// and MIGRATION-NOTES.txt with everything that has no equivalent.
    Pacemaker {
        #[arg(long, value_enum, default_value_t = ExportFormat::Cib)]
        format: ExportFormat,
        /// Directory to write the files into (created if missing).
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        #[command(flatten)]
        export: PacemakerOpts,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ExportFormat {
    /// The CIB as XML (`cibadmin --replace --scope configuration --xml-file cib.xml`).
    Cib,
    /// A shell script of pcs commands (cluster.pcs.sh).
    Pcs,
    /// crmsh configuration (`crm configure load update cluster.crm`).
    Crmsh,
}

/// The choices an export to Pacemaker needs.
#[derive(clap::Args, Debug)]
struct PacemakerOpts {
    /// The Corosync and Pacemaker cluster name.
    #[arg(long, value_name = "NAME", default_value = "heartbeat")]
    cluster_name: String,
    /// A node's addresses, one per Corosync link: NODE=IP[,IP…] (repeat per node).
    #[arg(long, value_name = "NODE=IP[,IP…]", value_parser = parse_addr)]
    addr: Vec<(String, Vec<std::net::IpAddr>)>,
    /// Write the configuration with fencing off (stonith-enabled=false), as heartbeat v1 ran.
    #[arg(long)]
    disable_fencing: bool,
}

impl PacemakerOpts {
    fn options(self) -> heartbeat::export::Options {
        heartbeat::export::Options {
            cluster_name: self.cluster_name,
            disable_fencing: self.disable_fencing,
            addrs: self
                .addr
                .into_iter()
                .map(|(n, ips)| {
                    let ips = ips.iter().map(ToString::to_string).collect();
                    (heartbeat::config::NodeName::new(&n), ips)
                })
                .collect(),
        }
    }
}

fn parse_addr(s: &str) -> Result<(String, Vec<std::net::IpAddr>), String> {
    let (node, ips) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NODE=IP[,IP…], got {s}"))?;
    let ips = ips
        .split(',')
        .map(|ip| ip.trim().parse().map_err(|e| format!("{ip}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok((node.to_string(), ips))
}

fn main() {
    let cli = Cli::parse();
    let globals = Globals {
        config_dir: cli.config_dir,
        node: cli.node,
        state_dir: cli.state_dir,
        run_dir: cli.run_dir,
    };
    let code = match cli.command {
        Command::Check {
            pacemaker: true,
            export,
            ..
        } => commands::export::check(&globals, &export.options()),
        Command::Check {
            json,
            against,
            drbd_etc,
            ..
        } => commands::check::run(
            &globals,
            &commands::check::CheckArgs {
                json,
                against,
                drbd_etc,
            },
        ),
        Command::Export {
            target:
                ExportTarget::Pacemaker {
                    format,
                    out,
                    export,
                },
        } => commands::export::run(
            &globals,
            &commands::export::ExportArgs {
                options: export.options(),
                format: match format {
                    ExportFormat::Cib => heartbeat::export::Format::Cib,
                    ExportFormat::Pcs => heartbeat::export::Format::Pcs,
                    ExportFormat::Crmsh => heartbeat::export::Format::Crmsh,
                },
                out,
            },
        ),
        Command::Daemon { daemonize } => {
            heartbeat::daemon::run(&globals, &heartbeat::daemon::DaemonOptions { daemonize })
        }
        Command::Status { json } => commands::ctl::status(&globals, json),
        Command::Metrics => commands::ctl::metrics(&globals),
        Command::Standby { which } => commands::ctl::transition(
            &globals,
            false,
            (which.parse().expect("clap checked it"), false),
            commands::ctl::ShowProgress::Stdout,
        ),
        Command::Takeover { which, force } => commands::ctl::transition(
            &globals,
            true,
            (which.parse().expect("clap checked it"), force),
            commands::ctl::ShowProgress::Stdout,
        ),
        Command::FencePeer { resource, timeout } => {
            commands::fence::fence_peer(&globals, resource, Duration::from_secs(timeout))
        }
        Command::UnfencePeer { resource } => commands::fence::unfence_peer(&globals, resource),
        Command::Stop => commands::ctl::stop(&globals),
        Command::Maintenance { state } => commands::ctl::maintenance(&globals, state == "on"),
        Command::Demo { args } => commands::demo::run(&args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "heartbeat", &mut std::io::stdout());
            0
        }
        Command::Manpages { dir } => manpages(&dir),
        Command::Resource { action, target } => commands::resource::run(&globals, &action, &target),
        Command::SendArp {
            iface,
            addr,
            count,
            interval_ms,
            mode,
        } => commands::send_arp::run(&commands::send_arp::SendArpArgs {
            iface,
            addr,
            count,
            interval_ms,
            mode,
        }),
    };
    std::process::exit(code);
}

/// heartbeat.8 plus heartbeat-SUBCOMMAND.8 for each visible subcommand.
fn manpages(dir: &std::path::Path) -> i32 {
    let cmd = <Cli as clap::CommandFactory>::command();
    let write = |name: String, cmd: clap::Command| -> std::io::Result<()> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .title(name.to_uppercase())
            .section("8")
            .render(&mut out)?;
        std::fs::write(dir.join(format!("{name}.8")), out)
    };
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| write("heartbeat".into(), cmd.clone()))
        .and_then(|_| {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let name = format!("heartbeat-{}", sub.get_name());
                write(
                    name,
                    sub.clone()
                        .bin_name(format!("heartbeat {}", sub.get_name())),
                )?;
            }
            Ok(())
        });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("heartbeat manpages: {e}");
            1
        }
    }
}
