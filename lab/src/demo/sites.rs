//! `--scenario sites`: the two-site story of docs/sites.md on the lab's
//! sites topology ([`crate::sites`]). Alpha's site holds the name; the
//! router cuts alpha's uplink (the VPN to bravo stays); alpha, reaching no
//! ping node while bravo does, gives the group up; bravo points the name
//! at itself; the client's resolver gets bravo's address. Each step is a
//! timed event line, measured from the cut.

use super::{DemoArgs, INTERRUPTED, ms};
use crate::sites::{self, CLIENT_ADDR, DNS_ADDR, SiteLink, Sites, TTL_SECS, WORLD_ADDR};
use crate::{LabConfig, NODES};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the timeline starts, on both clocks: the monotonic one for what
/// the demo sees, the wall clock for the daemons' log lines.
#[derive(Clone, Copy)]
struct Clock {
    t0: Instant,
    wall: SystemTime,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            t0: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// When a log line (`2026-12-07T01:36:03.959338Z …`) was written, in ms
    /// since the start; `None` for a line without a time.
    fn line_ms(&self, line: &str) -> Option<f64> {
        let hms = line.get(11..26)?;
        let mut parts = hms.split(':');
        let (h, m, sec): (f64, f64, f64) = (
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        );
        let day = 86_400.0;
        let start = self.wall.duration_since(UNIX_EPOCH).ok()?.as_secs_f64() % day;
        let mut d = h * 3600.0 + m * 60.0 + sec - start;
        if d < -day / 2.0 {
            d += day; // past midnight since the start
        }
        Some(d * 1000.0)
    }
}

/// When an event happened (ms since the start), once it has.
type When<'a> = Box<dyn Fn(&Sites, &Clock) -> Option<f64> + 'a>;

/// One line of the timeline.
struct Event<'a> {
    line: String,
    seen: When<'a>,
}

/// An event the demo sees from outside (a query, a status): timed when seen.
fn seen<'a>(line: String, holds: impl Fn(&Sites) -> bool + 'a) -> Event<'a> {
    Event {
        line,
        seen: Box::new(move |s, c| holds(s).then(|| ms(c.t0))),
    }
}

/// An event node `i` logs (`words` in its log): timed by its log line, as
/// the log is written by a thread of its own and may trail.
fn logged<'a>(line: String, i: usize, words: &'a str) -> Event<'a> {
    Event {
        line,
        seen: Box::new(move |s, c| {
            s.lab
                .log(i)
                .lines()
                .filter(|l| l.contains(words))
                .filter_map(|l| c.line_ms(l))
                .find(|t| *t >= 0.0)
        }),
    }
}

/// Wait for every event (true when all came within `timeout`), then print
/// them in the order they happened.
fn follow(s: &Sites, clock: &Clock, mut events: Vec<Event>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut timeline = Vec::new();
    while !events.is_empty() && Instant::now() < deadline && !INTERRUPTED.load(Ordering::SeqCst) {
        events.retain(|e| match (e.seen)(s, clock) {
            Some(t) => {
                timeline.push((t, e.line.clone()));
                false
            }
            None => true,
        });
        std::thread::sleep(Duration::from_millis(20));
    }
    timeline.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, line) in &timeline {
        println!("{t:>8.1} ms  {line}");
    }
    for e in &events {
        println!("          never seen: {}", e.line);
    }
    events.is_empty()
}

fn holds(s: &Sites, i: usize) -> bool {
    let out = s.lab.tool(i, "cl_status", &["rscstatus"]);
    // The group is alpha's: bravo holding it is "foreign" there.
    matches!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "local" | "foreign" | "all"
    )
}

pub(super) fn run(args: &DemoArgs) -> i32 {
    let mut cfg = LabConfig::new(&crate::unique_prefix("dst"), &args.heartbeat_bin);
    sites::tune(&mut cfg);
    let s = match Sites::create(cfg, |dns| sites::dns_item(&dns.key_path())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: cannot build the sites (needs bind9 and bind9-dnsutils): {e}");
            return 1;
        }
    };
    let name = sites::service_name();
    println!(
        "demo sites: {} at site A ({}), {} at site B ({}), heartbeats over a VPN through router {}; \
         DNS server {DNS_ADDR} ({}), client {CLIENT_ADDR}, ping node {WORLD_ADDR}; \
         ha.cf: keepalive {}, deadtime {}, deadping 1, ucast on tun0; name {name}, TTL {TTL_SECS} s",
        NODES[0],
        sites::uplink_addr(0),
        NODES[1],
        sites::uplink_addr(1),
        s.router_ns,
        s.dns.ns,
        s.lab.cfg.keepalive,
        s.lab.cfg.deadtime,
    );
    let code = story(s, &name);
    println!("tearing down the demo sites");
    code
}

fn story(mut s: Sites, name: &str) -> i32 {
    for (i, n) in NODES.iter().enumerate() {
        if let Err(e) = s.lab.start(i) {
            eprintln!("demo: cannot start {n}: {e}");
            return 1;
        }
    }
    let (a, b) = (sites::uplink_addr(0), sites::uplink_addr(1));
    let up = follow(
        &s,
        &Clock::start(),
        vec![
            seen(format!("{} holds the group", NODES[0]), |s| holds(s, 0)),
            seen(format!("client: {name} → {a}"), |s| {
                s.client_answer() == [a.as_str()]
            }),
        ],
        Duration::from_secs(30),
    );
    if !up {
        return failed(&s);
    }
    std::thread::sleep(Duration::from_secs(2));
    let clock = Clock::start();
    if let Err(e) = s.set_site_link(0, SiteLink::Uplink, false) {
        eprintln!("demo: cannot cut the uplink: {e}");
        return 1;
    }
    println!(
        "{:>8.1} ms  fault: site A's uplink cut at the router (the VPN to site B stays)",
        0.0
    );
    let moved = follow(
        &s,
        &clock,
        vec![
            logged(
                format!(
                    "{}: reaches no ping node, {} does: gives the group up",
                    NODES[0], NODES[1]
                ),
                0,
                "we reach 0: giving it our resources",
            ),
            logged(
                format!("{} takes the group over", NODES[1]),
                1,
                "Taking over resource group",
            ),
            seen(format!("DNS server answers {name} → {b}"), |s| {
                s.dns.query(&s.dns.ns, &sites::service_name(), "A") == [b.as_str()]
            }),
            seen(format!("client: {name} → {b}"), |s| {
                s.client_answer() == [b.as_str()]
            }),
            seen(
                format!(
                    "{} holds the group (update checked at the server)",
                    NODES[1]
                ),
                |s| holds(s, 1),
            ),
        ],
        Duration::from_secs(30),
    );
    if !moved {
        return failed(&s);
    }
    println!(
        "          resolvers that cached {a} keep sending clients there for up to the TTL ({TTL_SECS} s)"
    );
    println!("scenario Sites: OK");
    0
}

fn failed(s: &Sites) -> i32 {
    println!("scenario Sites: FAILED");
    super::print_logs(&s.lab);
    1
}
