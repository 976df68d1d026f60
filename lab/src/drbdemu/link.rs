//! The replication link: a real TCP connection between the two
//! emulators over the crossover, so cutting that cable really disconnects
//! them. The node with the smaller address dials, the other accepts. Both
//! send a hello, then their state every 100 ms; 500 ms of silence, an
//! error or a `disconnect` ends the connection.

use super::server::Shared;
use super::state::{Disk, PeerView, Role};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

const BEAT: Duration = Duration::from_millis(100);
const SILENCE: Duration = Duration::from_millis(500);

fn encode(v: PeerView) -> String {
    format!(
        "{} {} {} {} {}\n",
        v.role.name(),
        v.disk.name(),
        v.generation,
        v.base,
        v.discard
    )
}

fn decode(line: &str) -> Option<PeerView> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let [role, disk, generation, base, discard] = f[..] else {
        return None;
    };
    Some(PeerView {
        role: Role::parse(role)?,
        disk: Disk::parse(disk)?,
        generation: generation.parse().ok()?,
        base: base.parse().ok()?,
        discard: discard == "true",
    })
}

pub fn run(shared: Arc<Shared>) {
    let dialer = shared.conf.address < shared.conf.peer_address;
    let listener =
        TcpListener::bind(&shared.conf.address).and_then(|l| l.set_nonblocking(true).map(|_| l));
    let listener = match listener {
        Ok(l) => l,
        Err(e) => {
            shared.log(&format!("cannot listen on {}: {e}", shared.conf.address));
            std::process::exit(1);
        }
    };
    loop {
        let wants = shared.lock().res.wants_connection();
        let stream = if !wants {
            // Refuse a peer that wants us while we stand alone.
            let _ = listener.accept();
            None
        } else if dialer {
            shared
                .conf
                .peer_address
                .parse()
                .ok()
                .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).ok())
        } else {
            listener.accept().ok().map(|(s, _)| s)
        };
        match stream {
            Some(s) => session(&shared, s),
            None => std::thread::sleep(BEAT),
        }
    }
}

/// One connection, from hello to loss.
fn session(shared: &Arc<Shared>, stream: TcpStream) {
    let setup = stream
        .set_nonblocking(false)
        .and_then(|_| stream.set_read_timeout(Some(SILENCE)))
        .and_then(|_| stream.set_write_timeout(Some(SILENCE)))
        .and_then(|_| stream.set_nodelay(true));
    let Ok(mut writer) = setup.and_then(|_| stream.try_clone()) else {
        return;
    };
    let hello = shared.lock().res.hello();
    if writer.write_all(encode(hello).as_bytes()).is_err() {
        return;
    }
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    let Some(peer) = reader.read_line(&mut line).ok().and_then(|_| decode(&line)) else {
        return;
    };
    let mut emu = shared.lock();
    if !emu.res.wants_connection() {
        return;
    }
    emu.epoch += 1;
    let epoch = emu.epoch;
    let events = emu.res.handshake(peer, shared.now());
    let up = emu.res.connected();
    drop(emu);
    shared.handle(events);
    if !up {
        return;
    }
    shared.log(&format!("connected to {}", shared.conf.peer));
    std::thread::scope(|s| {
        s.spawn(|| beat(shared, &mut writer, epoch));
        loop {
            line.clear();
            let got = reader.read_line(&mut line);
            let mut emu = shared.lock();
            if emu.epoch != epoch {
                break;
            }
            match got.ok().filter(|n| *n > 0).and_then(|_| decode(&line)) {
                Some(v) => emu.res.on_peer(v),
                None => {
                    emu.epoch += 1;
                    let events = emu.res.lost();
                    drop(emu);
                    shared.log(&format!("connection to {} lost", shared.conf.peer));
                    shared.handle(events);
                    break;
                }
            }
        }
        let _ = stream.shutdown(Shutdown::Both);
    });
}

/// Send our state every beat until this connection is no longer current.
fn beat(shared: &Arc<Shared>, w: &mut TcpStream, epoch: u64) {
    loop {
        let msg = {
            let emu = shared.lock();
            if emu.epoch != epoch {
                break;
            }
            encode(emu.res.hello())
        };
        if w.write_all(msg.as_bytes()).is_err() {
            break;
        }
        std::thread::sleep(BEAT);
    }
    let _ = w.shutdown(Shutdown::Both);
}
