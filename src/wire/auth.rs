//! Digests and the `N HEX` authentication value shared by both signatures.
//!
//! Owns the three methods of authkeys (crc, md5, sha1, plus sha256 which the
//! original lists but cannot load) and the constant-time check. Never
//! decides what bytes are signed: the encoders pass them in. Imports only
//! `error` from its siblings.

use super::error::{WireError, garbage};
use crate::config::{AuthKeys, AuthMethod};
use hmac::{KeyInit, Mac};
use ring::hmac as rh;
use subtle::ConstantTimeEq;

/// The digest of `data` with `secret`, as lowercase hex the way the original
/// prints it. `crc` ignores the secret and prints without leading zeros
/// (`%lx`), so its length varies between 1 and 8 digits.
pub fn digest(method: AuthMethod, secret: &[u8], data: &[u8]) -> String {
    match method {
        AuthMethod::Crc => format!("{:x}", crc32_msb_first(data)),
        AuthMethod::Md5 => {
            let mut mac = hmac::Hmac::<md5::Md5>::new_from_slice(secret)
                .expect("HMAC takes keys of any length");
            mac.update(data);
            hex(&mac.finalize().into_bytes())
        }
        AuthMethod::Sha1 => ring_hmac(rh::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret, data),
        AuthMethod::Sha256 => ring_hmac(rh::HMAC_SHA256, secret, data),
    }
}

fn ring_hmac(alg: rh::Algorithm, secret: &[u8], data: &[u8]) -> String {
    hex(rh::sign(&rh::Key::new(alg, secret), data).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The original's CRC-32: polynomial 0x04C11DB7 fed MSB first, initial value
/// 0, final complement, and (unlike POSIX `cksum`) no length appended.
fn crc32_msb_first(data: &[u8]) -> u32 {
    let crc = data.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ b)]
    });
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// `N HEX`: the value of the inner `auth` field and the trailer's content,
/// signed with the active key.
pub(crate) fn auth_value(keys: &AuthKeys, data: &[u8]) -> String {
    let key = keys.active_key();
    format!("{} {}", key.id, digest(key.method, &key.secret, data))
}

/// Checks an `N HEX` value against `data` with key N. The hex is compared
/// as text, as the original does, so an upper-case digest does not match.
pub(crate) fn check(keys: &AuthKeys, value: &[u8], data: &[u8]) -> Result<(), WireError> {
    let (id, received) = parse_auth_value(value)?;
    let key = keys.get(id).ok_or(WireError::UnknownKey(id))?;
    let computed = digest(key.method, &key.secret, data);
    if bool::from(computed.as_bytes().ct_eq(received)) {
        Ok(())
    } else {
        Err(WireError::BadDigest { key: id })
    }
}

/// Splits `N HEX` into the key number and the digest text.
fn parse_auth_value(value: &[u8]) -> Result<(u8, &[u8]), WireError> {
    const SHAPE: &str = "an auth value `N HEX` (key number, one space, hex digest)";
    let space = value
        .iter()
        .position(|&b| b == b' ')
        .ok_or(garbage(SHAPE))?;
    let (num, hexpart) = (&value[..space], &value[space + 1..]);
    if num.is_empty() || num.len() > 3 || !num.iter().all(u8::is_ascii_digit) {
        return Err(garbage(SHAPE));
    }
    // At most three digits, so this fits in u16; anything above 255 cannot
    // name a key.
    let n = num.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let id = u8::try_from(n).map_err(|_| garbage(SHAPE))?;
    if hexpart.is_empty() || hexpart.len() > 128 || !hexpart.iter().all(u8::is_ascii_hexdigit) {
        return Err(garbage(SHAPE));
    }
    Ok((id, hexpart))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::test_keys as keys;

    #[test]
    fn crc_matches_values_captured_from_the_original() {
        // Packet 33 of crc-initdead-late.pcap: its inner text and `auth=1 5f1dd1d`
        // (seven digits: the original prints without leading zeros).
        let text = b"t=resource\nrsc_hold=all\nrtype=full\nisstable=1\nsrc=nodea\n\
(1)srcuuid=wOkxQScxSjG8W0f0/h/XAQ==\nseq=1e\nhg=6b035252\nts=6b0353c5\n\
ld=0.00 0.05 0.03 1/84 25053\nttl=3\n";
        assert_eq!(digest(AuthMethod::Crc, b"ignored", text), "5f1dd1d");
        // Packet 1 of the same run.
        let text = b"t=status\nst=init\ndt=1b58\nprotocol=1\nsrc=nodea\n\
(1)srcuuid=wOkxQScxSjG8W0f0/h/XAQ==\nseq=1\nhg=6b035252\nts=6b0353b0\n\
ld=0.01 0.05 0.03 1/84 24809\nttl=3\n";
        assert_eq!(digest(AuthMethod::Crc, b"", text), "a7931066");
    }

    #[test]
    fn crc_is_neither_zlib_nor_cksum() {
        // Initial 0 and final complement: the empty input gives all ones.
        assert_eq!(digest(AuthMethod::Crc, b"", b""), "ffffffff");
        assert_ne!(digest(AuthMethod::Crc, b"", b"123456789"), "cbf43926");
    }

    #[test]
    fn hmac_digests_match_rfc_test_vectors() {
        // RFC 2202 test case 2 for HMAC-MD5 and HMAC-SHA1, RFC 4231 case 2 for SHA-256.
        let data = b"what do ya want for nothing?";
        assert_eq!(
            digest(AuthMethod::Md5, b"Jefe", data),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        assert_eq!(
            digest(AuthMethod::Sha1, b"Jefe", data),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            digest(AuthMethod::Sha256, b"Jefe", data),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn check_rejects_unknown_key_and_wrong_digest() {
        let k = keys(AuthMethod::Sha1, "vectorkey");
        let good = auth_value(&k, b"data");
        assert_eq!(check(&k, good.as_bytes(), b"data"), Ok(()));
        assert_eq!(
            check(&k, good.as_bytes(), b"other"),
            Err(WireError::BadDigest { key: 1 })
        );
        let other_id = good.replacen('1', "2", 1);
        assert_eq!(
            check(&k, other_id.as_bytes(), b"data"),
            Err(WireError::UnknownKey(2))
        );
    }

    #[test]
    fn check_compares_hex_case_sensitively() {
        let k = keys(AuthMethod::Md5, "vectorkey");
        let upper = auth_value(&k, b"data").to_ascii_uppercase();
        assert_eq!(
            check(&k, upper.as_bytes(), b"data"),
            Err(WireError::BadDigest { key: 1 })
        );
    }

    #[test]
    fn auth_digest_length_is_bounded() {
        let k = keys(AuthMethod::Crc, "");
        let value = |digits: usize| format!("1 {}", "a".repeat(digits));
        // The longest digest we know (sha256) is 64 digits; 128 is the limit.
        assert_eq!(
            check(&k, value(128).as_bytes(), b""),
            Err(WireError::BadDigest { key: 1 })
        );
        assert_eq!(
            check(&k, value(129).as_bytes(), b"").map_err(|e| e.reason()),
            Err("garbage")
        );
    }

    #[test]
    fn malformed_auth_values_are_garbage() {
        let k = keys(AuthMethod::Crc, "");
        for bad in [
            &b"1"[..],
            b"1 ",
            b" abc",
            b"x abc",
            b"1234 ab",
            b"999 ab",
            b"1 xyz",
        ] {
            assert_eq!(
                check(&k, bad, b"").map_err(|e| e.reason()),
                Err("garbage"),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
