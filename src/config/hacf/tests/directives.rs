//! The other directives: failback, nodes, ping, respawn, logging, tuning,
//! refused modes, our extensions, and error collection.

use super::*;

#[test]
fn unknown_and_capitalised_directives_only_warn() {
    expect_warn("foo 1\n", Some(4), "unknown directive [foo]");
    expect_warn("Keepalive 1\n", Some(4), "unknown directive [Keepalive]");
    ok("foo 1\n");
}

#[test]
fn comments_and_blank_lines_are_ignored() {
    let c = ok("\n   # only a comment\nkeepalive 2 # trailing\n\r\n");
    assert_eq!(c.timings.keepalive, s(2));
}

#[test]
fn auto_failback_words() {
    assert_eq!(ok("").auto_failback, AutoFailback::On);
    assert_eq!(ok("auto_failback off\n").auto_failback, AutoFailback::Off);
    assert_eq!(
        ok("auto_failback legacy\n").auto_failback,
        AutoFailback::Legacy
    );
    assert_eq!(ok("auto_failback yes\n").auto_failback, AutoFailback::On);
    assert_eq!(ok("auto_failback 0\n").auto_failback, AutoFailback::Off);
    expect_err(
        "auto_failback maybe\n",
        Some(4),
        "auto_failback: invalid value [maybe]: expected on, off or legacy",
    );
    let (s, _) = run("node alpha bravo\nbcast eth1\n");
    let s = s.unwrap();
    assert_eq!(
        (s.auto_failback, s.auto_failback_line),
        (AutoFailback::Legacy, None)
    );
}

#[test]
fn nice_failback_is_mapped_and_warned() {
    let (s, d) = run("node alpha bravo\nbcast eth1\nnice_failback on\n");
    assert_eq!(s.unwrap().auto_failback, AutoFailback::Off);
    assert!(
        d.warnings[0]
            .message
            .contains("nice_failback flag is obsolete")
    );
    let (s, _) = run("node alpha bravo\nbcast eth1\nnice_failback off\n");
    assert_eq!(s.unwrap().auto_failback, AutoFailback::Legacy);
}

#[test]
fn nodes_must_be_local_plus_exactly_one_peer() {
    let (s, d) = run("node nodeb nodec\nbcast eth1\n");
    assert!(s.is_none());
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert!(
        d.errors[0]
            .message
            .contains("current node [alpha] not in configuration")
    );
    assert_eq!(d.errors[0].line, Some(1));
    let (_, d) = run("node alpha\nbcast eth1\n");
    assert!(
        d.errors[0]
            .message
            .contains("heartbeat runs two-node clusters")
    );
    let (_, d) = run("node alpha bravo\nnode charlie\nbcast eth1\n");
    assert_eq!(d.errors[0].line, Some(2));
    assert!(
        d.errors[0]
            .message
            .contains("2 other nodes declared (bravo, charlie)")
    );
    let (_, d) = run("bcast eth1\n");
    assert!(d.errors[0].message.contains("no nodes defined"));
}

#[test]
fn node_names_are_case_insensitive() {
    let (s, d) = run("node ALPHA Bravo\nbcast eth1\nnode bravo\n");
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(s.unwrap().peer.as_str(), "bravo");
    assert!(d.warnings[0].message.contains("node bravo listed twice"));
}

#[test]
fn ping_and_ping_group() {
    let c = ok("ping 10.0.0.254 10.0.0.253\nping_group g1 10.0.1.1 10.0.1.2\n");
    assert_eq!(c.ping.len(), 2);
    assert_eq!(c.ping_groups[0].name, "g1");
    assert_eq!(c.ping_groups[0].hosts.len(), 2);
    expect_err("ping router\n", Some(4), "ping: invalid address [router]");
    expect_err("ping_group g1\n", Some(4), "expected \"ping_group NAME IP");
}

#[test]
fn respawn_keeps_the_whole_command() {
    let c = ok("respawn hacluster /usr/lib/heartbeat/ipfail -v\n");
    assert_eq!(c.respawn[0].user, "hacluster");
    assert_eq!(c.respawn[0].command, "/usr/lib/heartbeat/ipfail -v");
    expect_err("respawn hacluster ipfail\n", Some(4), "respawn: expected");
}

#[test]
fn logging_directives() {
    let c = ok(
        "logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nlogfacility local0\nuse_logd no\n",
    );
    assert_eq!(
        c.logging.logfile.as_deref(),
        Some(Path::new("/var/log/ha-log"))
    );
    assert_eq!(
        c.logging.debugfile.as_deref(),
        Some(Path::new("/var/log/ha-debug"))
    );
    assert_eq!(c.logging.logfacility.as_deref(), Some("local0"));
    assert_eq!(c.logging.use_logd, Some(false));
    assert_eq!(ok("logfacility none\n").logging.logfacility, None);
    expect_err(
        "logfacility local9\n",
        Some(4),
        "logfacility: invalid facility [local9]",
    );
    expect_err(
        "use_logd perhaps\n",
        Some(4),
        "use_logd: invalid value [perhaps]: expected a boolean",
    );
}

#[test]
fn scalar_options() {
    let c = ok(
        "realtime off\ndebug 2\nhopfudge 3\nrtprio 50\ncoredumps yes\nhbgenmethod time\nmsgfmt netstring\n",
    );
    assert!(!c.realtime);
    assert_eq!((c.debug, c.hopfudge), (2, 3));
    expect_err(
        "debug x\n",
        Some(4),
        "debug: invalid value [x]: expected an integer from 0 to 255",
    );
    expect_err(
        "rtprio 0\n",
        Some(4),
        "rtprio: invalid value [0]: expected an integer from 1 to 99",
    );
    expect_err("hbgenmethod clock\n", Some(4), "expected file or time");
    expect_err("msgfmt xml\n", Some(4), "expected classic or netstring");
}

#[test]
fn unsupported_modes_are_errors_that_say_so() {
    expect_err("crm on\n", Some(4), "Pacemaker (CRM) mode is not supported");
    expect_err(
        "pacemaker respawn\n",
        Some(4),
        "Pacemaker (CRM) mode is not supported",
    );
    expect_err("crm maybe\n", Some(4), "crm: invalid value [maybe]");
    ok("crm off\npacemaker no\n");
    expect_err("autojoin any\n", Some(4), "autojoin any is not supported");
    expect_err(
        "autojoin other\n",
        Some(4),
        "autojoin other is not supported",
    );
    ok("autojoin none\n");
    expect_err(
        "stonith baytech /etc/ha.d/conf/stonith.baytech\n",
        Some(4),
        "STONITH is not supported",
    );
    expect_err(
        "stonith_host * baytech 10.0.0.3 login pw\n",
        Some(4),
        "stonith_host: STONITH is not supported",
    );
    expect_err(
        "traditional_compression yes\n",
        Some(4),
        "traditional_compression yes is not supported",
    );
    ok("traditional_compression no\n");
}

#[test]
fn irrelevant_directives_are_accepted_and_unimplemented_ones_warn() {
    let (s, d) = with("apiauth ipfail uid=hacluster\nconn_logd_time 60\ncompression bz2\n");
    assert!(s.is_some() && d.warnings.is_empty(), "{:?}", d.warnings);
    expect_warn(
        "watchdog /dev/watchdog\n",
        Some(4),
        "watchdog is not implemented",
    );
}

#[test]
fn failback_delay_extension() {
    assert_eq!(ok("failback_delay 90\n").failback_delay, s(90));
    expect_err(
        "failback_delay soon\n",
        Some(4),
        "failback_delay: invalid time [soon]",
    );
}

#[test]
fn garp_extensions_set_the_vip_announcements() {
    use crate::arp::GarpMode;
    let d = ok("");
    assert_eq!(
        (d.announce.refresh, d.announce.mode),
        (None, GarpMode::Both)
    );
    let c = ok("garp_refresh 30\ngarp_mode Reply\n");
    assert_eq!(
        (c.announce.refresh, c.announce.mode),
        (Some(s(30)), GarpMode::Reply)
    );
    assert_eq!(ok("garp_refresh 0\n").announce.refresh, None);
    expect_err(
        "garp_mode loud\n",
        Some(4),
        "garp_mode: invalid value [loud]: expected both, request or reply",
    );
    expect_err(
        "garp_refresh often\n",
        Some(4),
        "garp_refresh: invalid time [often]",
    );
}

#[test]
fn monitor_extension_defaults_and_errors() {
    let c = ok("monitor IPaddr::10.0.0.5/24 10\nmonitor web 5s-bad\n"
        .split_once("monitor web")
        .unwrap()
        .0);
    let m = &c.monitors[0];
    assert_eq!(m.group, "IPaddr::10.0.0.5/24");
    assert_eq!(
        m.policy,
        MonitorPolicy {
            interval: s(10),
            max_restarts: 3,
            window: s(600)
        }
    );
    let c = ok("monitor web 10 5 300\n");
    assert_eq!(
        c.monitors[0].policy,
        MonitorPolicy {
            interval: s(10),
            max_restarts: 5,
            window: s(300)
        }
    );
    expect_err(
        "monitor web\n",
        Some(4),
        "expected \"monitor GROUPKEY INTERVAL",
    );
    expect_err("monitor web 0\n", Some(4), "interval must be more than 0");
    expect_err(
        "monitor web 10 many\n",
        Some(4),
        "invalid restart count [many]",
    );
    expect_err(
        "monitor web 10 3 forever\n",
        Some(4),
        "monitor: window: invalid time [forever]",
    );
    expect_err(
        "monitor web 10\nmonitor web 20\n",
        Some(5),
        "already has a monitor on line 4",
    );
}

#[test]
fn rsc_timeout_extension() {
    let c = ok("rsc_timeout Filesystem start 300\n");
    assert_eq!(
        c.rsc_timeouts[0],
        RscTimeout {
            agent: "Filesystem".into(),
            action: Action::Start,
            timeout: s(300),
            line: 4
        }
    );
    expect_err(
        "rsc_timeout Filesystem begin 300\n",
        Some(4),
        "invalid action [begin]",
    );
    expect_err(
        "rsc_timeout Filesystem start\n",
        Some(4),
        "expected \"rsc_timeout AGENTNAME",
    );
    expect_err(
        "rsc_timeout Filesystem start 0\n",
        Some(4),
        "timeout must be more than 0",
    );
}

#[test]
fn metrics_listen_extension() {
    assert_eq!(ok("").metrics_listen, None);
    let c = ok("metrics_listen 127.0.0.1:9101\n");
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9101".parse().unwrap()));
    let c = ok("metrics_listen [::1]:9101\n");
    assert_eq!(c.metrics_listen, Some("[::1]:9101".parse().unwrap()));
    expect_err(
        "metrics_listen localhost:9101\n",
        Some(4),
        "metrics_listen: invalid address [localhost:9101]: expected ADDRESS:PORT",
    );
    expect_err("metrics_listen\n", Some(4), "metrics_listen: missing value");
}

#[test]
fn many_errors_are_collected_in_one_pass() {
    let (_, d) = with("udpport 0\nkeepalive x\nbaud 1\n");
    let lines: Vec<Option<usize>> = d.errors.iter().map(|e| e.line).collect();
    assert!(
        lines.contains(&Some(4)) && lines.contains(&Some(5)) && lines.contains(&Some(6)),
        "{lines:?}"
    );
}
