//! `heartbeat export pacemaker` checked by Pacemaker's and Corosync's own
//! tools, offline: `crm_verify` accepts the CIB, `crm_simulate` places the
//! group and the DRBD Promoted role where heartbeat would (preferred node
//! down, then back, under both auto_failback settings), `corosync -t`
//! accepts corosync.conf. Skipped with one line when the tools are missing
//! (Debian's pacemaker-cli-utils and corosync; `.ci/run` installs them).

mod config_support;
mod support;

use config_support::{EXAMPLE_AGENTS, example_copy, fake_agents};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GROUP: &str = "g-ip-192.168.85.3";
const DRBD: &str = "drbd-r0-clone";
const ADDRS: [&str; 4] = ["--addr", "alpha=127.0.0.1", "--addr", "bravo=127.0.0.2"];

fn have(test: &str, programs: &[&str]) -> bool {
    programs.iter().all(|p| support::require_program(test, p))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of the example ha.d, edited by `edit`, with stand-in agents.
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new(edit: impl FnOnce(String) -> String) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ha.d");
        example_copy(&dir);
        let hacf = dir.join("ha.cf");
        fs::write(&hacf, edit(fs::read_to_string(&hacf).unwrap())).unwrap();
        fake_agents(&tmp.path().join("agents"), &EXAMPLE_AGENTS);
        Setup { tmp }
    }
    fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }
    fn heartbeat(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_heartbeat"))
            .arg("--config-dir")
            .arg(self.tmp.path().join("ha.d"))
            .args(["--node", "alpha"])
            .args(args)
            .env("HEARTBEAT_AGENT_DIR", self.tmp.path().join("agents"))
            .env("HEARTBEAT_OCF_ROOT", self.tmp.path().join("agents/ocf"))
            .output()
            .expect("run heartbeat")
    }
    /// Exports with fencing off and loopback addresses.
    fn export(&self, extra: &[&str]) {
        let out = self.out();
        let mut args = vec!["export", "pacemaker", "--disable-fencing"];
        args.extend(ADDRS);
        args.extend(extra);
        args.extend(["--out", out.to_str().unwrap()]);
        let o = self.heartbeat(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    /// Exports as a CIB and returns it.
    fn export_cib(&self) -> String {
        self.export(&[]);
        fs::read_to_string(self.out().join("cib.xml")).unwrap()
    }
}

/// A CIB built from the export in `format`: the CIB itself, or an empty
/// CIB (`cibadmin --empty`, as a new cluster has) that the pcs script or
/// the crmsh file was applied to, offline, by pcs or crmsh.
fn built_cib(s: &Setup, format: &str) -> PathBuf {
    s.export(&["--format", format]);
    let out = s.out();
    if format == "cib" {
        return out.join("cib.xml");
    }
    let cib = out.join("built.xml");
    let empty = Command::new("cibadmin").arg("--empty").output().unwrap();
    assert!(empty.status.success(), "cibadmin --empty: {}", text(&empty));
    fs::write(&cib, &empty.stdout).unwrap();
    let o = match format {
        "pcs" => Command::new("sh")
            .arg(out.join("cluster.pcs.sh"))
            .env("CIB", &cib)
            .env("PCS_NO_PUSH", "1")
            .output(),
        _ => Command::new("crm")
            .args(["-F", "configure", "load", "update"])
            .arg(out.join("cluster.crm"))
            .env("CIB_file", &cib)
            .output(),
    }
    .unwrap();
    assert!(
        o.status.success(),
        "{format} refused the export:\n{}",
        text(&o)
    );
    cib
}

/// crm_verify's verdict: exit 0 and not one error or warning line.
fn assert_verifies(cib: &Path) {
    let o = Command::new("crm_verify")
        .arg("-V")
        .arg("--xml-file")
        .arg(cib)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && !t.contains("error") && !t.contains("warning"),
        "crm_verify refused {}:\n{t}\n{}",
        cib.display(),
        fs::read_to_string(cib).unwrap()
    );
}

#[test]
fn example_exports_to_a_cib_that_crm_verify_accepts() {
    if !have(
        "example_exports_to_a_cib_that_crm_verify_accepts",
        &["crm_verify"],
    ) {
        return;
    }
    let s = Setup::new(|t| t);
    let cib = s.export_cib();
    assert!(cib.contains("validate-with=\"pacemaker-3.7\""), "{cib}");
    // Debian 12's Pacemaker refuses every update of a CIB claiming more.
    assert!(!cib.contains("crm_feature_set"), "{cib}");
    assert!(cib.contains("type=\"IPaddr2\""), "{cib}");
    assert!(cib.contains("name=\"cidr_netmask\" value=\"24\""), "{cib}");
    assert!(
        cib.contains("name=\"stonith-enabled\" value=\"false\""),
        "{cib}"
    );
    assert_verifies(&s.out().join("cib.xml"));
}

/// The tutorial's pair with every mapped directive: auto_failback off, a
/// monitor, an rsc_timeout, a ping node, a serial line, a respawn.
fn tutorial(t: String) -> String {
    t.replace("auto_failback   on", "auto_failback   off")
        + "serial /dev/ttyS0\nping 10.0.0.254\nrespawn hacluster /bin/true\n\
           monitor 192.168.85.3/24/eth0 10 2 300\nrsc_timeout Filesystem start 180\n"
}

#[test]
fn every_mapped_directive_verifies_and_the_rest_is_listed() {
    if !have(
        "every_mapped_directive_verifies_and_the_rest_is_listed",
        &["crm_verify"],
    ) {
        return;
    }
    let s = Setup::new(tutorial);
    let cib = s.export_cib();
    assert!(
        cib.contains("name=\"resource-stickiness\" value=\"200\""),
        "{cib}"
    );
    assert!(
        cib.contains("name=\"migration-threshold\" value=\"3\""),
        "{cib}"
    );
    assert!(cib.contains("type=\"ping\""), "{cib}");
    assert!(cib.contains("score-attribute=\"pingd\""), "{cib}");
    assert!(
        cib.contains("id=\"fs-srv-start-0\" name=\"start\" interval=\"0s\" timeout=\"180s\""),
        "{cib}"
    );
    assert!(cib.contains("name=\"monitor\" interval=\"10s\""), "{cib}");
    assert_verifies(&s.out().join("cib.xml"));
    let notes = fs::read_to_string(s.out().join("MIGRATION-NOTES.txt")).unwrap();
    for subject in [
        "ha.cf serial /dev/ttyS0",
        "ha.cf respawn hacluster",
        "hb_standby",
        "fencing: DISABLED",
    ] {
        assert!(notes.contains(subject), "{subject} missing from:\n{notes}");
    }
}

#[test]
fn without_a_fence_device_nothing_is_written_unless_fencing_is_disabled() {
    let s = Setup::new(|t| t);
    let out = s.out();
    let o = s.heartbeat(&["export", "pacemaker", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("error: fencing:"), "{}", text(&o));
    assert!(!out.exists(), "files written despite the refusal");
    let o = s.heartbeat(&["check", "--pacemaker"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = s.heartbeat(&["check", "--pacemaker", "--disable-fencing"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("warning: fencing: DISABLED"),
        "{}",
        text(&o)
    );
    assert!(!out.exists(), "check --pacemaker wrote files");
}

#[test]
fn corosync_accepts_the_generated_corosync_conf() {
    if !have(
        "corosync_accepts_the_generated_corosync_conf",
        &["corosync", "corosync-keygen"],
    ) {
        return;
    }
    let s = Setup::new(tutorial);
    s.export(&[]);
    let conf = fs::read_to_string(s.out().join("corosync.conf")).unwrap();
    assert!(conf.contains("token: 10000"), "{conf}");
    assert!(conf.contains("two_node: 1"), "{conf}");
    assert!(conf.contains("ring0_addr: 127.0.0.1"), "{conf}");
    // The key goes to /etc/corosync on a real node; here it stays beside
    // the file, so only that one line points elsewhere.
    let key = s.out().join("authkey");
    assert!(key.exists(), "no fresh key written");
    let local = conf.replace(
        "keyfile: /etc/corosync/authkey",
        &format!("keyfile: {}", key.display()),
    );
    let path = s.out().join("corosync.test.conf");
    fs::write(&path, local).unwrap();
    let o = Command::new("corosync")
        .arg("-t")
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "corosync -t refused:\n{}\n{conf}",
        text(&o)
    );
}

/// A CIB walked through crm_simulate one transition at a time, each
/// result saved for the next step.
struct Sim {
    dir: PathBuf,
    step: usize,
}

impl Sim {
    fn new(cib: &Path) -> Sim {
        let dir = cib.parent().unwrap().join("sim");
        fs::create_dir_all(&dir).unwrap();
        fs::copy(cib, dir.join("0.xml")).unwrap();
        Sim { dir, step: 0 }
    }
    fn current(&self) -> PathBuf {
        self.dir.join(format!("{}.xml", self.step))
    }
    /// One transition with `args` (`-u NODE`, `-d NODE`), quorum granted
    /// as two_node grants it to a survivor.
    fn run(&mut self, args: &[&str]) {
        let next = self.dir.join(format!("{}.xml", self.step + 1));
        let o = Command::new("crm_simulate")
            .arg("-x")
            .arg(self.current())
            .args(["-q", "true", "-S", "-O"])
            .arg(&next)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "crm_simulate {args:?}:\n{}", text(&o));
        self.step += 1;
    }
    /// What ocf:linbit:drbd does on a node with an UpToDate disk: offer
    /// itself for promotion (crm_master).
    fn promotable_on(&self, node: &str) {
        let o = Command::new("crm_attribute")
            .env("CIB_file", self.current())
            .args([
                "-N",
                node,
                "-n",
                "master-drbd-r0",
                "-l",
                "reboot",
                "-v",
                "10000",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "crm_attribute:\n{}", text(&o));
    }
    /// crm_resource's `is running on:` lines for `rsc`.
    fn locate(&self, rsc: &str) -> String {
        let o = Command::new("crm_resource")
            .env("CIB_file", self.current())
            .args(["-W", "-r", rsc])
            .output()
            .unwrap();
        text(&o)
    }
    /// Asserts the group and the Promoted instance both run on `node`.
    fn assert_on(&self, node: &str, when: &str) {
        let group = self.locate(GROUP);
        let drbd = self.locate(DRBD);
        assert!(
            group.contains(&format!("running on: {node}\n")),
            "{when}: group: {group}"
        );
        assert!(
            drbd.contains(&format!("running on: {node} Promoted")),
            "{when}: drbd: {drbd}"
        );
    }
}

/// Both up, alpha (preferred) down, alpha back: where do things end up?
/// The setup comes back too: its temporary directory holds the files.
fn failover_and_return(edit: fn(String) -> String, format: &str) -> (Setup, Sim) {
    let s = Setup::new(edit);
    let cib = built_cib(&s, format);
    assert_verifies(&cib);
    // Either instance would do for a role-less colocation while both run:
    // the role and the promote-then-start order must be there by name.
    let xml = fs::read_to_string(&cib).unwrap();
    for needed in ["with-rsc-role=\"Promoted\"", "first-action=\"promote\""] {
        assert!(xml.contains(needed), "{format}: no {needed} in\n{xml}");
    }
    let mut sim = Sim::new(&cib);
    sim.run(&["-u", "alpha", "-u", "bravo"]);
    sim.promotable_on("alpha");
    sim.promotable_on("bravo");
    sim.run(&[]);
    sim.assert_on("alpha", "both nodes up");
    sim.run(&["-d", "alpha"]);
    sim.run(&[]);
    sim.assert_on("bravo", "alpha down");
    sim.run(&["-u", "alpha"]);
    sim.promotable_on("alpha");
    sim.run(&[]);
    sim.run(&[]);
    (s, sim)
}

const SIM_TOOLS: [&str; 3] = ["crm_simulate", "crm_attribute", "crm_resource"];

#[test]
fn simulated_failover_moves_group_and_promoted_and_auto_failback_on_brings_them_home() {
    if !have(
        "simulated_failover_moves_group_and_promoted_and_auto_failback_on_brings_them_home",
        &SIM_TOOLS,
    ) {
        return;
    }
    let (_setup, sim) = failover_and_return(|t| t, "cib");
    sim.assert_on("alpha", "alpha back, auto_failback on");
}

#[test]
fn simulated_failover_with_auto_failback_off_stays_on_the_survivor() {
    if !have(
        "simulated_failover_with_auto_failback_off_stays_on_the_survivor",
        &SIM_TOOLS,
    ) {
        return;
    }
    let (_setup, sim) = failover_and_return(
        |t| t.replace("auto_failback   on", "auto_failback   off"),
        "cib",
    );
    sim.assert_on("bravo", "alpha back, auto_failback off");
}

/// The pcs or crmsh form (`tool` applies it) walked through the same
/// failover; the survivor or the preferred node must hold everything at
/// the end, as `home` says.
fn format_fails_over(test: &str, format: &str, tool: &str, edit: fn(String) -> String, home: &str) {
    if !have(test, &SIM_TOOLS) || !have(test, &[tool, "cibadmin", "crm_verify"]) {
        return;
    }
    let (_setup, sim) = failover_and_return(edit, format);
    sim.assert_on(home, &format!("{format}, alpha back"));
}

#[test]
fn pcs_script_builds_the_same_cluster_offline() {
    let test = "pcs_script_builds_the_same_cluster_offline";
    format_fails_over(test, "pcs", "pcs", |t| t, "alpha");
}

#[test]
fn crmsh_file_builds_the_same_cluster_offline() {
    let test = "crmsh_file_builds_the_same_cluster_offline";
    format_fails_over(test, "crmsh", "crm", tutorial, "bravo");
}
