//! authkeys: text and file mode → the signing and verifying keys.
//!
//! Pure: gets the text and the mode bits, never opens the file. Never puts
//! a secret into a message.

use super::diag::{Diags, FileDiags};
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

/// The key lines read so far, each with the line that defined it.
type Keys = BTreeMap<u8, (AuthKey, usize)>;

/// Parses authkeys. `mode` is the file's permission bits; any group or other
/// bit refuses the file (the original only looked at the read bits).
pub fn parse(text: &str, mode: u32, file: &Path, diags: &mut Diags) -> Option<AuthKeys> {
    let errors_before = diags.errors.len();
    let mut d = diags.for_file(file);
    check_mode(mode, file, &mut d);
    let mut active: Option<(u8, usize)> = None;
    let mut keys = Keys::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        // A secret may contain '#', so only whole-line comments exist here.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words[0] == "auth" {
            auth_line(n, &words, &mut active, &mut d);
        } else if let Some(key) = key_line(n, &words, &mut d) {
            add_key(n, key, &mut keys, &mut d);
        }
    }
    let active = check_active(active, &keys, &mut d);
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(AuthKeys {
        active: active?,
        keys: keys.into_iter().map(|(id, (k, _))| (id, k)).collect(),
    })
}

fn check_mode(mode: u32, file: &Path, d: &mut FileDiags) {
    if mode & 0o077 != 0 {
        d.file_error(format!(
            "bad permissions {:04o} on keyfile: it must not be accessible to group or others; run chmod 600 {}",
            mode & 0o7777,
            file.display()
        ));
    }
}

fn bad_authnum(w: &str) -> String {
    format!("invalid authnum [{w}]: expected a key number from 0 to {MAX_KEY_ID}")
}

/// `auth N`: selects the signing key; `active` keeps it with its line.
fn auth_line(n: usize, words: &[&str], active: &mut Option<(u8, usize)>, d: &mut FileDiags) {
    let [_, id] = words else {
        d.error(
            n,
            "invalid auth line: expected \"auth N\" with N the number of the signing key",
        );
        return;
    };
    match (parse_id(id), *active) {
        (None, _) => d.error(n, bad_authnum(id)),
        (Some(_), Some((_, prev))) => d.error(
            n,
            format!("auth given twice (first on line {prev}): exactly one auth line selects the signing key"),
        ),
        (Some(id), None) => *active = Some((id, n)),
    }
}

/// `N METHOD [SECRET]`: one key, `None` when the line is wrong (reported).
fn key_line(n: usize, words: &[&str], d: &mut FileDiags) -> Option<AuthKey> {
    let Some(id) = parse_id(words[0]) else {
        if words[0].bytes().all(|b| b.is_ascii_digit()) {
            d.error(n, bad_authnum(words[0]));
        } else {
            d.error(
                n,
                "auth line is invalid: expected \"auth N\" or \"N METHOD [SECRET]\"",
            );
        }
        return None;
    };
    let Some(method_word) = words.get(1) else {
        d.error(
            n,
            format!("key {id} has no method: expected \"{id} METHOD [SECRET]\" with METHOD crc, md5, sha1 or sha256"),
        );
        return None;
    };
    let Some(method) = parse_method(method_word) else {
        d.error(
            n,
            format!("invalid authtype [{method_word}]: expected crc, md5, sha1 or sha256"),
        );
        return None;
    };
    let secret = secret(n, id, method, &words[2..], d)?;
    Some(AuthKey { id, method, secret })
}

/// The words after the method: none for crc, exactly one for the others.
fn secret(
    n: usize,
    id: u8,
    method: AuthMethod,
    rest: &[&str],
    d: &mut FileDiags,
) -> Option<Vec<u8>> {
    match (method, rest) {
        (AuthMethod::Crc, []) => Some(Vec::new()),
        (AuthMethod::Crc, _) => {
            d.error(
                n,
                "auth method [crc] doesn't use a key: write the line without a secret",
            );
            None
        }
        (_, [secret]) => Some(secret.as_bytes().to_vec()),
        (_, []) => {
            d.error(
                n,
                format!(
                    "auth method [{}] requires a key: expected \"{id} {} SECRET\"",
                    method.name(),
                    method.name()
                ),
            );
            None
        }
        (_, _) => {
            d.error(n, "the secret must be one word: it may not contain blanks");
            None
        }
    }
}

fn add_key(n: usize, key: AuthKey, keys: &mut Keys, d: &mut FileDiags) {
    if let Some((_, prev)) = keys.get(&key.id) {
        d.error(
            n,
            format!("key {} defined twice (first on line {prev})", key.id),
        );
        return;
    }
    keys.insert(key.id, (key, n));
}

/// The signing key must exist; crc is allowed but warned about, since it
/// signs nothing.
fn check_active(active: Option<(u8, usize)>, keys: &Keys, d: &mut FileDiags) -> Option<u8> {
    let Some((id, line)) = active else {
        d.file_error("missing auth directive: add \"auth N\" naming the key to sign with");
        return None;
    };
    let Some((key, key_line)) = keys.get(&id) else {
        d.error(
            line,
            format!("auth key [{id}] not found in keyfile: add a line \"{id} METHOD SECRET\""),
        );
        return None;
    };
    if key.method == AuthMethod::Crc {
        d.warn(
            *key_line,
            "crc authenticates nothing (anyone on the network can forge messages): use sha256 or sha1 with a secret",
        );
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(text: &str, mode: u32) -> (Option<AuthKeys>, Diags) {
        let mut d = Diags::default();
        let k = parse(text, mode, Path::new("authkeys"), &mut d);
        (k, d)
    }

    #[track_caller]
    fn expect_err(text: &str, line: Option<usize>, needle: &str) {
        let (k, d) = run(text, 0o600);
        assert!(k.is_none(), "{text:?} should fail");
        assert!(
            d.errors
                .iter()
                .any(|e| e.line == line && e.message.contains(needle)),
            "no error at {line:?} containing {needle:?}: {:?}",
            d.errors
        );
    }

    #[test]
    fn active_key_and_all_keys_are_kept() {
        let (k, d) = run(
            "# c\nauth 2\n1 md5 one\n2 sha1 two\n3 sha256 three\n",
            0o600,
        );
        assert!(d.errors.is_empty() && d.warnings.is_empty());
        let k = k.unwrap();
        assert_eq!(k.active, 2);
        assert_eq!(k.active_key().method, AuthMethod::Sha1);
        assert_eq!(k.active_key().secret, b"two");
        assert_eq!(k.keys.len(), 3);
        assert_eq!(k.get(3).unwrap().method, AuthMethod::Sha256);
    }

    #[test]
    fn auth_may_follow_its_key_line() {
        let (k, d) = run("1 sha1 k\nauth 1\n", 0o600);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(k.unwrap().active, 1);
    }

    #[test]
    fn secret_may_contain_a_hash() {
        let (k, _) = run("auth 1\n1 sha1 a#b\n", 0o400);
        assert_eq!(k.unwrap().active_key().secret, b"a#b");
    }

    #[test]
    fn any_group_or_other_bit_is_refused() {
        for mode in [0o644, 0o640, 0o604, 0o620, 0o610, 0o601, 0o100644] {
            let (k, d) = run("auth 1\n1 sha1 k\n", mode);
            assert!(k.is_none(), "mode {mode:o}");
            assert_eq!(d.errors[0].line, None);
            assert!(
                d.errors[0].message.contains("run chmod 600 authkeys"),
                "{:?}",
                d.errors
            );
        }
        assert!(run("auth 1\n1 sha1 k\n", 0o100600).0.is_some());
    }

    #[test]
    fn missing_or_dangling_auth_line() {
        expect_err("1 sha1 k\n", None, "missing auth directive");
        expect_err(
            "auth 2\n1 sha1 k\n",
            Some(1),
            "auth key [2] not found in keyfile",
        );
        expect_err(
            "auth 1\nauth 1\n1 sha1 k\n",
            Some(2),
            "auth given twice (first on line 1)",
        );
        expect_err("auth\n1 sha1 k\n", Some(1), "invalid auth line");
        expect_err("auth x\n1 sha1 k\n", Some(1), "invalid authnum [x]");
    }

    #[test]
    fn key_lines_are_validated() {
        expect_err(
            "auth 1\n16 sha1 k\n",
            Some(2),
            "invalid authnum [16]: expected a key number from 0 to 15",
        );
        expect_err("auth 1\n1 sha512 k\n", Some(2), "invalid authtype [sha512]");
        expect_err(
            "auth 1\n1 crc k\n",
            Some(2),
            "auth method [crc] doesn't use a key",
        );
        expect_err(
            "auth 1\n1 sha1\n",
            Some(2),
            "auth method [sha1] requires a key",
        );
        expect_err(
            "auth 1\n1 md5 two words\n",
            Some(2),
            "the secret must be one word",
        );
        expect_err("auth 1\n1\n", Some(2), "key 1 has no method");
        expect_err(
            "auth 1\n1 sha1 a\n1 sha1 b\n",
            Some(3),
            "key 1 defined twice (first on line 2)",
        );
        expect_err("auth 1\nhello world\n", Some(2), "auth line is invalid");
    }

    #[test]
    fn crc_is_accepted_with_a_warning() {
        let (k, d) = run("auth 1\n1 crc\n", 0o600);
        assert_eq!(k.unwrap().active_key().method, AuthMethod::Crc);
        assert_eq!(d.warnings[0].line, Some(2));
        assert!(d.warnings[0].message.contains("crc authenticates nothing"));
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let (_, d) = run("auth 1\n1 sha1 topsecret extra\n2 crc topsecret\n", 0o644);
        for e in &d.errors {
            assert!(!e.message.contains("topsecret"), "{e}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>(), mode in any::<u32>()) {
            let mut d = Diags::default();
            let _ = parse(&text, mode, Path::new("authkeys"), &mut d);
        }

        #[test]
        fn key_shaped_lines_never_panic(lines in proptest::collection::vec("(auth|[0-9]{1,3}) ?(crc|md5|sha1|sha256|x)? ?[a-z ]{0,6}", 0..6)) {
            let mut d = Diags::default();
            let _ = parse(&lines.join("\n"), 0o600, Path::new("authkeys"), &mut d);
        }
    }
}
