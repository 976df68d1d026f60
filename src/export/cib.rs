//! A [`Plan`] as a Pacemaker CIB (XML), for `cibadmin --replace --scope
//! configuration` (a running cluster's epoch is newer than ours, so a
//! whole-CIB replace is refused as older) or
//! `crm_verify --xml-file`.
//!
//! `validate-with` names the oldest schema with everything we write (the
//! Promoted/Unpromoted role names came with pacemaker-3.7, Pacemaker
//! 2.1.0). `crm_feature_set` is left out on purpose: Pacemaker fills in
//! its own, and one claiming more than the running version (Debian 12's
//! 2.1.5 takes at most 3.16.1) makes it refuse every update.

use super::model::*;
use std::fmt::Write as _;

pub const SCHEMA: &str = "pacemaker-3.7";

/// XML-escapes an attribute value.
fn esc(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `--` inside an XML comment ends it early.
fn comment(s: &mut String, indent: &str, text: &str) {
    let _ = writeln!(s, "{indent}<!-- {} -->", comment_text(text));
}

/// `<TAG id="ID">` with one nvpair per pair, or nothing when empty.
fn nvset(s: &mut String, indent: &str, tag: &str, id: &str, pairs: &[Nv]) {
    if pairs.is_empty() {
        return;
    }
    let _ = writeln!(s, "{indent}<{tag} id=\"{}\">", esc(id));
    for (k, v) in pairs {
        let _ = writeln!(
            s,
            "{indent}  <nvpair id=\"{}\" name=\"{}\" value=\"{}\"/>",
            esc(&format!("{id}-{k}")),
            esc(k),
            esc(v)
        );
    }
    let _ = writeln!(s, "{indent}</{tag}>");
}

fn primitive(s: &mut String, indent: &str, p: &Primitive) {
    comment(s, indent, &p.origin);
    let provider = p
        .agent
        .provider()
        .map(|pr| format!(" provider=\"{}\"", esc(pr)))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "{indent}<primitive id=\"{}\" class=\"{}\"{provider} type=\"{}\">",
        esc(&p.id),
        p.agent.class(),
        esc(p.agent.kind())
    );
    let inner = format!("{indent}  ");
    nvset(
        s,
        &inner,
        "instance_attributes",
        &format!("{}-params", p.id),
        &p.params,
    );
    nvset(
        s,
        &inner,
        "meta_attributes",
        &format!("{}-meta", p.id),
        &p.meta,
    );
    let _ = writeln!(s, "{inner}<operations>");
    for op in &p.ops {
        let role = op
            .role
            .map(|r| format!(" role=\"{r}\""))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{inner}  <op id=\"{}-{}\" name=\"{}\" interval=\"{}\" timeout=\"{}\"{role}/>",
            esc(&p.id),
            op.id_suffix(),
            op.name,
            super::mapping::secs(op.interval),
            super::mapping::secs(op.timeout)
        );
    }
    let _ = writeln!(s, "{inner}</operations>");
    let _ = writeln!(s, "{indent}</primitive>");
}

fn resources(s: &mut String, plan: &Plan) {
    let i = "      ";
    comment(s, i, super::FENCING_PLACEHOLDER);
    for c in &plan.clones {
        let _ = writeln!(s, "{i}<clone id=\"{}\">", esc(&c.id));
        nvset(
            s,
            &format!("{i}  "),
            "meta_attributes",
            &format!("{}-meta", c.id),
            &c.meta,
        );
        primitive(s, &format!("{i}  "), &c.primitive);
        let _ = writeln!(s, "{i}</clone>");
    }
    for g in &plan.groups {
        comment(s, i, &g.description);
        let _ = writeln!(s, "{i}<group id=\"{}\">", esc(&g.id));
        nvset(
            s,
            &format!("{i}  "),
            "meta_attributes",
            &format!("{}-meta", g.id),
            &g.meta,
        );
        for m in &g.members {
            primitive(s, &format!("{i}  "), m);
        }
        let _ = writeln!(s, "{i}</group>");
    }
}

fn constraint(s: &mut String, c: &Constraint) {
    let i = "      ";
    let _ = match c {
        Constraint::Location {
            id,
            rsc,
            role,
            node,
            score,
        } => {
            let role = role.map(|r| format!(" role=\"{r}\"")).unwrap_or_default();
            match role.is_empty() {
                true => writeln!(
                    s,
                    "{i}<rsc_location id=\"{}\" rsc=\"{}\" node=\"{}\" score=\"{score}\"/>",
                    esc(id),
                    esc(rsc),
                    esc(node)
                ),
                // A role needs a rule: the node form has no role attribute.
                false => writeln!(
                    s,
                    "{i}<rsc_location id=\"{0}\" rsc=\"{1}\">\n{i}  <rule id=\"{0}-rule\" score=\"{score}\"{role}>\n{i}    <expression id=\"{0}-expr\" attribute=\"#uname\" operation=\"eq\" value=\"{2}\"/>\n{i}  </rule>\n{i}</rsc_location>",
                    esc(id),
                    esc(rsc),
                    esc(node)
                ),
            }
        }
        Constraint::ByAttribute { id, rsc, attribute } => writeln!(
            s,
            "{i}<rsc_location id=\"{0}\" rsc=\"{1}\">\n{i}  <rule id=\"{0}-rule\" score-attribute=\"{2}\">\n{i}    <expression id=\"{0}-expr\" attribute=\"{2}\" operation=\"defined\"/>\n{i}  </rule>\n{i}</rsc_location>",
            esc(id),
            esc(rsc),
            esc(attribute)
        ),
        Constraint::Colocation {
            id,
            rsc,
            with,
            with_role,
            score,
        } => {
            let role = with_role
                .map(|r| format!(" with-rsc-role=\"{r}\""))
                .unwrap_or_default();
            writeln!(
                s,
                "{i}<rsc_colocation id=\"{}\" rsc=\"{}\" with-rsc=\"{}\"{role} score=\"{score}\"/>",
                esc(id),
                esc(rsc),
                esc(with)
            )
        }
        Constraint::Order(o) => writeln!(
            s,
            "{i}<rsc_order id=\"{}\" first=\"{}\" first-action=\"{}\" then=\"{}\" then-action=\"{}\" kind=\"Mandatory\"/>",
            esc(&o.id),
            esc(&o.first),
            o.first_action,
            esc(&o.then),
            o.then_action
        ),
    };
}

/// The whole CIB, with an empty status section.
pub fn write(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<cib validate-with=\"{SCHEMA}\" admin_epoch=\"0\" epoch=\"1\" num_updates=\"0\">"
    );
    comment(
        &mut s,
        "  ",
        "Written by `heartbeat export pacemaker` from ha.cf and haresources.",
    );
    let _ = writeln!(s, "  <configuration>\n    <crm_config>");
    nvset(
        &mut s,
        "      ",
        "cluster_property_set",
        "cib-bootstrap-options",
        &plan.properties(),
    );
    let _ = writeln!(s, "    </crm_config>\n    <nodes>");
    for n in &plan.nodes {
        let _ = writeln!(
            s,
            "      <node id=\"{}\" uname=\"{}\"/>",
            n.id,
            esc(&n.name)
        );
    }
    let _ = writeln!(s, "    </nodes>\n    <resources>");
    resources(&mut s, plan);
    let _ = writeln!(s, "    </resources>\n    <constraints>");
    for c in &plan.constraints {
        constraint(&mut s, c);
    }
    let _ = writeln!(s, "    </constraints>\n    <rsc_defaults>");
    comment(
        &mut s,
        "      ",
        "ha.cf auto_failback: stickiness above the preferred node's score keeps a group where it runs.",
    );
    nvset(
        &mut s,
        "      ",
        "meta_attributes",
        "rsc-options",
        &[nv("resource-stickiness", plan.stickiness)],
    );
    let _ = writeln!(
        s,
        "    </rsc_defaults>\n  </configuration>\n  <status/>\n</cib>"
    );
    s
}
