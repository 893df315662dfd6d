//! Public Ed25519 vectors (Wycheproof, RFC 8032, speccheck, C2SP CCTV) through keyseal's one
//! verification primitive: `PublicKey::from_bytes` (canonical, non-weak keys only) followed by
//! `PublicKey::verify_strict`. Provenance: `tests/vectors/ed25519/README.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use keyseal::{KeyState, Keyring, PublicKey, PublicKeyProblem, SigningKey};
use serde_json::Value;

mod common;

use common::ed25519::{hex, load};

/// keyseal's verdict: the key must be acceptable and the signature strictly valid.
fn keyseal_accepts(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(pk) = PublicKey::from_bytes(pk) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    let ours = pk.verify_strict(msg, &sig).is_ok();
    // Every verifier checks through its keyring entry (the key's precomputed multiples).
    let mut keyring = Keyring::new();
    keyring.add(pk, KeyState::VerifyOnly).unwrap();
    let entry = keyring.get(pk.key_id()).unwrap();
    assert_eq!(
        entry.verify_strict(msg, &sig).is_ok(),
        ours,
        "the keyring entry disagrees"
    );
    ours
}

#[test]
fn wycheproof() {
    let doc = load("wycheproof_ed25519_test.json");
    let mut seen = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let pk = hex(&group["publicKey"]["pk"]);
        for t in group["tests"].as_array().unwrap() {
            let expected = match t["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("unexpected result {other}"),
            };
            let got = keyseal_accepts(&pk, &hex(&t["msg"]), &hex(&t["sig"]));
            assert_eq!(
                got, expected,
                "Wycheproof tcId {}: {}",
                t["tcId"], t["comment"]
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 151);
}

#[test]
fn rfc8032_known_answers() {
    let doc = load("rfc8032_vectors.json");
    let vectors = doc["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 5);
    for v in vectors {
        let seed: [u8; 32] = hex(&v["secret_key"]).try_into().unwrap();
        let sk = SigningKey::from_seed(&seed).unwrap();
        assert_eq!(
            sk.public_key().to_bytes().to_vec(),
            hex(&v["public_key"]),
            "{}",
            v["name"]
        );
        let msg = hex(&v["message"]);
        let sig = sk.sign_raw(&msg);
        assert_eq!(sig.to_vec(), hex(&v["signature"]), "{}", v["name"]);
        assert!(
            keyseal_accepts(&hex(&v["public_key"]), &msg, &sig),
            "{}",
            v["name"]
        );
    }
}

#[test]
fn speccheck_only_case_3_verifies() {
    let doc = load("speccheck_cases.json");
    let verdicts: Vec<bool> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            keyseal_accepts(
                &hex(&c["pub_key"]),
                &hex(&c["message"]),
                &hex(&c["signature"]),
            )
        })
        .collect();
    let expected: Vec<bool> = (0..12).map(|i| i == 3).collect();
    assert_eq!(verdicts, expected);
}

#[test]
fn cctv_edge_cases() {
    let doc = load("cctv_ed25519vectors.json");
    let cases = doc.as_array().unwrap();
    assert_eq!(cases.len(), 914);
    let mut accepted = 0;
    for c in cases {
        let key = hex(&c["key"]);
        let msg = c["msg"].as_str().unwrap().as_bytes();
        let sig = hex(&c["sig"]);
        let flags: Vec<&str> = c["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if keyseal_accepts(&key, msg, &sig) {
            accepted += 1;
            // Nothing keyseal accepts has a small-order or non-canonical component.
            for bad in [
                "low_order_A",
                "low_order_R",
                "non_canonical_A",
                "non_canonical_R",
            ] {
                assert!(
                    !flags.contains(&bad),
                    "CCTV {} accepted despite {bad}",
                    c["number"]
                );
            }
        }
        for bad in ["low_order_A", "non_canonical_A"] {
            if flags.contains(&bad) {
                assert!(
                    PublicKey::from_bytes(&key).is_err(),
                    "CCTV {} key has {bad}",
                    c["number"]
                );
            }
        }
    }
    // ed25519-dalek's verify_strict alone accepts 43 of the 914 (vectors README); keyseal
    // accepts the same 43, since none of them uses a key keyseal refuses.
    assert_eq!(accepted, 43);
}

#[test]
fn cctv_non_canonical_keys_that_dalek_accepts_are_refused() {
    let doc = load("cctv_ed25519vectors.json");
    let (mut cases, mut small_order) = (0, 0);
    let mut distinct = std::collections::BTreeSet::new();
    for c in doc.as_array().unwrap() {
        let key: [u8; 32] = hex(&c["key"]).try_into().unwrap();
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(&key) else {
            continue;
        };
        if vk.to_edwards().compress().to_bytes() == key {
            continue;
        }
        cases += 1;
        distinct.insert(key);
        let refused = PublicKey::from_bytes(&key);
        if vk.is_weak() {
            small_order += 1;
        }
        assert_eq!(
            refused,
            Err(keyseal::Error::InvalidPublicKey(
                PublicKeyProblem::NonCanonical
            )),
            "CCTV {}",
            c["number"]
        );
    }
    eprintln!(
        "{cases} cases, {} distinct keys, {small_order} small order",
        distinct.len()
    );
    assert!(cases > 0);
}

/// Every non-canonical encoding of a curve point: `y` in `p..2^255` (p = 2^255 - 19) with
/// either sign bit, and the sign bit set on the two points whose `x` is zero.
fn non_canonical_candidates() -> Vec<[u8; 32]> {
    let mut candidates = Vec::new();
    for k in 0u8..19 {
        // p + k, little-endian: p = 0x7fff...ffed.
        let mut y = [0xffu8; 32];
        y[0] = 0xed_u8.wrapping_add(k);
        y[31] = 0x7f;
        candidates.push(y);
        let mut neg = y;
        neg[31] |= 0x80;
        candidates.push(neg);
    }
    let mut one = [0u8; 32];
    one[0] = 1;
    one[31] = 0x80; // y = 1, x = 0 with the sign bit set
    candidates.push(one);
    let mut minus_one = [0xffu8; 32];
    minus_one[0] = 0xec;
    minus_one[31] = 0xff; // y = p - 1, x = 0 with the sign bit set
    candidates.push(minus_one);
    candidates
}

/// Whatever `VerifyingKey::from_bytes` lets through, keyseal must refuse.
#[test]
fn every_non_canonical_point_encoding_is_refused() {
    let mut accepted_by_dalek = 0;
    for bytes in &non_canonical_candidates() {
        if ed25519_dalek::VerifyingKey::from_bytes(bytes).is_ok() {
            accepted_by_dalek += 1;
        }
        assert!(
            PublicKey::from_bytes(bytes).is_err(),
            "{}",
            hex::encode(bytes)
        );
    }
    // The C2SP CCTV notes count 26 non-canonical encodings that decompress.
    assert_eq!(accepted_by_dalek, 26, "dalek's lenient decoder changed");
}

const NON_CANONICAL_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/non_canonical_points.json"
);

/// `tests/vectors/non_canonical_points.json` (FORMAT.md §1.5): the 26 non-canonical
/// encodings that Ed25519 point decoders accept, each with the canonical encoding of the
/// point it decodes to, generated here from the candidates above.
fn non_canonical_points_document() -> String {
    let points: Vec<Value> = non_canonical_candidates()
        .iter()
        .filter_map(|bytes| {
            let vk = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
            Some(serde_json::json!({
                "encoding": hex::encode(bytes),
                "canonical": hex::encode(vk.to_edwards().compress().to_bytes()),
                "small_order": vk.is_weak(),
                "expect": "invalid_public_key",
            }))
        })
        .collect();
    let doc = serde_json::json!({
        "description": "The 26 non-canonical encodings of Ed25519 points that lenient point decoders accept (y >= p, or the sign bit set on a point with x = 0). Each decodes to the point whose canonical encoding is `canonical`; a keyseal keyring MUST refuse every one (FORMAT.md §1.5), or one key would have several key ids. `expect` is keyseal's error code; the reason is PublicKeyProblem::NonCanonical. Generated by tests/ed25519_vectors.rs.",
        "points": points,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap();
    s.push('\n');
    s
}

#[test]
fn the_non_canonical_points_file_is_up_to_date() {
    let fresh = non_canonical_points_document();
    if std::env::var_os("KEYSEAL_UPDATE_VECTORS").is_some() {
        std::fs::write(NON_CANONICAL_FILE, &fresh).unwrap();
    }
    assert!(
        std::fs::read_to_string(NON_CANONICAL_FILE).unwrap() == fresh,
        "tests/vectors/non_canonical_points.json differs from what tests/ed25519_vectors.rs generates; regenerate with KEYSEAL_UPDATE_VECTORS=1"
    );
}

#[test]
fn every_point_in_the_non_canonical_file_is_refused() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(NON_CANONICAL_FILE).unwrap()).unwrap();
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 26);
    for p in points {
        let bytes = hex(&p["encoding"]);
        assert_ne!(bytes, hex(&p["canonical"]));
        let refused = PublicKey::from_bytes(&bytes).unwrap_err();
        assert_eq!(
            refused,
            keyseal::Error::InvalidPublicKey(PublicKeyProblem::NonCanonical),
            "{}",
            p["encoding"]
        );
        assert_eq!(refused.code(), p["expect"].as_str().unwrap());
    }
}
