//! `keyseal verify` and `keyseal inspect`, run as the real binary: one exit status and one
//! line per failure class, the JSON report of both outcomes, setup failures, and the payload
//! problem named in both commands.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use keyseal::{Keyring, SaveMode};
use predicates::prelude::*;
use serde_json::Value;
use support::common;
use support::*;

#[test]
fn verify_failure_classes_have_distinct_statuses_and_one_line() {
    let f = Fixture::new();
    let live = live_key("app_1");
    // A keyring where the same signer is retired.
    let mut retired = Keyring::load_json_file(f.path("keyring.json")).unwrap();
    retired.retire(signing(1).key_id()).unwrap();
    retired
        .save_json_file(f.path("retired.json"), SaveMode::CreateNew)
        .unwrap();
    // A revocation list revoking `revoked`.
    let revoked = live_key("app_2");
    f.write("revoked.txt", &revoked);
    f.revoke(&["--create", "--api-keys-from", "revoked.txt"])
        .success();
    let expired = issue_for(1, PREFIX, "app_3", now().saturating_sub(10 * DAY), DAY);
    let other_signer = issue_for(9, PREFIX, "app_4", now(), DAY);
    let other_prefix = issue_for(1, "acme_test", "app_5", now(), DAY);
    let in_two_days = now().saturating_add(2 * DAY).to_string();

    let cases: Vec<(&str, String, Vec<&str>, i32, String)> = vec![
        (
            "garbage",
            "not a key".into(),
            vec![],
            10,
            "malformed key: does not start with a valid '<prefix>_'".into(),
        ),
        (
            "mistyped",
            mistype(&live),
            vec![],
            10,
            "malformed key: checksum mismatch".into(),
        ),
        (
            "wrong prefix",
            other_prefix,
            vec![],
            11,
            "key has the wrong prefix for this verifier".into(),
        ),
        (
            "unknown signer",
            other_signer,
            vec![],
            12,
            format!("key signed by unknown signing key {}", signing(9).key_id()),
        ),
        (
            "retired signer",
            live.clone(),
            vec!["retired.json"],
            13,
            format!("key signed by retired signing key {}", signing(1).key_id()),
        ),
        (
            "forged",
            forge(&live),
            vec![],
            14,
            "signature does not verify".into(),
        ),
        ("expired", expired, vec![], 15, "key expired at ".into()),
        (
            "revoked",
            revoked,
            vec!["--revocations", "revoked.bin"],
            17,
            "key is revoked: its token id is revoked (revocation list 1)".into(),
        ),
        (
            "missing scope",
            live.clone(),
            vec!["--require-scope", "orders:write"],
            18,
            "key does not grant scope orders:write".into(),
        ),
        (
            "stale list",
            live.clone(),
            vec!["--revocations", "revoked.bin", "--at", &in_two_days],
            19,
            "revocation list 1 has been stale since".into(),
        ),
        (
            "lifetime too long",
            live.clone(),
            vec!["--max-lifetime", "7d"],
            20,
            "key lifetime of 2592000 s exceeds the allowed maximum of 604800 s".into(),
        ),
    ];
    for (what, key, mut extra, code, message) in cases {
        // A first argument naming a file is the keyring to use.
        let keyring = match extra.first() {
            Some(name) if name.ends_with(".json") => extra.remove(0),
            _ => "keyring.json",
        };
        let out = f
            .verify_with(keyring, &extra, &key)
            .code(code)
            .stdout(predicate::str::is_empty());
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
        assert!(
            err.starts_with("keyseal: key rejected: ") && err.contains(&message),
            "{what}: {err}"
        );
    }
    // The same key passes with the right scope and a fresh list.
    f.verify(
        &[
            "--revocations",
            "revoked.bin",
            "--require-scope",
            "orders:read",
        ],
        &live,
    )
    .code(0)
    .stdout(predicate::str::contains(
        "revocation:  not revoked (list sequence 1)",
    ));
    // A 30-day key is within a 30-day maximum.
    f.verify(&["--max-lifetime", "30d"], &live).code(0);
}

#[test]
fn verify_json_reports_both_outcomes() {
    let f = Fixture::new();
    let live = live_key("app_1");
    let v = json(&f.verify(&["--json"], &live).code(0));
    assert_eq!(v["valid"], true);
    assert_eq!(v["claims"]["app_id"], "app_1");
    assert_eq!(v["key_id"], signing(1).key_id().to_string());
    assert_eq!(v["signer_state"], "active");
    assert_eq!(v["revocation_list"], Value::Null);
    let out = f
        .verify(&["--json"], &forge(&live))
        .code(14)
        .stderr(predicate::str::is_empty());
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["code"], "bad_signature");
    assert_eq!(v["exit_code"], 14);
    // The key may also be an argument.
    f.run(&[
        "verify",
        "--keyring",
        "keyring.json",
        "--prefix",
        PREFIX,
        &live,
    ])
    .code(0);
}

#[test]
fn verify_setup_failures() {
    let f = Fixture::new();
    let live = live_key("app_1");
    f.write("garbage.bin", "not a list");
    f.write("empty.json", "");
    let cases: [(&[&str], i32, &str); 5] = [
        (
            &["--keyring", "missing.json"],
            3,
            "cannot load keyring missing.json",
        ),
        (
            &["--keyring", "empty.json"],
            4,
            "cannot load keyring empty.json: keyring document: invalid JSON",
        ),
        (
            &["--keyring", "keyring.json", "--revocations", "garbage.bin"],
            4,
            "cannot use revocation list garbage.bin: revocation list refused: not a keyseal revocation list",
        ),
        (
            &["--keyring", "keyring.json", "--revocations", "none.bin"],
            3,
            "cannot read none.bin",
        ),
        (
            &["--keyring", "keyring.json", "--require-scope", "nope"],
            2,
            "scope must be",
        ),
    ];
    for (args, code, message) in cases {
        let mut all = vec!["verify", "--prefix", PREFIX];
        all.extend_from_slice(args);
        f.keyseal(&all)
            .write_stdin(live.clone())
            .assert()
            .code(code)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(message));
    }
    f.run(&["verify", "--prefix", PREFIX])
        .code(2)
        .stderr(predicate::str::contains("--keyring <FILE>"));
}

#[test]
fn inspect_decodes_under_an_unverified_banner() {
    let f = Fixture::new();
    let forged = forge(&live_key("app_1"));
    let out = f
        .keyseal(&["inspect"])
        .write_stdin(forged.clone())
        .assert()
        .success();
    let text = stdout(&out);
    assert!(text.starts_with("!!! UNVERIFIED !!!"), "{text}");
    assert!(text.contains("app:         app_1"), "{text}");
    assert!(
        text.contains(&format!("signed by:   {} (claimed)", signing(1).key_id())),
        "{text}"
    );
    let v = json(&f.run(&["inspect", "--json", &forged]).success());
    assert_eq!(v["verified"], false);
    assert!(v["warning"].as_str().unwrap().starts_with("UNVERIFIED"));
    assert_eq!(v["claims"]["scopes"], serde_json::json!(["orders:read"]));
    f.run(&["inspect", &mistype(&forged)])
        .code(10)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::diff(
            "keyseal: cannot decode key: malformed key: checksum mismatch\n",
        ));
}

/// A key carrying `payload`, correctly signed by the fixture's key: every check before the
/// payload decoder passes, in `verify` and in `inspect`.
fn signed_payload(payload: &[u8]) -> String {
    let mut signed = vec![1u8];
    signed.extend_from_slice(&signing(1).key_id().to_bytes());
    signed.extend_from_slice(payload);
    let signature = signing(1).sign_raw(&common::key_message(PREFIX, &signed));
    signed.extend_from_slice(&signature);
    common::key_text(PREFIX, &signed)
}

#[test]
fn inspect_and_verify_name_the_payload_problem() {
    let f = Fixture::new();
    let mut head = Vec::new();
    common::bytes_field(b"app_with_a_long_enough_name", &mut head);
    let mut too_many = head.clone();
    common::varint(33, &mut too_many);
    let mut cut = head.clone();
    common::varint(1, &mut cut);
    common::bytes_field(b"a:b", &mut cut);
    common::varint(now().as_unix(), &mut cut);
    common::varint(now().as_unix() + 86_400, &mut cut);
    cut.push(0);
    cut.extend_from_slice(&[7; 9]);
    let mut trailing = cut.clone();
    trailing.extend_from_slice(&[7; 7]);
    trailing.extend_from_slice(&[0, 0]);
    for (payload, reason) in [
        (too_many, "more than 32 scopes"),
        (cut, "it ends inside the token id"),
        (trailing, "bytes follow the last field"),
    ] {
        let key = signed_payload(&payload);
        f.run(&["inspect", &key])
            .code(10)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::diff(format!(
                "keyseal: cannot decode the claims: malformed key: payload breaks the encoding: {reason}\n"
            )));
        f.verify(&[], &key)
            .code(10)
            .stderr(predicate::str::contains(format!(
                "payload breaks the encoding: {reason}"
            )));
    }
}
