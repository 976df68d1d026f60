//! The ha.cf parser's state and the value readers every directive shares
//! (exactly one word, a time, a boolean, a bounded integer, an address).

use super::values::{parse_bool, parse_time};
use super::{At, HaCf};
use crate::config::diag::FileDiags;
use std::net::IpAddr;
use std::time::Duration;

pub(super) struct Parser<'a> {
    pub(super) d: FileDiags<'a>,
    pub(super) cf: HaCf,
    pub(super) first_udp_medium: Option<usize>,
    pub(super) first_serial: Option<usize>,
}

/// Where a directive's value goes in [`HaCf`], so one reader serves every
/// directive of its kind.
pub(super) type Slot<T> = fn(&mut HaCf) -> &mut Option<T>;

pub(crate) fn option_words(rest: &str) -> Vec<&str> {
    rest.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect()
}

impl Parser<'_> {
    /// Exactly one value; the original silently kept the last of several.
    pub(super) fn one<'w>(&mut self, n: usize, name: &str, words: &[&'w str]) -> Option<&'w str> {
        match words {
            [w] => Some(w),
            [] => {
                self.d.error(n, format!("{name}: missing value"));
                None
            }
            _ => {
                self.d.error(
                    n,
                    format!(
                        "{name}: expected one value, got {} ({})",
                        words.len(),
                        words.join(" ")
                    ),
                );
                None
            }
        }
    }

    pub(super) fn time(&mut self, n: usize, name: &str, words: &[&str], slot: Slot<At<Duration>>) {
        if let [num, unit] = words
            && parse_time(num).is_ok()
            && (unit.starts_with("ms") || *unit == "us" || *unit == "usec")
        {
            self.d.error(
                n,
                format!(
                    "{name}: no space allowed between number and unit: write {num}{unit} \
                     instead of \"{num} {unit}\""
                ),
            );
            return;
        }
        let Some(w) = self.one(n, name, words) else {
            return;
        };
        match parse_time(w) {
            Ok(d) => self.set_at(n, name, slot, d),
            Err(e) => self.d.error(n, format!("{name}: {e}")),
        }
    }

    /// Stores a value that may be given again: the last line wins, with a
    /// warning naming the line it overrides.
    pub(super) fn set_at<T>(&mut self, n: usize, name: &str, slot: Slot<At<T>>, value: T) {
        if let Some(prev) = slot(&mut self.cf) {
            let prev_line = prev.line;
            self.d.warn(
                n,
                format!("{name} given again; this line overrides line {prev_line}"),
            );
        }
        *slot(&mut self.cf) = Some(At { value, line: n });
    }

    pub(super) fn boolean(&mut self, n: usize, name: &str, words: &[&str]) -> Option<bool> {
        let w = self.one(n, name, words)?;
        let b = parse_bool(w);
        if b.is_none() {
            self.d.error(
                n,
                format!(
                    "{name}: invalid value [{w}]: expected a boolean \
                     (on/off, yes/no, true/false, y/n, 1/0)"
                ),
            );
        }
        b
    }

    pub(super) fn integer(
        &mut self,
        n: usize,
        name: &str,
        words: &[&str],
        min: u32,
        max: u32,
    ) -> Option<u32> {
        let w = self.one(n, name, words)?;
        match w.parse::<u32>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.d.error(
                    n,
                    format!("{name}: invalid value [{w}]: expected an integer from {min} to {max}"),
                );
                None
            }
        }
    }

    pub(super) fn ip(&mut self, n: usize, dir: &str, w: &str) -> Option<IpAddr> {
        let ip = w.parse::<IpAddr>().ok();
        if ip.is_none() {
            self.d.error(
                n,
                format!("{dir}: invalid address [{w}]: expected an IP address (host names are not resolved)"),
            );
        }
        ip
    }
}
