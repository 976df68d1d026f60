//! The 24 invalid configurations the original 3.0.6 daemon was started with
//! (/work/shared/vectors/config-error-messages.txt, base config from the
//! vectors' README): we reject each too, with file:line and our wording, or
//! accept it with a warning where we differ on purpose (docs/configuration.md).

mod config_support;

use config_support::*;
use heartbeat::config::{AgentSearch, ConfigErrors, LoadOptions, Loaded, load};
use std::fs;

const HACF: &str = "logfile /tmp/vec/nodea/ha-log
debugfile /tmp/vec/nodea/ha-debug
use_logd no
logfacility none
keepalive 1
deadtime 5
warntime 3
initdead 10
udpport 694
bcast vethA
auto_failback on
node nodea nodeb
crm off
";
const AUTHKEYS: &str = "auth 1\n1 sha1 vectorkey\n";
const HARESOURCES: &str = "nodea VecTouch::alpha VecTouch::beta\n";

struct Variant {
    hacf: String,
    authkeys: String,
    mode: u32,
}

impl Variant {
    fn base() -> Variant {
        Variant {
            hacf: HACF.into(),
            authkeys: AUTHKEYS.into(),
            mode: 0o600,
        }
    }
    /// Replaces one whole ha.cf line (`from` must be a line of the base).
    fn hacf(mut self, from: &str, to: &str) -> Variant {
        assert!(
            self.hacf.contains(&format!("{from}\n")),
            "{from} not in base"
        );
        self.hacf = self
            .hacf
            .replacen(&format!("{from}\n"), &format!("{to}\n"), 1);
        self
    }
    fn append(mut self, line: &str) -> Variant {
        self.hacf.push_str(line);
        self.hacf.push('\n');
        self
    }
    fn authkeys(mut self, text: &str) -> Variant {
        self.authkeys = text.into();
        self
    }
    fn mode(mut self, mode: u32) -> Variant {
        self.mode = mode;
        self
    }
    fn load(&self) -> Result<Loaded, ConfigErrors> {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs::write(d.join("ha.cf"), &self.hacf).unwrap();
        fs::write(d.join("authkeys"), &self.authkeys).unwrap();
        set_mode(&d.join("authkeys"), self.mode);
        fs::write(d.join("haresources"), HARESOURCES).unwrap();
        fake_agents(&d.join("resource.d"), &["VecTouch"]);
        load(&LoadOptions {
            config_dir: d.to_path_buf(),
            node: "nodea".into(),
            agents: AgentSearch {
                resource_d: d.join("resource.d"),
                project_agents: d.join("none"),
                init_d: d.join("none"),
                ocf_root: d.join("none"),
            },
        })
    }
}

#[track_caller]
fn rejects(v: Variant, file: &str, line: Option<usize>, message: &str) {
    let e = v
        .load()
        .expect_err("the original rejected this, so must we");
    assert!(
        e.0.iter()
            .any(|d| d.file.ends_with(file) && d.line == line && d.message.contains(message)),
        "no {file}:{line:?} error containing {message:?}:\n{e}"
    );
}

#[track_caller]
fn accepts_with_warning(v: Variant, file: &str, line: Option<usize>, message: &str) {
    let l = v
        .load()
        .unwrap_or_else(|e| panic!("we accept this on purpose, got:\n{e}"));
    assert!(
        l.warnings
            .iter()
            .any(|d| d.file.ends_with(file) && d.line == line && d.message.contains(message)),
        "no {file}:{line:?} warning containing {message:?}: {:?}",
        l.warnings
    );
}

#[test]
fn base_configuration_of_the_vectors_is_valid() {
    let l = Variant::base().load().unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.config.peer.as_str(), "nodeb");
}

#[test]
fn deadtime_2_with_bad_directive_fails_on_deadtime_and_only_warns_on_foo() {
    let v = || {
        Variant::base()
            .hacf("deadtime 5", "deadtime 2")
            .append("foo 1")
    };
    rejects(
        v(),
        "ha.cf",
        Some(6),
        "deadtime [2000 ms] is too small compared to keepalive [1000 ms]",
    );
    let e = v().load().unwrap_err();
    assert!(
        e.0.iter().all(|d| !d.message.contains("foo")),
        "foo must not be an error:\n{e}"
    );
}

#[test]
fn initdead_below_deadtime() {
    rejects(
        Variant::base().hacf("initdead 10", "initdead 4"),
        "ha.cf",
        Some(8),
        "initdead [4000 ms] is smaller than deadtime [5000 ms]",
    );
}

#[test]
fn initdead_8_with_bad_directive_is_accepted_with_warnings() {
    let v = || {
        Variant::base()
            .hacf("initdead 10", "initdead 8")
            .append("foo 1")
    };
    accepts_with_warning(
        v(),
        "ha.cf",
        Some(8),
        "initdead [8000 ms] is less than twice deadtime [5000 ms]",
    );
    accepts_with_warning(v(), "ha.cf", Some(14), "unknown directive [foo] ignored");
}

#[test]
fn keepalive_with_space_before_unit() {
    rejects(
        Variant::base().hacf("keepalive 1", "keepalive 500 ms"),
        "ha.cf",
        Some(5),
        "keepalive: no space allowed between number and unit: write 500ms",
    );
}

#[test]
fn keepalive_500ms_with_deadtime_1() {
    rejects(
        Variant::base()
            .hacf("keepalive 1", "keepalive 500ms")
            .hacf("deadtime 5", "deadtime 1"),
        "ha.cf",
        Some(6),
        "deadtime [1000 ms] is too small compared to keepalive [500 ms]",
    );
}

#[test]
fn warntime_0() {
    rejects(
        Variant::base().hacf("warntime 3", "warntime 0"),
        "ha.cf",
        Some(7),
        "warntime [0 ms] is invalid",
    );
}

#[test]
fn keepalive_with_unknown_unit() {
    rejects(
        Variant::base().hacf("keepalive 1", "keepalive 1.5x"),
        "ha.cf",
        Some(5),
        "keepalive: invalid time [1.5x]: unknown unit [x]",
    );
}

#[test]
fn auto_failback_maybe() {
    rejects(
        Variant::base().hacf("auto_failback on", "auto_failback maybe"),
        "ha.cf",
        Some(11),
        "auto_failback: invalid value [maybe]: expected on, off or legacy",
    );
}

#[test]
fn auto_failback_unset_with_bad_directive_is_accepted_with_warnings() {
    let v = || Variant::base().hacf("auto_failback on", "").append("foo 1");
    accepts_with_warning(v(), "ha.cf", None, "auto_failback legacy is deprecated");
    accepts_with_warning(v(), "ha.cf", Some(14), "unknown directive [foo]");
}

#[test]
fn node_list_without_local_node() {
    rejects(
        Variant::base().hacf("node nodea nodeb", "node nodeb nodec"),
        "ha.cf",
        Some(12),
        "current node [nodea] not in configuration",
    );
}

#[test]
fn no_media() {
    rejects(
        Variant::base().hacf("bcast vethA", ""),
        "ha.cf",
        None,
        "no heartbeat media defined",
    );
}

#[test]
fn udpport_0() {
    rejects(
        Variant::base().hacf("udpport 694", "udpport 0"),
        "ha.cf",
        Some(9),
        "udpport: invalid port [0]",
    );
}

#[test]
fn capitalised_directive_only_warns() {
    accepts_with_warning(
        Variant::base().append("Keepalive 1"),
        "ha.cf",
        Some(14),
        "unknown directive [Keepalive] ignored (directive names are case-sensitive)",
    );
}

#[test]
fn mcast_bad_ttl() {
    rejects(
        Variant::base().append("mcast vethA 239.0.0.1 694 9 0"),
        "ha.cf",
        Some(14),
        "mcast [vethA] bad ttl [9]",
    );
}

#[test]
fn autojoin_any() {
    rejects(
        Variant::base().append("autojoin any"),
        "ha.cf",
        Some(14),
        "autojoin any is not supported",
    );
}

#[test]
fn authkeys_mode_644() {
    rejects(
        Variant::base().mode(0o644),
        "authkeys",
        None,
        "bad permissions 0644 on keyfile",
    );
}

#[test]
fn auth_line_after_key_line_is_accepted() {
    let l = Variant::base()
        .authkeys("1 sha1 k\nauth 1\n")
        .load()
        .unwrap();
    assert_eq!(l.config.auth.active, 1);
}

#[test]
fn auth_2_with_only_key_1() {
    rejects(
        Variant::base().authkeys("auth 2\n1 sha1 k\n"),
        "authkeys",
        Some(1),
        "auth key [2] not found in keyfile",
    );
}

#[test]
fn no_auth_line() {
    rejects(
        Variant::base().authkeys("1 sha1 k\n"),
        "authkeys",
        None,
        "missing auth directive",
    );
}

#[test]
fn crc_with_key() {
    rejects(
        Variant::base().authkeys("auth 1\n1 crc k\n"),
        "authkeys",
        Some(2),
        "auth method [crc] doesn't use a key",
    );
}

#[test]
fn sha1_without_key() {
    rejects(
        Variant::base().authkeys("auth 1\n1 sha1\n"),
        "authkeys",
        Some(2),
        "auth method [sha1] requires a key",
    );
}

#[test]
fn sha256_is_our_method_and_accepted() {
    let l = Variant::base()
        .authkeys("auth 1\n1 sha256 k\n")
        .load()
        .unwrap();
    assert_eq!(l.config.auth.active_key().method.name(), "sha256");
    rejects(
        Variant::base().authkeys("auth 1\n1 sha384 k\n"),
        "authkeys",
        Some(2),
        "invalid authtype [sha384]",
    );
}

#[test]
fn key_number_16() {
    rejects(
        Variant::base().authkeys("auth 1\n16 sha1 k\n"),
        "authkeys",
        Some(2),
        "invalid authnum [16]: expected a key number from 0 to 15",
    );
}

#[test]
fn deadtime_2_alone() {
    rejects(
        Variant::base().hacf("deadtime 5", "deadtime 2"),
        "ha.cf",
        Some(6),
        "deadtime [2000 ms] is too small compared to keepalive [1000 ms]: deadtime must be more than twice keepalive",
    );
}
