//! Control requests (status, standby, takeover, maintenance, fencing,
//! stop) and the start of a planned shutdown.

use super::node::{Node, Shutdown};
use super::notice::Notice;
use super::{Effect, RequestId};
use crate::control::{Request, Response};
use crate::ownership;
use std::time::{Duration, Instant};

impl Node {
    pub(super) fn on_request(
        &mut self,
        now: Instant,
        id: RequestId,
        request: Request,
        io: super::IoCounters,
        fx: &mut Vec<Effect>,
    ) {
        match request {
            Request::Status => fx.push(Effect::Answer {
                id,
                response: Response::Status(Box::new(self.status_report(now, io))),
            }),
            Request::Standby { .. } | Request::Takeover { .. } | Request::Maintenance { .. }
                if self.pending_request.is_some() =>
            {
                fx.push(done(
                    id,
                    false,
                    "another standby, takeover or maintenance request is in progress; \
                     this one was not started"
                        .into(),
                ));
            }
            Request::Maintenance { on } => {
                self.pending_request = Some(id);
                self.ownership_input(now, ownership::Input::Maintenance(on), fx);
                self.send_report(now, fx);
            }
            Request::Standby { which } => {
                // Ownership says "Going standby" itself.
                self.pending_request = Some(id);
                self.ownership_input(now, ownership::Input::Standby(which), fx);
                self.send_report(now, fx);
            }
            Request::Takeover { which, force } => {
                fx.push(Effect::Log(Notice::TakingOver { which }));
                self.pending_request = Some(id);
                self.force_takeover(now, force, fx);
                self.ownership_input(now, ownership::Input::Takeover(which), fx);
                self.send_report(now, fx);
            }
            Request::FencePeer {
                resource,
                timeout_ms,
            } => {
                let timeout = Duration::from_millis(timeout_ms);
                self.on_fence_request(now, id, resource, timeout, fx)
            }
            Request::UnfencePeer { resource } => {
                self.unfence(now, &resource, true, fx);
                fx.push(done(id, true, format!("{resource}: fencing lifted")));
            }
            Request::Shutdown => {
                self.pending_shutdown.push(id);
                self.begin_shutdown(now, "stop request", fx);
            }
        }
    }

    pub(super) fn begin_shutdown(
        &mut self,
        now: Instant,
        cause: &'static str,
        fx: &mut Vec<Effect>,
    ) {
        if self.shutdown != Shutdown::No {
            return;
        }
        fx.push(Effect::Log(Notice::ShutdownBegins { cause }));
        self.drop_held_starts(now, fx);
        self.shutdown = Shutdown::Draining;
        fx.push(Effect::Stopping);
        self.ownership_input(now, ownership::Input::Shutdown, fx);
        self.send_report(now, fx);
    }
}

pub(super) fn done(id: RequestId, ok: bool, message: String) -> Effect {
    Effect::Answer {
        id,
        response: Response::Done { ok, message },
    }
}
