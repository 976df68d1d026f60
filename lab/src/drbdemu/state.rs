//! One node's view of one DRBD resource, as a pure state machine: the
//! rules for promotion, demotion, outdating, connecting, resync and split
//! brain, and which handler the driver must run. No I/O and no clock: the
//! driver passes `now` (milliseconds) and carries out the returned
//! [`Event`]s.
//!
//! Data identity is a pair of counters standing in for DRBD's generation
//! UUIDs: `generation` advances while this node is Primary (it "writes"); `base`
//! is the generation both nodes last agreed on. `generation != base` means this
//! node wrote while apart from its peer, which is what decides the resync
//! direction and split brain at the next handshake.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

/// Disk states, ordered as DRBD orders them (worse first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Disk {
    Diskless,
    Inconsistent,
    Outdated,
    Consistent,
    UpToDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    StandAlone,
    Connecting,
    Connected,
    SyncSource,
    SyncTarget,
}

/// drbd.conf's `fencing` policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fencing {
    DontCare,
    ResourceOnly,
    ResourceAndStonith,
}

macro_rules! names {
    ($t:ty { $($v:ident = $s:literal),* $(,)? }) => {
        impl $t {
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
names!(Role { Primary = "Primary", Secondary = "Secondary" });
names!(Disk {
    Diskless = "Diskless",
    Inconsistent = "Inconsistent",
    Outdated = "Outdated",
    Consistent = "Consistent",
    UpToDate = "UpToDate",
});
names!(Conn {
    StandAlone = "StandAlone",
    Connecting = "Connecting",
    Connected = "Connected",
    SyncSource = "SyncSource",
    SyncTarget = "SyncTarget",
});
names!(Fencing {
    DontCare = "dont-care",
    ResourceOnly = "resource-only",
    ResourceAndStonith = "resource-and-stonith",
});

/// What the peer says about itself (in its hello and every heartbeat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerView {
    pub role: Role,
    pub disk: Disk,
    pub generation: u64,
    pub base: u64,
    /// The peer was told `connect --discard-my-data`.
    pub discard: bool,
}

/// A refused state change: DRBD's negative state-change code and text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TwoPrimaries,
    NoUpToDate,
    ConnectedOutdates,
    PeerNotOutdated,
    AlreadyStandAlone,
    DeviceInUse,
    LowerThanOutdated,
}

impl Refusal {
    pub fn code(self) -> i32 {
        match self {
            Refusal::TwoPrimaries => -1,
            Refusal::NoUpToDate => -2,
            Refusal::ConnectedOutdates => -6,
            Refusal::PeerNotOutdated => -7,
            Refusal::AlreadyStandAlone => -9,
            Refusal::DeviceInUse => -12,
            Refusal::LowerThanOutdated => -16,
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            Refusal::TwoPrimaries => "Multiple primaries not allowed by config",
            Refusal::NoUpToDate => "Need access to UpToDate data",
            Refusal::ConnectedOutdates => "Refusing to be Outdated while Connected",
            Refusal::PeerNotOutdated => "Refusing to be Primary while peer is not outdated",
            Refusal::AlreadyStandAlone => "Can not disconnect a StandAlone device",
            Refusal::DeviceInUse => "Device is held open by someone",
            Refusal::LowerThanOutdated => "Disk state is lower than outdated",
        }
    }
    /// drbdsetup's exit status: 17 for missing UpToDate data, 5 for a disk
    /// already below Outdated (an outdate of Inconsistent data), 11 for
    /// every other refused state change. A fence-peer handler tells
    /// "peer Inconsistent" from "peer Primary" by these two codes.
    pub fn exit_code(self) -> i32 {
        match self {
            Refusal::NoUpToDate => 17,
            Refusal::LowerThanOutdated => 5,
            _ => 11,
        }
    }
}

/// What the driver must do after a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Run the fence-peer handler and report with [`Resource::fenced`].
    FencePeer,
    /// Run the after-resync-target handler (its exit code is ignored).
    AfterResyncTarget,
    /// The handshake found split brain; the link was dropped.
    SplitBrain,
}

/// The answer to a promotion request that was not refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Promotion {
    Done,
    /// Run the fence-peer handler, then call `promote` again with its code.
    AskFencePeer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub role: Role,
    pub disk: Disk,
    pub conn: Conn,
    pub generation: u64,
    pub base: u64,
    /// The peer's latest view while connected.
    pub peer: Option<PeerView>,
    /// The fence-peer handler reported the peer's disk outdated (or
    /// fenced) since the connection was lost.
    pub peer_outdated: bool,
    pub fencing: Fencing,
    /// Something holds the device open (a mounted filesystem).
    pub held_open: bool,
    pub split_brain: bool,
    pub discard_my_data: bool,
    /// When the running resync (as SyncTarget) started and ends.
    pub sync: Option<(u64, u64)>,
    pub resync_ms: u64,
}

impl Resource {
    pub fn new(
        disk: Disk,
        generation: u64,
        base: u64,
        fencing: Fencing,
        resync_ms: u64,
    ) -> Resource {
        Resource {
            role: Role::Secondary,
            disk,
            conn: Conn::Connecting,
            generation,
            base,
            peer: None,
            peer_outdated: false,
            fencing,
            held_open: false,
            split_brain: false,
            discard_my_data: false,
            sync: None,
            resync_ms,
        }
    }

    pub fn connected(&self) -> bool {
        matches!(
            self.conn,
            Conn::Connected | Conn::SyncSource | Conn::SyncTarget
        )
    }

    pub fn wants_connection(&self) -> bool {
        self.conn == Conn::Connecting
    }

    pub fn hello(&self) -> PeerView {
        PeerView {
            role: self.role,
            disk: self.disk,
            generation: self.generation,
            base: self.base,
            discard: self.discard_my_data,
        }
    }

    /// `drbdadm primary [--force]`; `fence` is the fence-peer handler's
    /// exit code when it was asked for.
    pub fn promote(&mut self, force: bool, fence: Option<i32>) -> Result<Promotion, Refusal> {
        if self.role == Role::Primary {
            return Ok(Promotion::Done);
        }
        let peer = self.peer.filter(|_| self.connected());
        if peer.is_some_and(|p| p.role == Role::Primary) {
            return Err(Refusal::TwoPrimaries);
        }
        let peer_good = peer.is_some_and(|p| p.disk == Disk::UpToDate);
        match self.disk {
            // A diskless or resyncing node reads through an UpToDate peer.
            Disk::Diskless | Disk::Inconsistent if peer_good => {}
            Disk::Diskless => return Err(Refusal::NoUpToDate),
            Disk::Inconsistent | Disk::Outdated | Disk::Consistent if force => {
                self.disk = Disk::UpToDate
            }
            Disk::Inconsistent | Disk::Outdated => return Err(Refusal::NoUpToDate),
            Disk::Consistent | Disk::UpToDate => {
                if peer.is_none() && !self.peer_outdated && self.fencing != Fencing::DontCare {
                    let Some(code) = fence else {
                        return Ok(Promotion::AskFencePeer);
                    };
                    self.fenced(code);
                    let unfenced_ok = self.fencing == Fencing::ResourceOnly
                        && self.disk == Disk::UpToDate
                        && code != 6;
                    if !self.peer_outdated && !unfenced_ok {
                        return Err(Refusal::PeerNotOutdated);
                    }
                }
                // Consistent data is the newest there is once the peer is
                // known outdated, or when nobody asked (dont-care).
                self.disk = Disk::UpToDate;
            }
        }
        self.role = Role::Primary;
        if !self.connected() {
            // A Primary without its peer starts a new data generation.
            self.generation += 1;
        }
        Ok(Promotion::Done)
    }

    /// Record the fence-peer handler's exit code (drbd.conf(5): 3 peer
    /// Inconsistent, 4 peer outdated, 7 peer fenced mean the peer can no
    /// longer become Primary with its data; 5 unreachable and 6 peer
    /// Primary do not).
    pub fn fenced(&mut self, code: i32) {
        if matches!(code, 3 | 4 | 7) {
            self.peer_outdated = true;
        }
    }

    /// `drbdadm secondary [--force]`.
    pub fn demote(&mut self, force: bool) -> Result<(), Refusal> {
        if self.role == Role::Primary && self.held_open && !force {
            return Err(Refusal::DeviceInUse);
        }
        self.role = Role::Secondary;
        Ok(())
    }

    /// `drbdadm outdate`.
    pub fn outdate(&mut self) -> Result<(), Refusal> {
        if self.disk == Disk::Outdated {
            return Ok(());
        }
        if self.connected() {
            return Err(Refusal::ConnectedOutdates);
        }
        if self.role == Role::Primary {
            return Err(Refusal::NoUpToDate);
        }
        if self.disk < Disk::Outdated {
            return Err(Refusal::LowerThanOutdated);
        }
        self.disk = Disk::Outdated;
        Ok(())
    }

    /// `drbdadm connect [--discard-my-data]` (nothing to do unless StandAlone).
    pub fn connect(&mut self, discard: bool) {
        if self.conn == Conn::StandAlone {
            self.conn = Conn::Connecting;
            self.discard_my_data = discard;
        }
    }

    /// `drbdadm disconnect`.
    pub fn disconnect(&mut self) -> Result<Vec<Event>, Refusal> {
        if self.conn == Conn::StandAlone {
            return Err(Refusal::AlreadyStandAlone);
        }
        let events = self.lost();
        self.conn = Conn::StandAlone;
        Ok(events)
    }

    /// Both hellos exchanged: decide who syncs from whom, or split brain.
    pub fn handshake(&mut self, peer: PeerView, now: u64) -> Vec<Event> {
        #[derive(PartialEq)]
        enum Dir {
            Source,
            Target,
            InSync,
            SplitBrain,
        }
        let (mine, theirs) = (self.generation != self.base, peer.generation != peer.base);
        let dir = if mine && theirs {
            match (self.discard_my_data, peer.discard) {
                (true, false) => Dir::Target,
                (false, true) => Dir::Source,
                _ => Dir::SplitBrain,
            }
        } else if mine || theirs {
            if mine { Dir::Source } else { Dir::Target }
        } else if self.generation != peer.generation {
            if self.generation > peer.generation {
                Dir::Source
            } else {
                Dir::Target
            }
        } else if self.disk == Disk::Inconsistent && peer.disk > Disk::Outdated {
            Dir::Target
        } else if peer.disk == Disk::Inconsistent && self.disk > Disk::Outdated {
            Dir::Source
        } else {
            Dir::InSync
        };
        self.discard_my_data = false;
        self.peer_outdated = false;
        if dir == Dir::SplitBrain || (dir == Dir::Target && self.role == Role::Primary) {
            self.conn = Conn::StandAlone;
            self.split_brain = true;
            self.peer = None;
            return vec![Event::SplitBrain];
        }
        self.split_brain = false;
        self.peer = Some(peer);
        match dir {
            Dir::Target => {
                self.conn = Conn::SyncTarget;
                self.disk = Disk::Inconsistent;
                self.sync = Some((now, now + self.resync_ms));
            }
            Dir::Source => {
                self.conn = Conn::SyncSource;
                // The handshake found this copy the newest: DRBD calls
                // it UpToDate (a rebooted Consistent disk included).
                if self.disk == Disk::Consistent {
                    self.disk = Disk::UpToDate;
                }
            }
            _ => {
                self.conn = Conn::Connected;
                if matches!(self.disk, Disk::Outdated | Disk::Consistent) {
                    self.disk = Disk::UpToDate;
                }
                self.base = self.generation;
            }
        }
        Vec::new()
    }

    /// A heartbeat from the connected peer: replicate its writes.
    pub fn on_peer(&mut self, peer: PeerView) {
        self.peer = Some(peer);
        match self.conn {
            Conn::Connected if peer.role == Role::Primary => {
                self.generation = peer.generation;
                self.base = peer.generation;
            }
            Conn::Connected => self.base = self.generation,
            Conn::SyncSource if peer.disk == Disk::UpToDate => {
                self.conn = Conn::Connected;
                self.base = self.generation;
            }
            _ => {}
        }
    }

    /// The link to the peer is gone (silence, error or `disconnect`).
    pub fn lost(&mut self) -> Vec<Event> {
        if !self.connected() {
            return Vec::new();
        }
        self.conn = Conn::Connecting;
        self.peer = None;
        self.sync = None;
        self.peer_outdated = false;
        if self.role != Role::Primary {
            return Vec::new();
        }
        // The Primary's writes from now on are not on the peer.
        self.generation += 1;
        if self.fencing == Fencing::DontCare {
            Vec::new()
        } else {
            vec![Event::FencePeer]
        }
    }

    /// Time passes: a Primary writes; a resync finishes.
    pub fn tick(&mut self, now: u64) -> Vec<Event> {
        if self.role == Role::Primary {
            self.generation += 1;
            if self.conn == Conn::Connected {
                self.base = self.generation;
            }
        }
        match (self.conn, self.sync, self.peer) {
            (Conn::SyncTarget, Some((_, end)), Some(p)) if now >= end => {
                self.conn = Conn::Connected;
                self.disk = Disk::UpToDate;
                self.sync = None;
                self.generation = p.generation.max(self.generation);
                self.base = self.generation;
                vec![Event::AfterResyncTarget]
            }
            _ => Vec::new(),
        }
    }

    /// How much of the running resync is done, in percent.
    pub fn sync_done(&self, now: u64) -> f64 {
        match self.sync {
            Some((start, end)) if end > start => {
                (now.saturating_sub(start) as f64 * 100.0 / (end - start) as f64).min(100.0)
            }
            _ => 100.0,
        }
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
