//! The key test vectors in `tests/vectors/keys.json`: generated here from fixed seeds by an
//! encoder written from `FORMAT.md` alone (not the library's), checked against the file, and
//! then run through the library's verifier.
//!
//! Regenerate after a deliberate format change with
//! `KEYSEAL_UPDATE_VECTORS=1 cargo test --test vectors`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use core::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::{bytes_field, key_crc, key_text, signed_key_bytes, varint};
use keyseal::{
    Issuer, KeyState, Keyring, NewKey, Prefix, PublicKey, SigningKey, Timestamp, TokenId, Verifier,
    VerifierOptions,
};
use serde_json::{Value, json};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys.json");
const NOW: u64 = 1_795_000_000; // 2026-11-18T11:06:40Z
const DAY: u64 = 86_400;
const PREFIX: &str = "acme_live";

// ---------------------------------------------------------------------------------------
// An independent encoder, following FORMAT.md.

#[derive(Clone)]
struct Payload {
    app: Vec<u8>,
    scopes: Vec<Vec<u8>>,
    iat: u64,
    exp: u64,
    nbf: Option<u64>,
    tid: [u8; 16],
    ext: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Payload {
    fn new(app: &str, scopes: &[&str], iat: u64, exp: u64, tid: u8) -> Payload {
        Payload {
            app: app.as_bytes().to_vec(),
            scopes: scopes.iter().map(|s| s.as_bytes().to_vec()).collect(),
            iat,
            exp,
            nbf: None,
            tid: core::array::from_fn(|i| tid.wrapping_add(i as u8)),
            ext: Vec::new(),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        bytes_field(&self.app, &mut out);
        varint(self.scopes.len() as u64, &mut out);
        for s in &self.scopes {
            bytes_field(s, &mut out);
        }
        varint(self.iat, &mut out);
        varint(self.exp, &mut out);
        match self.nbf {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                varint(t, &mut out);
            }
        }
        out.extend_from_slice(&self.tid);
        varint(self.ext.len() as u64, &mut out);
        for (name, value) in &self.ext {
            bytes_field(name, &mut out);
            bytes_field(value, &mut out);
        }
        out
    }

    fn claims_json(&self, kid: &str) -> Value {
        json!({
            "app_id": String::from_utf8(self.app.clone()).unwrap(),
            "scopes": self.scopes.iter().map(|s| String::from_utf8(s.clone()).unwrap()).collect::<Vec<_>>(),
            "issued_at": self.iat,
            "expires_at": self.exp,
            "not_before": self.nbf,
            "token_id": hex::encode(self.tid),
            "extensions": self.ext.iter().map(|(n, v)| json!([String::from_utf8(n.clone()).unwrap(), hex::encode(v)])).collect::<Vec<_>>(),
            "key_id": kid,
        })
    }
}

fn text(prefix: &str, bytes_without_crc: &[u8]) -> String {
    key_text(prefix, bytes_without_crc)
}

fn sign(sk: &SigningKey, prefix: &str, version: u8, kid: [u8; 8], payload: &[u8]) -> Vec<u8> {
    signed_key_bytes(sk, prefix, version, kid, payload)
}

fn signed_part(version: u8, kid: [u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(&kid);
    b.extend_from_slice(payload);
    b
}

fn key(sk: &SigningKey, prefix: &str, p: &Payload) -> String {
    text(
        prefix,
        &sign(sk, prefix, 1, sk.key_id().to_bytes(), &p.encode()),
    )
}

// ---------------------------------------------------------------------------------------
// The cases.

fn signing_key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32]).unwrap()
}

struct Case {
    name: &'static str,
    reason: &'static str,
    key: String,
    now: u64,
    expect: &'static str,
    claims: Option<Value>,
    max_lifetime: Option<u64>,
}

fn valid(name: &'static str, reason: &'static str, sk: &SigningKey, p: &Payload) -> Case {
    // The library's issuer must produce the same text as the independent encoder.
    let issuer = Issuer::new(
        Prefix::new(PREFIX).unwrap(),
        SigningKey::from_seed(&sk.to_seed()).unwrap(),
    );
    let mut request = NewKey::for_app(String::from_utf8(p.app.clone()).unwrap())
        .scopes(
            p.scopes
                .iter()
                .map(|s| String::from_utf8(s.clone()).unwrap()),
        )
        .expires_at(Timestamp::from_unix(p.exp).unwrap())
        .token_id(TokenId::from_bytes(p.tid));
    if let Some(nbf) = p.nbf {
        request = request.not_before(Timestamp::from_unix(nbf).unwrap());
    }
    for (n, v) in &p.ext {
        request = request.extension(String::from_utf8(n.clone()).unwrap(), v.clone());
    }
    let issued = issuer
        .issue_with_rng(request, Timestamp::from_unix(p.iat).unwrap(), &mut NoRng)
        .unwrap();
    let independent = key(sk, PREFIX, p);
    assert_eq!(
        issued.as_str(),
        independent,
        "library and FORMAT.md encoder disagree on {name}"
    );
    Case {
        name,
        reason,
        key: independent,
        now: NOW,
        expect: "valid",
        claims: Some(p.claims_json(&sk.key_id().to_string())),
        max_lifetime: None,
    }
}

fn invalid(name: &'static str, reason: &'static str, key: String, expect: &'static str) -> Case {
    Case {
        name,
        reason,
        key,
        now: NOW,
        expect,
        claims: None,
        max_lifetime: None,
    }
}

/// An RNG that must not be used: every vector pins its token id.
struct NoRng;
impl rand_core::TryRng for NoRng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        unreachable!("vectors pin their token ids")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        unreachable!("vectors pin their token ids")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        unreachable!("vectors pin their token ids")
    }
}
impl rand_core::TryCryptoRng for NoRng {}

fn standard() -> Payload {
    Payload::new(
        "app_7f3k9x2m",
        &["customers:read", "orders:read", "orders:write"],
        NOW - 3600,
        NOW - 3600 + 90 * DAY,
        0,
    )
}

fn cases() -> Vec<Case> {
    let (a, b, c, d) = (
        signing_key(1),
        signing_key(2),
        signing_key(3),
        signing_key(4),
    );
    let kid_a = a.key_id().to_bytes();
    let std_payload = standard();
    let std_bytes = sign(&a, PREFIX, 1, kid_a, &std_payload.encode());
    let mut out = Vec::new();

    // ---- valid
    out.push(valid(
        "standard",
        "the benchmark workload: three scopes, 90 days",
        &a,
        &std_payload,
    ));
    out.push(valid(
        "minimal",
        "one-character app id, no scopes, smallest lifetime",
        &a,
        &Payload::new("a", &[], NOW - 10, NOW - 9 + 100, 0x10),
    ));
    let mut p = Payload::new("app.eu-1", &["orders:*"], NOW - 100, NOW + DAY, 0x20);
    p.nbf = Some(NOW - 5);
    out.push(valid(
        "not-before-and-wildcard",
        "not-before in the past; wildcard scope",
        &a,
        &p,
    ));
    let mut p = Payload::new("tenant_app", &["billing:read"], NOW - 100, NOW + DAY, 0x30);
    p.ext = vec![
        (b"tenant".to_vec(), b"acme-eu".to_vec()),
        (b"tier".to_vec(), vec![1]),
    ];
    out.push(valid(
        "extensions",
        "two application-defined extensions, sorted by name",
        &a,
        &p,
    ));
    out.push(valid(
        "verify-only-key",
        "signed by a verify-only key: still accepted",
        &b,
        &Payload::new("app_7f3k9x2m", &["orders:read"], NOW - 100, NOW + DAY, 0x40),
    ));
    let many: Vec<String> = (0..32).map(|i| format!("resource{i:02}:read")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    out.push(valid(
        "max-scopes",
        "32 scopes, the maximum",
        &a,
        &Payload::new("app_7f3k9x2m", &many, NOW - 100, NOW + DAY, 0x50),
    ));
    out.push(valid(
        "expiry-within-leeway",
        "expired 59 s ago: inside the 60 s expiry leeway",
        &a,
        &Payload::new("app", &["a:b"], NOW - DAY, NOW - 59, 0x60),
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0x70);
    p.nbf = Some(NOW + 60);
    out.push(valid(
        "not-before-within-leeway",
        "valid from 60 s ahead: exactly the leeway",
        &a,
        &p,
    ));

    // ---- times
    out.push(invalid(
        "expired-at-leeway",
        "expired exactly 60 s ago: now == expires_at + leeway",
        key(
            &a,
            PREFIX,
            &Payload::new("app", &["a:b"], NOW - DAY, NOW - 60, 0x80),
        ),
        "expired",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0x81);
    p.nbf = Some(NOW + 61);
    out.push(invalid(
        "not-before-future",
        "not valid for another 61 s",
        key(&a, PREFIX, &p),
        "not_yet_valid",
    ));
    out.push(invalid(
        "issued-in-future",
        "issued 61 s in the future (issuer clock ahead beyond leeway)",
        key(
            &a,
            PREFIX,
            &Payload::new("app", &["a:b"], NOW + 61, NOW + DAY, 0x82),
        ),
        "not_yet_valid",
    ));
    let mut lifetime = valid("lifetime-too-long", "", &a, &std_payload);
    lifetime.reason = "90-day key against a verifier with a 30-day maximum lifetime";
    lifetime.expect = "lifetime_too_long";
    lifetime.claims = None;
    lifetime.max_lifetime = Some(30 * DAY);
    out.push(lifetime);

    // ---- prefix and keys
    out.push(invalid(
        "wrong-prefix",
        "a correctly signed acme_test key presented to an acme_live verifier",
        key(&a, "acme_test", &std_payload),
        "wrong_prefix",
    ));
    let test_bytes = sign(&a, "acme_test", 1, kid_a, &std_payload.encode());
    out.push(invalid(
        "relabelled-prefix",
        "an acme_test key's bytes under the acme_live prefix with a recomputed checksum: the prefix is signed",
        text(PREFIX, &test_bytes),
        "bad_signature",
    ));
    out.push(invalid(
        "unknown-key",
        "signed by a key that is not in the keyring",
        key(&d, PREFIX, &std_payload),
        "unknown_key",
    ));
    out.push(invalid(
        "retired-key",
        "signed by a retired key",
        key(&c, PREFIX, &std_payload),
        "retired_key",
    ));
    out.push(invalid(
        "key-id-swapped",
        "signed by key A but naming key B (in the keyring) as signer",
        text(
            PREFIX,
            &sign(&a, PREFIX, 1, b.key_id().to_bytes(), &std_payload.encode()),
        ),
        "bad_signature",
    ));

    // ---- signature
    let mut flipped = std_bytes.clone();
    *flipped.last_mut().unwrap() ^= 0x01;
    out.push(invalid(
        "signature-bit-flip",
        "one bit of S flipped, checksum recomputed",
        text(PREFIX, &flipped),
        "bad_signature",
    ));
    let mut tampered = std_payload.clone();
    tampered.scopes[0] = b"customers:writ".to_vec();
    let mut bytes = signed_part(1, kid_a, &tampered.encode());
    bytes.extend_from_slice(&std_bytes[std_bytes.len() - 64..]);
    // Same length payload so only the content differs.
    out.push(invalid(
        "payload-tampered",
        "a scope edited after signing, checksum recomputed",
        text(PREFIX, &bytes),
        "bad_signature",
    ));
    let mut s_plus_l = std_bytes.clone();
    add_group_order(&mut s_plus_l);
    out.push(invalid(
        "non-canonical-s",
        "S replaced by S + L (the malleable twin of a valid signature)",
        text(PREFIX, &s_plus_l),
        "bad_signature",
    ));
    let mut zero_sig = std_bytes.clone();
    let n = zero_sig.len();
    zero_sig[n - 64..].fill(0);
    out.push(invalid(
        "zero-signature",
        "all-zero signature (small-order R)",
        text(PREFIX, &zero_sig),
        "bad_signature",
    ));

    // ---- text encoding
    let std_text = text(PREFIX, &std_bytes);
    let mut bad_crc = std_bytes.clone();
    bad_crc.extend_from_slice(&key_crc(PREFIX, &std_bytes).map(|b| b ^ 0xff));
    out.push(invalid(
        "checksum-mismatch",
        "checksum bytes inverted",
        format!("{PREFIX}_{}", Base64UrlUnpadded::encode_string(&bad_crc)),
        "malformed.checksum",
    ));
    out.push(invalid(
        "truncated",
        "last character dropped",
        std_text[..std_text.len() - 1].to_string(),
        "malformed.base64",
    ));
    out.push(invalid(
        "padded",
        "base64 padding appended",
        format!("{std_text}="),
        "malformed.base64",
    ));
    let body = &std_text[PREFIX.len() + 1..];
    let standard_alphabet = if body.contains('-') {
        format!("{PREFIX}_{}", body.replacen('-', "+", 1))
    } else {
        format!("{PREFIX}_{}", body.replacen('_', "/", 1))
    };
    assert_ne!(
        standard_alphabet, std_text,
        "standard key has neither '-' nor '_' to swap"
    );
    out.push(invalid(
        "standard-alphabet",
        "a '-' or '_' replaced by the standard alphabet's '+' or '/'",
        standard_alphabet,
        "malformed.base64",
    ));
    // A key whose decoded length is 1 mod 3 ends in a character carrying 4 unused bits.
    let odd = (0..)
        .map(|i| Payload::new(&"x".repeat(i + 1), &["a:b"], NOW - 100, NOW + DAY, 0x90))
        .find(|p| (sign(&a, PREFIX, 1, kid_a, &p.encode()).len() + 4) % 3 == 1)
        .unwrap();
    let odd_text = key(&a, PREFIX, &odd);
    let mut chars: Vec<u8> = odd_text.clone().into_bytes();
    let last = chars.last_mut().unwrap();
    *last = match *last {
        b'A' => b'B',
        b'Q' => b'R',
        b'g' => b'h',
        b'w' => b'x',
        other => panic!("unexpected final character {}", other as char),
    };
    out.push(invalid(
        "non-canonical-base64",
        "final character has non-zero unused bits (decodes to the same bytes in lenient decoders)",
        String::from_utf8(chars).unwrap(),
        "malformed.base64",
    ));
    out.push(invalid(
        "too-long",
        "longer than MAX_KEY_LEN (1399) characters",
        format!("{PREFIX}_{}", "A".repeat(1399 - PREFIX.len())),
        "malformed.too_long",
    ));
    out.push(invalid(
        "too-short",
        "a body that decodes to fewer bytes than the smallest key",
        text(PREFIX, &std_bytes[..40]),
        "malformed.too_short",
    ));
    out.push(invalid(
        "no-separator",
        "the prefix alone",
        PREFIX.to_string(),
        "malformed.prefix",
    ));
    out.push(invalid(
        "uppercase-prefix",
        "prefixes are lowercase",
        format!("ACME_LIVE_{}", &std_text[PREFIX.len() + 1..]),
        "malformed.prefix",
    ));
    let mut v2 = std_bytes.clone();
    v2[0] = 2;
    out.push(invalid(
        "version-2",
        "format version 2 (checksum recomputed)",
        text(PREFIX, &v2),
        "unsupported_version",
    ));
    out.push(invalid(
        "empty-body",
        "the prefix and the separator, nothing after: the split finds no body",
        format!("{PREFIX}_"),
        "malformed.prefix",
    ));
    let mut v104 = std_bytes.clone();
    v104[0] = 104;
    out.push(invalid(
        "version-104",
        "version 104 (checksum recomputed): the body starts with 'a', which continues the prefix, so the split fails before the version is read",
        text(PREFIX, &v104),
        "malformed.prefix",
    ));
    let mut v248 = std_bytes.clone();
    v248[0] = 248;
    out.push(invalid(
        "version-248",
        "version 248 (checksum recomputed): the body starts with '-', so the split succeeds and the version is refused",
        text(PREFIX, &v248),
        "unsupported_version",
    ));
    out.push(invalid(
        "long-body-not-base64",
        "a 1377-character body that is not base64url: its length is checked before it is decoded",
        format!("{PREFIX}_{}", "*".repeat(1377)),
        "malformed.too_long",
    ));
    out.push(invalid(
        "body-of-1025-bytes",
        "the canonical base64url of 1025 bytes (1367 characters): one byte more than a key may be",
        text(
            PREFIX,
            &[std_bytes.clone(), vec![0u8; 1025 - 4 - std_bytes.len()]].concat(),
        ),
        "malformed.too_long",
    ));

    // ---- canonical payload (all properly signed)
    let mut over_long = Vec::new();
    bytes_field(&std_payload.app, &mut over_long);
    varint(3, &mut over_long);
    for s in &std_payload.scopes {
        bytes_field(s, &mut over_long);
    }
    let mut iat = Vec::new();
    varint(std_payload.iat, &mut iat);
    *iat.last_mut().unwrap() |= 0x80;
    iat.push(0x00); // the same value with one redundant continuation byte
    over_long.extend_from_slice(&iat);
    varint(std_payload.exp, &mut over_long);
    over_long.push(0);
    over_long.extend_from_slice(&std_payload.tid);
    over_long.push(0);
    out.push(invalid(
        "over-long-varint",
        "issued-at encoded with a redundant continuation byte, signed",
        text(PREFIX, &sign(&a, PREFIX, 1, kid_a, &over_long)),
        "malformed.payload",
    ));
    let mut trailing = std_payload.encode();
    trailing.push(0);
    out.push(invalid(
        "trailing-byte",
        "one byte after the payload, signed",
        text(PREFIX, &sign(&a, PREFIX, 1, kid_a, &trailing)),
        "malformed.payload",
    ));
    let signed_payload = |name, reason, p: &Payload, expect| {
        invalid(
            name,
            reason,
            text(PREFIX, &sign(&a, PREFIX, 1, kid_a, &p.encode())),
            expect,
        )
    };
    let mut p = standard();
    p.scopes.swap(0, 1);
    out.push(signed_payload(
        "unsorted-scopes",
        "scopes out of order, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = standard();
    p.scopes[1] = p.scopes[0].clone();
    p.scopes.sort();
    out.push(signed_payload(
        "duplicate-scopes",
        "a scope twice, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = standard();
    p.scopes[0] = b"Customers:read".to_vec();
    p.scopes.sort();
    out.push(signed_payload(
        "uppercase-scope",
        "a scope outside the grammar, signed",
        &p,
        "malformed.claims",
    ));
    let p = Payload::new("", &["a:b"], NOW - 100, NOW + DAY, 0xa0);
    out.push(signed_payload(
        "empty-app-id",
        "empty app id, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = Payload::new("x", &["a:b"], NOW - 100, NOW + DAY, 0xa1);
    p.app = vec![0xff, 0xfe];
    out.push(signed_payload(
        "app-id-not-utf8",
        "app id is not UTF-8, signed",
        &p,
        "malformed.payload",
    ));
    let p = Payload::new("app", &["a:b"], NOW, NOW, 0xa2);
    out.push(signed_payload(
        "expiry-equals-issue",
        "expires at its issue time, signed",
        &p,
        "malformed.claims",
    ));
    let p = Payload::new("app", &["a:b"], NOW - 100, 253_402_300_800, 0xa3);
    out.push(signed_payload(
        "expiry-out-of-range",
        "expiry after 9999-12-31T23:59:59Z, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0xa4);
    p.nbf = Some(NOW - 200);
    out.push(signed_payload(
        "not-before-before-issue",
        "not-before earlier than issued-at, signed",
        &p,
        "malformed.claims",
    ));
    let many: Vec<String> = (0..33).map(|i| format!("r{i:02}:read")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let p = Payload::new("app", &many, NOW - 100, NOW + DAY, 0xa5);
    out.push(signed_payload(
        "too-many-scopes",
        "33 scopes, one over the limit, signed",
        &p,
        "malformed.payload",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0xa6);
    p.ext = vec![(b"keyseal.x".to_vec(), vec![1])];
    out.push(signed_payload(
        "reserved-extension",
        "extension name in the reserved keyseal namespace, signed",
        &p,
        "malformed.claims",
    ));
    // ---- which error each limit gives (FORMAT.md §1.8): a string over its limit breaks a
    // claim rule, a count over its limit is refused while decoding
    let p = Payload::new(&"a".repeat(65), &["a:b"], NOW - 100, NOW + DAY, 0xb0);
    out.push(signed_payload(
        "app-id-65-bytes",
        "app id of 65 bytes, one over the limit, signed",
        &p,
        "malformed.claims",
    ));
    let long_scope = format!("r:{}", "a".repeat(63));
    let p = Payload::new("app", &[long_scope.as_str()], NOW - 100, NOW + DAY, 0xb1);
    out.push(signed_payload(
        "scope-65-bytes",
        "a scope of 65 bytes, one over the limit, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0xb2);
    p.ext = vec![("x".repeat(33).into_bytes(), vec![1])];
    out.push(signed_payload(
        "extension-name-33-bytes",
        "an extension name of 33 bytes, one over the limit, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0xb3);
    p.ext = vec![(b"blob".to_vec(), vec![7; 257])];
    out.push(signed_payload(
        "extension-value-257-bytes",
        "an extension value of 257 bytes, one over the limit, signed",
        &p,
        "malformed.claims",
    ));
    let mut p = Payload::new("app", &["a:b"], NOW - 100, NOW + DAY, 0xb4);
    p.ext = (0..17u8)
        .map(|i| (format!("e{i:02}").into_bytes(), vec![i]))
        .collect();
    out.push(signed_payload(
        "too-many-extensions",
        "17 extensions, one over the limit, signed",
        &p,
        "malformed.payload",
    ));
    // ---- the order of step 8: the bytes are canonical first, then the claim rules
    let mut over_long_bad_app = Vec::new();
    bytes_field(b"_a", &mut over_long_bad_app);
    varint(1, &mut over_long_bad_app);
    bytes_field(b"a:b", &mut over_long_bad_app);
    over_long_bad_app.extend_from_slice(&iat);
    varint(std_payload.exp, &mut over_long_bad_app);
    over_long_bad_app.push(0);
    over_long_bad_app.extend_from_slice(&[0xb5; 16]);
    over_long_bad_app.push(0);
    out.push(invalid(
        "over-long-varint-and-bad-app-id",
        "an over-long issued-at varint and an app id that breaks the grammar ('_a'), signed: the encoding is checked before the claim rules",
        text(PREFIX, &sign(&a, PREFIX, 1, kid_a, &over_long_bad_app)),
        "malformed.payload",
    ));
    // ---- step 10 in exact arithmetic: exp + leeway is not capped at the last timestamp
    let mut last = valid(
        "expires-at-the-last-instant",
        "",
        &a,
        &Payload::new("app", &["a:b"], NOW - 100, 253_402_300_799, 0xb6),
    );
    last.reason = "expires at 9999-12-31T23:59:59Z, verified at that instant: now < exp + leeway";
    last.now = 253_402_300_799;
    out.push(last);
    out
}

/// Adds the group order L to the little-endian scalar S (the last 32 bytes).
fn add_group_order(bytes: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let n = bytes.len();
    let s = &mut bytes[n - 32..];
    let mut carry = 0u16;
    for (b, l) in s.iter_mut().zip(L) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
}

fn generate() -> String {
    let keyring: Vec<Value> = [(1u8, "active"), (2, "verify-only"), (3, "retired")]
        .iter()
        .map(|&(n, state)| {
            let pk = signing_key(n).public_key();
            json!({
                "seed": hex::encode([n; 32]),
                "key_id": pk.key_id().to_string(),
                "public_key": hex::encode(pk.to_bytes()),
                "state": state,
            })
        })
        .collect();
    let unknown = signing_key(4);
    let cases: Vec<Value> = cases()
        .into_iter()
        .map(|c| {
            let mut v = json!({
                "name": c.name,
                "reason": c.reason,
                "key": c.key,
                "now": c.now,
                "expect": c.expect,
            });
            if let Some(claims) = c.claims {
                v["claims"] = claims;
            }
            if let Some(max) = c.max_lifetime {
                v["max_lifetime"] = json!(max);
            }
            v
        })
        .collect();
    let doc = json!({
        "description": "keyseal key format v1 test vectors. Verify each `key` with prefix `prefix`, the keyring below, expiry and not-before leeways of 60 s, the maximum lifetime `max_lifetime` (seconds) when given, at time `now` (Unix seconds). `expect` is `valid` or the error code (keyseal::Error::code). Seeds are test-only Ed25519 secret keys (RFC 8032) so that other implementations can reproduce the signatures. Generated by tests/vectors.rs.",
        "format_version": 1,
        "prefix": PREFIX,
        "leeway_seconds": 60,
        "keyring": keyring,
        "unknown_signer": {"seed": hex::encode([4u8; 32]), "key_id": unknown.key_id().to_string()},
        "cases": cases,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap();
    s.push('\n');
    s
}

#[test]
fn vectors_file_is_up_to_date() {
    let fresh = generate();
    if std::env::var_os("KEYSEAL_UPDATE_VECTORS").is_some() {
        std::fs::write(FILE, &fresh).unwrap();
    }
    let on_disk = std::fs::read_to_string(FILE)
        .expect("tests/vectors/keys.json is missing; run with KEYSEAL_UPDATE_VECTORS=1");
    assert!(
        on_disk == fresh,
        "tests/vectors/keys.json differs from what tests/vectors.rs generates; if the format changed deliberately, bump the version and regenerate with KEYSEAL_UPDATE_VECTORS=1"
    );
}

#[test]
fn vectors_verify_as_stated() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap()).unwrap();
    let mut keyring = Keyring::new();
    for k in doc["keyring"].as_array().unwrap() {
        let pk = PublicKey::from_bytes(&hex::decode(k["public_key"].as_str().unwrap()).unwrap())
            .unwrap();
        assert_eq!(pk.key_id().to_string(), k["key_id"].as_str().unwrap());
        let state: KeyState = k["state"].as_str().unwrap().parse().unwrap();
        keyring.add(pk, state).unwrap();
    }
    let prefix = Prefix::new(doc["prefix"].as_str().unwrap()).unwrap();
    let base = Verifier::new(prefix, keyring);
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "{}", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut options = VerifierOptions::default();
        if let Some(max) = case["max_lifetime"].as_u64() {
            options = options.max_lifetime(Duration::from_secs(max));
        }
        let verifier = base.clone().with_options(options);
        let now = Timestamp::from_unix(case["now"].as_u64().unwrap()).unwrap();
        let result = verifier.verify_at(case["key"].as_str().unwrap(), now);
        let expect = case["expect"].as_str().unwrap();
        match result {
            Ok(v) => {
                assert_eq!(expect, "valid", "{name}: verified, expected {expect}");
                let c = &case["claims"];
                assert_eq!(v.app_id(), c["app_id"], "{name}");
                let scopes: Vec<&str> = v.claims().scopes().collect();
                assert_eq!(json!(scopes), c["scopes"], "{name}");
                assert_eq!(
                    json!(v.claims().issued_at().as_unix()),
                    c["issued_at"],
                    "{name}"
                );
                assert_eq!(json!(v.expires_at().as_unix()), c["expires_at"], "{name}");
                assert_eq!(
                    json!(v.claims().not_before().map(Timestamp::as_unix)),
                    c["not_before"],
                    "{name}"
                );
                assert_eq!(json!(v.token_id().to_string()), c["token_id"], "{name}");
                assert_eq!(json!(v.key_id().to_string()), c["key_id"], "{name}");
                let ext: Vec<Value> = v
                    .claims()
                    .extensions()
                    .map(|(n, val)| json!([n, hex::encode(val)]))
                    .collect();
                assert_eq!(json!(ext), c["extensions"], "{name}");
            }
            Err(e) => assert_eq!(e.code(), expect, "{name}: {e}"),
        }
    }
}

#[test]
fn standard_workload_fits_in_224_characters() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap()).unwrap();
    let standard = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "standard")
        .unwrap();
    let len = standard["key"].as_str().unwrap().len();
    assert!(len <= 224, "standard key is {len} characters");
    assert_eq!(
        len, 222,
        "the standard key's size changed: update README and FORMAT.md"
    );
}
