//! ha.cf settled: defaults applied, then the checks that need the whole
//! file and the local node name (timing relations, media, the node pair).

use super::values::ms;
use super::{At, DEFAULT_BAUD, DEFAULT_UDPPORT, HaCf, HaCfSettings};
use crate::config::diag::{Diags, FileDiags};
use crate::config::model::{AutoFailback, Logging, NodeName, Timings, VipAnnounce};
use std::path::Path;
use std::time::Duration;

/// Applies defaults and the checks that need only ha.cf and the local node
/// name. `None` when something was wrong (already reported).
pub fn settle(cf: HaCf, local: &str, file: &Path, diags: &mut Diags) -> Option<HaCfSettings> {
    let errors_before = diags.errors.len();
    let mut d = diags.for_file(file);
    let timings = timings(&cf);
    check_timings(&cf, &timings, &mut d);
    if cf.media.is_empty() {
        d.file_error("no heartbeat media defined: add a bcast, ucast, mcast or serial line");
    }
    let (local, peer) = check_nodes(&cf.nodes, &NodeName::new(local), &mut d);
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(settings(cf, local, peer?, timings))
}

/// A directive's value, or `default` when ha.cf did not give it.
fn value_or<T: Copy>(a: &Option<At<T>>, default: T) -> T {
    a.as_ref().map_or(default, |a| a.value)
}

/// The line that set a directive, `None` when it was not given.
fn line_of<T>(a: &Option<At<T>>) -> Option<usize> {
    a.as_ref().map(|a| a.line)
}

/// The original's initdead default: deadtime when above 10 s, 12 s below
/// 6 s, else twice deadtime.
fn default_initdead(deadtime: Duration) -> Duration {
    if deadtime > Duration::from_secs(10) {
        deadtime
    } else if deadtime < Duration::from_secs(6) {
        Duration::from_secs(12)
    } else {
        deadtime * 2
    }
}

/// The five timings, with the original's defaults for those not given.
fn timings(cf: &HaCf) -> Timings {
    let deadtime = value_or(&cf.deadtime, Duration::from_secs(30));
    Timings {
        keepalive: value_or(&cf.keepalive, Duration::from_secs(1)),
        warntime: value_or(&cf.warntime, deadtime / 2),
        deadtime,
        initdead: value_or(&cf.initdead, default_initdead(deadtime)),
        deadping: value_or(&cf.deadping, deadtime),
        drbd_wfc: value_or(&cf.drbd_wfc_timeout, Duration::from_secs(60)),
    }
}

/// Everything ha.cf gave, and the defaults for the rest, once checked.
fn settings(cf: HaCf, local: NodeName, peer: NodeName, timings: Timings) -> HaCfSettings {
    HaCfSettings {
        local,
        peer,
        nodes: cf.nodes.iter().map(|n| n.value.clone()).collect(),
        timings,
        udpport: value_or(&cf.udpport, DEFAULT_UDPPORT),
        baud: value_or(&cf.baud, DEFAULT_BAUD),
        media: cf.media.iter().map(|m| m.value.clone()).collect(),
        auto_failback: value_or(&cf.auto_failback, AutoFailback::Legacy),
        auto_failback_line: line_of(&cf.auto_failback),
        failback_delay: value_or(&cf.failback_delay, Duration::ZERO),
        announce: VipAnnounce {
            // Zero turns the refresh off, as keepalived's garp_master_refresh 0.
            refresh: cf.garp_refresh.map(|r| r.value).filter(|r| !r.is_zero()),
            mode: value_or(&cf.garp_mode, crate::arp::GarpMode::Both),
        },
        ping: cf.ping,
        ping_groups: cf.ping_groups,
        logging: Logging {
            logfile: cf.logfile,
            debugfile: cf.debugfile,
            logfacility: cf.logfacility,
            use_logd: cf.use_logd,
        },
        realtime: cf.realtime.unwrap_or(true),
        debug: cf.debug.unwrap_or(0),
        hopfudge: cf.hopfudge.unwrap_or(1),
        respawn: cf.respawn,
        monitors: cf.monitors,
        rsc_timeouts: cf.rsc_timeouts,
        metrics_listen: cf.metrics_listen.map(|a| a.value),
    }
}

/// The relations between the timings. Each check is its own function; they
/// run in this order, which is the order of the messages.
fn check_timings(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    check_nonzero(cf, t, d);
    check_deadtime(cf, t, d);
    check_warntime(cf, t, d);
    check_initdead(cf, t, d);
    check_deadping(cf, t, d);
}

/// Where the deadtime check is reported: a check between two values goes
/// to the line that set the later of them, so a defaulted deadtime is
/// blamed on keepalive's line (and the file when neither was given). The
/// warntime and initdead checks fall back to this line in turn.
fn deadtime_line(cf: &HaCf) -> Option<usize> {
    line_of(&cf.deadtime).or(line_of(&cf.keepalive))
}

fn check_nonzero(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    for (name, v, l) in [
        ("keepalive", t.keepalive, line_of(&cf.keepalive)),
        ("deadtime", t.deadtime, line_of(&cf.deadtime)),
        ("warntime", t.warntime, line_of(&cf.warntime)),
    ] {
        if v.is_zero() {
            d.error_at(l, format!("{name} [0 ms] is invalid: must be more than 0"));
        }
    }
}

fn check_deadtime(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    if t.deadtime <= t.keepalive * 2 && !t.deadtime.is_zero() {
        d.error_at(
            deadtime_line(cf),
            format!(
                "deadtime [{} ms] is too small compared to keepalive [{} ms]: deadtime must be more than twice keepalive",
                ms(t.deadtime),
                ms(t.keepalive)
            ),
        );
    }
}

fn check_warntime(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    // With a defaulted warntime the deadtime check already said it all.
    let deadtime_ok = t.deadtime > t.keepalive * 2;
    let warntime_between = t.keepalive < t.warntime && t.warntime < t.deadtime;
    // A zero warntime was reported by check_nonzero.
    if !warntime_between && !t.warntime.is_zero() && (cf.warntime.is_some() || deadtime_ok) {
        d.error_at(
            line_of(&cf.warntime).or(deadtime_line(cf)),
            format!(
                "warntime [{} ms] must be between keepalive [{} ms] and deadtime [{} ms] (keepalive < warntime < deadtime)",
                ms(t.warntime),
                ms(t.keepalive),
                ms(t.deadtime)
            ),
        );
    }
}

fn check_initdead(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    if t.initdead < t.deadtime {
        d.error_at(
            line_of(&cf.initdead).or(deadtime_line(cf)),
            format!(
                "initdead [{} ms] is smaller than deadtime [{} ms]: initdead must be at least deadtime",
                ms(t.initdead),
                ms(t.deadtime)
            ),
        );
    } else if let Some(l) = line_of(&cf.initdead) {
        // Only an explicit value warns: the original's default for a long
        // deadtime is deadtime itself, and nagging about defaults helps nobody.
        if t.initdead < t.deadtime * 2 {
            d.warn(
                l,
                format!(
                    "initdead [{} ms] is less than twice deadtime [{} ms]; slow network start-up may make the peer look dead",
                    ms(t.initdead),
                    ms(t.deadtime)
                ),
            );
        } else if t.initdead < Duration::from_secs(10) {
            d.warn(
                l,
                format!(
                    "initdead [{} ms] may be too small: it should be >= deadtime and >= 10 seconds",
                    ms(t.initdead)
                ),
            );
        }
    }
}

fn check_deadping(cf: &HaCf, t: &Timings, d: &mut FileDiags) {
    if let Some(dp) = &cf.deadping
        && dp.value <= t.keepalive * 2
    {
        d.error(
            dp.line,
            format!(
                "deadping [{} ms] is too small compared to keepalive [{} ms]: must be more than twice keepalive",
                ms(dp.value),
                ms(t.keepalive)
            ),
        );
    } else if (!cf.ping.is_empty() || !cf.ping_groups.is_empty()) && t.deadping >= t.deadtime {
        // A node reaching no ping node takes nothing over, but only once it
        // knows: cut off from everything, it loses its ping nodes and its
        // peer at the same moment.
        d.warn_at(
            line_of(&cf.deadping).or(deadtime_line(cf)),
            format!(
                "deadping [{} ms] is not below deadtime [{} ms]: a node cut off from everything may declare its peer dead, and take over, before it knows it reaches no ping node",
                ms(t.deadping),
                ms(t.deadtime)
            ),
        );
    }
}

/// The pair: the local node must be listed, with exactly one other node.
fn check_nodes(
    nodes: &[At<NodeName>],
    local: &NodeName,
    d: &mut FileDiags,
) -> (NodeName, Option<NodeName>) {
    let Some(first) = nodes.first() else {
        d.file_error("no nodes defined: add \"node NAME1 NAME2\" naming both nodes of the pair");
        return (local.clone(), None);
    };
    if !nodes.iter().any(|n| &n.value == local) {
        d.error(
            first.line,
            format!(
                "current node [{local}] not in configuration: nodes are named by `uname -n` \
                 (or --node) and must be declared with a node line"
            ),
        );
        // Counting peers would only repeat the same mistake.
        return (local.clone(), None);
    }
    let others: Vec<&At<NodeName>> = nodes.iter().filter(|n| &n.value != local).collect();
    match others.as_slice() {
        [peer] => (local.clone(), Some(peer.value.clone())),
        [] => {
            d.error(
                first.line,
                format!("only one node ({local}) declared: heartbeat runs two-node clusters; add the peer with a node line"),
            );
            (local.clone(), None)
        }
        [_, extra, ..] => {
            let names: Vec<&str> = others.iter().map(|n| n.value.as_str()).collect();
            d.error(
                extra.line,
                format!(
                    "{} other nodes declared ({}): heartbeat runs two-node clusters, so exactly one peer is allowed",
                    others.len(),
                    names.join(", ")
                ),
            );
            (local.clone(), None)
        }
    }
}
