//! Finding key candidates in text without relying on the characters around them.
//!
//! A key may sit right after `\n` in a JSON string, after `%22` or `\u0022`, after
//! `API_KEY_` or `x-`, or be followed by `-` or letters: characters a boundary rule would
//! take for part of the key. So every `_` followed by an uppercase letter is a possible
//! separator (FORMAT.md §1.1), every prefix that ends there (up to 32 characters, each
//! position a lowercase letter may start one) and every body length from the longest run
//! of body characters down to the shortest key are tried, and the CRC-32 of §1.3 decides.
//! The checksums of every length are computed in one pass over the decoded bytes, so a
//! separator costs one decode and one CRC pass per prefix start. A random string passes
//! with probability 2⁻³² per try; the library's parse then confirms the exact text.

use keyseal::{MAX_PREFIX_LEN, SECRET_TEXT_PREFIX};

/// Fewest and most decoded bytes of a key (FORMAT.md §1.8).
const MIN_KEY_BYTES: usize = 100;
const MAX_KEY_BYTES: usize = keyseal::MAX_KEY_BYTES;
/// Base64url characters of the longest body.
const MAX_BODY_CHARS: usize = (MAX_KEY_BYTES * 4).div_ceil(3);
/// Characters after the secret text prefix (FORMAT.md §4.4).
const SECRET_BODY_CHARS: usize = 48;

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

/// Byte ranges of API key candidates in `text` whose checksum matches, in order and not
/// overlapping.
pub(super) fn api_keys(text: &[u8]) -> Vec<(usize, usize)> {
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
            .take(MAX_BODY_CHARS)
            .take_while(|&&b| is_body(b))
            .count();
        if run < (MIN_KEY_BYTES * 4).div_ceil(3) {
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
                found.push((start, end));
                resume = end;
                break;
            }
        }
    }
    found
}

/// Byte ranges of secret key texts (`keyseal-secret-v1_` and 48 characters) in `text`,
/// whatever surrounds them; the caller confirms each with its checksum.
pub(super) fn secret_texts(text: &[u8]) -> Vec<(usize, usize)> {
    let needle = SECRET_TEXT_PREFIX.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(pos) = text
        .get(at..)
        .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
    {
        let start = at + pos;
        let body_start = start + needle.len();
        let body_ok = text
            .get(body_start..body_start + SECRET_BODY_CHARS)
            .is_some_and(|b| b.iter().all(|&c| is_body(c)));
        if body_ok {
            found.push((start, body_start + SECRET_BODY_CHARS));
            at = body_start + SECRET_BODY_CHARS;
        } else {
            at = body_start;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
