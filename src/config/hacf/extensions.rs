//! Our own ha.cf directives, unknown to the original: `monitor` (restart
//! policy of a resource group), `rsc_timeout` (per-agent action timeouts)
//! and `metrics_listen` (where the daemon serves its metrics over HTTP).

use super::parser::Parser;
use super::values::parse_time;
use super::{
    Action, At, DEFAULT_MONITOR_RESTARTS, DEFAULT_MONITOR_WINDOW, MonitorDirective, RscTimeout,
};
use crate::config::model::MonitorPolicy;

impl Parser<'_> {
    /// `metrics_listen ADDRESS:PORT`: a literal address, as `ping` takes
    /// (no name is resolved at start-up).
    pub(super) fn metrics_listen(&mut self, n: usize, words: &[&str]) {
        let Some(w) = self.one(n, "metrics_listen", words) else {
            return;
        };
        match w.parse::<std::net::SocketAddr>() {
            Ok(value) => self.cf.metrics_listen = Some(At { value, line: n }),
            Err(_) => self.d.error(
                n,
                format!(
                    "metrics_listen: invalid address [{w}]: expected ADDRESS:PORT, \
                     e.g. 127.0.0.1:9101 or [::1]:9101"
                ),
            ),
        }
    }

    pub(super) fn monitor(&mut self, n: usize, words: &[&str]) {
        const USAGE: &str = "expected \"monitor GROUPKEY INTERVAL [MAX_RESTARTS [WINDOW]]\"";
        if !(2..=4).contains(&words.len()) {
            self.d.error(n, format!("monitor: {USAGE}"));
            return;
        }
        let interval = match parse_time(words[1]) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.d.error(n, "monitor: interval must be more than 0");
                None
            }
            Err(e) => {
                self.d.error(n, format!("monitor: interval: {e}"));
                None
            }
        };
        let max_restarts = match words.get(2).map(|w| (w, w.parse::<u32>())) {
            None => Some(DEFAULT_MONITOR_RESTARTS),
            Some((_, Ok(v))) => Some(v),
            Some((w, Err(_))) => {
                self.d.error(
                    n,
                    format!("monitor: invalid restart count [{w}]: expected a whole number (0 = move at the first failure)"),
                );
                None
            }
        };
        let window = match words.get(3).map(|w| parse_time(w)) {
            None => Some(DEFAULT_MONITOR_WINDOW),
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                self.d.error(n, format!("monitor: window: {e}"));
                None
            }
        };
        let (Some(interval), Some(max_restarts), Some(window)) = (interval, max_restarts, window)
        else {
            return;
        };
        if let Some(prev) = self.cf.monitors.iter().find(|m| m.group == words[0]) {
            let l = prev.line;
            self.d.error(
                n,
                format!(
                    "monitor: group {} already has a monitor on line {l}",
                    words[0]
                ),
            );
            return;
        }
        self.cf.monitors.push(MonitorDirective {
            group: words[0].to_string(),
            policy: MonitorPolicy {
                interval,
                max_restarts,
                window,
            },
            line: n,
        });
    }

    pub(super) fn rsc_timeout(&mut self, n: usize, words: &[&str]) {
        let [agent, action, time] = words else {
            self.d.error(
                n,
                "rsc_timeout: expected \"rsc_timeout AGENTNAME start|stop|status TIME\"",
            );
            return;
        };
        let action = match *action {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "status" => Action::Status,
            other => {
                self.d.error(
                    n,
                    format!(
                        "rsc_timeout: invalid action [{other}]: expected start, stop or status"
                    ),
                );
                return;
            }
        };
        match parse_time(time) {
            Ok(d) if d.is_zero() => self.d.error(n, "rsc_timeout: timeout must be more than 0"),
            Ok(timeout) => self.cf.rsc_timeouts.push(RscTimeout {
                agent: agent.to_string(),
                action,
                timeout,
                line: n,
            }),
            Err(e) => self.d.error(n, format!("rsc_timeout: {e}")),
        }
    }
}
