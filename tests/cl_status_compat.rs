//! `cl_status` word for word: the same questions asked of our cl_status on
//! our node (alpha) and of the original 3.0.6 cl_status on an original node
//! (bravo) of the same pair, same ha.cf, with ping nodes and a ping group.
//! Standard output and exit code must be identical; standard error too,
//! once the original's log-line prefix (time, host, pid) is removed.
//! Each question names "this node" and "the peer", so both sides are asked
//! about themselves and each other.

use hb_lab::{self as lab, Flavor, LAN_PREFIX, Lab, LabConfig, NODES, ORIGINAL_DAEMON};
use std::process::Output;
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;

/// What differs on purpose is left out: `hbstatus -v` and
/// `hbparameter -p hbversion` carry each program's own version,
/// `rscstatus` the resources (not negotiated with an old node), and
/// `clientstatus` the original's API clients, which we do not have.
const QUESTIONS: &[&str] = &[
    "listnodes",
    "listnodes -p",
    "listnodes -n",
    "listnodes -p -n",
    "listnodes -v",
    "listnodes -m",
    "listnodes -x",
    "nodetype {self}",
    "nodetype {peer}",
    "nodetype -m pg",
    "nodetype {ping}",
    "nodetype pg",
    "nodetype nosuch",
    "nodetype",
    "nodestatus {self}",
    "nodestatus {peer}",
    "nodestatus pg -m",
    "nodestatus {ping}",
    "nodestatus pg",
    "nodestatus nosuch",
    "nodestatus",
    "nodeweight {peer}",
    "nodeweight nosuch",
    "nodesite {self}",
    "listhblinks {self}",
    "listhblinks -v {peer}",
    "listhblinks {ping}",
    "listhblinks pg",
    "listhblinks",
    "hblinkstatus {self} eth1",
    "hblinkstatus {peer} eth1",
    "hblinkstatus -m pg pg",
    "hblinkstatus {self} nosuch",
    "hblinkstatus {ping} {ping}",
    "hblinkstatus",
    "hbstatus",
    "hbparameter",
    "hbparameter keepalive",
    "hbparameter -p",
    "hbparameter -m -p keepalive",
    "hbparameter -x",
    "nosuchcommand",
];

/// Every parameter name the original's directive table knows, a few it
/// does not record, and unknown ones.
const PARAMETERS: &[&str] = &[
    "cluster",
    "hopfudge",
    "keepalive",
    "deadtime",
    "deadping",
    "initdead",
    "warntime",
    "watchdog",
    "baud",
    "udpport",
    "logfacility",
    "logfile",
    "debugfile",
    "nice_failback",
    "auto_failback",
    "rtprio",
    "hbgenmethod",
    "realtime",
    "debug",
    "msgfmt",
    "use_logd",
    "conn_logd_time",
    "use_apphbd",
    "log_badpack",
    "syslogmsgfmt",
    "coredumps",
    "coreroot",
    "crm_daemon_dir",
    "crm",
    "pacemaker",
    "autojoin",
    "uuidfrom",
    "compression",
    "compression_threshold",
    "traditional_compression",
    "env",
    "max_rexmit_delay",
    "record_config_changes",
    "record_pengine_inputs",
    "enable_config_writes",
    "memreserve",
    "quorum_server",
    "node",
    "bcast",
    "ping",
    "ping_group",
    "respawn",
    "apiauth",
    "nosuch",
    "Keepalive",
    "stonith",
];

/// The original's cl_log lines start `Dec 03 08:40:10 host cl_status: [pid]: `.
fn strip_log_prefix(text: &str) -> String {
    text.lines()
        .map(|l| match l.find(" cl_status: [") {
            Some(i) => l[i..].split_once("]: ").map_or(l, |(_, rest)| rest),
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct Answer {
    out: String,
    err: String,
    code: Option<i32>,
}

fn answer(o: Output, lab: &Lab, i: usize) -> Answer {
    // The log file is each node's own: name it the same on both sides.
    let own = lab.nodes[i].dir.display().to_string();
    let norm = |b: &[u8]| String::from_utf8_lossy(b).replace(&own, "NODE_DIR");
    Answer {
        out: norm(&o.stdout),
        err: strip_log_prefix(&norm(&o.stderr)),
        code: o.status.code(),
    }
}

fn original(lab: &Lab, args: &[&str]) -> Output {
    let pid = lab.daemon_pid(B).expect("the original runs");
    std::process::Command::new("nsenter")
        .args([
            "-t",
            &pid.to_string(),
            "-m",
            "-u",
            "-n",
            "--",
            "/usr/bin/cl_status",
        ])
        .args(args)
        .output()
        .expect("running the original cl_status")
}

fn ask(lab: &Lab, question: &str, ping: &str) -> (Answer, Answer) {
    let words = |me: usize, peer: usize| -> Vec<String> {
        question
            .replace("{self}", NODES[me])
            .replace("{peer}", NODES[peer])
            .replace("{ping}", ping)
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let ours_args = words(A, B);
    let ours_refs: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let theirs_args = words(B, A);
    let theirs_refs: Vec<&str> = theirs_args.iter().map(String::as_str).collect();
    (
        answer(lab.tool(A, "cl_status", &ours_refs), lab, A),
        answer(original(lab, &theirs_refs), lab, B),
    )
}

#[test]
fn cl_status_answers_word_for_word_as_the_original_on_a_live_pair() {
    let test = "cl_status_answers_word_for_word_as_the_original_on_a_live_pair";
    if !hb_lab::skip::unless_root(test) {
        return;
    }
    let has_original = std::path::Path::new(ORIGINAL_DAEMON).exists()
        && std::path::Path::new("/usr/bin/cl_status").exists();
    let needs = format!("the original Heartbeat 3.0.6 ({ORIGINAL_DAEMON}, /usr/bin/cl_status)");
    if !hb_lab::skip::unless(has_original, test, &needs) {
        return;
    }
    let ping = format!("{LAN_PREFIX}.10");
    let mut c = LabConfig::new(
        &lab::unique_prefix("cls"),
        std::path::Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.peer_flavor = Some(Flavor::Original);
    c.shared_disk = false;
    c.resources = Some("Dummy::cls".into());
    c.keepalive = "200ms".into();
    c.warntime = "1".into();
    c.deadtime = "2".into();
    c.initdead = "4".into();
    c.extra_hacf = vec![
        format!("ping {ping}"),
        format!("ping_group pg {ping} {LAN_PREFIX}.99"),
    ];
    let mut lab = Lab::create(c).expect("lab");
    // The lab gives the original three lines of its own (no logd, no
    // Pacemaker): give ours the same, so both read one ha.cf.
    let ours_cf = lab.nodes[A].config_dir().join("ha.cf");
    let mut text = std::fs::read_to_string(&ours_cf).unwrap();
    for l in hb_lab::ORIGINAL_HACF {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&ours_cf, text).unwrap();

    // Without a daemon neither has anything to say but its usage.
    let (ours, theirs) = (
        answer(lab.tool(A, "cl_status", &[]), &lab, A),
        answer(
            std::process::Command::new("/usr/bin/cl_status")
                .output()
                .unwrap(),
            &lab,
            B,
        ),
    );
    assert_eq!(ours.out, theirs.out, "the bare command's usage");
    assert_eq!(ours.code, theirs.code, "the bare command's exit code");

    lab.start(A).unwrap();
    lab.start(B).unwrap();
    let paired = lab.wait_for(Duration::from_secs(30), |l| {
        let ours = l.tool(A, "cl_status", &["nodestatus", NODES[B]]);
        let theirs = original(l, &["nodestatus", NODES[A]]);
        let ping_up = l.tool(A, "cl_status", &["nodestatus", "pg"]);
        [ours, theirs, ping_up]
            .iter()
            .all(|o| matches!(String::from_utf8_lossy(&o.stdout).trim(), "active" | "ping"))
    });
    assert!(
        paired,
        "the pair never formed:\n{}\n{}",
        lab.log(A),
        lab.log(B)
    );

    let mut questions: Vec<String> = QUESTIONS.iter().map(|q| q.to_string()).collect();
    questions.extend(PARAMETERS.iter().map(|p| format!("hbparameter -p {p}")));
    let mut differences = Vec::new();
    for q in &questions {
        let (ours, theirs) = ask(&lab, q, &ping);
        if ours.out != theirs.out || ours.err != theirs.err || ours.code != theirs.code {
            differences.push(format!(
                "cl_status {q}\n  ours:     {:?} {:?} exit {:?}\n  original: {:?} {:?} exit {:?}",
                ours.out, ours.err, ours.code, theirs.out, theirs.err, theirs.code
            ));
        }
    }
    println!("compared {} questions", questions.len());
    assert!(
        differences.is_empty(),
        "{} of {} answers differ:\n{}",
        differences.len(),
        questions.len(),
        differences.join("\n")
    );
}
