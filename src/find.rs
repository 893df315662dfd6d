//! Finding keys in arbitrary text by their checksum, whatever characters surround them
//! (`FORMAT.md` §1.11): [`find_keys`] and [`find_secret_texts`].
//!
//! A key may sit right after `\n` in a JSON string, after `%22` or `\u0022`, after
//! `API_KEY_` or `x-`, or be followed by `-` or letters: characters a boundary rule would
//! take for part of the key. So every `_` followed by an uppercase letter is a possible
//! separator (FORMAT.md §1.1), every prefix that ends there (up to 32 characters, each
//! position a lowercase letter may start one) and every body length from the longest run
//! of body characters down to the shortest key are tried, and the CRC-32 of §1.3 decides.
//! The checksums of every length are computed in one pass over the decoded bytes, so a
//! separator costs one decode and one CRC pass per prefix start. A random string passes
//! with probability 2⁻³² per try; parsing or verifying the text then confirms it.

use alloc::vec::Vec;
use core::ops::Range;

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

use crate::key_text::SECRET_TEXT_PREFIX;
use crate::limits::{MAX_BODY_LEN, MAX_KEY_BYTES, MAX_PREFIX_LEN};
use crate::wire::MIN_KEY_BYTES;

/// Base64url characters of the shortest key body.
const MIN_BODY_LEN: usize = (MIN_KEY_BYTES * 4).div_ceil(3);
/// Characters after the secret text prefix (FORMAT.md §4.4): 32 seed bytes and a CRC-32.
const SECRET_BODY_LEN: usize = 48;
/// Bytes those characters decode to.
const SECRET_RAW_LEN: usize = 32 + 4;

fn is_body(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_prefix_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
}

/// The 6-bit value of a base64url character.
fn sextet(b: u8) -> Option<u32> {
    let v = match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The whole bytes that base64url `text` encodes (a final partial byte is dropped). The
/// bytes of a shorter text are a prefix of these.
fn decode_floor(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let Some(v) = sextet(c) else { break };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
        acc &= (1 << bits) - 1;
    }
    out
}

/// Where prefixes ending just before the separator at `sep` may start, longest first:
/// positions of a lowercase letter from which `text[start..sep]` follows the prefix
/// grammar (segments of `[a-z0-9]`, joined by single `_`) in at most 32 characters.
fn prefix_starts(text: &[u8], sep: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    if sep == 0
        || text
            .get(sep - 1)
            .is_none_or(|&b| b == b'_' || !is_prefix_char(b))
    {
        return starts;
    }
    let mut start = sep;
    while start > 0 && sep - (start - 1) <= MAX_PREFIX_LEN {
        let Some(&b) = text.get(start - 1) else { break };
        if !is_prefix_char(b) || (b == b'_' && text.get(start) == Some(&b'_')) {
            break;
        }
        start -= 1;
    }
    for p in start..sep {
        if text.get(p).is_some_and(u8::is_ascii_lowercase) {
            starts.push(p);
        }
    }
    starts
}

/// The longest key length `n` (in bytes) whose last four bytes are the CRC-32 of
/// `prefix_` and the bytes before them.
fn checksum_length(prefix_and_separator: &[u8], bytes: &[u8]) -> Option<usize> {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(prefix_and_separator);
    let longest = bytes.len().min(MAX_KEY_BYTES);
    // crcs[m] = CRC-32 of prefix_ and bytes[..m].
    let mut crcs = Vec::with_capacity(longest);
    for b in bytes.iter().take(longest.saturating_sub(4)) {
        crcs.push(hasher.clone().finalize());
        hasher.update(core::slice::from_ref(b));
    }
    crcs.push(hasher.finalize());
    (MIN_KEY_BYTES..=longest).rev().find(|&n| {
        let (Some(&crc), Some(tail)) = (crcs.get(n - 4), bytes.get(n - 4..n)) else {
            return false;
        };
        tail == crc.to_be_bytes()
    })
}

/// Byte ranges of the API key candidates in `text` whose CRC-32 matches (FORMAT.md §1.11),
/// in order and not overlapping, whatever characters surround them.
///
/// Only the checksum is checked: confirm each with [`UntrustedKey::parse`] or
/// [`Verifier::verify`] (a random string passes with probability 2⁻³²). Any prefix is
/// found; a verifier refuses the ones that are not its own.
///
/// [`UntrustedKey::parse`]: crate::UntrustedKey::parse
/// [`Verifier::verify`]: crate::Verifier::verify
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use keyseal::{Issuer, NewKey, Prefix, SigningKey, UntrustedKey};
///
/// let issuer = Issuer::new(Prefix::new("acme_live")?, SigningKey::generate()?);
/// let key = issuer.issue(
///     NewKey::for_app("app_7f3k9x2m")
///         .scope("orders:read")
///         .expires_in(core::time::Duration::from_secs(3600)),
/// )?;
/// let text = format!("{{\"env\":\"API_KEY_{}-x\\n\"}}", key.as_str());
/// let found = keyseal::find_keys(text.as_bytes());
/// assert_eq!(found.len(), 1);
/// let candidate = &text[found[0].clone()];
/// assert_eq!(candidate, key.as_str());
/// assert_eq!(UntrustedKey::parse(candidate)?.untrusted_prefix(), "acme_live");
/// # Ok(()) }
/// ```
#[must_use]
pub fn find_keys(text: &[u8]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut resume = 0;
    for sep in 0..text.len() {
        if sep < resume
            || text.get(sep) != Some(&b'_')
            || !text.get(sep + 1).is_some_and(u8::is_ascii_uppercase)
        {
            continue;
        }
        let body_start = sep + 1;
        let run = text
            .get(body_start..)
            .unwrap_or_default()
            .iter()
            .take(MAX_BODY_LEN)
            .take_while(|&&b| is_body(b))
            .count();
        if run < MIN_BODY_LEN {
            continue;
        }
        let Some(body) = text.get(body_start..body_start + run) else {
            continue;
        };
        let starts = prefix_starts(text, sep);
        if starts.is_empty() {
            continue;
        }
        let bytes = decode_floor(body);
        for start in starts {
            let Some(prefix) = text.get(start..=sep) else {
                continue;
            };
            if let Some(n) = checksum_length(prefix, &bytes) {
                let end = body_start + (n * 4).div_ceil(3);
                found.push(start..end);
                resume = end;
                break;
            }
        }
    }
    found
}

/// Whether the 48 characters after the secret text prefix carry the CRC-32 of the prefix
/// and the seed (FORMAT.md §4.4). The seed is wiped after the check.
fn secret_checksum_matches(body: &[u8]) -> bool {
    let mut raw = Zeroizing::new([0u8; SECRET_RAW_LEN]);
    if Base64UrlUnpadded::decode(body, raw.as_mut_slice()).is_err() {
        return false;
    }
    let (seed, crc) = raw.split_at(32);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(SECRET_TEXT_PREFIX.as_bytes());
    hasher.update(seed);
    hasher.finalize().to_be_bytes() == crc
}

/// Byte ranges of the secret keys in compact text form (`keyseal-secret-v1_` and 48
/// characters, FORMAT.md §4.4) in `text` whose CRC-32 matches, in order and not
/// overlapping, whatever characters surround them. [`SigningKey::from_text`] reads each.
///
/// [`SigningKey::from_text`]: crate::SigningKey::from_text
///
/// ```
/// let text = "SECRET=keyseal-secret-v1_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkLG9a_Dx";
/// assert_eq!(keyseal::find_secret_texts(text.as_bytes()), [7..73]);
/// ```
#[must_use]
pub fn find_secret_texts(text: &[u8]) -> Vec<Range<usize>> {
    let needle = SECRET_TEXT_PREFIX.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(pos) = text
        .get(at..)
        .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
    {
        let start = at + pos;
        let body_start = start + needle.len();
        let body = text
            .get(body_start..body_start + SECRET_BODY_LEN)
            .filter(|b| b.iter().all(|&c| is_body(c)));
        if let Some(body) = body {
            if secret_checksum_matches(body) {
                found.push(start..body_start + SECRET_BODY_LEN);
            }
            at = body_start + SECRET_BODY_LEN;
        } else {
            at = body_start;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::single_range_in_vec_init)]

    use super::*;

    /// The `standard` vector of `tests/vectors/keys.json` (FORMAT.md §1.10).
    const KEY: &str = "acme_live_AcN--f6YbvWqDGFwcF83ZjNrOXgybQMOY3VzdG9tZXJzOnJlYWQLb3JkZXJzOnJlYWQMb3JkZXJzOndyaXRlsPH11wawv9DbBgAAAQIDBAUGBwgJCgsMDQ4PAOj-XDKTv6dbq3-9SeenmXfoFWBNjBaVA9ib4GVY5n21Is1b_YdGyUqRfL_5KfYFbDvH9ntMCQOp8U38MYTovAnXUG_a";
    /// The secret text of FORMAT.md §4.4 (seed 32 × `0x42`).
    const SECRET: &str = "keyseal-secret-v1_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkLG9a_D";

    #[test]
    fn decoding_a_prefix_gives_a_prefix_of_the_bytes() {
        assert_eq!(decode_floor(b"QUJD"), b"ABC");
        assert_eq!(decode_floor(b"QUJDRA"), b"ABCD");
        assert_eq!(decode_floor(b"QUJDR"), b"ABC");
    }

    #[test]
    fn prefix_starts_follow_the_grammar() {
        let text = b"x-u0022acme_live_A";
        let sep = text.len() - 2;
        let starts: Vec<&[u8]> = prefix_starts(text, sep)
            .into_iter()
            .map(|s| &text[s..sep])
            .collect();
        assert_eq!(starts.first().copied(), Some(&b"u0022acme_live"[..]));
        assert!(starts.contains(&&b"acme_live"[..]));
        assert!(starts.contains(&&b"live"[..]));
        assert!(prefix_starts(b"API_KEY__A", 8).is_empty());
        assert!(prefix_starts(b"_A", 0).is_empty());
    }

    #[test]
    fn a_key_is_found_whatever_surrounds_it() {
        for (before, after) in [
            ("", ""),
            ("\\n", "\\n"),
            ("%22", "%22"),
            ("\\u0022", "\\u0022"),
            ("API_KEY_", "-"),
            ("x-", "Abc_D"),
            ("u0022", "_Zz"),
        ] {
            let text = format!("{before}{KEY}{after}");
            let found = find_keys(text.as_bytes());
            let at = before.len();
            assert_eq!(found, [at..at + KEY.len()], "{before:?} … {after:?}");
        }
    }

    #[test]
    fn keys_are_found_in_order_and_look_alikes_are_not() {
        let text = format!("{KEY} {KEY}");
        assert_eq!(
            find_keys(text.as_bytes()),
            [0..KEY.len(), KEY.len() + 1..2 * KEY.len() + 1]
        );
        // One character changed: the checksum no longer matches at any length.
        let mut forged = KEY.as_bytes().to_vec();
        forged[100] = if forged[100] == b'A' { b'B' } else { b'A' };
        assert!(find_keys(&forged).is_empty());
        // Too short to be a key, and no key at all.
        assert!(find_keys(&KEY.as_bytes()[..140]).is_empty());
        assert!(find_keys(b"").is_empty());
        assert!(find_keys(b"acme_live_ABCDEF").is_empty());
    }

    #[test]
    fn secret_texts_are_found_by_their_checksum() {
        let text = format!("a{SECRET}b\n{SECRET}");
        let second = SECRET.len() + 3;
        assert_eq!(
            find_secret_texts(text.as_bytes()),
            [1..1 + SECRET.len(), second..second + SECRET.len()]
        );
        let mut forged = SECRET.as_bytes().to_vec();
        forged[30] = if forged[30] == b'A' { b'B' } else { b'A' };
        assert!(find_secret_texts(&forged).is_empty());
        // Cut short, or a non-body character inside.
        assert!(find_secret_texts(&SECRET.as_bytes()[..60]).is_empty());
        let broken = SECRET.replace('Q', ".");
        assert!(find_secret_texts(broken.as_bytes()).is_empty());
    }
}
