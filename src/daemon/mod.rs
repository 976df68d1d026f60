//! The driver: opens the media, the control socket and the ping socket,
//! feeds every input to the [`Node`] with the current monotonic time, and
//! carries out the effects it returns. Nothing here decides anything: when
//! a branch below starts to choose who holds what, it belongs in `core`.

mod chains;
mod checks;
mod drbd;
mod hangup;
mod mail;
mod metrics_http;
mod reload;
mod setup;
mod watchdog;

pub use setup::{EXIT_NOT_CONFIGURED, agent_env, load_config};

use crate::action::{ChainAction, ChainFailure, Step};
use crate::config::ClusterConfig;
use crate::control::{self, Pending, Response};
use crate::core::{Effect, Encoding, Input, IoCounters, Node, NodeConfig, RequestId};
use crate::drbd::DrbdState;
use crate::generation;
use crate::globals::Globals;
use crate::media::{MediaSet, Received};
use crate::membership::LinkId;
use crate::ownership::{Generation, GroupIdx};
use crate::resources::{AgentEnv, lock::ResourceLock};
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// Options of `heartbeat daemon` beyond the globals.
#[derive(Clone, Debug, Default)]
pub struct DaemonOptions {
    pub daemonize: bool,
}

/// How long answered control requests get to be written at exit.
const DRAIN_AT_EXIT: Duration = Duration::from_secs(2);

pub fn run(g: &Globals, opts: &DaemonOptions) -> i32 {
    let cfg = match load_config(g) {
        Ok(c) => c,
        Err(code) => return code,
    };
    crate::logging::init(Some(&cfg.logging), cfg.debug);
    if opts.daemonize
        && let Err(e) = nix::unistd::daemon(true, true)
    {
        eprintln!("ERROR: cannot daemonize: {e}");
        return 1;
    }
    // One thread: the keepalive path never waits for a lock held by another
    // worker, and the memory footprint stays small.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ERROR: cannot start the runtime: {e}");
            return 1;
        }
    };
    let code = match rt.block_on(start(g, cfg)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            1
        }
    };
    crate::logging::flush(Duration::from_secs(2));
    code
}

/// What a finished chain task sends back.
type ChainResult = (GroupIdx, ChainAction, Result<(), ChainFailure>, Vec<Step>);

/// The edges the loop reads from.
struct Inputs {
    packets: mpsc::Receiver<Received>,
    requests: mpsc::Receiver<Pending>,
    chains: mpsc::Receiver<ChainResult>,
    reach: mpsc::Receiver<u32>,
    checks: mpsc::Receiver<checks::CheckResult>,
    /// DRBD states as drbdadm reports them, on change.
    drbd: mpsc::Receiver<Vec<DrbdState>>,
    /// `drbdadm outdate` runs asked for by the peer, done.
    outdated: mpsc::Receiver<Input>,
}

/// The edges effects are carried out on.
struct Driver {
    g: Globals,
    cfg: Arc<ClusterConfig>,
    env: Arc<AgentEnv>,
    media: MediaSet,
    chain_tx: mpsc::Sender<ChainResult>,
    check_tx: mpsc::Sender<checks::CheckResult>,
    mailer: mail::Mailer,
    outdated_tx: mpsc::Sender<Input>,
    /// The DRBD poll, restarted when a reload changes the resources.
    drbd_tx: mpsc::Sender<Vec<DrbdState>>,
    drbd_watch: drbd::Watch,
    replies: HashMap<RequestId, oneshot::Sender<Response>>,
    /// Where progress lines go, for the requests that asked for them.
    progress: HashMap<RequestId, mpsc::Sender<Response>>,
    next_request: u64,
    /// A reloaded configuration the node is deciding about (until its
    /// `Effect::Reconfigured`).
    reloaded: Option<ClusterConfig>,
}

/// What woke the loop.
enum Wake {
    Input(Input),
    Reload,
}

/// The pinger, when ha.cf names ping nodes (at start and after a reload).
fn start_pinger(cfg: &ClusterConfig, reach_tx: mpsc::Sender<u32>) -> Result<()> {
    let targets = crate::ping::targets(&cfg.ping, &cfg.ping_groups);
    if !targets.is_empty() {
        let deadping = cfg.timings.deadping;
        let interval = (deadping / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        crate::ping::spawn(targets, interval, deadping, reach_tx)
            .context("opening the ping socket")?;
    }
    Ok(())
}

async fn start(g: &Globals, cfg: ClusterConfig) -> Result<()> {
    for dir in [&g.run_dir, &g.state_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _lock = ResourceLock::acquire(&g.run_dir).context("taking the resource lock")?;
    let generation = generation::next_generation(&g.state_dir).context("raising the generation")?;
    let uuid = generation::load_or_create_uuid(&g.state_dir).context("reading hb_uuid")?;
    tracing::info!(
        "Configuration validated. Starting heartbeat {}",
        env!("CARGO_PKG_VERSION")
    );
    if cfg.realtime {
        setup::enter_realtime();
    }
    let pid_file = g.run_dir.join("heartbeat.pid");
    std::fs::write(&pid_file, format!("{}\n", std::process::id()))
        .context("writing the pid file")?;

    let env = Arc::new(agent_env(g, &cfg));
    let maintenance =
        generation::load_maintenance(&g.state_dir).context("reading the maintenance flag")?;
    if maintenance.on {
        // The node probes every group instead and adopts what runs.
        tracing::warn!("Maintenance mode is on: resources left running are adopted, not released");
    } else {
        setup::release_leftovers(&cfg, &env).await?;
    }

    let (pkt_tx, packets) = mpsc::channel(256);
    let media = MediaSet::open(&cfg, pkt_tx)
        .await
        .context("opening heartbeat media")?;
    for m in &cfg.media {
        tracing::info!("{m} heartbeat started");
    }
    let (ctl_tx, requests) = mpsc::channel(16);
    if let Some(addr) = cfg.metrics_listen {
        metrics_http::spawn(addr, ctl_tx.clone()).await;
    }
    let control = control::serve(&g.run_dir, ctl_tx)
        .await
        .context("opening the control socket")?;
    let (reach_tx, reach) = mpsc::channel(8);
    start_pinger(&cfg, reach_tx)?;
    crate::respawn::spawn_all(&cfg.respawn);
    setup::sd_notify("READY=1\nSTATUS=running: media and control socket open");

    let now = Instant::now();
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let node_cfg = NodeConfig {
        maintenance,
        ..NodeConfig::from_cluster(&cfg, Generation(generation), uuid, wall)
    };
    let drbd = drbd::Start::read(&cfg.groups, &env).await;
    let node = Node::new(node_cfg, now);
    let (chain_tx, chains) = mpsc::channel(64);
    let (check_tx, checks) = mpsc::channel(64);
    let mailer = mail::Mailer::start((*env).clone());
    let (outdated_tx, outdated) = mpsc::channel(8);
    let mut driver = Driver {
        g: g.clone(),
        cfg: Arc::new(cfg),
        env,
        media,
        chain_tx,
        check_tx,
        mailer,
        outdated_tx,
        drbd_tx: drbd.tx,
        drbd_watch: drbd.watch,
        replies: HashMap::new(),
        progress: HashMap::new(),
        next_request: 0,
        reloaded: None,
    };
    let inputs = Inputs {
        packets,
        requests,
        chains,
        reach,
        checks,
        drbd: drbd.rx,
        outdated,
    };
    let result = driver.run_loop(node, inputs, Input::Drbd(drbd.first)).await;
    // Requests still unanswered end now; those answered (`heartbeat stop`
    // waits for its answer) are written out before the runtime goes away.
    driver.replies.clear();
    driver.progress.clear();
    control.drain(DRAIN_AT_EXIT).await;
    let _ = std::fs::remove_file(control::socket_path(&g.run_dir));
    let _ = std::fs::remove_file(&pid_file);
    result
}

impl Driver {
    async fn run_loop(&mut self, mut node: Node, mut inputs: Inputs, first: Input) -> Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut hup = hangup::watch()?;
        watchdog::start();
        let mut input = first;
        loop {
            let effects = node.handle(Instant::now(), input);
            if self.perform(effects) {
                return Ok(());
            }
            let sleep = match node.poll_timeout() {
                Some(t) => tokio::time::Instant::from_std(t),
                None => tokio::time::Instant::now() + Duration::from_secs(3600),
            };
            let wake = tokio::select! {
                biased;
                Some(pkt) = inputs.packets.recv() => Wake::Input(packet(pkt)),
                Some((group, action, result, steps)) = inputs.chains.recv() => {
                    Wake::Input(Input::ChainDone { group, action, result, steps })
                }
                Some(p) = inputs.requests.recv() => Wake::Input(self.request(p)),
                Some(local) = inputs.reach.recv() => Wake::Input(Input::Reach(local)),
                Some((check, epoch, outcome)) = inputs.checks.recv() => {
                    Wake::Input(Input::CheckDone { check, epoch, outcome })
                }
                Some(states) = inputs.drbd.recv() => Wake::Input(Input::Drbd(states)),
                Some(done) = inputs.outdated.recv() => Wake::Input(done),
                _ = sigterm.recv() => Wake::Input(Input::Signal("SIGTERM")),
                _ = sigint.recv() => Wake::Input(Input::Signal("SIGINT")),
                Some(()) = hup.recv() => Wake::Reload,
                _ = tokio::time::sleep_until(sleep) => Wake::Input(Input::Timer),
            };
            input = match wake {
                Wake::Input(i) => i,
                Wake::Reload => match self.reload(&mut node, &mut inputs).await {
                    reload::Outcome::Exit => return Ok(()),
                    reload::Outcome::Input(i) => i,
                },
            };
        }
    }

    /// Remember where to answer; the node answers every request exactly once.
    fn request(&mut self, p: Pending) -> Input {
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.replies.insert(id, p.reply);
        let progress = p.progress.is_some();
        if let Some(lines) = p.progress {
            self.progress.insert(id, lines);
        }
        let io = IoCounters {
            log_lines_dropped: crate::logging::dropped_lines(),
            keepalives_dropped_queued: self
                .media
                .stats()
                .iter()
                .map(|s| s.dropped_keepalives)
                .sum(),
        };
        Input::Request {
            id,
            request: p.request,
            io,
            progress,
        }
    }

    /// Carry out effects in order; true when the node is done.
    fn perform(&mut self, effects: Vec<Effect>) -> bool {
        let mut exit = false;
        for effect in effects {
            match effect {
                Effect::Send(out) => self.media.send(out),
                Effect::Run {
                    group,
                    action,
                    duplicate_check,
                    drbd_force,
                } => self.spawn_chain(group, action, duplicate_check, drbd_force),
                Effect::Outdate { resource, token } => self.outdate(resource, token),
                Effect::Progress { id, at_ms, line } => {
                    if let Some(lines) = self.progress.get(&id) {
                        // A full queue (a client not reading) loses lines,
                        // never stalls the loop.
                        let _ = lines.try_send(Response::Progress { at_ms, line });
                    }
                }
                Effect::Answer { id, response } => {
                    self.progress.remove(&id);
                    if let Some(reply) = self.replies.remove(&id) {
                        // The asker may have gone away; nothing to do then.
                        let _ = reply.send(response);
                    }
                }
                Effect::Log(notice) => crate::logging::emit(notice.level(), &notice.to_string()),
                Effect::Notify { event, subject } => self.notify(event, subject),
                Effect::RunCheck { check, epoch, spec } => {
                    checks::spawn((check, epoch), *spec, &self.env, self.check_tx.clone())
                }
                Effect::SaveMaintenance(flag) => {
                    if let Err(e) = generation::save_maintenance(&self.g.state_dir, flag) {
                        tracing::error!("{e}; a restart will not know the maintenance mode");
                    }
                }
                Effect::Reconfigured { kept_groups } => self.reconfigured(&kept_groups),
                Effect::Stopping => setup::sd_notify("STOPPING=1"),
                Effect::Exit => exit = true,
            }
        }
        exit
    }
}

fn packet(pkt: Received) -> Input {
    Input::Packet {
        link: LinkId(pkt.link),
        bytes: pkt.bytes,
        encoding: if pkt.classic {
            Encoding::Classic
        } else {
            Encoding::Netstring
        },
    }
}
