//! Independent encoders written from `FORMAT.md` alone (not the library's code), shared by
//! the integration tests: they build keys and revocation lists byte by byte, so tests can
//! produce correctly signed but non-canonical inputs, and check the library against the spec.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::cast_possible_truncation
)]

pub mod ed25519;

use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::SigningKey;

/// Unsigned LEB128, minimal (FORMAT.md §1.6).
pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A postcard string or byte string: varint length, then the bytes.
pub fn bytes_field(b: &[u8], out: &mut Vec<u8>) {
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

/// A postcard `Option<u64>`.
pub fn option_varint(v: Option<u64>, out: &mut Vec<u8>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            varint(v, out);
        }
    }
}

/// CRC-32 of `prefix "_" bytes`, big-endian (FORMAT.md §1.3).
pub fn key_crc(prefix: &str, bytes: &[u8]) -> [u8; 4] {
    let mut h = crc32fast::Hasher::new();
    h.update(prefix.as_bytes());
    h.update(b"_");
    h.update(bytes);
    h.finalize().to_be_bytes()
}

/// `prefix "_" base64url(bytes || crc32)`, with a correct checksum (FORMAT.md §1.1).
pub fn key_text(prefix: &str, bytes_without_crc: &[u8]) -> String {
    let mut all = bytes_without_crc.to_vec();
    all.extend_from_slice(&key_crc(prefix, bytes_without_crc));
    format!("{prefix}_{}", Base64UrlUnpadded::encode_string(&all))
}

/// A key's signed message (FORMAT.md §1.4).
pub fn key_message(prefix: &str, signed_part: &[u8]) -> Vec<u8> {
    let mut m = b"keyseal/key\0".to_vec();
    m.push(prefix.len() as u8);
    m.extend_from_slice(prefix.as_bytes());
    m.extend_from_slice(signed_part);
    m
}

/// Key bytes without the checksum: `version || key_id || payload || signature`.
pub fn signed_key_bytes(
    sk: &SigningKey,
    prefix: &str,
    version: u8,
    kid: [u8; 8],
    payload: &[u8],
) -> Vec<u8> {
    let mut bytes = vec![version];
    bytes.extend_from_slice(&kid);
    bytes.extend_from_slice(payload);
    let signature = sk.sign_raw(&key_message(prefix, &bytes));
    bytes.extend_from_slice(&signature);
    bytes
}

/// A revocation list file around `payload`, signed by `signer` (FORMAT.md §3.1).
pub fn signed_list(signer: &SigningKey, prefix: &str, version: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = b"keyseal/revocation-list\0".to_vec();
    out.push(prefix.len() as u8);
    out.extend_from_slice(prefix.as_bytes());
    out.push(version);
    out.extend_from_slice(&signer.key_id().to_bytes());
    out.extend_from_slice(payload);
    let sig = signer.sign_raw(&out);
    out.extend_from_slice(&sig);
    out
}

/// A revocation list payload (FORMAT.md §3.2), entries written in the order given.
pub struct ListPayload {
    pub sequence: u64,
    pub issued_at: u64,
    pub stale_after: u64,
    pub tokens: Vec<([u8; 16], u64)>,
    pub apps: Vec<(String, u64, Option<u64>)>,
    pub signers: Vec<([u8; 8], Option<u64>)>,
}

impl ListPayload {
    pub fn encode(&self) -> Vec<u8> {
        let mut p = Vec::new();
        varint(self.sequence, &mut p);
        varint(self.issued_at, &mut p);
        varint(self.stale_after, &mut p);
        varint(self.tokens.len() as u64, &mut p);
        for (id, exp) in &self.tokens {
            p.extend_from_slice(id);
            varint(*exp, &mut p);
        }
        varint(self.apps.len() as u64, &mut p);
        for (app, before, effective) in &self.apps {
            bytes_field(app.as_bytes(), &mut p);
            varint(*before, &mut p);
            option_varint(*effective, &mut p);
        }
        varint(self.signers.len() as u64, &mut p);
        for (kid, effective) in &self.signers {
            p.extend_from_slice(kid);
            option_varint(*effective, &mut p);
        }
        p
    }
}
