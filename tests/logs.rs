//! Logs that rotate: the shipped logrotate file (contrib/logrotate/heartbeat),
//! run by the real logrotate against a live daemon, leaves the daemon
//! writing into the new file, not into `ha-log.1`; SIGHUP reopens the log
//! and no longer kills the daemon.

use hb_lab::{self as lab, Lab, LabConfig, NODES};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const A: usize = 0;
const B: usize = 1;

const SHIPPED: &str = include_str!("../contrib/logrotate/heartbeat");

#[test]
fn logrotate_moves_the_log_and_the_daemon_follows_and_survives_sighup() {
    let test = "logrotate_moves_the_log_and_the_daemon_follows_and_survives_sighup";
    if !hb_lab::skip::unless_root(test) {
        return;
    }
    let has = Path::new("/usr/sbin/logrotate").exists();
    if !hb_lab::skip::unless(has, test, "logrotate (apt-get install logrotate)") {
        return;
    }
    let mut c = LabConfig::new(
        &lab::unique_prefix("log"),
        Path::new(env!("CARGO_BIN_EXE_heartbeat")),
    );
    c.shared_disk = false;
    c.resources = Some("Dummy::logs".into());
    let mut lab = Lab::create(c).expect("lab");
    let log = lab.nodes[A].log_path();
    let rotated = log.with_file_name("ha-log.1");
    lab.start(A).unwrap();
    assert!(
        lab.wait_for(Duration::from_secs(10), |l| !l.log(A).is_empty()),
        "the daemon never wrote its log"
    );

    // The shipped file, for this lab's log path, run as cron would (forced).
    let conf = lab.dir.join("logrotate.conf");
    let body = SHIPPED.replace(
        "/var/log/ha-log /var/log/ha-debug",
        &log.display().to_string(),
    );
    assert_ne!(body, SHIPPED, "the shipped file names /var/log/ha-log");
    std::fs::write(&conf, body).unwrap();
    let out = Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(lab.dir.join("logrotate.state"))
        .arg(&conf)
        .output()
        .expect("running logrotate");
    assert!(
        out.status.success(),
        "logrotate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(rotated.exists(), "logrotate did not move the log");

    // New lines (the peer arriving) land in the new file, not in ha-log.1.
    lab.start(B).unwrap();
    let peer = NODES[B];
    let followed = lab.wait_for(Duration::from_secs(15), |_| {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains(peer))
    });
    let old = std::fs::read_to_string(&rotated).unwrap_or_default();
    assert!(
        followed,
        "after logrotate the daemon did not write into the new {}:\n{}\nha-log.1 holds:\n{old}",
        log.display(),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        !old.contains(peer),
        "the daemon kept writing into ha-log.1:\n{old}"
    );

    // SIGHUP: logged, the log reopened, the daemon still running.
    lab.signal(A, nix::sys::signal::Signal::SIGHUP);
    let said = lab.wait_for(Duration::from_secs(5), |_| {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("SIGHUP: log file reopened"))
    });
    std::thread::sleep(Duration::from_millis(500));
    let alive = lab.ctl(A, &["status"]).status.success();
    assert!(
        said && alive,
        "SIGHUP: logged {said}, daemon alive {alive}\n{}",
        lab.log(A)
    );
}
