//! ha.d → the Pacemaker [`Plan`]: groups in haresources line order, DRBD
//! as promotable clones outside them, ping nodes as a ping clone, the
//! constraints that tie them together and the stickiness that says
//! whether groups fail back. Every decision of the export is made here
//! (and in `agents` for single resources); the writers only print.
//!
//! Pure: the configuration and the [`Facts`] come in, a plan and the
//! findings go out. Nothing here reads a file or runs a program.

use super::agents::{Ids, Mapped, map_resource};
use super::findings::Findings;
use super::model::*;
use super::{Facts, Options};
use crate::config::{AutoFailback, ClusterConfig, ResourceGroup};
use std::time::Duration;

pub use crate::config::hacf::format_time as secs;

/// The node attribute the ping clone sets (the agent's default name).
const PING_ATTRIBUTE: &str = "pingd";
/// Per reachable ping node. Larger than any group's preference plus its
/// stickiness, so one ping node fewer always moves a group, as heartbeat's
/// ping rule does.
const PING_MULTIPLIER: i64 = 100_000;

/// Builds the plan; findings explain every part that differs.
pub fn plan(cfg: &ClusterConfig, facts: &Facts, opts: &Options, findings: &mut Findings) -> Plan {
    let mut ids = Ids::default();
    let mut plan = Plan {
        cluster_name: opts.cluster_name.clone(),
        nodes: plan_nodes(cfg),
        stickiness: stickiness(cfg, findings),
        clones: Vec::new(),
        groups: Vec::new(),
        constraints: Vec::new(),
    };
    fencing(opts, findings);
    for g in &cfg.groups {
        add_group(&mut plan, g, facts, &mut ids, findings);
    }
    add_ping(&mut plan, cfg, &mut ids, findings);
    plan
}

/// Node ids 1 and 2 in ha.cf order, the same in the CIB and corosync.conf.
pub fn plan_nodes(cfg: &ClusterConfig) -> Vec<PlanNode> {
    cfg.nodes
        .iter()
        .zip(1..)
        .map(|(n, id)| PlanNode {
            id,
            name: n.to_string(),
        })
        .collect()
}

/// `auto_failback` as stickiness: below the preference a group goes home
/// when its node returns, above it the group stays where it runs.
fn stickiness(cfg: &ClusterConfig, findings: &mut Findings) -> i64 {
    if !cfg.failback_delay.is_zero() {
        findings.warn(
            "ha.cf failback_delay",
            format!(
                "Pacemaker has no delay before failing back: a group moves home as soon as its node is back ({}s here). Keep auto_failback off and move groups home by hand (`pcs resource move`), or accept the immediate failback",
                cfg.failback_delay.as_secs()
            ),
        );
    }
    match cfg.auto_failback {
        AutoFailback::Off => STAY,
        AutoFailback::On => 0,
        AutoFailback::Legacy => {
            findings.note(
                "ha.cf auto_failback legacy",
                "mapped as `on` (heartbeat treats it so): groups go back to their preferred node",
            );
            0
        }
    }
}

/// heartbeat v1 never fenced; Pacemaker should. Without a device the
/// export writes nothing unless told, and then it says so loudly.
fn fencing(opts: &Options, findings: &mut Findings) {
    if opts.disable_fencing {
        findings.warn(
            "fencing",
            "DISABLED (stonith-enabled=false) because --disable-fencing was given. Without fencing a node that stops answering but still runs its resources (a hung kernel, a cut cluster link) is not stopped, and both nodes may mount the same data. Configure one fence device per node (for instance `pcs stonith create fence-alpha fence_ipmilan ip=… pcmk_host_list=alpha`) and set stonith-enabled=true before production",
        );
    } else {
        findings.block(
            "fencing",
            "Pacemaker fences by default, and heartbeat v1 had no fencing to carry over: no fence device can be written. Export with --disable-fencing (fencing off, as under heartbeat) and add devices afterwards; the output then shows where they go",
        );
    }
}

/// One haresources line: a group of its non-DRBD resources, preferring
/// its node; each DRBD resource a promotable clone the group follows.
fn add_group(
    plan: &mut Plan,
    g: &ResourceGroup,
    facts: &Facts,
    ids: &mut Ids,
    findings: &mut Findings,
) {
    let mut members = Vec::new();
    let mut drbd_clones = Vec::new();
    for r in &g.resources {
        match map_resource(r, g.line, g.monitor.as_ref(), facts, ids, findings) {
            Some(Mapped::Member(p)) => members.push(p),
            Some(Mapped::Drbd {
                resource,
                primitive,
            }) => drbd_clones.push(drbd_clone(plan, &resource, primitive, ids, findings)),
            None => {}
        }
    }
    let preferred = g.preferred.to_string();
    if members.is_empty() {
        // Only DRBD on this line: the Promoted role itself prefers the node.
        for clone in drbd_clones {
            let id = ids.unique(&format!("loc-{clone}-{preferred}"));
            plan.constraints.push(Constraint::Location {
                id,
                rsc: clone,
                role: Some(Role::Promoted),
                node: preferred.clone(),
                score: Score::Value(PREFERENCE),
            });
        }
        return;
    }
    let group_id = ids.unique(&format!("g-{}", members[0].id));
    let loc_id = ids.unique(&format!("loc-{group_id}-{preferred}"));
    plan.constraints.push(Constraint::Location {
        id: loc_id,
        rsc: group_id.clone(),
        role: None,
        node: preferred,
        score: Score::Value(PREFERENCE),
    });
    for clone in drbd_clones {
        follow_promoted(plan, &group_id, &clone, ids);
    }
    plan.groups.push(Group {
        id: group_id,
        members,
        meta: g.monitor.as_ref().map(failure_meta).unwrap_or_default(),
        description: format!("haresources line {}: {}", g.line, g.id),
    });
}

/// `monitor GROUP INTERVAL RESTARTS WINDOW`: restarts in place until the
/// count is used up, then the group moves; failures are forgotten after
/// the window.
fn failure_meta(m: &crate::config::MonitorPolicy) -> Vec<Nv> {
    vec![
        nv("migration-threshold", m.max_restarts + 1),
        nv("failure-timeout", secs(m.window)),
    ]
}

/// The clone of DRBD resource `resource` (one per resource, shared when
/// two lines name it), returning its id.
fn drbd_clone(
    plan: &mut Plan,
    resource: &str,
    primitive: Primitive,
    ids: &mut Ids,
    findings: &mut Findings,
) -> String {
    if let Some(c) = plan
        .clones
        .iter()
        .find(|c| c.primitive.params.contains(&nv("drbd_resource", resource)))
    {
        findings.warn(
            &primitive.origin,
            format!("DRBD resource {resource} is named on two haresources lines: both groups now follow its one Promoted instance, so they always run together"),
        );
        return c.id.clone();
    }
    let id = ids.unique(&format!("{}-clone", primitive.id));
    plan.clones.push(CloneSet {
        id: id.clone(),
        primitive,
        meta: vec![
            nv("promotable", "true"),
            nv("promoted-max", 1),
            nv("promoted-node-max", 1),
            nv("clone-max", 2),
            nv("clone-node-max", 1),
            nv("notify", "true"),
        ],
    });
    id
}

/// The group runs only where `clone` is Promoted, and starts after the
/// promotion (drbddisk stood first in the group for the same reason).
fn follow_promoted(plan: &mut Plan, group: &str, clone: &str, ids: &mut Ids) {
    let col = ids.unique(&format!("col-{group}-with-{clone}"));
    let ord = ids.unique(&format!("ord-{clone}-before-{group}"));
    plan.constraints.push(Constraint::Colocation {
        id: col,
        rsc: group.into(),
        with: clone.into(),
        with_role: Some(Role::Promoted),
        score: Score::Infinity,
    });
    plan.constraints.push(Constraint::Order(Ordering {
        id: ord,
        first: clone.into(),
        first_action: "promote",
        then: group.into(),
        then_action: "start",
    }));
}

/// ha.cf `ping` and `ping_group` → one `ocf:pacemaker:ping` clone over
/// every host, and each group scored by how many it reaches.
fn add_ping(plan: &mut Plan, cfg: &ClusterConfig, ids: &mut Ids, findings: &mut Findings) {
    let mut hosts: Vec<String> = cfg.ping.iter().map(ToString::to_string).collect();
    for pg in &cfg.ping_groups {
        findings.note(
            format!("ha.cf ping_group {}", pg.name),
            "Pacemaker counts each host of the group, where heartbeat counts the group once when any host answers: a node reaching more of its hosts is preferred",
        );
        hosts.extend(pg.hosts.iter().map(ToString::to_string));
    }
    if hosts.is_empty() {
        return;
    }
    let id = ids.unique("ping");
    let dampen = secs(cfg.timings.deadping.max(Duration::from_secs(1)));
    let primitive = Primitive {
        id: id.clone(),
        agent: AgentRef::ocf("pacemaker", "ping"),
        params: vec![
            nv("host_list", hosts.join(" ")),
            nv("multiplier", PING_MULTIPLIER),
            nv("dampen", dampen),
        ],
        meta: Vec::new(),
        ops: vec![
            Op::once("start", Duration::from_secs(60)),
            Op::once("stop", Duration::from_secs(20)),
            Op {
                name: "monitor",
                interval: Duration::from_secs(10),
                timeout: Duration::from_secs(60),
                role: None,
            },
        ],
        origin: "ha.cf ping".into(),
    };
    let clone = ids.unique("ping-clone");
    plan.clones.push(CloneSet {
        id: clone,
        primitive,
        meta: Vec::new(),
    });
    for g in &plan.groups {
        plan.constraints.push(Constraint::ByAttribute {
            id: ids.unique(&format!("loc-{}-ping", g.id)),
            rsc: g.id.clone(),
            attribute: PING_ATTRIBUTE.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::check::tests::HACF_OK;
    use crate::export::findings::Severity;

    fn mapped(hacf: &str, hares: &str, disable_fencing: bool) -> (Plan, Findings) {
        let (cfg, opts) = crate::export::test_input(hacf, hares, disable_fencing, &[]);
        let mut findings = Findings::default();
        let plan = plan(&cfg, &Facts::default(), &opts, &mut findings);
        (plan, findings)
    }

    const LINE: &str = "alpha drbddisk::r0 10.0.0.5/24/eth0 Filesystem::/dev/drbd0::/srv::ext4\n";

    #[test]
    fn auto_failback_is_stickiness_below_or_above_the_preference() {
        let (on, _) = mapped(HACF_OK, LINE, true);
        assert!(on.stickiness < PREFERENCE);
        let off = HACF_OK.replace("auto_failback on", "auto_failback off");
        let (off, _) = mapped(&off, LINE, true);
        assert!(
            off.stickiness > PREFERENCE,
            "one member alone must outweigh it"
        );
    }

    #[test]
    fn drbd_leaves_the_group_which_follows_the_promoted_instance() {
        let (p, _) = mapped(HACF_OK, LINE, true);
        let g = &p.groups[0];
        let members: Vec<&str> = g.members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(members, ["ip-10.0.0.5", "fs-srv"]);
        assert!(p.clones[0].promotable());
        assert!(p.constraints.contains(&Constraint::Colocation {
            id: format!("col-{}-with-drbd-r0-clone", g.id),
            rsc: g.id.clone(),
            with: "drbd-r0-clone".into(),
            with_role: Some(Role::Promoted),
            score: Score::Infinity,
        }));
        assert!(p.constraints.iter().any(|c| matches!(c,
            Constraint::Order(o) if o.first_action == "promote" && o.then == g.id)));
    }

    #[test]
    fn a_line_of_only_drbd_gives_the_promoted_role_the_preference() {
        let (p, _) = mapped(HACF_OK, "bravo drbddisk::r1\n", true);
        assert!(p.groups.is_empty());
        assert!(p.constraints.iter().any(|c| matches!(c,
            Constraint::Location { role: Some(Role::Promoted), node, .. } if node == "bravo")));
    }

    #[test]
    fn fencing_blocks_unless_disabled_and_then_warns() {
        let severity = |f: &Findings| {
            f.0.iter()
                .find(|f| f.subject == "fencing")
                .map(|f| f.severity)
        };
        let (_, f) = mapped(HACF_OK, LINE, false);
        assert_eq!(severity(&f), Some(Severity::Blocking));
        let (_, f) = mapped(HACF_OK, LINE, true);
        assert_eq!(severity(&f), Some(Severity::Warning));
        assert!(!f.blocking());
    }
}
