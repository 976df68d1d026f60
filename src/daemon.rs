//! The imperative shell: one task that owns the state machines and performs
//! what they ask for.
//!
//! Inputs (packets from the media, control requests, chain results, signals
//! and timer ticks) arrive on channels; each is turned into an input of
//! [`Membership`] or [`Ownership`] with the current monotonic time, and their
//! outputs become sends, chain runs, logs and answers. Decisions never live
//! here: if a branch below starts to decide who holds what, it belongs in
//! `ownership.rs`.

use crate::commands::Globals;
use crate::config::{self, ClusterConfig, LoadOptions, NodeName};
use crate::control::{self, GroupStatus, LinkStatus, Pending, Request, Response, StatusReport};
use crate::core::counters::{Counters, DropReason};
use crate::generation;
use crate::media::{MediaSet, OutKind, Outgoing, Received};
use crate::membership::{self, LinkId, Membership, MembershipConfig, PeerState};
use crate::ownership::{self, Ownership, OwnershipConfig};
use crate::resources::{self, AgentEnv, lock::ResourceLock};
use crate::wire::{self, CommonFields, Message};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// Options of `heartbeat daemon` beyond the globals.
#[derive(Clone, Debug, Default)]
pub struct DaemonOptions {
    pub daemonize: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shutdown {
    No,
    /// Handing groups over; the loop keeps running so the peer hears us.
    Draining,
    Done,
}

/// What a finished chain run reports back to the loop.
enum ChainDone {
    Started(usize, Result<(), String>),
    Stopped(usize, Result<(), String>),
    Monitored(usize, bool),
}

/// Exit status for a configuration the daemon refuses (LSB "not configured",
/// as the original uses).
pub const EXIT_NOT_CONFIGURED: i32 = 6;

/// Load and validate the configuration; print errors the way `check` does.
pub fn load_config(g: &Globals) -> Result<ClusterConfig, i32> {
    let opts = LoadOptions {
        config_dir: g.config_dir.clone(),
        node: g.node_name(),
        agents: config::AgentSearch::for_config_dir(&g.config_dir),
    };
    match config::load(&opts) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("WARN: {w}");
            }
            Ok(loaded.config)
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("ERROR: {e}");
            }
            eprintln!("ERROR: Configuration error, heartbeat not started.");
            Err(EXIT_NOT_CONFIGURED)
        }
    }
}

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
    let code = match rt.block_on(Daemon::start(g.clone(), cfg)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            1
        }
    };
    crate::logging::flush(Duration::from_secs(2));
    code
}

/// Soft real-time as the original's `realtime on`: lock memory (pages as
/// they are touched, so the footprint stays what is used) and raise the
/// scheduling priority; children of ours (agents) do not inherit it.
fn enter_realtime() {
    // SAFETY: plain syscalls with constant arguments.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
    if rc != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "Cannot lock ourselves into memory; going on without (realtime degraded)"
        );
    }
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: param is a valid sched_param for the calling thread.
    let rc =
        unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) };
    if rc != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "Cannot raise scheduling priority; keepalives may be late under load"
        );
    }
}

struct Daemon {
    g: Globals,
    cfg: Arc<ClusterConfig>,
    me: NodeName,
    generation: u64,
    uuid: [u8; 16],
    seq: u64,
    media: MediaSet,
    membership: Membership,
    ownership: Ownership,
    env: Arc<AgentEnv>,
    chain_tx: mpsc::Sender<ChainDone>,
    /// Group indices with a chain action in flight (no two at once per group).
    busy: Vec<bool>,
    next_monitor: Vec<Option<Instant>>,
    pending_request: Option<oneshot::Sender<Response>>,
    pending_shutdown: Vec<oneshot::Sender<Response>>,
    shutdown: Shutdown,
    counters: Counters,
    last_bad_log: Option<Instant>,
    peer_active: bool,
    peer_ever_up: bool,
    /// Ping nodes reachable from here (for `status`).
    reach: u32,
    peer_digest_checked: bool,
    _lock: ResourceLock,
}

/// How often a rejected-packet reason is logged at most.
const BAD_PACKET_LOG_EVERY: Duration = Duration::from_secs(10);

impl Daemon {
    async fn start(g: Globals, cfg: ClusterConfig) -> Result<()> {
        std::fs::create_dir_all(&g.run_dir)
            .with_context(|| format!("creating run dir {}", g.run_dir.display()))?;
        std::fs::create_dir_all(&g.state_dir)
            .with_context(|| format!("creating state dir {}", g.state_dir.display()))?;
        let lock = ResourceLock::acquire(&g.run_dir).context("taking the resource lock")?;
        let generation =
            generation::next_generation(&g.state_dir).context("raising the generation")?;
        let uuid = generation::load_or_create_uuid(&g.state_dir).context("reading hb_uuid")?;
        tracing::info!(
            "Configuration validated. Starting heartbeat {}",
            env!("CARGO_PKG_VERSION")
        );
        if cfg.realtime {
            enter_realtime();
        }
        std::fs::write(
            g.run_dir.join("heartbeat.pid"),
            format!("{}\n", std::process::id()),
        )
        .context("writing the pid file")?;

        let env = Arc::new(agent_env(&g));
        let cfg = Arc::new(cfg);
        release_leftovers(&cfg, &env).await?;

        let (pkt_tx, pkt_rx) = mpsc::channel::<Received>(256);
        let media = MediaSet::open(&cfg, pkt_tx)
            .await
            .context("opening heartbeat media")?;
        for m in &cfg.media {
            tracing::info!("{m} heartbeat started");
        }
        let (ctl_tx, ctl_rx) = mpsc::channel::<Pending>(16);
        let control = control::serve(&g.run_dir, ctl_tx)
            .await
            .context("opening the control socket")?;
        let (chain_tx, chain_rx) = mpsc::channel::<ChainDone>(64);
        let (reach_tx, reach_rx) = mpsc::channel::<u32>(8);
        let targets = crate::ping::targets(&cfg.ping, &cfg.ping_groups);
        if !targets.is_empty() {
            let deadping = cfg.timings.deadping;
            let interval = (deadping / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
            crate::ping::spawn(targets, interval, deadping, reach_tx)
                .context("opening the ping socket")?;
        }
        crate::respawn::spawn_all(&cfg.respawn);
        sd_notify("READY=1");

        let now = Instant::now();
        let t = &cfg.timings;
        let membership = Membership::new(
            MembershipConfig {
                peer: cfg.peer.clone(),
                links: media.names().to_vec(),
                keepalive: t.keepalive,
                warntime: t.warntime,
                deadtime: t.deadtime,
                initdead: t.initdead,
            },
            now,
        );
        let ownership = Ownership::new(
            OwnershipConfig {
                me: cfg.local.clone(),
                generation: ownership::Generation(generation),
                peer: cfg.peer.clone(),
                groups: cfg
                    .groups
                    .iter()
                    .map(|gr| (gr.id.clone(), gr.preferred.clone(), gr.monitor.clone()))
                    .collect(),
                auto_failback: cfg.auto_failback,
                failback_delay: cfg.failback_delay,
            },
            now,
        );
        let n = cfg.groups.len();
        let mut d = Daemon {
            me: cfg.local.clone(),
            g,
            cfg,
            generation,
            uuid,
            seq: 0,
            media,
            membership,
            ownership,
            env,
            chain_tx,
            busy: vec![false; n],
            next_monitor: vec![None; n],
            pending_request: None,
            pending_shutdown: Vec::new(),
            shutdown: Shutdown::No,
            counters: Counters::default(),
            last_bad_log: None,
            peer_active: false,
            peer_ever_up: false,
            reach: 0,
            peer_digest_checked: false,
            _lock: lock,
        };
        let result = d.run_loop(pkt_rx, ctl_rx, chain_rx, reach_rx).await;
        // Requests still unanswered end now; those answered (`heartbeat
        // stop` waits for its answer) are written out before the runtime
        // goes away.
        d.pending_request = None;
        d.pending_shutdown.clear();
        control.drain(Duration::from_secs(2)).await;
        let _ = std::fs::remove_file(control::socket_path(&d.g.run_dir));
        let _ = std::fs::remove_file(d.g.run_dir.join("heartbeat.pid"));
        result
    }

    async fn run_loop(
        &mut self,
        mut pkt_rx: mpsc::Receiver<Received>,
        mut ctl_rx: mpsc::Receiver<Pending>,
        mut chain_rx: mpsc::Receiver<ChainDone>,
        mut reach_rx: mpsc::Receiver<u32>,
    ) -> Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let keepalive = self.cfg.timings.keepalive;
        let mut next_keepalive = Instant::now();
        // The original sends `init` then `up` at once so the peer learns of us quickly.
        self.send_status("init").await;
        loop {
            let now = Instant::now();
            if now >= next_keepalive {
                let st = if self.membership.peer_state() == PeerState::Init {
                    "up"
                } else {
                    "active"
                };
                self.send_status(st).await;
                self.send_report().await;
                next_keepalive = now + keepalive;
            }
            let events = self.membership.handle(now, membership::Input::Tick);
            self.on_membership_events(now, events).await;
            let outs = self.ownership.handle(now, ownership::Input::Tick);
            self.on_ownership_outputs(now, outs).await;
            self.run_monitors(now);
            if self.shutdown == Shutdown::Done {
                return Ok(());
            }
            let mut deadline = next_keepalive;
            for d in [
                self.membership.next_deadline(),
                self.ownership.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .chain(self.next_monitor.iter().flatten().copied())
            {
                deadline = deadline.min(d);
            }
            tokio::select! {
                biased;
                Some(pkt) = pkt_rx.recv() => self.on_packet(pkt).await,
                Some(done) = chain_rx.recv() => self.on_chain_done(done).await,
                Some(req) = ctl_rx.recv() => self.on_request(req).await,
                Some(local) = reach_rx.recv() => self.on_reach(local).await,
                _ = sigterm.recv() => self.begin_shutdown("SIGTERM").await,
                _ = sigint.recv() => self.begin_shutdown("SIGINT").await,
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {}
            }
        }
    }
}

impl Daemon {
    /// IPaddr's duplicate-address probe guards against a peer we cannot hear
    /// (a wrong key, a cut cable at boot) still serving the VIP; once the
    /// peer has been heard, starts follow its explicit release or its death
    /// (a dead daemon's kernel may still answer for the VIP: we must take it
    /// over anyway), so the probe would only slow the handover down.
    fn env_for_start(&self) -> AgentEnv {
        let mut env = (*self.env).clone();
        let check = if self.peer_ever_up { "off" } else { "refuse" };
        env.extra
            .push(("HA_IPADDR_DUPLICATE_CHECK".into(), check.into()));
        env
    }

    /// Build, sign and send one message on every medium.
    async fn send(&mut self, mut msg: Message, numbered: bool) {
        let seq = if numbered {
            self.seq += 1;
            Some(self.seq)
        } else {
            None
        };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        wire::add_common_fields(
            &mut msg,
            &CommonFields {
                src: self.me.clone(),
                srcuuid: self.uuid,
                seq,
                hg: self.generation,
                ts,
                ld: if numbered { loadavg() } else { None },
                ttl: self.cfg.nodes.len() as u32 + self.cfg.hopfudge,
            },
        );
        let keys = &self.cfg.auth;
        let kind = match msg.get("t") {
            Some("status") => OutKind::Keepalive,
            _ => OutKind::Other,
        };
        let out = Outgoing {
            netstring: wire::sign_netstring(&msg, keys),
            classic: wire::sign_classic(&msg, keys),
            kind,
        };
        self.media.send(out);
    }

    /// A keepalive in the original's shape (`t=status`), so an old peer
    /// counts us as alive.
    async fn send_status(&mut self, st: &str) {
        // The original advertises deadtime + 2 s during its first 5 s; we
        // advertise what we use, so a peer of ours judges us no slower.
        let dt = self.cfg.timings.deadtime;
        let mut msg = Message::new();
        msg.add("t", "status")
            .add("st", st)
            .add("dt", format!("{:x}", dt.as_millis()))
            .add("protocol", "1");
        self.send(msg, true).await;
    }

    /// Our resource report (`t=hbrsc`), see docs/protocol.md.
    async fn send_report(&mut self) {
        let mut msg = Message::new();
        msg.add("t", "hbrsc");
        for (k, v) in self.ownership.report().to_fields() {
            msg.add(&k, v);
        }
        msg.add("cfg", config::config_digest(&self.cfg));
        self.send(msg, true).await;
    }

    /// Rejected packets are counted always, logged at most every 10 s per
    /// reason with a one-line diagnosis (the original logged ~15 lines each).
    /// The detail is only put into words when it is logged, so a flood of
    /// forged packets costs a counter increment each.
    fn reject(&mut self, why: DropReason, detail: impl FnOnce() -> String) {
        self.counters.count_drop(&why);
        let now = Instant::now();
        if self
            .last_bad_log
            .is_none_or(|t| now.duration_since(t) >= BAD_PACKET_LOG_EVERY)
        {
            self.last_bad_log = Some(now);
            tracing::warn!(
                reason = why.reason(),
                total_dropped = self.counters.dropped_total(),
                "Dropped packet: {}",
                detail()
            );
        }
    }

    async fn on_packet(&mut self, pkt: Received) {
        let now = Instant::now();
        let keys = &self.cfg.auth;
        let verified = if pkt.classic {
            wire::verify_classic(&pkt.bytes, keys)
        } else {
            wire::verify_netstring(&pkt.bytes, keys)
        };
        let msg = match verified {
            Ok(m) => m,
            Err(e) => {
                let hint = if e.reason() == "bad_digest" {
                    " (the peer's authkeys secret differs from ours?)"
                } else {
                    ""
                };
                self.reject(DropReason::Wire(e.clone()), || format!("{e}{hint}"));
                return;
            }
        };
        let h = match wire::header(&msg) {
            Ok(h) => h,
            Err(e) => {
                self.reject(DropReason::Wire(e.clone()), || e.to_string());
                return;
            }
        };
        if h.src == self.me {
            return; // our own broadcast looped back
        }
        if h.src != self.cfg.peer {
            let src = h.src.clone();
            self.reject(DropReason::UnknownNode, || {
                format!("message from node {src} not in ha.cf")
            });
            return;
        }
        if let Some(dest) = &h.dest
            && *dest != self.me
        {
            return;
        }
        let Some(hg) = h.hg else {
            self.reject(
                DropReason::Wire(wire::WireError::MissingField("hg")),
                || "message without generation".into(),
            );
            return;
        };
        let link = LinkId(pkt.link);
        match self.membership.classify(hg, h.seq) {
            membership::Verdict::Accept => {}
            membership::Verdict::Duplicate => {
                self.counters.duplicate += 1;
                let events = self.membership.link_heard(now, link);
                self.on_membership_events(now, events).await;
                return;
            }
            membership::Verdict::Replay => {
                let seq = h.seq;
                self.reject(DropReason::Replay, || {
                    format!("replayed seq {seq:?} of generation {hg}")
                });
                return;
            }
            membership::Verdict::OldGeneration => {
                self.reject(DropReason::OldGeneration, || {
                    format!("generation {hg} is older than the peer's current one")
                });
                return;
            }
        }
        let dt = msg
            .get("dt")
            .and_then(|v| u64::from_str_radix(v, 16).ok())
            .map(Duration::from_millis);
        let events = self.membership.handle(
            now,
            membership::Input::Packet {
                link,
                hg,
                seq: h.seq,
                dt,
            },
        );
        self.on_membership_events(now, events).await;
        // Flow control as the original expects it: an old peer keeps a
        // history of unacknowledged messages and throttles when it grows, so
        // acknowledge every tenth (ackseq in hex, as captured).
        if let (Some(seq), Some(uuid)) = (h.seq, h.srcuuid)
            && seq.is_multiple_of(10)
        {
            let mut ack = Message::new();
            ack.add("t", "NS_ackmsg")
                .add("dest", self.cfg.peer.as_str())
                .add("ackseq", format!("{seq:x}"))
                .add_bin("destuuid", &uuid);
            self.send(ack, false).await;
        }
        match h.t.as_str() {
            "status" => {
                self.peer_active = msg.get("st") == Some("active");
            }
            "reqnodes" => {
                // An old peer asks for our node list before it calls the
                // cluster up ("active"); answer in its own shape.
                let mut rep = Message::new();
                let list: String = self.cfg.nodes.iter().map(|n| format!("{n} ")).collect();
                rep.add("dest", self.cfg.peer.as_str())
                    .add("t", "repnodes")
                    .add("nodelist", list)
                    .add("delnodelist", " ");
                if let Some(uuid) = h.srcuuid {
                    rep.add_bin("destuuid", &uuid);
                }
                self.send(rep, true).await;
            }
            "shutdone" => {
                tracing::info!("Received shutdown notice from '{}'.", self.cfg.peer);
                let events = self
                    .membership
                    .handle(now, membership::Input::PeerShutdown { hg });
                self.on_membership_events(now, events).await;
            }
            "hbrsc" => {
                if let Some(theirs) = msg.get("cfg")
                    && !self.peer_digest_checked
                {
                    self.peer_digest_checked = true;
                    let ours = config::config_digest(&self.cfg);
                    if theirs != ours {
                        tracing::error!(
                            ours,
                            theirs,
                            "Configuration differs from {}'s (haresources, timings or auth method): \
                                 compare with `heartbeat check --against`",
                            self.cfg.peer
                        );
                    }
                }
                let fields: Vec<(String, String)> = msg
                    .fields()
                    .iter()
                    .filter_map(|f| match &f.value {
                        wire::Value::Str(v) => Some((f.name.clone(), v.clone())),
                        _ => None,
                    })
                    .collect();
                match ownership::Report::from_fields(&fields) {
                    Ok(report) => {
                        let outs = self.ownership.handle(
                            now,
                            ownership::Input::PeerReport(report, ownership::Generation(hg)),
                        );
                        self.on_ownership_outputs(now, outs).await;
                    }
                    Err(e) => self.reject(DropReason::BadReport, || e.to_string()),
                }
            }
            _ => {}
        }
    }

    async fn on_membership_events(&mut self, now: Instant, events: Vec<membership::Event>) {
        use membership::Event;
        let peer = self.cfg.peer.clone();
        for ev in events {
            match ev {
                Event::PeerUp { restarted } => {
                    self.peer_ever_up = true;
                    self.notify("peer-up", peer.as_str());
                    if restarted {
                        tracing::info!("Heartbeat restart on node {peer}");
                    }
                    tracing::info!("Status update for node {peer}: status up");
                    let outs = self
                        .ownership
                        .handle(now, ownership::Input::PeerUp { since: now });
                    self.on_ownership_outputs(now, outs).await;
                    self.send_report().await;
                }
                Event::PeerDead { silent_for, cause } => {
                    tracing::warn!(
                        silent_ms = silent_for.as_millis() as u64,
                        cause = ?cause,
                        "node {peer}: is dead"
                    );
                    self.counters.peer_deaths += 1;
                    self.notify("peer-dead", peer.as_str());
                    let cause = match cause {
                        membership::DeathCause::Silence => ownership::DeadCause::Dead,
                        membership::DeathCause::Initdead => ownership::DeadCause::InitDead,
                        membership::DeathCause::Shutdown => ownership::DeadCause::Shutdown,
                    };
                    let outs = self
                        .ownership
                        .handle(now, ownership::Input::PeerDead { cause });
                    self.on_ownership_outputs(now, outs).await;
                }
                Event::LateHeartbeat {
                    interval,
                    beyond_deadtime,
                } => {
                    self.counters.late_heartbeats += 1;
                    if beyond_deadtime {
                        tracing::error!(
                            "CRIT: Late heartbeat: Node {peer}: interval {} ms (> deadtime)",
                            interval.as_millis()
                        );
                    } else {
                        tracing::warn!(
                            "Late heartbeat: Node {peer}: interval {} ms",
                            interval.as_millis()
                        );
                    }
                }
                Event::LinkUp { link } => {
                    tracing::info!("Link {peer}:{} up.", self.media.names()[link.0]);
                }
                Event::LinkDead { link } => {
                    tracing::warn!("Link {peer}:{} dead.", self.media.names()[link.0]);
                }
                Event::PeerRestarted { old_hg, new_hg } => {
                    tracing::info!(old_hg, new_hg, "Heartbeat restart on node {peer}");
                }
                Event::PeerReturned { silent_for } => {
                    tracing::error!(
                        silent_ms = silent_for.as_millis() as u64,
                        "CRIT: Cluster node {peer} returning after partition. Resolving any doubly held \
                         group without restarting (see docs/failover.md)"
                    );
                }
                Event::LocalStall { gap } => {
                    self.counters.local_stalls += 1;
                    tracing::warn!(
                        gap_ms = gap.as_millis() as u64,
                        "This node was stalled; reading queued packets before judging the peer"
                    );
                }
            }
        }
    }
}

impl Daemon {
    async fn on_ownership_outputs(&mut self, _now: Instant, outs: Vec<ownership::Output>) {
        use ownership::{ChainAction, Output};
        for out in outs {
            match out {
                Output::Run(g, ChainAction::Start) => self.spawn_chain(g.0, ChainOp::Start),
                Output::Run(g, ChainAction::Stop) => self.spawn_chain(g.0, ChainOp::Stop),
                Output::Run(g, ChainAction::Restart) => self.spawn_chain(g.0, ChainOp::Restart),
                Output::Run(g, ChainAction::Reannounce) => {
                    self.spawn_chain(g.0, ChainOp::Reannounce)
                }
                Output::Run(_, ChainAction::Monitor) => {}
                Output::SendReport => self.send_report().await,
                Output::Notice(n) => log_at(n.level(), &n.to_string()),
                Output::Refused(reason) => {
                    tracing::warn!("Request refused: {reason}");
                    if let Some(reply) = self.pending_request.take() {
                        let _ = reply.send(Response::Done {
                            ok: false,
                            message: reason,
                        });
                    }
                }
                Output::RequestDone { ok, summary } => {
                    if let Some(reply) = self.pending_request.take() {
                        let _ = reply.send(Response::Done {
                            ok,
                            message: summary,
                        });
                    }
                }
                Output::ShutdownComplete { stop_failed } if !stop_failed.is_empty() => {
                    // Exiting would let the peer start groups that still run
                    // here (it takes everything of a node that left). Stay,
                    // keep reporting them held, and say why.
                    let ids: Vec<String> = stop_failed.iter().map(|g| g.0.clone()).collect();
                    let message = format!(
                        "CRIT: Resource STOP failure: {} still held here; not stopping, so {} will not take \
                         them. Stop the resources by hand, then stop heartbeat again.",
                        ids.join(", "),
                        self.cfg.peer
                    );
                    tracing::error!("{message}");
                    for reply in self.pending_shutdown.drain(..) {
                        let _ = reply.send(Response::Done {
                            ok: false,
                            message: message.clone(),
                        });
                    }
                    self.shutdown = Shutdown::No;
                }
                Output::ShutdownComplete { .. } => {
                    let mut msg = Message::new();
                    msg.add("t", "shutdone").add("st", "dead");
                    self.send(msg, true).await;
                    tracing::info!("Heartbeat shutdown complete.");
                    for reply in self.pending_shutdown.drain(..) {
                        let _ = reply.send(Response::Done {
                            ok: true,
                            message: "heartbeat stopped; resources handed over".into(),
                        });
                    }
                    self.shutdown = Shutdown::Done;
                }
            }
        }
    }

    fn spawn_chain(&mut self, g: usize, op: ChainOp) {
        let group = self.cfg.groups[g].clone();
        let env = Arc::new(self.env_for_start());
        let tx = self.chain_tx.clone();
        self.busy[g] = true;
        tokio::spawn(async move {
            let done = match op {
                ChainOp::Start => {
                    tracing::info!(
                        "Acquiring resource group: {} {}",
                        group.preferred,
                        group_line(&group)
                    );
                    let r = resources::start_group_fresh(&group, &env)
                        .await
                        .map_err(|e| e.to_string());
                    ChainDone::Started(g, r)
                }
                ChainOp::Stop => {
                    tracing::info!(
                        "Releasing resource group: {} {}",
                        group.preferred,
                        group_line(&group)
                    );
                    let r = resources::stop_group(&group, &env)
                        .await
                        .map_err(|e| e.to_string());
                    ChainDone::Stopped(g, r)
                }
                ChainOp::Restart => {
                    tracing::info!("Restarting resource group: {}", group.id);
                    let r = match resources::stop_group(&group, &env).await {
                        Ok(()) => resources::start_group_fresh(&group, &env)
                            .await
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    ChainDone::Started(g, r)
                }
                ChainOp::Reannounce => {
                    tracing::info!("Re-announcing resource group: {}", group.id);
                    let r = resources::reannounce_group(&group, &env)
                        .await
                        .map_err(|e| e.to_string());
                    if let Err(e) = &r {
                        tracing::error!("re-announce of {} failed: {e}", group.id);
                    }
                    ChainDone::Monitored(g, r.is_ok())
                }
            };
            let _ = tx.send(done).await;
        });
    }

    /// The notify hook (our addition, like keepalived's notify scripts):
    /// CONFIG_DIR/notify, if executable, runs as `notify EVENT NODE SUBJECT`
    /// with EVENT one of peer-dead, peer-up, acquired, start-failed,
    /// released, stop-failed. Fire and forget, bounded to 30 s; a failing
    /// hook is logged and changes nothing.
    fn notify(&self, event: &str, subject: &str) {
        use std::os::unix::fs::PermissionsExt;
        let hook = self.g.config_dir.join("notify");
        let Ok(meta) = std::fs::metadata(&hook) else {
            return;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return;
        }
        let mut cmd = tokio::process::Command::new(&hook);
        cmd.args([event, self.me.as_str(), subject])
            .env_clear()
            .env("PATH", &self.env.path_env)
            .envs(self.env.extra.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let (event, subject) = (event.to_string(), subject.to_string());
        tokio::spawn(async move {
            let run = async { cmd.status().await };
            match tokio::time::timeout(Duration::from_secs(30), run).await {
                Ok(Ok(st)) if st.success() => {}
                Ok(Ok(st)) => tracing::warn!("notify hook for {event} {subject} exited with {st}"),
                Ok(Err(e)) => tracing::warn!("notify hook for {event} {subject} failed: {e}"),
                Err(_) => tracing::warn!("notify hook for {event} {subject} killed after 30 s"),
            }
        });
    }

    async fn on_chain_done(&mut self, done: ChainDone) {
        let now = Instant::now();
        let id = |g: usize| self.cfg.groups[g].id.0.clone();
        match &done {
            ChainDone::Started(g, Ok(())) => self.notify("acquired", &id(*g)),
            ChainDone::Started(g, Err(_)) => self.notify("start-failed", &id(*g)),
            ChainDone::Stopped(g, Ok(())) => self.notify("released", &id(*g)),
            ChainDone::Stopped(g, Err(_)) => self.notify("stop-failed", &id(*g)),
            ChainDone::Monitored(..) => {}
        }
        let input = match done {
            ChainDone::Started(g, r) => {
                self.busy[g] = false;
                if r.is_ok() {
                    self.next_monitor[g] = self.cfg.groups[g]
                        .monitor
                        .as_ref()
                        .map(|m| now + m.interval);
                }
                ownership::Input::Started(
                    ownership::GroupIdx(g),
                    r.map_err(|e| {
                        ownership::ChainFailure::new(self.cfg.groups[g].id.to_string(), e)
                    }),
                )
            }
            ChainDone::Stopped(g, r) => {
                self.busy[g] = false;
                self.next_monitor[g] = None;
                ownership::Input::Stopped(
                    ownership::GroupIdx(g),
                    r.map_err(|e| {
                        ownership::ChainFailure::new(self.cfg.groups[g].id.to_string(), e)
                    }),
                )
            }
            ChainDone::Monitored(g, ok) => {
                self.busy[g] = false;
                if ok {
                    // Polling continues only while the group runs fine; a
                    // restart re-arms it when its start succeeds.
                    if let Some(m) = &self.cfg.groups[g].monitor {
                        self.next_monitor[g] = Some(now + m.interval);
                    }
                    return;
                }
                tracing::warn!(
                    "Monitor: resource group {} is not running",
                    self.cfg.groups[g].id
                );
                ownership::Input::MonitorFailed(ownership::GroupIdx(g))
            }
        };
        let outs = self.ownership.handle(now, input);
        self.on_ownership_outputs(now, outs).await;
        self.send_report().await;
    }

    /// Poll the status of monitored groups that run here.
    fn run_monitors(&mut self, now: Instant) {
        for g in 0..self.next_monitor.len() {
            let Some(due) = self.next_monitor[g] else {
                continue;
            };
            if due > now || self.busy[g] {
                continue;
            }
            self.next_monitor[g] = None;
            self.busy[g] = true;
            let group = self.cfg.groups[g].clone();
            let env = self.env.clone();
            let tx = self.chain_tx.clone();
            tokio::spawn(async move {
                let statuses = resources::status_group(&group, &env).await;
                let ok = statuses
                    .iter()
                    .all(|(_, s)| matches!(s, resources::ResourceStatus::Running));
                let _ = tx.send(ChainDone::Monitored(g, ok)).await;
            });
        }
    }

    async fn on_request(&mut self, p: Pending) {
        let now = Instant::now();
        match p.request {
            Request::Status => {
                let _ = p
                    .reply
                    .send(Response::Status(Box::new(self.status_report(now))));
            }
            Request::Standby { which } | Request::Takeover { which }
                if self.pending_request.is_some() =>
            {
                let _ = p.reply.send(Response::Done {
                    ok: false,
                    message: format!(
                        "another standby/takeover request is in progress; {which} not started"
                    ),
                });
            }
            Request::Standby { which } => {
                tracing::info!("Going standby [{which}].");
                self.pending_request = Some(p.reply);
                let outs = self.ownership.handle(now, ownership::Input::Standby(which));
                self.on_ownership_outputs(now, outs).await;
                self.send_report().await;
            }
            Request::Takeover { which } => {
                tracing::info!("Taking over [{which}] on request.");
                self.pending_request = Some(p.reply);
                let outs = self
                    .ownership
                    .handle(now, ownership::Input::Takeover(which));
                self.on_ownership_outputs(now, outs).await;
                self.send_report().await;
            }
            Request::Shutdown => {
                self.pending_shutdown.push(p.reply);
                self.begin_shutdown("stop request").await;
            }
        }
    }

    async fn on_reach(&mut self, local: u32) {
        tracing::info!(reachable = local, "Ping nodes reachable from here: {local}");
        self.reach = local;
        let now = Instant::now();
        let outs = self
            .ownership
            .handle(now, ownership::Input::Reach { local });
        self.on_ownership_outputs(now, outs).await;
        self.send_report().await;
    }

    async fn begin_shutdown(&mut self, why: &str) {
        if self.shutdown != Shutdown::No {
            return;
        }
        tracing::info!(
            cause = why,
            "Heartbeat shutdown in progress. Giving up all HA resources."
        );
        self.shutdown = Shutdown::Draining;
        sd_notify("STOPPING=1");
        let now = Instant::now();
        let outs = self.ownership.handle(now, ownership::Input::Shutdown);
        self.on_ownership_outputs(now, outs).await;
        self.send_report().await;
    }

    fn status_report(&self, now: Instant) -> StatusReport {
        let peer_status = match self.membership.peer_state() {
            PeerState::Init => "init",
            PeerState::Dead => "dead",
            PeerState::Up if self.peer_active => "active",
            PeerState::Up => "up",
        };
        let links = self
            .media
            .names()
            .iter()
            .enumerate()
            .map(|(i, name)| LinkStatus {
                name: name.clone(),
                state: match self.membership.link_state(LinkId(i)) {
                    membership::LinkState::Up => "up",
                    membership::LinkState::Dead => "dead",
                    membership::LinkState::Init => "init",
                }
                .to_string(),
            })
            .collect();
        let groups = self
            .ownership
            .groups()
            .into_iter()
            .zip(self.cfg.groups.iter())
            .map(|(v, gr)| GroupStatus {
                id: v.id.to_string(),
                preferred: gr.preferred.to_string(),
                holder: holder_word(v.holder, &self.me, &self.cfg.peer),
                local_state: local_state_word(v.local_state).to_string(),
                since_secs: now.saturating_duration_since(v.since).as_secs_f64(),
                cause: v.cause.clone(),
            })
            .collect();
        let t = &self.cfg.timings;
        StatusReport {
            node: self.me.to_string(),
            peer: self.cfg.peer.to_string(),
            peer_status: peer_status.to_string(),
            peer_generation: self.membership.peer_generation(),
            generation: self.generation,
            links,
            rscstatus: self.ownership.rsc_status().word().to_string(),
            groups,
            ping_reachable: self.reach,
            counters: Counters {
                log_lines_dropped: crate::logging::dropped_lines(),
                dropped_keepalives_queued: self
                    .media
                    .stats()
                    .iter()
                    .map(|l| l.dropped_keepalives)
                    .sum(),
                ..self.counters.clone()
            },
            keepalive_ms: t.keepalive.as_millis() as u64,
            deadtime_ms: t.deadtime.as_millis() as u64,
            warntime_ms: t.warntime.as_millis() as u64,
            initdead_ms: t.initdead.as_millis() as u64,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum ChainOp {
    Start,
    Stop,
    Restart,
    Reannounce,
}

fn group_line(g: &config::ResourceGroup) -> String {
    g.resources
        .iter()
        .map(|r| r.spec.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn log_at(level: ownership::Level, message: &str) {
    use ownership::Level;
    match level {
        Level::Crit => tracing::error!("CRIT: {message}"),
        Level::Error => tracing::error!("{message}"),
        Level::Warn => tracing::warn!("{message}"),
        Level::Info => tracing::info!("{message}"),
        Level::Debug => tracing::debug!("{message}"),
    }
}

fn holder_word(h: ownership::Holder, me: &NodeName, peer: &NodeName) -> String {
    match h {
        ownership::Holder::Me => me.to_string(),
        ownership::Holder::Peer => peer.to_string(),
        ownership::Holder::Nobody => "none".into(),
        ownership::Holder::Both => "both".into(),
    }
}

fn local_state_word(s: ownership::LocalState) -> &'static str {
    match s {
        ownership::LocalState::Stopped => "stopped",
        ownership::LocalState::Starting => "starting",
        ownership::LocalState::Running => "running",
        ownership::LocalState::Stopping => "stopping",
        ownership::LocalState::StopFailed => "stop-failed",
    }
}

fn loadavg() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.trim().to_string())
}

/// The environment every agent gets (besides what the chain adds).
pub fn agent_env(g: &Globals) -> AgentEnv {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "heartbeat".into());
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    let rsctmp: PathBuf = g.run_dir.join("rsctmp");
    let _ = std::fs::create_dir_all(&rsctmp);
    AgentEnv {
        path_env: path,
        extra: vec![
            ("HEARTBEAT_BIN".into(), exe),
            ("HA_RSCTMP".into(), rsctmp.display().to_string()),
            ("HA_CONFIG_DIR".into(), g.config_dir.display().to_string()),
            // The original's shellfuncs name for this node.
            ("HA_CURHOST".into(), g.node_name()),
        ],
    }
}

/// Before anything else: a crashed earlier run may have left a group (a
/// VIP!) active. Ask every agent and stop what answers "running", so a
/// stale VIP never answers from two nodes (the original kept it).
/// A leftover that cannot be stopped keeps us out of the cluster: joining
/// would let the peer start the same group while it still runs here.
async fn release_leftovers(cfg: &ClusterConfig, env: &AgentEnv) -> Result<()> {
    for group in &cfg.groups {
        let statuses = resources::status_group(group, env).await;
        let running: Vec<&str> = statuses
            .iter()
            .filter(|(_, s)| matches!(s, resources::ResourceStatus::Running))
            .map(|(spec, _)| spec.as_str())
            .collect();
        if running.is_empty() {
            continue;
        }
        tracing::warn!(
            group = %group.id,
            "Found resources of group {} still active from an earlier run ({}); releasing them before joining",
            group.id,
            running.join(", ")
        );
        resources::stop_group(group, env).await.with_context(|| {
            format!(
                "CRIT: cannot release group {} left active by an earlier run; not joining the cluster \
                 (stop it by hand with `heartbeat resource stop`, then start heartbeat again)",
                group.id
            )
        })?;
    }
    Ok(())
}

/// Tell systemd (Type=notify) how we are doing; a no-op outside systemd.
fn sd_notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(_) => return,
    };
    let path = std::path::PathBuf::from(path);
    let _ = if let Some(abs) = path.to_str().and_then(|p| p.strip_prefix('@')) {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())
            .and_then(|a| sock.send_to_addr(state.as_bytes(), &a))
    } else {
        sock.send_to(state.as_bytes(), &path)
    };
}
