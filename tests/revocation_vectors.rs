//! Revocation list vectors in `tests/vectors/revocation.json`: generated here from fixed seeds
//! by the FORMAT.md encoder in `tests/common`, checked against the file, then run through the
//! library. Regenerate after a deliberate format change with
//! `KEYSEAL_UPDATE_VECTORS=1 cargo test --test revocation_vectors`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use core::time::Duration;

use common::{ListPayload, signed_list};
use keyseal::{
    Issuer, KeyState, Keyring, NewKey, Prefix, PublicKey, RevocationList, SigningKey, Timestamp,
    TokenId, Verifier,
};
use serde_json::{Value, json};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/revocation.json");
const NOW: u64 = 1_795_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const PREFIX: &str = "acme_live";

fn sk(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32]).unwrap()
}

fn base() -> ListPayload {
    ListPayload {
        sequence: 3,
        issued_at: NOW,
        stale_after: NOW + DAY,
        tokens: vec![([0x11; 16], NOW + 30 * DAY), ([0x22; 16], NOW + 30 * DAY)],
        apps: vec![
            ("app_old".into(), NOW - DAY, None),
            ("app_rotated".into(), NOW, Some(NOW + HOUR)),
        ],
        signers: vec![(sk(2).key_id().to_bytes(), Some(NOW + 2 * HOUR))],
    }
}

fn key(signer: u8, app: &str, iat: u64, tid: u8) -> String {
    Issuer::new(Prefix::new(PREFIX).unwrap(), sk(signer))
        .issue_at(
            NewKey::for_app(app)
                .scope("orders:read")
                .expires_in(Duration::from_secs(30 * DAY))
                .token_id(TokenId::from_bytes([tid; 16])),
            Timestamp::from_unix(iat).unwrap(),
        )
        .unwrap()
        .into_string()
}

fn case(name: &str, reason: &str, list: &[u8], expect: &str) -> Value {
    json!({"name": name, "reason": reason, "list": hex::encode(list), "expect": expect})
}

fn generate() -> String {
    let a = sk(1);
    let list = |p: &ListPayload| signed_list(&a, PREFIX, 1, &p.encode());
    let valid = list(&base());
    let checks = json!([
        {"key": key(1, "app_new", NOW - HOUR, 0x11), "now": NOW, "expect": "revoked", "why": "token id listed"},
        {"key": key(1, "app_new", NOW - HOUR, 0x33), "now": NOW, "expect": "valid", "why": "token id not listed"},
        {"key": key(1, "app_old", NOW - DAY - 1, 0x44), "now": NOW, "expect": "revoked", "why": "app_old issued before the cut-off"},
        {"key": key(1, "app_old", NOW - DAY, 0x45), "now": NOW, "expect": "valid", "why": "app_old issued exactly at the cut-off"},
        {"key": key(1, "app_rotated", NOW - DAY, 0x46), "now": NOW + HOUR - 1, "expect": "valid", "why": "grace period not over"},
        {"key": key(1, "app_rotated", NOW - DAY, 0x46), "now": NOW + HOUR, "expect": "revoked", "why": "grace period over"},
        {"key": key(2, "app_new", NOW - HOUR, 0x55), "now": NOW + 2 * HOUR - 1, "expect": "valid", "why": "signer revoked from NOW + 2 h"},
        {"key": key(2, "app_new", NOW - HOUR, 0x55), "now": NOW + 2 * HOUR, "expect": "revoked", "why": "signer revoked"},
        {"key": key(1, "app_new", NOW - HOUR, 0x33), "now": NOW + DAY, "expect": "revocation_list_stale", "why": "list stale at stale_after (fail closed)"},
        {"key": key(1, "app_new", NOW - HOUR, 0x11), "now": NOW + DAY, "expect": "revocation_list_stale", "why": "a revoked key with a stale list: staleness is checked before the entries"},
    ]);
    let mut cases = vec![{
        let mut c = case(
            "valid",
            "two tokens, two app entries (one with grace), one signer with grace",
            &valid,
            "valid",
        );
        c["sequence"] = json!(3);
        c["checks"] = checks;
        c
    }];
    let mut p = base();
    p.tokens.swap(0, 1);
    cases.push(case(
        "tokens-reordered",
        "token ids out of order, signed",
        &list(&p),
        "revocation_list.not_canonical",
    ));
    let mut p = base();
    p.tokens[1].0 = p.tokens[0].0;
    cases.push(case(
        "tokens-duplicated",
        "a token id twice, signed",
        &list(&p),
        "revocation_list.not_canonical",
    ));
    let mut p = base();
    p.apps.swap(0, 1);
    cases.push(case(
        "apps-reordered",
        "app entries out of order, signed",
        &list(&p),
        "revocation_list.not_canonical",
    ));
    let mut p = base();
    p.signers.push(p.signers[0]);
    cases.push(case(
        "signers-duplicated",
        "a signer entry twice, signed",
        &list(&p),
        "revocation_list.not_canonical",
    ));
    let mut over_long = base().encode();
    over_long.splice(0..1, [0x83, 0x00]);
    cases.push(case(
        "over-long-varint",
        "sequence 3 written as 83 00, signed",
        &list_raw(&a, &over_long),
        "revocation_list.not_canonical",
    ));
    let mut trailing = base().encode();
    trailing.push(0);
    cases.push(case(
        "trailing-byte",
        "a byte after the payload, signed",
        &list_raw(&a, &trailing),
        "revocation_list.malformed",
    ));
    let mut p = base();
    p.stale_after = p.issued_at;
    cases.push(case(
        "stale-before-issued",
        "stale_after equals issued_at, signed",
        &list(&p),
        "revocation_list.bad_times",
    ));
    let mut p = base();
    p.issued_at = NOW + 61;
    cases.push(case(
        "issued-in-future",
        "issued_at 61 s after now: beyond the 60 s clock leeway, signed",
        &list(&p),
        "revocation_list.issued_in_future",
    ));
    let mut p = base();
    p.issued_at = NOW + 60;
    cases.push({
        let mut c = case(
            "issued-within-leeway",
            "issued_at 60 s after now: within the 60 s clock leeway, signed",
            &list(&p),
            "valid",
        );
        c["sequence"] = json!(3);
        c["checks"] = json!([]);
        c
    });
    let mut p = base();
    p.sequence = 0;
    cases.push({
        let mut c = case(
            "sequence-0",
            "sequence 0 is a valid sequence, signed",
            &list(&p),
            "valid",
        );
        c["sequence"] = json!(0);
        c["checks"] = json!([]);
        c
    });
    cases.push({
        let mut c = case(
            "signed-by-a-revoked-signer",
            "signed by the verify-only key 2, which its own signers entry revokes: entries revoke keys, not lists",
            &signed_list(&sk(2), PREFIX, 1, &base().encode()),
            "valid",
        );
        c["sequence"] = json!(3);
        c["checks"] = json!([]);
        c
    });
    let mut p = base();
    p.tokens.clear();
    p.signers.clear();
    p.apps.truncate(1); // app_old, effective none: its option tag is the second-to-last byte
    let mut bad_tag = p.encode();
    let n = bad_tag.len();
    bad_tag[n - 2] = 2;
    cases.push(case(
        "option-tag-2",
        "an app entry's optional time with tag 0x02, signed",
        &list_raw(&a, &bad_tag),
        "revocation_list.malformed",
    ));
    let mut head = Vec::new();
    common::varint(3, &mut head);
    common::varint(NOW, &mut head);
    common::varint(NOW + DAY, &mut head);
    let mut truncated_count = head.clone();
    truncated_count.push(0x80); // a varint whose continuation never comes
    cases.push(case(
        "count-truncated",
        "the token count's varint runs past the end of the payload, signed",
        &list_raw(&a, &truncated_count),
        "revocation_list.malformed",
    ));
    let mut over_limit = head.clone();
    common::varint(5_000_001, &mut over_limit);
    cases.push(case(
        "count-over-limit-and-truncated",
        "5,000,001 token entries announced and none present: the limit is checked first, signed",
        &list_raw(&a, &over_limit),
        "revocation_list.too_many_entries",
    ));
    cases.push(case(
        "prefix-breaks-grammar",
        "signed for the prefix ACME_LIVE, which breaks the prefix grammar",
        &signed_list(&a, "ACME_LIVE", 1, &base().encode()),
        "revocation_list.wrong_issuer",
    ));
    cases.push(case(
        "truncated",
        "last byte dropped",
        &valid[..valid.len() - 1],
        "revocation_list.bad_signature",
    ));
    let mut flipped = valid.clone();
    let n = flipped.len();
    flipped[n - 100] ^= 1;
    cases.push(case(
        "payload-bit-flip",
        "one payload bit flipped after signing",
        &flipped,
        "revocation_list.bad_signature",
    ));
    cases.push(case(
        "wrong-issuer",
        "signed for acme_test",
        &signed_list(&a, "acme_test", 1, &base().encode()),
        "revocation_list.wrong_issuer",
    ));
    cases.push(case(
        "unknown-signer",
        "signed by a key outside the keyring",
        &signed_list(&sk(4), PREFIX, 1, &base().encode()),
        "revocation_list.unknown_signer",
    ));
    cases.push(case(
        "retired-signer",
        "signed by a retired key",
        &signed_list(&sk(3), PREFIX, 1, &base().encode()),
        "revocation_list.signer_not_usable",
    ));
    cases.push(case(
        "version-2",
        "list version 2",
        &signed_list(&a, PREFIX, 2, &base().encode()),
        "revocation_list.unsupported_version",
    ));
    cases.push(case(
        "not-a-list",
        "a key's context instead of the list's",
        b"keyseal/key\0garbage",
        "revocation_list.malformed",
    ));
    let mut key_signature = valid.clone();
    key_signature[..24].copy_from_slice(b"keyseal/revocation-lisT\0");
    cases.push(case(
        "bad-magic",
        "one letter of the context changed",
        &key_signature,
        "revocation_list.malformed",
    ));

    let mut older = base();
    older.sequence = 2;
    let updates = json!([
        {"name": "newer", "current": hex::encode(list(&older)), "offered": hex::encode(&valid), "expect": "valid"},
        {"name": "rollback", "current": hex::encode(&valid), "offered": hex::encode(list(&older)), "expect": "revocation_list.rollback"},
        {"name": "replay", "current": hex::encode(&valid), "offered": hex::encode(&valid), "expect": "revocation_list.rollback"},
    ]);

    let keyring: Vec<Value> = [(1u8, "active"), (2, "verify-only"), (3, "retired")]
        .iter()
        .map(|&(n, state)| json!({"seed": hex::encode([n; 32]), "key_id": sk(n).key_id().to_string(), "public_key": hex::encode(sk(n).public_key().to_bytes()), "state": state}))
        .collect();
    let doc = json!({
        "description": "keyseal revocation list v1 test vectors (FORMAT.md §3). Verify each `list` (hex) for prefix `prefix` against the keyring at time `now`; `expect` is `valid` or the error code. For the valid list, each check verifies a key (FORMAT.md §1) with that list in force at the check's `now`, with 60 s leeways and the fail-closed staleness policy. A list issued more than the 60 s leeway after `now` is refused. `updates` load `current`, then offer `offered`. Generated by tests/revocation_vectors.rs.",
        "format_version": 1,
        "prefix": PREFIX,
        "now": NOW,
        "keyring": keyring,
        "cases": cases,
        "updates": updates,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap();
    s.push('\n');
    s
}

fn list_raw(signer: &SigningKey, payload: &[u8]) -> Vec<u8> {
    signed_list(signer, PREFIX, 1, payload)
}

fn load() -> Value {
    serde_json::from_str(&std::fs::read_to_string(FILE).expect("run with KEYSEAL_UPDATE_VECTORS=1"))
        .unwrap()
}

fn keyring(doc: &Value) -> Keyring {
    let mut ring = Keyring::new();
    for k in doc["keyring"].as_array().unwrap() {
        let pk = PublicKey::from_bytes(&hex::decode(k["public_key"].as_str().unwrap()).unwrap())
            .unwrap();
        ring.add(
            pk,
            k["state"].as_str().unwrap().parse::<KeyState>().unwrap(),
        )
        .unwrap();
    }
    ring
}

fn outcome(r: Result<Verifier, keyseal::Error>) -> String {
    match r {
        Ok(_) => "valid".into(),
        Err(e) => e.code().into(),
    }
}

#[test]
fn revocation_vectors_file_is_up_to_date() {
    let fresh = generate();
    if std::env::var_os("KEYSEAL_UPDATE_VECTORS").is_some() {
        std::fs::write(FILE, &fresh).unwrap();
    }
    assert!(
        std::fs::read_to_string(FILE).unwrap() == fresh,
        "tests/vectors/revocation.json differs from what tests/revocation_vectors.rs generates; regenerate with KEYSEAL_UPDATE_VECTORS=1 after a deliberate format change"
    );
}

#[test]
fn revocation_vectors_verify_as_stated() {
    let doc = load();
    let prefix = Prefix::new(doc["prefix"].as_str().unwrap()).unwrap();
    let now = Timestamp::from_unix(doc["now"].as_u64().unwrap()).unwrap();
    let verifier = Verifier::new(prefix.clone(), keyring(&doc));
    for c in doc["cases"].as_array().unwrap() {
        let bytes = hex::decode(c["list"].as_str().unwrap()).unwrap();
        let loaded = verifier.update_revocations(&bytes, now);
        assert_eq!(
            outcome(loaded.clone()),
            c["expect"].as_str().unwrap(),
            "{}",
            c["name"]
        );
        // The standalone check agrees with the verifier update.
        assert_eq!(
            RevocationList::verify(&bytes, &prefix, verifier.keyring(), now).is_ok(),
            loaded.is_ok()
        );
        let Ok(with_list) = loaded else { continue };
        assert_eq!(
            json!(with_list.revocation_list().unwrap().sequence()),
            c["sequence"]
        );
        for check in c["checks"].as_array().unwrap() {
            let at = Timestamp::from_unix(check["now"].as_u64().unwrap()).unwrap();
            let got = match with_list.verify_at(check["key"].as_str().unwrap(), at) {
                Ok(_) => "valid",
                Err(e) => e.code(),
            };
            assert_eq!(
                got,
                check["expect"].as_str().unwrap(),
                "{}: {}",
                c["name"],
                check["why"]
            );
        }
    }
    for u in doc["updates"].as_array().unwrap() {
        let current = hex::decode(u["current"].as_str().unwrap()).unwrap();
        let offered = hex::decode(u["offered"].as_str().unwrap()).unwrap();
        let v = verifier.update_revocations(&current, now).unwrap();
        assert_eq!(
            outcome(v.update_revocations(&offered, now)),
            u["expect"].as_str().unwrap(),
            "{}",
            u["name"]
        );
    }
}
