//! SIGHUP (`systemctl reload`): re-read and validate the configuration at
//! the edge, carry out what is I/O (re-open changed media, restart the
//! pinger), and hand the rest to the node, which decides what applies
//! (`core/reload.rs`). A file that does not validate changes nothing: its
//! `FILE:LINE` errors go to the log and the running configuration stays.

use super::{Driver, Inputs, agent_env, packet, start_pinger};
use crate::config::{self, ClusterConfig, LoadOptions};
use crate::core::{Input, Node, NodeConfig};
use crate::media::MediaSet;
use crate::ownership::GroupIdx;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// What the loop does after a reload.
pub(super) enum Outcome {
    /// Feed this to the node next.
    Input(Input),
    /// The node finished shutting down on the way (packets drained).
    Exit,
}

impl Driver {
    pub(super) async fn reload(&mut self, node: &mut Node, inputs: &mut Inputs) -> Outcome {
        tracing::info!("SIGHUP: reloading the configuration");
        let Some(new) = self.read_config() else {
            return Outcome::Input(Input::Timer);
        };
        if let Some(why) = crate::core::reload::identity_change(&self.cfg, &new) {
            tracing::error!("Reload refused: {why}; keeping the running configuration");
            return Outcome::Input(Input::Timer);
        }
        let media_changed = (&new.media, new.udpport, new.baud)
            != (&self.cfg.media, self.cfg.udpport, self.cfg.baud);
        if media_changed && self.swap_media(&new, node, inputs).await {
            return Outcome::Exit;
        }
        let ping_changed = (&new.ping, &new.ping_groups, new.timings.deadping)
            != (
                &self.cfg.ping,
                &self.cfg.ping_groups,
                self.cfg.timings.deadping,
            );
        if ping_changed {
            // The old pinger ends when it sees its channel closed.
            let (tx, rx) = mpsc::channel(8);
            inputs.reach = rx;
            match start_pinger(&new, tx) {
                Ok(()) => tracing::info!("Reload: ping nodes: applied"),
                Err(e) => tracing::error!("Reload: ping nodes: {e:#}"),
            }
        }
        self.needs_restart(&new);
        let cfg = NodeConfig::from_cluster(&new, Default::default(), [0; 16], 0);
        self.reloaded = Some(new);
        Outcome::Input(Input::Reload(Box::new(cfg)))
    }

    /// The files, validated; `None` (and the errors in the log) if not.
    fn read_config(&self) -> Option<ClusterConfig> {
        let opts = LoadOptions {
            config_dir: self.g.config_dir.clone(),
            node: self.g.node_name(),
            agents: config::AgentSearch::for_config_dir(&self.g.config_dir),
        };
        match config::load(&opts) {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    tracing::warn!("Reload: {w}");
                }
                let mut config = loaded.config;
                crate::media::drop_redundant_own_ucast(&mut config.media);
                Some(config)
            }
            Err(errors) => {
                for e in &errors.0 {
                    tracing::error!("Reload refused: {e}");
                }
                tracing::error!(
                    "Reload refused: the configuration does not validate; keeping the running one"
                );
                None
            }
        }
    }

    /// Open the new media before closing the old ones, so keepalives never
    /// stop; packets the old ones already read are fed to the node under
    /// their old link numbers first. True if the node exited meanwhile.
    async fn swap_media(
        &mut self,
        new: &ClusterConfig,
        node: &mut Node,
        inputs: &mut Inputs,
    ) -> bool {
        let (tx, rx) = mpsc::channel(256);
        let media = match MediaSet::open(new, tx).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(
                    "Reload: media: refused, cannot open {e}; keeping the running media"
                );
                return false;
            }
        };
        drop(std::mem::replace(&mut self.media, media));
        let mut old = std::mem::replace(&mut inputs.packets, rx);
        while let Ok(pkt) = old.try_recv() {
            let effects = node.handle(Instant::now(), packet(pkt));
            if self.perform(effects) {
                return true;
            }
        }
        for m in &new.media {
            tracing::info!("{m} heartbeat started");
        }
        false
    }

    /// Settings only a restart applies: say so, once each.
    fn needs_restart(&self, new: &ClusterConfig) {
        let old = &self.cfg;
        let items = [
            (
                "logfile, logfacility or debugfile",
                old.logging != new.logging,
            ),
            ("debug", old.debug != new.debug),
            ("respawn", old.respawn != new.respawn),
            ("realtime", old.realtime != new.realtime),
        ];
        for (what, changed) in items {
            if changed {
                tracing::warn!("Reload: {what}: not applied, restart heartbeat to change it");
            }
        }
    }

    /// The node decided: run chains with the new definitions except the
    /// groups it kept (a running group stops with what started it).
    pub(super) fn reconfigured(&mut self, kept: &[GroupIdx]) {
        let Some(mut new) = self.reloaded.take() else {
            return;
        };
        if kept.len() == self.cfg.groups.len() {
            new.groups = self.cfg.groups.clone();
        } else {
            for g in kept {
                if let (Some(slot), Some(old)) = (new.groups.get_mut(g.0), self.cfg.groups.get(g.0))
                {
                    *slot = old.clone();
                }
            }
        }
        self.env = Arc::new(agent_env(&self.g, &new));
        self.cfg = Arc::new(new);
        self.rewatch_drbd();
    }
}
