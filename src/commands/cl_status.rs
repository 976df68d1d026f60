//! `cl_status`: the original's query tool, answered by our daemon, with the
//! original's words, options (`-m` for sentences, `-v`, `-p`, `-n`), usage
//! text and exit codes, so scripts written for 3.0.6 keep working.
//! Parameters and the node list come from ha.cf by the original's rules
//! (`config::parameters`); states come from the daemon's status answer.

use super::Globals;
use super::ctl::fetch_status;
use crate::config::parameters::{ClusterNode, NodeType, Parameters, Running, cluster_nodes};
use crate::control::{LinkState, PeerStatus, StatusReport};
use std::time::Duration;

/// Exit codes (spec §8.1).
const OK: i32 = 0;
const FAIL: i32 = 1;
const PARAM: i32 = 11;
const UNKNOWN: i32 = 13;

const USAGE: &str = "Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add \"listnodes -v\" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add \"listhblinks -v\" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
";

/// Each sub-command with its option letters (getopt style: `p:` takes a value).
const SUBCOMMANDS: &[(&str, &str)] = &[
    ("hbstatus", "mv"),
    ("listnodes", "mpnv"),
    ("nodestatus", "m"),
    ("nodeweight", "m"),
    ("nodesite", "m"),
    ("nodetype", "m"),
    ("listhblinks", "mv"),
    ("hblinkstatus", "m"),
    ("clientstatus", "m"),
    ("rscstatus", "m"),
    ("hbparameter", "mp:"),
];

/// The arguments after the sub-command, split as GNU getopt does (options
/// may follow the operands; `--` ends them).
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    flags: Vec<char>,
    param: Option<String>,
    operands: Vec<String>,
}

impl Args {
    fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }
}

/// Parses `args` with the option letters `spec`; a bad option gives the
/// getopt message (named after the sub-command, as the original's
/// `getopt(argc-1, argv+1)` does).
fn getopt(sub: &str, spec: &str, args: &[String]) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            out.operands.extend(it.by_ref().cloned());
            break;
        }
        let Some(letters) = a.strip_prefix('-').filter(|l| !l.is_empty()) else {
            out.operands.push(a.clone());
            continue;
        };
        for (i, c) in letters.char_indices() {
            let Some(pos) = spec.find(c) else {
                return Err(format!("{sub}: invalid option -- '{c}'"));
            };
            if spec[pos + 1..].starts_with(':') {
                let rest = &letters[i + c.len_utf8()..];
                let value = if rest.is_empty() {
                    it.next()
                        .cloned()
                        .ok_or_else(|| format!("{sub}: option requires an argument -- '{c}'"))?
                } else {
                    rest.to_string()
                };
                out.param = Some(value);
                break;
            }
            out.flags.push(c);
        }
    }
    Ok(out)
}

/// What a sub-command needs to answer: the daemon's status and ha.cf.
struct View {
    status: StatusReport,
    nodes: Vec<ClusterNode>,
    params: Parameters,
}

impl View {
    fn load(g: &Globals, status: StatusReport) -> View {
        let text =
            std::fs::read_to_string(g.config_dir.join(crate::config::HACF)).unwrap_or_default();
        let ms = Duration::from_millis;
        let running = Running {
            deadtime: ms(status.deadtime_ms),
            warntime: ms(status.warntime_ms),
            initdead: ms(status.initdead_ms),
        };
        View {
            params: Parameters::from_hacf(&text, running),
            nodes: cluster_nodes(&text),
            status,
        }
    }

    fn node(&self, name: &str) -> Option<&ClusterNode> {
        self.nodes
            .iter()
            .find(|n| n.name.eq_ignore_ascii_case(name))
    }

    /// A ping node's state: all or none of the ping targets answer tell it
    /// exactly; with some answering we cannot say which, and call it up.
    fn ping_up(&self) -> bool {
        self.status.ping_reachable > 0
    }

    /// `nodestatus` words: this node is active to itself.
    fn node_status(&self, n: &ClusterNode) -> &'static str {
        match n.kind {
            NodeType::Ping if self.ping_up() => "ping",
            NodeType::Ping => "dead",
            _ if n.name.eq_ignore_ascii_case(&self.status.node) => PeerStatus::Active.word(),
            _ => self.status.peer_status.word(),
        }
    }

    /// The links of `n`: this node's own media (named by the local
    /// interface, as the original), or the ping node itself.
    fn links(&self, n: &ClusterNode) -> Vec<(String, &'static str)> {
        if n.kind == NodeType::Ping {
            let st = if self.ping_up() { "up" } else { "dead" };
            return vec![(n.name.clone(), st)];
        }
        let local = n.name.eq_ignore_ascii_case(&self.status.node);
        self.status
            .links
            .iter()
            .map(|l| {
                let st = if local { LinkState::Up } else { l.state };
                (l.name.clone(), st.word())
            })
            .collect()
    }
}

pub fn run(args: &[String]) -> i32 {
    let Some(sub) = args.first().map(String::as_str).filter(|a| *a != "-h") else {
        print!("{USAGE}");
        return OK;
    };
    let Some(&(_, spec)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
        eprintln!("ERROR: {sub}: invalid sub-command.");
        return PARAM;
    };
    let g = Globals::from_env();
    let status = match fetch_status(&g) {
        Ok(s) => s,
        Err(_) if sub == "hbstatus" => {
            println!("Heartbeat is stopped on this machine.");
            return FAIL;
        }
        Err(e) => {
            eprintln!("ERROR: Cannot signon with heartbeat");
            eprintln!("ERROR: REASON: {e}");
            return FAIL;
        }
    };
    let opts = match getopt(sub, spec, &args[1..]) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            // The sub-commands with their own option loop say "code".
            let code = if "listnodes listhblinks hbparameter".contains(sub) {
                "code "
            } else {
                ""
            };
            if sub != "hbstatus" {
                eprintln!("ERROR: Error: getopt returnedcharacter {code}?.");
                return PARAM;
            }
            Args::default()
        }
    };
    answer(sub, &View::load(&g, status), &opts)
}

fn answer(sub: &str, v: &View, o: &Args) -> i32 {
    let human = o.has('m');
    match sub {
        "hbstatus" => hbstatus(v, o),
        "listnodes" => listnodes(v, o.has('n'), o.has('p'), o.has('v'), human),
        "listhblinks" => match o.operands.first() {
            None => not_enough("No enough parameter."),
            Some(n) => match v.node(n) {
                Some(n) => listhblinks(v, n, o.has('v'), human),
                None => {
                    eprintln!("ERROR: Cannot start heartbeat link interface walk.");
                    eprintln!("ERROR: REASON: ");
                    UNKNOWN
                }
            },
        },
        "hblinkstatus" => hblinkstatus(v, o, human),
        "rscstatus" => {
            let r = v.status.rscstatus;
            if human {
                println!("This node is holding {r} resources.");
            } else {
                println!("{r}");
            }
            OK
        }
        "hbparameter" => hbparameter(v, o, human),
        "clientstatus" => {
            // We run no API clients.
            println!("offline");
            FAIL
        }
        _ => node_query(sub, v, o, human),
    }
}

fn not_enough(msg: &str) -> i32 {
    eprintln!("{msg}");
    PARAM
}

fn hbstatus(v: &View, o: &Args) -> i32 {
    if !o.has('v') {
        println!("Heartbeat is running on this machine.");
        return OK;
    }
    let version = concat!(env!("CARGO_PKG_VERSION"), " (heartbeat, Rust)");
    if o.has('m') {
        println!("Heartbeat version {version}");
        println!("Resources controlled by \"haresources\"");
    } else {
        println!("version:\t{version}");
        println!("managed by:\t\"haresources\"");
    }
    listnodes(v, false, false, true, o.has('m'))
}

fn listnodes(v: &View, normal: bool, ping: bool, verbose: bool, human: bool) -> i32 {
    // Both filters together are no filter, as in the original.
    let (normal, ping) = if normal && ping {
        (false, false)
    } else {
        (normal, ping)
    };
    if human {
        println!("The nodes are as follow:");
    }
    for n in &v.nodes {
        if (normal && n.kind != NodeType::Normal) || (ping && n.kind != NodeType::Ping) {
            continue;
        }
        if verbose {
            println!(
                "\n{}\t{}\t(nodetype: {})",
                n.name,
                v.node_status(n),
                n.kind.word()
            );
            listhblinks(v, n, true, human);
        } else {
            println!("{}", n.name);
        }
    }
    OK
}

fn listhblinks(v: &View, n: &ClusterNode, verbose: bool, human: bool) -> i32 {
    if human {
        println!("\tthis node has the following heartbeat links:");
    }
    for (name, st) in v.links(n) {
        if verbose {
            println!("\t{name}\t{st}");
        } else {
            println!("\t{name}");
        }
    }
    OK
}

fn hblinkstatus(v: &View, o: &Args, human: bool) -> i32 {
    let [node, link, ..] = &o.operands[..] else {
        return not_enough("No enough parameter.");
    };
    let found = v
        .node(node)
        .and_then(|n| v.links(n).into_iter().find(|(name, _)| name == link));
    let Some((_, st)) = found else {
        eprintln!("ERROR: Cannot get heartbeat link status");
        eprintln!("ERROR: REASON: ");
        return UNKNOWN;
    };
    if human {
        println!("The node {node}'s heartbeat link {link} is {st}");
    } else {
        println!("{st}");
    }
    if st == "up" { OK } else { FAIL }
}

fn hbparameter(v: &View, o: &Args, human: bool) -> i32 {
    let Some(name) = o.param.as_deref() else {
        eprintln!("ERROR: parameter name required");
        return PARAM;
    };
    let value = match name {
        "hbversion" => Some(env!("CARGO_PKG_VERSION")),
        _ => v.params.get(name),
    };
    let Some(value) = value else {
        eprintln!("ERROR: Cannot get parameter {name}'s value");
        eprintln!("ERROR: REASON: ");
        return FAIL;
    };
    if human {
        println!("Heartbeat parameter {name}'s value: {value}");
    } else {
        println!("{value}");
    }
    OK
}

/// nodestatus, nodeweight, nodesite, nodetype: one node, one word.
fn node_query(sub: &str, v: &View, o: &Args, human: bool) -> i32 {
    let Some(name) = o.operands.first() else {
        let msg = match sub {
            "nodetype" => "No enough parameter.",
            _ => "Not enough parameters.",
        };
        return not_enough(msg);
    };
    let Some(n) = v.node(name) else {
        let msg = match sub {
            "nodeweight" => "Error. Maybe due to incorrect node name.",
            _ => "Error. May be due to incorrect node name",
        };
        return not_enough(msg);
    };
    let (word, sentence, code) = match sub {
        "nodestatus" => {
            let st = v.node_status(n);
            let code = if matches!(st, "active" | "up" | "ping") {
                OK
            } else {
                FAIL
            };
            (st, format!("The cluster node {name} is {st}"), code)
        }
        "nodeweight" => (
            "100",
            format!("The weight of the cluster node {name} is 100"),
            OK,
        ),
        "nodesite" => ("", format!("The site of the cluster node {name} is "), OK),
        _ => {
            let t = n.kind.word();
            (t, format!("The node {name}'s type: {t}"), OK)
        }
    };
    if human {
        println!("{sentence}");
    } else {
        println!("{word}");
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn options_may_follow_operands_and_take_values_like_getopt() {
        let a = getopt("hbparameter", "mp:", &s(&["-m", "-pkeepalive"])).unwrap();
        assert!(a.has('m'));
        assert_eq!(a.param.as_deref(), Some("keepalive"));
        let a = getopt("nodestatus", "m", &s(&["alpha", "-m"])).unwrap();
        assert_eq!(a.operands, ["alpha"]);
        assert!(a.has('m'));
        let a = getopt("listnodes", "mpnv", &s(&["-pn"])).unwrap();
        assert!(a.has('p') && a.has('n'));
    }

    #[test]
    fn bad_options_get_the_getopt_words() {
        assert_eq!(
            getopt("listnodes", "mpnv", &s(&["-x"])).unwrap_err(),
            "listnodes: invalid option -- 'x'"
        );
        assert_eq!(
            getopt("hbparameter", "mp:", &s(&["-p"])).unwrap_err(),
            "hbparameter: option requires an argument -- 'p'"
        );
    }

    #[test]
    fn usage_is_the_original_help_screen() {
        assert!(USAGE.starts_with("Usage: cl_status <sub-command>"));
        assert_eq!(USAGE.lines().count(), 35);
        assert!(USAGE.contains("\t\t-p\tlist only 'ping' type nodes\n"));
    }
}
