//! authkeys: text and file mode → the signing and verifying keys.
//!
//! Pure: gets the text and the mode bits, never opens the file. Never puts
//! a secret into a message.

use super::diag::Diags;
use super::model::{AuthKey, AuthKeys, AuthMethod};
use std::collections::BTreeMap;
use std::path::Path;

/// Key numbers the original accepts.
pub const MAX_KEY_ID: u8 = 15;

fn parse_method(w: &str) -> Option<AuthMethod> {
    match w {
        "crc" => Some(AuthMethod::Crc),
        "md5" => Some(AuthMethod::Md5),
        "sha1" => Some(AuthMethod::Sha1),
        "sha256" => Some(AuthMethod::Sha256),
        _ => None,
    }
}

fn parse_id(w: &str) -> Option<u8> {
    // Digits only: `+1` or ` 1` are not key numbers.
    if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    w.parse::<u8>().ok().filter(|n| *n <= MAX_KEY_ID)
}

/// Parses authkeys. `mode` is the file's permission bits; any group or other
/// bit refuses the file (the original only looked at the read bits).
pub fn parse(text: &str, mode: u32, file: &Path, diags: &mut Diags) -> Option<AuthKeys> {
    let errors_before = diags.errors.len();
    let mut d = diags.for_file(file);
    if mode & 0o077 != 0 {
        d.file_error(format!(
            "bad permissions {:04o} on keyfile: it must not be accessible to group or others; run chmod 600 {}",
            mode & 0o7777,
            file.display()
        ));
    }
    let mut active: Option<(u8, usize)> = None;
    let mut keys: BTreeMap<u8, (AuthKey, usize)> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        // A secret may contain '#', so only whole-line comments exist here.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[0] == "auth" {
            match words.as_slice() {
                [_, id] => match parse_id(id) {
                    Some(id) => {
                        if let Some((_, prev)) = active {
                            d.error(n, format!("auth given twice (first on line {prev}): exactly one auth line selects the signing key"));
                        } else {
                            active = Some((id, n));
                        }
                    }
                    None => d.error(
                        n,
                        format!("invalid authnum [{id}]: expected a key number from 0 to {MAX_KEY_ID}"),
                    ),
                },
                _ => d.error(
                    n,
                    "invalid auth line: expected \"auth N\" with N the number of the signing key",
                ),
            }
            continue;
        }
        let Some(id) = parse_id(words[0]) else {
            if words[0].bytes().all(|b| b.is_ascii_digit()) {
                d.error(
                    n,
                    format!("invalid authnum [{}]: expected a key number from 0 to {MAX_KEY_ID}", words[0]),
                );
            } else {
                d.error(
                    n,
                    "auth line is invalid: expected \"auth N\" or \"N METHOD [SECRET]\"",
                );
            }
            continue;
        };
        let Some(method_word) = words.get(1) else {
            d.error(
                n,
                format!("key {id} has no method: expected \"{id} METHOD [SECRET]\" with METHOD crc, md5, sha1 or sha256"),
            );
            continue;
        };
        let Some(method) = parse_method(method_word) else {
            d.error(
                n,
                format!("invalid authtype [{method_word}]: expected crc, md5, sha1 or sha256"),
            );
            continue;
        };
        let secret = match (method, &words[2..]) {
            (AuthMethod::Crc, []) => Vec::new(),
            (AuthMethod::Crc, _) => {
                d.error(
                    n,
                    "auth method [crc] doesn't use a key: write the line without a secret",
                );
                continue;
            }
            (_, [secret]) => secret.as_bytes().to_vec(),
            (_, []) => {
                d.error(
                    n,
                    format!("auth method [{}] requires a key: expected \"{id} {} SECRET\"", method.name(), method.name()),
                );
                continue;
            }
            (_, _) => {
                d.error(
                    n,
                    "the secret must be one word: it may not contain blanks",
                );
                continue;
            }
        };
        if let Some((_, prev)) = keys.get(&id) {
            d.error(n, format!("key {id} defined twice (first on line {prev})"));
            continue;
        }
        keys.insert(id, (AuthKey { id, method, secret }, n));
    }

    let active = match active {
        None => {
            d.file_error("missing auth directive: add \"auth N\" naming the key to sign with");
            None
        }
        Some((id, line)) => match keys.get(&id) {
            None => {
                d.error(line, format!("auth key [{id}] not found in keyfile: add a line \"{id} METHOD SECRET\""));
                None
            }
            Some((key, key_line)) => {
                if key.method == AuthMethod::Crc {
                    d.warn(
                        *key_line,
                        "crc authenticates nothing (anyone on the network can forge messages): use sha256 or sha1 with a secret",
                    );
                }
                Some(id)
            }
        },
    };
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(AuthKeys {
        active: active?,
        keys: keys.into_iter().map(|(id, (k, _))| (id, k)).collect(),
    })
}
