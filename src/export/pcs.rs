//! A [`Plan`] as a shell script of pcs commands. The script builds the
//! configuration in a file (`pcs -f`) and pushes it in one step, so a
//! half-run script changes nothing on the cluster.
//!
//! pcs names constraints itself, and calls a clone `ID-clone` as the plan
//! does. `cluster-name` is left to Corosync (pcs refuses to set it).

use super::model::*;
use std::fmt::Write as _;

/// Single-quoted for the shell when it needs quoting.
fn sh(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,+%".contains(c))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

/// `resource create ID AGENT params ops [clone…|--group G]`.
fn create(s: &mut String, p: &Primitive, tail: &str) {
    let _ = writeln!(s, "# {}", p.origin);
    let mut words = vec![format!("resource create {} {}", sh(&p.id), p.agent)];
    if !p.params.is_empty() {
        words.push(assignments(&p.params, sh));
    }
    words.extend(p.ops.iter().map(Op::words));
    if !p.meta.is_empty() {
        words.push(format!("meta {}", assignments(&p.meta, sh)));
    }
    words.push(tail.to_string());
    // Agents pcs cannot read here (DRBD, init scripts, units) need --force.
    let force = if p.agent.ships_with_pacemaker() {
        ""
    } else {
        " --force"
    };
    let _ = writeln!(
        s,
        "pcs -f \"$CIB\" {} --no-default-ops{force}",
        words.join(" ")
    );
}

fn clone(s: &mut String, c: &CloneSet) {
    let meta: Vec<Nv> = c
        .meta
        .iter()
        .filter(|(k, _)| k != "promotable")
        .cloned()
        .collect();
    let kind = if c.promotable() {
        "promotable"
    } else {
        "clone"
    };
    create(
        s,
        &c.primitive,
        format!("{kind} {}", assignments(&meta, sh)).trim_end(),
    );
}

fn constraint(s: &mut String, c: &Constraint) {
    let cmd = match c {
        Constraint::Location {
            rsc,
            role: None,
            node,
            score,
            ..
        } => {
            format!("location {} prefers {}={score}", sh(rsc), sh(node))
        }
        Constraint::Location {
            rsc,
            role: Some(role),
            node,
            score,
            ..
        } => format!(
            "location {} rule role={role} score={score} '#uname' eq {}",
            sh(rsc),
            sh(node)
        ),
        Constraint::ByAttribute { rsc, attribute, .. } => format!(
            "location {} rule score-attribute={a} defined {a}",
            sh(rsc),
            a = sh(attribute)
        ),
        Constraint::Colocation {
            rsc,
            with,
            with_role,
            score,
            ..
        } => {
            let role = with_role.map(|r| format!("{r} ")).unwrap_or_default();
            format!("colocation add {} with {role}{} {score}", sh(rsc), sh(with))
        }
        Constraint::Order(o) => format!(
            "order {} {} then {} {}",
            o.first_action,
            sh(&o.first),
            o.then_action,
            sh(&o.then)
        ),
    };
    let _ = writeln!(s, "pcs -f \"$CIB\" constraint {cmd}");
}

/// The whole script. `CIB` names the work file (default
/// `pacemaker-export.xml`); with `PCS_NO_PUSH` set it is left unpushed.
pub fn write(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "#!/bin/sh\n# Written by `heartbeat export pacemaker --format pcs` from ha.cf and haresources."
    );
    let _ = writeln!(
        s,
        "# Run on one node of the running cluster: it edits a copy of the CIB, then pushes it."
    );
    let _ = writeln!(
        s,
        "set -eu\nCIB=${{CIB:-pacemaker-export.xml}}\n[ -s \"$CIB\" ] || pcs cluster cib \"$CIB\""
    );
    let props: Vec<Nv> = plan
        .properties()
        .into_iter()
        .filter(|(k, _)| k != "cluster-name")
        .collect();
    let _ = writeln!(s, "# {}", super::FENCING_PLACEHOLDER);
    let _ = writeln!(
        s,
        "pcs -f \"$CIB\" property set {}",
        assignments(&props, sh)
    );
    let _ = writeln!(
        s,
        "# ha.cf auto_failback: stickiness above the preferred node's score keeps a group where it runs."
    );
    let _ = writeln!(
        s,
        "pcs -f \"$CIB\" resource defaults update resource-stickiness={}",
        plan.stickiness
    );
    for c in &plan.clones {
        clone(&mut s, c);
    }
    for g in &plan.groups {
        let _ = writeln!(s, "# {}", g.description);
        for m in &g.members {
            create(&mut s, m, &format!("--group {}", sh(&g.id)));
        }
        if !g.meta.is_empty() {
            let _ = writeln!(
                s,
                "pcs -f \"$CIB\" resource meta {} {}",
                sh(&g.id),
                assignments(&g.meta, sh)
            );
        }
    }
    for c in &plan.constraints {
        constraint(&mut s, c);
    }
    let _ = writeln!(
        s,
        "[ -n \"${{PCS_NO_PUSH:-}}\" ] || pcs cluster cib-push \"$CIB\" --config"
    );
    s
}
