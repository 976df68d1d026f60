//! Membership: whether the peer, and each medium to it, is up, late or dead.
//!
//! A sans-IO state machine. Packets, shutdown notices and ticks come in
//! together with the instant they happened; events and the next deadline go
//! out. It must never read the clock, sleep, log, or touch a socket: the
//! daemon does all of that, which is what lets the tests walk every timer edge
//! with a fake clock.
//!
//! # Timers
//!
//! * The peer's *dead interval* is the larger of our `deadtime` and the `dt`
//!   the peer last advertised (the original advertises deadtime + 2 s while
//!   it starts, and a peer configured more patiently than us must not be
//!   declared dead by our shorter clock).
//! * Until the peer has been heard once, `initdead` replaces it (never
//!   shorter than the dead interval, so a too-small `initdead` cannot make
//!   startup less patient than steady state). A medium never heard uses the
//!   same startup interval.
//! * Death is declared when `now - start_of_silence >= interval`: exactly at
//!   the deadline, never before. The peer is dead only when no packet counted
//!   for it on any medium; each medium has its own timer with the same
//!   interval, and events are emitted only on change.
//! * `warntime` is judged on arrival, like the original: the interval since
//!   the previous packet above `warntime` gives `LateHeartbeat`, above the dead
//!   interval it is flagged `beyond_deadtime`. The first packet of a new
//!   generation is not judged: that gap is the peer's restart, not a late
//!   heartbeat.
//!
//! # Local stalls (our fix for the original's false deaths)
//!
//! The shell calls [`Membership::handle`] at least every `keepalive`. If more
//! than `deadtime / 2` passed since the previous call, *we* were frozen
//! (SIGSTOP, swap storm, VM pause) and the silence we measured is ours, not
//! the peer's. Then the call emits `LocalStall`, declares nothing dead, and
//! moves every silence timer forward to `now - min(keepalive, deadtime / 2)`
//! (never backward): the peer and its media get one dead interval minus one
//! keepalive of grace, so the packets queued in our sockets while we were
//! frozen are read before anyone is judged. Death can only follow on a later,
//! unstalled call. Intervals for `LateHeartbeat` are measured from the same
//! moved start, so our freeze is not reported as the peer's lateness either.
//!
//! # Replays
//!
//! [`Membership::classify`] is a pure read; the shell drops everything it
//! does not `Accept` (see [`replay::REORDER_WINDOW`] for the window), and
//! reports duplicates with [`Membership::link_heard`] so that a medium whose
//! copies always arrive second still counts as up.
//!
//! # Shutdown
//!
//! `PeerShutdown` makes the peer dead at once. Packets of the generation that
//! said goodbye still keep its media up but never revive the peer (that would
//! be a false "returning after partition"); only a new generation does. The
//! shell should feed the `shutdone` packet itself as `Input::Packet` first
//! (so its sequence number is recorded and a replay of it is refused), then
//! `Input::PeerShutdown`.

mod replay;
#[cfg(test)]
mod tests;

pub use replay::{MAX_GENERATION, MAX_GENERATION_JUMP, MAX_SEQ, REORDER_WINDOW, Verdict};

use crate::config::NodeName;
use replay::{SeqWindow, implausible_generation};
use std::time::{Duration, Instant};

/// What membership needs from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipConfig {
    pub peer: NodeName,
    /// Medium names (for the shell's logs); the index is the [`LinkId`].
    pub links: Vec<String>,
    pub keepalive: Duration,
    pub warntime: Duration,
    pub deadtime: Duration,
    pub initdead: Duration,
}

/// Index of a medium in [`MembershipConfig::links`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub usize);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerState {
    /// Never heard since we started.
    Init,
    Up,
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Nothing ever arrived on this medium.
    Init,
    Up,
    Dead,
}

impl LinkState {
    /// As `cl_status hblinkstatus` prints it.
    pub fn word(self) -> &'static str {
        match self {
            LinkState::Init => "init",
            LinkState::Up => "up",
            LinkState::Dead => "dead",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeathCause {
    /// Silent on every medium for its dead interval.
    Silence,
    /// Never heard within `initdead` of our start.
    Initdead,
    /// It said goodbye (`shutdone`).
    Shutdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// An authenticated packet from the peer (any type) arrived on `link`.
    /// `hg` is its generation, `seq` its sequence number (`None` for `NS_*`
    /// control types), `dt` the peer's advertised deadtime if it carried one.
    Packet {
        link: LinkId,
        hg: u64,
        seq: Option<u64>,
        dt: Option<Duration>,
    },
    /// The peer said it is shutting down cleanly: dead at once.
    PeerShutdown { hg: u64 },
    /// Time passed; check the timers.
    Tick,
}

/// What changed. Within one call, events come in this order: `LocalStall`;
/// `PeerRestarted` or `PeerReturned`; `PeerUp`; `LinkUp`; `LateHeartbeat`;
/// `PeerDead`; `LinkDead` (in link order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    PeerUp {
        /// The peer came back with a new generation.
        restarted: bool,
    },
    PeerDead {
        /// Since its last packet, or since our start if never heard.
        silent_for: Duration,
        cause: DeathCause,
    },
    LateHeartbeat {
        interval: Duration,
        beyond_deadtime: bool,
    },
    LinkUp {
        link: LinkId,
    },
    LinkDead {
        link: LinkId,
    },
    PeerRestarted {
        old_hg: u64,
        new_hg: u64,
    },
    /// Came back, after its current generation was dead for its dead
    /// interval, with a *lower* generation: its state directory (with
    /// `hb_generation`) was restored from an older copy. Accepted as a new
    /// incarnation, like a restart.
    PeerRolledBack {
        old_hg: u64,
        new_hg: u64,
    },
    /// Came back after being declared dead with the same generation: the
    /// peer never stopped, we were partitioned.
    PeerReturned {
        silent_for: Duration,
    },
    /// We ourselves did not run for `gap`; nothing was declared dead.
    LocalStall {
        gap: Duration,
    },
}

#[derive(Clone, Debug)]
struct Link {
    state: LinkState,
    /// Start of the current silence: the last packet, our start, or a moved
    /// start after a local stall.
    silent_since: Instant,
    /// Its last packet, for status (the silence above moves after a stall).
    heard: Option<Instant>,
}

#[derive(Clone, Debug)]
pub struct Membership {
    cfg: MembershipConfig,
    started: Instant,
    /// The `now` of the previous `handle` call, to detect local stalls.
    last_call: Instant,
    state: PeerState,
    silent_since: Instant,
    last_heard: Option<Instant>,
    up_since: Option<Instant>,
    generation: Option<u64>,
    seqs: SeqWindow,
    advertised_dt: Option<Duration>,
    /// The generation that announced a clean shutdown.
    shut_down: Option<u64>,
    links: Vec<Link>,
}

impl Membership {
    pub fn new(cfg: MembershipConfig, now: Instant) -> Self {
        let links = cfg
            .links
            .iter()
            .map(|_| Link {
                state: LinkState::Init,
                silent_since: now,
                heard: None,
            })
            .collect();
        Membership {
            cfg,
            started: now,
            last_call: now,
            state: PeerState::Init,
            silent_since: now,
            last_heard: None,
            up_since: None,
            generation: None,
            seqs: SeqWindow::default(),
            advertised_dt: None,
            shut_down: None,
            links,
        }
    }

    /// Judges a packet without changing state. Packets without a sequence
    /// number (`NS_*`) cannot be told apart from their copies, so they are
    /// accepted unless their generation is old or implausible.
    ///
    /// A lower generation is refused while the current one lives, and
    /// accepted as a new incarnation once the current one has been dead
    /// and silent for its dead interval: a node whose state directory was
    /// restored from a backup must not be locked out forever. (A replay of
    /// an older generation is then accepted too; the current generation
    /// was gone for a dead interval by then, so it is taken for a restart.)
    pub fn classify(&self, now: Instant, hg: u64, seq: Option<u64>) -> Verdict {
        if implausible_generation(self.generation, hg) {
            return Verdict::FutureGeneration;
        }
        let fresh_seqs = SeqWindow::default();
        let window = match self.generation {
            // The generation that said goodbye, superseded by a rolled-back
            // one: its stragglers are old news.
            Some(known) if self.shut_down == Some(hg) && hg != known => {
                return Verdict::OldGeneration;
            }
            Some(known) if hg < known && !self.rollback_allowed(now) => {
                return Verdict::OldGeneration;
            }
            Some(known) if hg == known => &self.seqs,
            _ => &fresh_seqs,
        };
        seq.map_or(Verdict::Accept, |s| window.classify(s))
    }

    /// Whether a lower generation may start a new incarnation: the current
    /// one was heard, then died and stayed silent for its dead interval.
    fn rollback_allowed(&self, now: Instant) -> bool {
        self.state == PeerState::Dead
            && self
                .last_heard
                .is_some_and(|t| now.saturating_duration_since(t) >= self.dead_interval())
    }

    /// A packet that proves `link` works but must not otherwise count (a
    /// duplicate). Never declares anything dead, so it skips stall detection.
    pub fn link_heard(&mut self, now: Instant, link: LinkId) -> Vec<Event> {
        let mut events = Vec::new();
        self.hear_link(now, link, &mut events);
        events
    }

    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Event> {
        let mut events = Vec::new();
        let stalled = self.note_call(now, &mut events);
        match input {
            Input::Packet { link, hg, seq, dt } => {
                self.on_packet(now, link, hg, seq, dt, &mut events)
            }
            Input::PeerShutdown { hg } => self.on_shutdown(now, hg, &mut events),
            Input::Tick => {}
        }
        if !stalled {
            self.expire(now, &mut events);
        }
        events
    }

    /// The earliest instant at which a timer expires; `None` when nothing
    /// can die any more. The shell still ticks at least every keepalive.
    pub fn next_deadline(&self) -> Option<Instant> {
        let peer = self.peer_deadline();
        let links = self.links.iter().filter_map(|l| self.link_deadline(l));
        peer.into_iter().chain(links).min()
    }

    pub fn peer_state(&self) -> PeerState {
        self.state
    }

    /// # Panics
    /// If `l` is not an index into the configured links.
    pub fn link_state(&self, l: LinkId) -> LinkState {
        self.links[l.0].state
    }

    /// When `l` last carried a packet of the peer's; `None` if never.
    ///
    /// # Panics
    /// If `l` is not an index into the configured links.
    pub fn link_last_heard(&self, l: LinkId) -> Option<Instant> {
        self.links[l.0].heard
    }

    pub fn peer_generation(&self) -> Option<u64> {
        self.generation
    }

    /// When the last packet that counted for the peer arrived.
    pub fn last_heard(&self) -> Option<Instant> {
        self.last_heard
    }

    /// Since when the peer has been continuously up in its current
    /// generation (for the failback delay).
    pub fn peer_up_since(&self) -> Option<Instant> {
        self.up_since
    }

    /// The peer's current dead interval: our deadtime or its advertised one,
    /// whichever is larger.
    pub fn dead_interval(&self) -> Duration {
        self.cfg
            .deadtime
            .max(self.advertised_dt.unwrap_or_default())
    }

    pub fn config(&self) -> &MembershipConfig {
        &self.cfg
    }

    /// A reload: new timings and media. The peer's state stays; a medium
    /// keeps its state when its name remains, a new one starts as never
    /// heard (judged against initdead from now), so nothing is declared
    /// dead by the change itself.
    pub fn reconfigure(&mut self, now: Instant, cfg: MembershipConfig) {
        let links = (cfg.links.iter())
            .map(|name| {
                let old = self.cfg.links.iter().position(|n| n == name);
                old.and_then(|i| self.links.get(i))
                    .cloned()
                    .unwrap_or(Link {
                        state: LinkState::Init,
                        silent_since: now,
                        heard: None,
                    })
            })
            .collect();
        self.links = links;
        self.cfg = cfg;
        // The reload itself took time on our loop: not a stall of ours.
        self.last_call = self.last_call.max(now);
    }

    fn startup_interval(&self) -> Duration {
        self.cfg.initdead.max(self.dead_interval())
    }

    fn peer_deadline(&self) -> Option<Instant> {
        match self.state {
            PeerState::Init => self.silent_since.checked_add(self.startup_interval()),
            PeerState::Up => self.silent_since.checked_add(self.dead_interval()),
            PeerState::Dead => None,
        }
    }

    fn link_deadline(&self, link: &Link) -> Option<Instant> {
        match link.state {
            LinkState::Init => link.silent_since.checked_add(self.startup_interval()),
            LinkState::Up => link.silent_since.checked_add(self.dead_interval()),
            LinkState::Dead => None,
        }
    }

    fn silent_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_heard.unwrap_or(self.started))
    }

    /// Records this call; on a local stall, gives every timer fresh grace and
    /// returns true.
    fn note_call(&mut self, now: Instant, events: &mut Vec<Event>) -> bool {
        let gap = now.saturating_duration_since(self.last_call);
        self.last_call = self.last_call.max(now);
        if gap <= self.cfg.deadtime / 2 {
            return false;
        }
        events.push(Event::LocalStall { gap });
        let backdate = self.cfg.keepalive.min(self.cfg.deadtime / 2);
        let fresh = now.checked_sub(backdate).unwrap_or(now);
        self.silent_since = self.silent_since.max(fresh);
        for link in &mut self.links {
            link.silent_since = link.silent_since.max(fresh);
        }
        true
    }

    fn hear_link(&mut self, now: Instant, link: LinkId, events: &mut Vec<Event>) {
        // An unknown index is the shell's bug; it must not crash the
        // membership of the whole cluster, so it only loses the link update.
        let Some(l) = self.links.get_mut(link.0) else {
            return;
        };
        l.silent_since = l.silent_since.max(now);
        l.heard = Some(now);
        if l.state != LinkState::Up {
            l.state = LinkState::Up;
            events.push(Event::LinkUp { link });
        }
    }

    fn on_packet(
        &mut self,
        now: Instant,
        link: LinkId,
        hg: u64,
        seq: Option<u64>,
        dt: Option<Duration>,
        events: &mut Vec<Event>,
    ) {
        // The shell is meant to drop these; if it does not, they still prove
        // the medium works but say nothing new about the peer.
        if self.classify(now, hg, seq) != Verdict::Accept || self.shut_down == Some(hg) {
            self.hear_link(now, link, events);
            return;
        }
        let previous = self.state;
        let restarted = match self.generation {
            Some(old) if hg > old => {
                events.push(Event::PeerRestarted {
                    old_hg: old,
                    new_hg: hg,
                });
                self.seqs = SeqWindow::default();
                self.advertised_dt = None;
                true
            }
            Some(old) if hg < old => {
                events.push(Event::PeerRolledBack {
                    old_hg: old,
                    new_hg: hg,
                });
                self.seqs = SeqWindow::default();
                self.advertised_dt = None;
                true
            }
            Some(_) if previous == PeerState::Dead => {
                events.push(Event::PeerReturned {
                    silent_for: self.silent_for(now),
                });
                false
            }
            _ => false,
        };
        let late = (self.last_heard.is_some() && !restarted)
            .then(|| now.saturating_duration_since(self.silent_since))
            .filter(|interval| *interval > self.cfg.warntime)
            .map(|interval| Event::LateHeartbeat {
                interval,
                beyond_deadtime: interval > self.dead_interval(),
            });

        self.generation = Some(hg);
        if let Some(seq) = seq {
            self.seqs.record(seq);
        }
        if dt.is_some() {
            self.advertised_dt = dt;
        }
        self.last_heard = Some(now);
        self.silent_since = self.silent_since.max(now);
        self.state = PeerState::Up;
        if previous != PeerState::Up {
            events.push(Event::PeerUp { restarted });
        }
        if previous != PeerState::Up || restarted {
            self.up_since = Some(now);
        }
        self.hear_link(now, link, events);
        events.extend(late);
    }

    fn on_shutdown(&mut self, now: Instant, hg: u64, events: &mut Vec<Event>) {
        match self.generation {
            Some(known) if hg < known => return,
            Some(known) if hg == known => {}
            _ => {
                // A generation we never saw a packet from; start tracking it
                // so its stragglers are recognised.
                self.generation = Some(hg);
                self.seqs = SeqWindow::default();
            }
        }
        self.shut_down = Some(hg);
        self.declare_dead(now, DeathCause::Shutdown, events);
    }

    fn declare_dead(&mut self, now: Instant, cause: DeathCause, events: &mut Vec<Event>) {
        if self.state == PeerState::Dead {
            return;
        }
        events.push(Event::PeerDead {
            silent_for: self.silent_for(now),
            cause,
        });
        self.state = PeerState::Dead;
        self.up_since = None;
    }

    fn expire(&mut self, now: Instant, events: &mut Vec<Event>) {
        if self.peer_deadline().is_some_and(|d| now >= d) {
            let cause = if self.state == PeerState::Init {
                DeathCause::Initdead
            } else {
                DeathCause::Silence
            };
            self.declare_dead(now, cause, events);
        }
        let expired: Vec<usize> = (0..self.links.len())
            .filter(|&i| self.link_deadline(&self.links[i]).is_some_and(|d| now >= d))
            .collect();
        for i in expired {
            self.links[i].state = LinkState::Dead;
            events.push(Event::LinkDead { link: LinkId(i) });
        }
    }
}
