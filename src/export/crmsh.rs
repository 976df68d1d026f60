//! A [`Plan`] in crmsh's configuration language, for
//! `crm configure load update FILE`. Ids are the plan's, as in the CIB.

use super::model::*;
use std::fmt::Write as _;

/// Double-quoted for crmsh when it needs quoting.
fn q(v: &str) -> String {
    if !v.is_empty() && !v.contains([' ', '"', '\\', '\'', '#']) {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', r"\\").replace('"', "\\\""))
    }
}

/// A `#` line; crmsh keeps it in the CIB as an XML comment.
fn comment(s: &mut String, text: &str) {
    let _ = writeln!(s, "# {}", comment_text(text));
}

fn primitive(s: &mut String, p: &Primitive) {
    comment(s, &p.origin);
    let mut words = vec![format!("primitive {} {}", p.id, p.agent)];
    if !p.params.is_empty() {
        words.push(format!("params {}", assignments(&p.params, q)));
    }
    if !p.meta.is_empty() {
        words.push(format!("meta {}", assignments(&p.meta, q)));
    }
    words.extend(p.ops.iter().map(Op::words));
    let _ = writeln!(s, "{}", words.join(" \\\n    "));
}

/// `ID meta k=v…` or just the id line's tail when there is no meta.
fn meta(pairs: &[Nv]) -> String {
    if pairs.is_empty() {
        String::new()
    } else {
        format!(" meta {}", assignments(pairs, q))
    }
}

fn constraint(s: &mut String, c: &Constraint) {
    let _ = match c {
        Constraint::Location {
            id,
            rsc,
            role: None,
            node,
            score,
        } => {
            writeln!(s, "location {id} {rsc} {score}: {node}")
        }
        Constraint::Location {
            id,
            rsc,
            role: Some(role),
            node,
            score,
        } => {
            writeln!(
                s,
                "location {id} {rsc} rule role={role} {score}: #uname eq {node}"
            )
        }
        Constraint::ByAttribute { id, rsc, attribute } => {
            writeln!(
                s,
                "location {id} {rsc} rule {attribute}: defined {attribute}"
            )
        }
        Constraint::Colocation {
            id,
            rsc,
            with,
            with_role: promoted,
            score,
        } => {
            // crmsh writes the role after the resource: `drbd-clone:Promoted`.
            let role = promoted.map(|r| format!(":{r}")).unwrap_or_default();
            let score = match score {
                Score::Infinity => "inf".to_string(),
                other => other.to_string(),
            };
            writeln!(s, "colocation {id} {score}: {rsc} {with}{role}")
        }
        Constraint::Order(o) => writeln!(
            s,
            "order {} Mandatory: {}:{} {}:{}",
            o.id, o.first, o.first_action, o.then, o.then_action
        ),
    };
}

/// The whole configuration.
pub fn write(plan: &Plan) -> String {
    let mut s = String::new();
    comment(
        &mut s,
        "Written by `heartbeat export pacemaker` (crmsh format) from ha.cf and haresources.",
    );
    comment(
        &mut s,
        "Load on one node of the running cluster: crm configure load update THIS-FILE",
    );
    for n in &plan.nodes {
        let _ = writeln!(s, "node {}: {}", n.id, n.name);
    }
    comment(&mut s, super::FENCING_PLACEHOLDER);
    for c in &plan.clones {
        primitive(&mut s, &c.primitive);
        let _ = writeln!(s, "clone {} {}{}", c.id, c.primitive.id, meta(&c.meta));
    }
    for g in &plan.groups {
        for m in &g.members {
            primitive(&mut s, m);
        }
        comment(&mut s, &g.description);
        let members: Vec<&str> = g.members.iter().map(|m| m.id.as_str()).collect();
        let _ = writeln!(s, "group {} {}{}", g.id, members.join(" "), meta(&g.meta));
    }
    for c in &plan.constraints {
        constraint(&mut s, c);
    }
    let _ = writeln!(
        s,
        "property cib-bootstrap-options: {}",
        assignments(&plan.properties(), q)
    );
    comment(
        &mut s,
        "ha.cf auto_failback: stickiness above the preferred node's score keeps a group where it runs.",
    );
    let _ = writeln!(
        s,
        "rsc_defaults rsc-options: resource-stickiness={}",
        plan.stickiness
    );
    s
}
