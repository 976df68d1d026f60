//! ha.cf settled: defaults applied, then the checks that need the whole
//! file and the local node name (timing relations, media, the node pair).

use super::values::ms;
use super::{At, DEFAULT_BAUD, DEFAULT_UDPPORT, HaCf, HaCfSettings};
use crate::config::diag::{Diags, FileDiags};
use crate::config::model::{AutoFailback, Logging, NodeName, Timings};
use std::path::Path;
use std::time::Duration;

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

/// Applies defaults and the checks that need only ha.cf and the local node
/// name. `None` when something was wrong (already reported).
pub fn settle(cf: HaCf, local: &str, file: &Path, diags: &mut Diags) -> Option<HaCfSettings> {
    let errors_before = diags.errors.len();
    let mut d = diags.for_file(file);
    let line = |a: &Option<At<Duration>>| a.as_ref().map(|a| a.line);
    let val = |a: &Option<At<Duration>>| a.as_ref().map(|a| a.value);

    let keepalive = val(&cf.keepalive).unwrap_or(Duration::from_secs(1));
    let deadtime = val(&cf.deadtime).unwrap_or(Duration::from_secs(30));
    let warntime = val(&cf.warntime).unwrap_or(deadtime / 2);
    let initdead = val(&cf.initdead).unwrap_or_else(|| default_initdead(deadtime));
    let deadping = val(&cf.deadping).unwrap_or(deadtime);
    // Report the check at the line that set the later of the two values.
    let at = |l: Option<usize>, d: &mut FileDiags, msg: String| match l {
        Some(l) => d.error(l, msg),
        None => d.file_error(msg),
    };
    let ka_line = line(&cf.keepalive);
    let dt_line = line(&cf.deadtime).or(ka_line);
    let wt_line = line(&cf.warntime).or(dt_line);
    let id_line = line(&cf.initdead).or(dt_line);

    for (name, v, l) in [
        ("keepalive", keepalive, ka_line),
        ("deadtime", deadtime, line(&cf.deadtime)),
        ("warntime", warntime, line(&cf.warntime)),
    ] {
        if v.is_zero() {
            at(
                l,
                &mut d,
                format!("{name} [0 ms] is invalid: must be more than 0"),
            );
        }
    }
    if deadtime <= keepalive * 2 && !deadtime.is_zero() {
        at(
            dt_line,
            &mut d,
            format!(
                "deadtime [{} ms] is too small compared to keepalive [{} ms]: deadtime must be more than twice keepalive",
                ms(deadtime),
                ms(keepalive)
            ),
        );
    }
    // With a defaulted warntime the deadtime check above already said it all.
    let deadtime_ok = deadtime > keepalive * 2;
    let warntime_between = keepalive < warntime && warntime < deadtime;
    // A zero warntime was reported above.
    if !warntime_between && !warntime.is_zero() && (cf.warntime.is_some() || deadtime_ok) {
        at(
            wt_line,
            &mut d,
            format!(
                "warntime [{} ms] must be between keepalive [{} ms] and deadtime [{} ms] (keepalive < warntime < deadtime)",
                ms(warntime),
                ms(keepalive),
                ms(deadtime)
            ),
        );
    }
    if initdead < deadtime {
        at(
            id_line,
            &mut d,
            format!(
                "initdead [{} ms] is smaller than deadtime [{} ms]: initdead must be at least deadtime",
                ms(initdead),
                ms(deadtime)
            ),
        );
    } else if let Some(l) = line(&cf.initdead) {
        // Only an explicit value warns: the original's default for a long
        // deadtime is deadtime itself, and nagging about defaults helps nobody.
        let mut warn = |msg: String| d.warn(l, msg);
        if initdead < deadtime * 2 {
            warn(format!(
                "initdead [{} ms] is less than twice deadtime [{} ms]; slow network start-up may make the peer look dead",
                ms(initdead),
                ms(deadtime)
            ));
        } else if initdead < Duration::from_secs(10) {
            warn(format!(
                "initdead [{} ms] may be too small: it should be >= deadtime and >= 10 seconds",
                ms(initdead)
            ));
        }
    }
    if let Some(dp) = &cf.deadping
        && dp.value <= keepalive * 2
    {
        d.error(
            dp.line,
            format!(
                "deadping [{} ms] is too small compared to keepalive [{} ms]: must be more than twice keepalive",
                ms(dp.value),
                ms(keepalive)
            ),
        );
    }

    if cf.media.is_empty() {
        d.file_error("no heartbeat media defined: add a bcast, ucast, mcast or serial line");
    }

    let local_name = NodeName::new(local);
    let (local_name, peer) = check_nodes(&cf.nodes, &local_name, &mut d);

    let auto_failback = cf
        .auto_failback
        .as_ref()
        .map_or(AutoFailback::Legacy, |a| a.value);
    let logging = Logging {
        logfile: cf.logfile.clone(),
        debugfile: cf.debugfile.clone(),
        logfacility: cf.logfacility.clone(),
        use_logd: cf.use_logd,
    };
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(HaCfSettings {
        local: local_name,
        peer: peer?,
        nodes: cf.nodes.iter().map(|n| n.value.clone()).collect(),
        timings: Timings {
            keepalive,
            warntime,
            deadtime,
            initdead,
            deadping,
        },
        udpport: cf.udpport.as_ref().map_or(DEFAULT_UDPPORT, |a| a.value),
        baud: cf.baud.as_ref().map_or(DEFAULT_BAUD, |a| a.value),
        media: cf.media.iter().map(|m| m.value.clone()).collect(),
        auto_failback,
        auto_failback_line: cf.auto_failback.as_ref().map(|a| a.line),
        failback_delay: cf
            .failback_delay
            .as_ref()
            .map_or(Duration::ZERO, |a| a.value),
        ping: cf.ping,
        ping_groups: cf.ping_groups,
        logging,
        realtime: cf.realtime.unwrap_or(true),
        debug: cf.debug.unwrap_or(0),
        hopfudge: cf.hopfudge.unwrap_or(1),
        respawn: cf.respawn,
        monitors: cf.monitors,
        rsc_timeouts: cf.rsc_timeouts,
    })
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
