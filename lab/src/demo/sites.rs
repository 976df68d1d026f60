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
use std::time::{Duration, Instant};

/// One line of the timeline: printed once, when `seen` first holds.
struct Event<'a> {
    line: String,
    seen: Box<dyn Fn(&Sites) -> bool + 'a>,
}

fn event<'a>(line: String, seen: impl Fn(&Sites) -> bool + 'a) -> Event<'a> {
    Event {
        line,
        seen: Box::new(seen),
    }
}

/// Print each event at the time it is first seen, in any order; true when
/// all were seen within `timeout`.
fn follow(s: &Sites, t0: Instant, mut events: Vec<Event>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while !events.is_empty() && Instant::now() < deadline && !INTERRUPTED.load(Ordering::SeqCst) {
        events.retain(|e| {
            let seen = (e.seen)(s);
            if seen {
                println!("{:>8.1} ms  {}", ms(t0), e.line);
            }
            !seen
        });
        std::thread::sleep(Duration::from_millis(20));
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
    let t_start = Instant::now();
    let up = follow(
        &s,
        t_start,
        vec![
            event(format!("{} holds the group", NODES[0]), |s| holds(s, 0)),
            event(format!("client: {name} → {a}"), |s| {
                s.client_answer() == [a.as_str()]
            }),
        ],
        Duration::from_secs(30),
    );
    if !up {
        return failed(&s);
    }
    std::thread::sleep(Duration::from_secs(2));
    let t0 = Instant::now();
    if let Err(e) = s.set_site_link(0, SiteLink::Uplink, false) {
        eprintln!("demo: cannot cut the uplink: {e}");
        return 1;
    }
    println!(
        "{:>8.1} ms  fault: site A's uplink cut at the router (the VPN to site B stays)",
        0.0
    );
    let log_has = |i: usize, words: &'static str| move |s: &Sites| s.lab.log(i).contains(words);
    let moved = follow(
        &s,
        t0,
        vec![
            event(
                format!(
                    "{}: reaches no ping node, {} does: gives the group up",
                    NODES[0], NODES[1]
                ),
                log_has(0, "we reach 0: giving it our resources"),
            ),
            event(
                format!("{} takes the group over", NODES[1]),
                log_has(1, "Taking over resource group"),
            ),
            event(format!("DNS server answers {name} → {b}"), |s| {
                s.dns.query(&s.dns.ns, &sites::service_name(), "A") == [b.as_str()]
            }),
            event(format!("client: {name} → {b}"), |s| {
                s.client_answer() == [b.as_str()]
            }),
            event(
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
