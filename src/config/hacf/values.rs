//! The word-level value syntax of ha.cf shared by several directives:
//! times (`cl_get_msec`), booleans, and milliseconds for messages.

use std::time::Duration;

/// Parses a time the way the original's `cl_get_msec` does: digits and dots,
/// then nothing (seconds), `ms…` (milliseconds) or `us`/`usec`
/// (microseconds); rounded to the nearest millisecond.
pub fn parse_time(word: &str) -> Result<Duration, String> {
    let split = word
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(word.len());
    let (number, unit) = word.split_at(split);
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "invalid time [{word}]: expected a number of seconds, or a number followed by ms or us"
        ));
    }
    if number.matches('.').count() > 1 {
        return Err(format!(
            "invalid time [{word}]: more than one decimal point"
        ));
    }
    let micros_per_unit: f64 = if unit.is_empty() {
        1e6
    } else if unit.starts_with("ms") {
        1e3
    } else if unit == "us" || unit == "usec" {
        1.0
    } else {
        return Err(format!(
            "invalid time [{word}]: unknown unit [{unit}] (expected none for seconds, ms or us)"
        ));
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid time [{word}]: not a number"))?;
    let millis = (value * micros_per_unit / 1e3).round();
    // About 31 years; anything beyond is a typo, and it keeps Duration math safe.
    if !millis.is_finite() || millis > 1e12 {
        return Err(format!("invalid time [{word}]: too large"));
    }
    Ok(Duration::from_millis(millis as u64))
}

/// The original's boolean words (`true on yes y 1` / `false off no n 0`).
pub fn parse_bool(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// The inverse of [`parse_time`] as an admin writes it: `90s`, else
/// `1500ms`. Pacemaker and Corosync read the same forms.
pub fn format_time(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

pub fn ms(d: Duration) -> u128 {
    d.as_millis()
}
