//! Builds key text byte by byte, as `FORMAT.md` lays it out, so that tests can present
//! keyseal with inputs its issuer would never write: arbitrary payloads behind a valid
//! checksum (to reach the payload decoder without a signature) or behind a valid signature
//! (to reach it through verification).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "shared test helper: each includer uses a different part, and indices are checked against lengths"
)]

use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::{KEY_ID_LEN, KeyId, SigningKey, VERSION};

/// Domain separation of key signatures (`FORMAT.md`).
const KEY_CONTEXT: &[u8] = b"keyseal/key\0";

/// The bytes a key signature covers.
pub fn message(prefix: &str, version: u8, key_id: KeyId, payload: &[u8]) -> Vec<u8> {
    let mut m = KEY_CONTEXT.to_vec();
    m.push(u8::try_from(prefix.len()).expect("prefix of at most 32 bytes"));
    m.extend_from_slice(prefix.as_bytes());
    m.push(version);
    m.extend_from_slice(&key_id.to_bytes());
    m.extend_from_slice(payload);
    m
}

/// Key text for `bytes` (version, key id, payload and signature) with its checksum
/// appended.
pub fn seal(prefix: &str, bytes: &[u8]) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(prefix.as_bytes());
    h.update(b"_");
    h.update(bytes);
    let mut all = bytes.to_vec();
    all.extend_from_slice(&h.finalize().to_be_bytes());
    text(prefix, &all)
}

/// Key text for `bytes` as they are, checksum included (or not).
pub fn text(prefix: &str, bytes: &[u8]) -> String {
    format!("{prefix}_{}", Base64UrlUnpadded::encode_string(bytes))
}

/// Key text carrying `payload`, correctly signed by `key`: every check before the payload
/// decoder passes.
pub fn signed(prefix: &str, key: &SigningKey, payload: &[u8]) -> String {
    let signature = key.sign_raw(&message(prefix, VERSION, key.key_id(), payload));
    let mut bytes = vec![VERSION];
    bytes.extend_from_slice(&key.key_id().to_bytes());
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(&signature);
    seal(prefix, &bytes)
}

/// Key text carrying `payload` behind a valid checksum and a signature of zeros: parses,
/// but never verifies.
pub fn unsigned(prefix: &str, key_id: KeyId, payload: &[u8]) -> String {
    let mut bytes = vec![VERSION];
    bytes.extend_from_slice(&key_id.to_bytes());
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(&[0; 64]);
    seal(prefix, &bytes)
}

/// The decoded bytes of key text under `prefix` (checksum included).
pub fn open(prefix: &str, text: &str) -> Vec<u8> {
    let body = text
        .strip_prefix(prefix)
        .and_then(|t| t.strip_prefix('_'))
        .expect("key text under this prefix");
    Base64UrlUnpadded::decode_vec(body).expect("base64url body")
}

/// The payload of key text under `prefix`.
pub fn payload(prefix: &str, text: &str) -> Vec<u8> {
    let bytes = open(prefix, text);
    bytes
        .get(1 + KEY_ID_LEN..bytes.len() - 64 - 4)
        .expect("a well-formed key")
        .to_vec()
}

/// `bytes` (checksum included) with the checksum recomputed for `prefix`.
pub fn reseal(prefix: &str, bytes: &[u8]) -> String {
    seal(
        prefix,
        bytes.get(..bytes.len().saturating_sub(4)).unwrap_or(&[]),
    )
}

/// A small deterministic pseudo-random generator (SplitMix64), so that the generated
/// inputs are the same on every run.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n as u64).expect("fits")
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64().to_le_bytes()[0]
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// `bytes` with 1–4 random edits: bit flips, overwrites, insertions and deletions.
    pub fn mutate(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for _ in 0..=self.below(4) {
            let at = self.below(out.len() + 1);
            match self.below(4) {
                0 if at < out.len() => out[at] ^= 1 << self.below(8),
                1 if at < out.len() => out[at] = self.byte(),
                2 => out.insert(at, self.byte()),
                _ if at < out.len() => {
                    out.remove(at);
                }
                _ => out.push(self.byte()),
            }
        }
        out
    }
}

/// A postcard varint (LEB128).
pub fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = u8::try_from(n & 0x7f).expect("seven bits");
        n >>= 7;
        if n == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

/// A length-prefixed string or byte string.
fn bytes_field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend(varint(b.len() as u64));
    out.extend_from_slice(b);
}

/// A payload in the canonical encoding, with any content, valid or not.
pub fn payload_bytes(
    app: &str,
    scopes: &[&str],
    (iat, exp, nbf): (u64, u64, Option<u64>),
    token_id: [u8; 16],
    extensions: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut out = Vec::new();
    bytes_field(&mut out, app.as_bytes());
    out.extend(varint(scopes.len() as u64));
    for s in scopes {
        bytes_field(&mut out, s.as_bytes());
    }
    out.extend(varint(iat));
    out.extend(varint(exp));
    match nbf {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend(varint(t));
        }
    }
    out.extend_from_slice(&token_id);
    out.extend(varint(extensions.len() as u64));
    for (name, value) in extensions {
        bytes_field(&mut out, name.as_bytes());
        bytes_field(&mut out, value);
    }
    out
}
