//! The emulator daemon's edges: the shared state behind a mutex, the
//! control socket the drbdadm front end talks to, the clock that lets a
//! Primary write and a resync finish, the meta-data file that survives a
//! restart, and running DRBD's handlers. Decisions are all in
//! [`state`](super::state).

use super::adm::{self, Reply, Request};
use super::conf::Conf;
use super::state::{Disk, Event, Promotion, Resource};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct Shared {
    pub conf: Conf,
    pub dir: PathBuf,
    start: Instant,
    res: Mutex<Emu>,
}

/// The resource and the number of the connection that may change it (a
/// link thread whose connection was replaced must keep its hands off).
pub struct Emu {
    pub res: Resource,
    pub epoch: u64,
}

impl Shared {
    pub fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
    pub fn lock(&self) -> MutexGuard<'_, Emu> {
        self.res.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Carry out what a transition asked for; handlers run on their own
    /// thread so that they may call drbdadm themselves.
    pub fn handle(self: &Arc<Self>, events: Vec<Event>) {
        for e in events {
            let me = Arc::clone(self);
            match e {
                Event::SplitBrain => self.log("Split-Brain detected, dropping connection!"),
                Event::AfterResyncTarget => {
                    std::thread::spawn(move || me.run_handler("after-resync-target"));
                }
                Event::FencePeer => {
                    std::thread::spawn(move || {
                        if let Some(code) = me.run_handler("fence-peer") {
                            me.lock().res.fenced(code);
                        }
                    });
                }
            }
        }
    }

    /// Run a configured handler as DRBD does (`sh -c`, DRBD_* environment)
    /// and return its exit code; `None` when none is configured.
    pub fn run_handler(&self, which: &str) -> Option<i32> {
        let cmd = match which {
            "fence-peer" => &self.conf.fence_peer,
            _ => &self.conf.after_resync_target,
        };
        if cmd.is_empty() {
            return None;
        }
        let peer_ip = self
            .conf
            .peer_address
            .rsplit_once(':')
            .map_or("", |(ip, _)| ip);
        let code = std::process::Command::new("/bin/sh")
            .args(["-c", cmd])
            .env("DRBD_RESOURCE", &self.conf.resource)
            .env("DRBD_PEER", &self.conf.peer)
            .env("DRBD_PEERS", &self.conf.peer)
            .env("DRBD_PEER_ADDRESS", peer_ip)
            .env("DRBD_PEER_AF", "ipv4")
            .env("DRBD_MINOR", "0")
            .env("DRBD_CONF", self.dir.join("emu.conf"))
            .status()
            .map_or(1, |s| s.code().unwrap_or(1));
        self.log(&format!("helper command: {which} {cmd} exit code {code}"));
        Some(code)
    }

    pub fn log(&self, msg: &str) {
        let line = format!("{} {}: {msg}\n", self.now(), self.conf.resource);
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("emu.log"))
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// Meta-data: the generation counters and disk state, as DRBD keeps them
/// on disk. A disk that was UpToDate comes back Consistent: after a restart
/// nobody knows whether the peer has written since.
fn load_meta(dir: &Path, conf: &Conf) -> Resource {
    let text = std::fs::read_to_string(dir.join("meta")).unwrap_or_default();
    let f: Vec<&str> = text.split_whitespace().collect();
    let (generation, base, disk) = match f.as_slice() {
        [g, b, d] => (
            g.parse().unwrap_or(1),
            b.parse().unwrap_or(1),
            match Disk::parse(d) {
                Some(Disk::UpToDate) => Disk::Consistent,
                Some(d) => d,
                None => conf.initial_disk,
            },
        ),
        _ => (1, 1, conf.initial_disk),
    };
    Resource::new(disk, generation, base, conf.fencing, conf.resync_ms)
}

fn save_meta(dir: &Path, r: &Resource) {
    let tmp = dir.join("meta.new");
    let text = format!("{} {} {}\n", r.generation, r.base, r.disk.name());
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join("meta"));
    }
}

pub fn run(dir: &Path) -> Result<(), String> {
    let conf = Conf::load(dir)?;
    let res = load_meta(dir, &conf);
    let sock = dir.join("ctl");
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    let shared = Arc::new(Shared {
        conf,
        dir: dir.to_path_buf(),
        start: Instant::now(),
        res: Mutex::new(Emu { res, epoch: 0 }),
    });
    let link = Arc::clone(&shared);
    std::thread::spawn(move || super::link::run(link));
    let clock = Arc::clone(&shared);
    std::thread::spawn(move || tick_loop(clock));
    shared.log("emulator up");
    for stream in listener.incoming().flatten() {
        let me = Arc::clone(&shared);
        std::thread::spawn(move || serve(&me, stream));
    }
    Ok(())
}

fn tick_loop(shared: Arc<Shared>) {
    let mut saved = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = shared.now();
        let mut emu = shared.lock();
        let events = emu.res.tick(now);
        let meta = format!(
            "{} {} {}",
            emu.res.generation,
            emu.res.base,
            emu.res.disk.name()
        );
        if meta != saved {
            save_meta(&shared.dir, &emu.res);
            saved = meta;
        }
        drop(emu);
        shared.handle(events);
    }
}

/// One control request: argument lines, an empty line; the answer is
/// `code out-len err-len` then the two texts.
fn serve(shared: &Arc<Shared>, stream: UnixStream) {
    let mut args = Vec::new();
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\n" {
        args.push(line.trim_end_matches('\n').to_string());
        line.clear();
    }
    let reply = match adm::parse(&args, &shared.conf.resource) {
        Ok(req) => answer(shared, &req),
        Err(reply) => reply,
    };
    let mut w = &stream;
    let _ = write!(
        w,
        "{} {} {}\n{}{}",
        reply.code,
        reply.out.len(),
        reply.err.len(),
        reply.out,
        reply.err
    );
}

fn answer(shared: &Arc<Shared>, req: &Request) -> Reply {
    let fmt = shared.conf.format;
    let refused = |why| adm::refused(fmt, &req.res, &req.cmd, why);
    let mut emu = shared.lock();
    let r = &mut emu.res;
    if req.cmd == "secondary" && req.force && fmt == adm::Format::V84 {
        // A forced demote came with DRBD 9; 8.4's drbdsetup has no such option.
        return Reply::fail(
            "drbdsetup-84 secondary: unrecognized option '--force'\n".into(),
            adm::USAGE,
        );
    }
    let result = match req.cmd.as_str() {
        "primary" => match r.promote(req.force, None) {
            Ok(Promotion::AskFencePeer) => {
                drop(emu);
                let code = shared.run_handler("fence-peer").unwrap_or(1);
                emu = shared.lock();
                emu.res.promote(req.force, Some(code)).map(|_| ())
            }
            other => other.map(|_| ()),
        },
        "secondary" => r.demote(req.force),
        "outdate" => r.outdate(),
        "connect" => {
            r.connect(req.discard);
            Ok(())
        }
        "disconnect" => r.disconnect().map(|events| {
            emu.epoch += 1;
            shared.handle(events);
        }),
        "emu-hold" | "emu-release" => {
            r.held_open = req.cmd == "emu-hold";
            Ok(())
        }
        "emu-state" => return Reply::ok(adm::emu_state(r)),
        show => {
            return Reply::ok(adm::show(
                fmt,
                show,
                &req.res,
                &shared.conf.peer,
                r,
                shared.now(),
            ));
        }
    };
    if let Err(why) = result {
        return refused(why);
    }
    save_meta(&shared.dir, &emu.res);
    Reply::ok(String::new())
}

/// The front end: send the arguments to the emulator in `dir`, print its
/// answer, return its exit code.
pub fn client(dir: &Path, args: &[String]) -> i32 {
    let reply = ask(dir, args).unwrap_or_else(|e| {
        Reply::fail(
            format!("no DRBD emulator answers in {}: {e}\n", dir.display()),
            adm::NOT_CONFIGURED,
        )
    });
    print!("{}", reply.out);
    eprint!("{}", reply.err);
    reply.code
}

fn ask(dir: &Path, args: &[String]) -> std::io::Result<Reply> {
    let mut s = UnixStream::connect(dir.join("ctl"))?;
    let mut req = String::new();
    for a in args {
        req.push_str(&a.replace('\n', " "));
        req.push('\n');
    }
    req.push('\n');
    s.write_all(req.as_bytes())?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (head, body) = text
        .split_once('\n')
        .ok_or_else(|| std::io::Error::other("short answer"))?;
    let n: Vec<usize> = head
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [_, out_len, _] = n[..] else {
        return Err(std::io::Error::other("bad answer"));
    };
    let code = head
        .split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    let (out, err) = body.split_at(out_len.min(body.len()));
    Ok(Reply {
        out: out.into(),
        err: err.into(),
        code,
    })
}
