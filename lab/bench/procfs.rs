//! Memory and CPU of a process family, read from /proc.

use std::fs;

fn stat_fields(pid: i32) -> Option<Vec<u64>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    Some(
        rest.split_whitespace()
            .map(|f| f.parse::<u64>().unwrap_or(0))
            .collect(),
    )
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPU seconds used so far by the family rooted at `pids[0]`: the live
/// members' own time plus what the root has reaped from finished children
/// (resource scripts).
pub fn cpu_seconds(pids: &[i32]) -> f64 {
    let mut ticks = 0u64;
    for (n, pid) in pids.iter().enumerate() {
        if let Some(f) = stat_fields(*pid) {
            // After ')': state=0 … utime=11 stime=12 cutime=13 cstime=14.
            ticks += f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
            if n == 0 {
                ticks += f.get(13).copied().unwrap_or(0) + f.get(14).copied().unwrap_or(0);
            }
        }
    }
    ticks as f64 / ticks_per_second()
}

fn kib_field(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// (RSS, PSS) in KiB summed over `pids`. RSS counts shared pages (libc,
/// the binary) once per process; PSS splits them.
pub fn memory_kib(pids: &[i32]) -> (u64, u64) {
    let mut rss = 0;
    let mut pss = 0;
    for pid in pids {
        if let Ok(s) = fs::read_to_string(format!("/proc/{pid}/status")) {
            rss += kib_field(&s, "VmRSS:");
        }
        if let Ok(s) = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
            pss += kib_field(&s, "Pss:");
        }
    }
    (rss, pss)
}

pub fn command_name(pid: i32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
