//! Building resource groups of this project's agents without the config
//! parser, and the environment they run in during tests: a private
//! HA_RSCTMP, the fake `drbdadm`/`sendmail` first in PATH, and our binary
//! as HEARTBEAT_BIN.

use heartbeat::config::{
    ActionTimeouts, Agent, AgentKind, GroupId, NodeName, Resource, ResourceGroup,
};
use heartbeat::resources::AgentEnv;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn agent_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("resource-agents")
}

pub fn fake_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-bin")
}

pub fn heartbeat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_heartbeat")
}

pub fn timeouts(each: Duration) -> ActionTimeouts {
    ActionTimeouts {
        start: each,
        stop: each,
        status: each,
    }
}

/// A haresources item `Name::arg1::arg2` of one of our agents (heartbeat convention).
pub fn ours(spec: &str) -> Resource {
    let mut parts = spec.split("::");
    let name = parts.next().unwrap().to_string();
    let path = agent_dir().join(&name);
    resource(
        spec,
        AgentKind::Heartbeat,
        &path,
        parts.map(String::from).collect(),
    )
}

pub fn resource(spec: &str, kind: AgentKind, path: &Path, args: Vec<String>) -> Resource {
    Resource {
        spec: spec.to_string(),
        name: spec.split("::").next().unwrap().to_string(),
        args,
        agent: Agent {
            kind,
            path: path.to_path_buf(),
        },
        timeouts: timeouts(Duration::from_secs(30)),
    }
}

pub fn group(resources: Vec<Resource>) -> ResourceGroup {
    ResourceGroup {
        id: GroupId(resources[0].spec.clone()),
        preferred: NodeName::new("alpha"),
        resources,
        monitor: None,
        line: 1,
    }
}

/// A private world for agents: its own HA_RSCTMP, mail spool and DRBD state.
pub struct AgentWorld {
    pub dir: tempfile::TempDir,
    pub env: AgentEnv,
}

impl AgentWorld {
    pub fn new() -> AgentWorld {
        let dir = tempfile::tempdir().expect("tempdir");
        let rsctmp = dir.path().join("rsctmp");
        std::fs::create_dir_all(&rsctmp).unwrap();
        let path = format!(
            "{}:{}",
            fake_bin().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
        );
        let env = AgentEnv {
            path_env: path,
            extra: vec![
                ("HA_RSCTMP".into(), rsctmp.display().to_string()),
                ("HEARTBEAT_BIN".into(), heartbeat_bin().into()),
                (
                    "FAKE_MAIL_DIR".into(),
                    dir.path().join("mail").display().to_string(),
                ),
                (
                    "FAKE_DRBD_DIR".into(),
                    dir.path().join("drbd").display().to_string(),
                ),
                ("FAKE_DRBD_NODE".into(), "alpha".into()),
                ("HA_CURHOST".into(), "alpha".into()),
            ],
        };
        AgentWorld { dir, env }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.env.extra.retain(|(k, _)| k != key);
        self.env.extra.push((key.into(), value.into()));
    }

    pub fn rsctmp(&self) -> PathBuf {
        self.dir.path().join("rsctmp")
    }

    /// The fake sendmail's spool (empty when nothing was sent).
    pub fn mails(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mail/mails")).unwrap_or_default()
    }

    /// Define DRBD resource `res` on `node` with a role and disk state.
    pub fn drbd(&self, node: &str, res: &str, role: &str, disk: &str) {
        let d = self.dir.path().join("drbd").join(node).join(res);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("role"), format!("{role}\n")).unwrap();
        std::fs::write(d.join("disk"), format!("{disk}\n")).unwrap();
    }

    pub fn drbd_role(&self, node: &str, res: &str) -> String {
        let p = self
            .dir
            .path()
            .join("drbd")
            .join(node)
            .join(res)
            .join("role");
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Write an executable script into this world and return its path.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
