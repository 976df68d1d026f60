//! `heartbeat metrics` and the `metrics_listen` endpoint against two real
//! daemons in their namespaces: the text passes `promtool check metrics`,
//! the endpoint answers over HTTP inside the node's namespace, and the
//! values follow a failover (holder, deaths, the agent-duration histogram).
//! The shipped alert rules pass `promtool check rules`.

use hb_lab::{self as lab, Lab, LabConfig, NODES};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;
const PORT: u16 = 9101;

fn prerequisites(test: &str) -> bool {
    hb_lab::skip::unless_root(test)
        && hb_lab::skip::unless(promtool(&["--version"]).is_some(), test, "promtool")
}

/// promtool with `args`, `stdin` fed to it; `None` if it cannot run.
fn promtool_with(args: &[&str], stdin: &str) -> Option<Output> {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(stdin.as_bytes()).ok()?;
    child.wait_with_output().ok()
}

fn promtool(args: &[&str]) -> Option<Output> {
    promtool_with(args, "")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `heartbeat metrics` on node `i`.
fn metrics(lab: &Lab, i: usize) -> String {
    String::from_utf8_lossy(&lab.ctl(i, &["metrics"]).stdout).into_owned()
}

/// `GET path` from inside node `i`'s namespace, with bash's /dev/tcp so
/// the test needs no HTTP client: the whole answer, head and body.
fn http_get(lab: &Lab, i: usize, path: &str) -> String {
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{PORT} && printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"
    );
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.nodes[i].ns,
            "timeout",
            "10",
            "bash",
            "-c",
        ])
        .arg(script)
        .output()
        .expect("running bash in the namespace");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of the sample `series` (name and labels exactly as printed).
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn check_metrics(what: &str, text_: &str) {
    let o = promtool_with(&["check", "metrics"], text_).expect("promtool runs");
    assert!(
        o.status.success(),
        "promtool check metrics refused {what}: {}\n{text_}",
        text(&o)
    );
}

fn dump_logs(lab: &Lab) {
    for (i, name) in NODES.iter().enumerate() {
        eprintln!("==== {name} log ====\n{}", lab.log(i));
    }
}

#[test]
fn metrics_pass_promtool_are_served_over_http_and_follow_a_failover() {
    let test = "metrics_pass_promtool_are_served_over_http_and_follow_a_failover";
    if !prerequisites(test) {
        return;
    }
    let mut c = LabConfig::new(
        &lab::unique_prefix("met"),
        Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.resources = Some("Dummy::g1".into());
    c.shared_disk = false;
    c.auto_failback = "off".into();
    c.extra_hacf
        .push(format!("metrics_listen 127.0.0.1:{PORT}"));
    let mut lab = Lab::create(c).expect("lab");
    lab.start(A).expect("start alpha");
    lab.start(B).expect("start bravo");
    let holder =
        |node: &str| format!(r#"heartbeat_group_holder{{group="Dummy::g1",holder="{node}"}}"#);
    let settled = lab.wait_for(Duration::from_secs(20), |l| {
        let m = metrics(l, A);
        value(&m, &holder("alpha")) == Some(1.0)
            && value(
                &m,
                r#"heartbeat_group_local_state{group="Dummy::g1",state="running"}"#,
            ) == Some(1.0)
            && value(&m, r#"heartbeat_peer_state{peer="bravo",state="active"}"#) == Some(1.0)
    });
    if !settled {
        dump_logs(&lab);
        panic!("alpha never held g1:\n{}", metrics(&lab, A));
    }

    let before = metrics(&lab, A);
    check_metrics("alpha's metrics", &before);
    for series in [
        "heartbeat_up",
        r#"heartbeat_peer_state{peer="bravo",state="active"}"#,
        r#"heartbeat_link_state{link="eth1",state="up"}"#,
        r#"heartbeat_agent_action_duration_seconds_count{resource="Dummy::g1",action="start"}"#,
    ] {
        assert_eq!(value(&before, series), Some(1.0), "{series} in:\n{before}");
    }
    let age = value(&before, r#"heartbeat_link_last_heard_seconds{link="eth1"}"#);
    assert!(age.is_some_and(|a| a < 5.0), "last heard {age:?}");

    // The endpoint, inside alpha's namespace.
    let answer = http_get(&lab, A, "/metrics");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
    assert!(head.starts_with("HTTP/1.0 200 OK"), "{answer}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    check_metrics("the HTTP answer", body);
    assert_eq!(value(body, &holder("alpha")), Some(1.0), "{body}");
    assert!(http_get(&lab, A, "/").starts_with("HTTP/1.0 404"));

    // Failover: alpha's daemon dies, bravo takes g1.
    let start_count =
        r#"heartbeat_agent_action_duration_seconds_count{resource="Dummy::g1",action="start"}"#;
    let b_before = metrics(&lab, B);
    assert_eq!(value(&b_before, "heartbeat_peer_deaths_total"), Some(0.0));
    assert_eq!(value(&b_before, start_count), None, "{b_before}");
    lab.kill_daemon(A);
    let took_over = lab.wait_for(Duration::from_secs(15), |l| {
        let m = metrics(l, B);
        value(&m, &holder("bravo")) == Some(1.0)
            && value(
                &m,
                r#"heartbeat_group_local_state{group="Dummy::g1",state="running"}"#,
            ) == Some(1.0)
    });
    if !took_over {
        dump_logs(&lab);
        panic!("bravo never took g1:\n{}", metrics(&lab, B));
    }
    let after = http_get(&lab, B, "/metrics");
    let body = after
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or_default();
    check_metrics("bravo's metrics after the failover", body);
    assert_eq!(
        value(body, "heartbeat_peer_deaths_total"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(body, r#"heartbeat_peer_state{peer="alpha",state="dead"}"#),
        Some(1.0)
    );
    assert_eq!(value(body, start_count), Some(1.0), "{body}");
    assert_eq!(value(body, &holder("alpha")), Some(0.0));

    // A daemon that is gone is a valid scrape saying so.
    let down = metrics(&lab, A);
    assert_eq!(
        down,
        "# HELP heartbeat_up Whether the heartbeat daemon answered on its control socket.\n# TYPE heartbeat_up gauge\nheartbeat_up 0\n"
    );
    check_metrics("a stopped daemon's metrics", &down);
}

#[test]
fn the_shipped_alert_rules_pass_promtool() {
    let test = "the_shipped_alert_rules_pass_promtool";
    if !hb_lab::skip::unless(promtool(&["--version"]).is_some(), test, "promtool") {
        return;
    }
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/prometheus/heartbeat-alerts.yml"
    );
    let o = promtool(&["check", "rules", rules]).expect("promtool runs");
    assert!(o.status.success(), "{}", text(&o));
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/grafana/heartbeat-dashboard.json"
    ))
    .expect("the dashboard is shipped");
    let json: serde_json::Value = serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    let exprs: Vec<&str> = json["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(exprs.len() >= 6, "{exprs:?}");
    assert!(exprs.iter().all(|e| e.contains("heartbeat_")), "{exprs:?}");
}
