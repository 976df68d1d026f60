//! The driver's DRBD edges: which resources to poll (again after a
//! reload), and the `drbdadm outdate` the peer's fence-peer asks for.
//! The node decides what the states mean (`core/disks.rs`,
//! `core/fence.rs`).

use super::Driver;
use crate::config::ResourceGroup;
use crate::core::Input;
use crate::drbd::DrbdState;
use crate::resources::AgentEnv;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Every DRBD resource the groups use, once each.
pub(super) fn drbd_resources(groups: &[ResourceGroup]) -> Vec<String> {
    let mut all: Vec<String> = crate::drbd::resources_of(groups)
        .into_iter()
        .flatten()
        .collect();
    all.sort();
    all.dedup();
    all
}

impl Driver {
    /// The peer asked us to outdate `resource`: `drbdadm outdate` as a
    /// task, its result fed back as an input.
    pub(super) fn outdate(&self, resource: String, token: u64) {
        let tx = self.outdated_tx.clone();
        let env = self.env.clone();
        tokio::spawn(async move {
            let _ = tx.send(outdate(resource, token, &env).await).await;
        });
    }

    /// After a reload: poll the DRBD resources the groups now use.
    pub(super) fn rewatch_drbd(&mut self) {
        let now = drbd_resources(&self.cfg.groups);
        if now == self.drbd_watch.0 {
            return;
        }
        if let Some(old) = self.drbd_watch.1.take() {
            old.abort();
        }
        self.drbd_watch = watching(now, Vec::new(), &self.drbd_tx, &self.env);
    }
}

/// The resources polled and the task polling them.
pub(super) type Watch = (Vec<String>, Option<JoinHandle<()>>);

/// What the driver starts with: the node's first DRBD reading (it knows
/// its data before it can decide any start), and the poll that follows,
/// which sends each change on `tx`.
pub(super) struct Start {
    pub first: Vec<DrbdState>,
    pub tx: mpsc::Sender<Vec<DrbdState>>,
    pub rx: mpsc::Receiver<Vec<DrbdState>>,
    pub watch: Watch,
}

impl Start {
    pub(super) async fn read(groups: &[ResourceGroup], env: &Arc<AgentEnv>) -> Start {
        let resources = drbd_resources(groups);
        let first = crate::drbd::observe::observe_all(&resources, env).await;
        let (tx, rx) = mpsc::channel(8);
        let watch = watching(resources, first.clone(), &tx, env);
        Start {
            first,
            tx,
            rx,
            watch,
        }
    }
}

/// Poll `resources` from now on; `last` is what the node already knows.
fn watching(
    resources: Vec<String>,
    last: Vec<DrbdState>,
    tx: &mpsc::Sender<Vec<DrbdState>>,
    env: &Arc<AgentEnv>,
) -> Watch {
    let task = crate::drbd::observe::watch(resources.clone(), last, tx.clone(), env.clone());
    (resources, task)
}

/// The peer asked us to outdate `resource`. DRBD refuses while it still
/// believes it is connected (the two sides notice a cut link a moment
/// apart), so a refusal of that kind is tried again for a little while.
async fn outdate(resource: String, token: u64, env: &AgentEnv) -> Input {
    const RETRY_FOR: Duration = Duration::from_secs(3);
    let until = Instant::now() + RETRY_FOR;
    loop {
        let (state, said) = crate::drbd::observe::outdate(&resource, env).await;
        if !crate::core::fence::retry_outdate(&state) || Instant::now() >= until {
            return Input::Outdated {
                resource,
                token,
                state,
                said,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
