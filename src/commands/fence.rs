//! `heartbeat fence-peer` and `heartbeat unfence-peer`: DRBD's
//! `fence-peer` and `after-resync-target` handlers (drop-ins for dopd's
//! drbd-peer-outdater). They only ask the local daemon; the node decides
//! (`core/fence.rs`). The resource comes from `-r`/`--resource` or, as
//! DRBD passes it, `DRBD_RESOURCE`.

use super::Globals;
use crate::control::{self, ControlError, Request, Response};
use crate::core::fence::PEER_UNREACHABLE;
use std::time::Duration;

fn resource_or_usage(prog: &str, resource: Option<String>) -> Result<String, i32> {
    resource.filter(|r| !r.is_empty()).ok_or_else(|| {
        eprintln!("{prog}: no resource: give -r RESOURCE or set DRBD_RESOURCE (DRBD does)");
        super::exit::USAGE
    })
}

/// Ask the peer (through our daemon) to outdate its copy of the
/// resource; exit with drbd.conf(5)'s code, 5 when nobody can be asked.
pub fn fence_peer(g: &Globals, resource: Option<String>, timeout: Duration) -> i32 {
    let resource = match resource_or_usage("fence-peer", resource) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let req = Request::FencePeer {
        resource,
        timeout_ms: timeout.as_millis() as u64,
    };
    // The daemon answers by the timeout at the latest; a little more for
    // the socket.
    match control::request(&g.run_dir, &req, timeout + Duration::from_secs(2)) {
        Ok(Response::Fence { code, message }) => {
            println!("{message}");
            code
        }
        Ok(_) => {
            eprintln!("fence-peer: unexpected answer from heartbeat");
            PEER_UNREACHABLE
        }
        Err(e) => {
            eprintln!("fence-peer: {e}; the peer cannot be asked");
            PEER_UNREACHABLE
        }
    }
}

/// Lift what fencing recorded for the resource, here and on the peer.
pub fn unfence_peer(g: &Globals, resource: Option<String>) -> i32 {
    let resource = match resource_or_usage("unfence-peer", resource) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let req = Request::UnfencePeer { resource };
    match control::request(&g.run_dir, &req, Duration::from_secs(5)) {
        Ok(Response::Done { message, .. }) => {
            println!("{message}");
            0
        }
        Ok(_) => 1,
        // DRBD ignores this handler's status; a stopped daemon has
        // nothing to lift.
        Err(ControlError::NotRunning(_)) => 0,
        Err(e) => {
            eprintln!("unfence-peer: {e}");
            e.exit_code(1)
        }
    }
}
