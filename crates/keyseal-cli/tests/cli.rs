//! The `keyseal` command-line tool, run as the real binary: every command's success path,
//! every failure class with its exit status and message, `scan` over a generated tree of
//! live, expired, revoked, forged, unknown-signer and look-alike keys, and files never left
//! half-written when a command fails midway.
//!
//! Fixtures (signing keys, keyrings, expired keys) are made with the library in a temporary
//! directory at test time, so no live key is ever checked in.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../../../tests/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::{
    Issuer, KeyState, Keyring, NewKey, Prefix, RevocationList, SaveMode, SigningKey, UntrustedKey,
};
use predicates::prelude::*;
use serde_json::Value;
use support::*;

// `forge`d and `mistype`d keys are made here; the fixture (a temporary directory with
// `signing.pem`, seed 1, and `keyring.json` holding its public key as the active key), the
// keys issued with the library and the bounded runs of the binary come from `support`.

/// The same key with one signature byte changed and the checksum recomputed: well-formed,
/// signed by a key id in the keyring, but forged.
fn forge(key: &str) -> String {
    let (prefix, body) = key.split_at(key.find("_A").unwrap());
    let mut bytes = Base64UrlUnpadded::decode_vec(&body[1..]).unwrap();
    bytes.truncate(bytes.len() - 4);
    let at = bytes.len() - 10;
    bytes[at] ^= 0x01;
    common::key_text(prefix, &bytes)
}

/// The same key with one body character changed: the checksum no longer matches.
fn mistype(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    let at = chars.len() - 20;
    chars[at] = if chars[at] == 'Q' { 'R' } else { 'Q' };
    chars.into_iter().collect()
}

impl Fixture {
    /// `keyseal verify` against the fixture's keyring, the key on standard input.
    fn verify(&self, extra: &[&str], key: &str) -> Assert {
        self.verify_with("keyring.json", extra, key)
    }

    /// `keyseal verify` against a keyring, the key on standard input.
    fn verify_with(&self, keyring: &str, extra: &[&str], key: &str) -> Assert {
        let mut args = vec!["verify", "--keyring", keyring, "--prefix", PREFIX];
        args.extend_from_slice(extra);
        self.keyseal(&args).write_stdin(format!("{key}\n")).assert()
    }

    /// `keyseal revoke` on `revoked.bin` with the fixture's keyring and key.
    fn revoke(&self, extra: &[&str]) -> Assert {
        self.run(&revoke_args("signing.pem", extra))
    }

    /// The revocation list, verified with the library.
    fn list(&self) -> RevocationList {
        let bytes = fs::read(self.path("revoked.bin")).unwrap();
        let ring = Keyring::load_json_file(self.path("keyring.json")).unwrap();
        RevocationList::verify(&bytes, &Prefix::new(PREFIX).unwrap(), &ring, now()).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// The README session and every command's success path.

#[test]
fn readme_session_keygen_issue_verify_revoke_verify_fails() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture { dir };
    let out = f.run(&["keygen", "--out", "signing.pem"]).success();
    let text = stdout(&out);
    let kid = signing_kid(&f.path("signing.pem"));
    assert!(text.contains(&format!("key id:     {kid}")), "{text}");
    assert!(text.contains("public key: keyseal-public-v1_"), "{text}");
    assert_eq!(
        fs::metadata(f.path("signing.pem"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    f.run(&["keyring", "create", "keyring.json", "--key", "signing.pem"])
        .success()
        .stdout(predicate::str::contains(format!("with key {kid} (active)")));

    let out = f
        .run(&[
            "issue",
            "--key",
            "signing.pem",
            "--prefix",
            PREFIX,
            "--app",
            "app_7f3k9x2m",
            "--scope",
            "orders:read",
            "--scope",
            "orders:write",
            "--ttl",
            "90d",
        ])
        .success()
        .stderr(predicate::str::contains("issued token "));
    let key = stdout(&out);
    assert_eq!(key.lines().count(), 1, "only the key on stdout: {key}");
    let key = key.trim().to_string();
    let claims = UntrustedKey::parse(&key)
        .unwrap()
        .untrusted_claims()
        .unwrap();
    assert_eq!(claims.app_id(), "app_7f3k9x2m");
    assert_eq!(
        claims.expires_at().duration_since(claims.issued_at()),
        90 * DAY
    );
    f.write("api.key", &format!("{key}\n"));

    f.verify(&["--require-scope", "orders:read"], &key)
        .code(0)
        .stdout(predicate::str::contains(
            "VALID acme_live key for app app_7f3k9x2m",
        ))
        .stdout(predicate::str::contains(
            "scopes:      orders:read orders:write",
        ))
        .stdout(predicate::str::contains(format!(
            "signed by:   {kid} (active)"
        )));

    f.revoke(&["--create", "--api-keys-from", "api.key"])
        .success()
        .stdout(predicate::str::contains(format!(
            "revoked token {} of app app_7f3k9x2m (api.key:1)",
            claims.token_id()
        )))
        .stdout(predicate::str::contains("revoked.bin: sequence 1,"));
    f.verify(&["--revocations", "revoked.bin"], &key)
        .code(17)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::diff(
            "keyseal: key rejected: key is revoked: its token id is revoked (revocation list 1)\n",
        ));
}

fn signing_kid(path: &Path) -> String {
    SigningKey::load_file(path).unwrap().key_id().to_string()
}

#[test]
fn keygen_text_form_public_file_and_json() {
    let f = Fixture::new();
    let out = f
        .run(&[
            "keygen",
            "--out",
            "new.key",
            "--format",
            "text",
            "--public-out",
            "new.pub",
            "--json",
        ])
        .success();
    let v = json(&out);
    let sk = SigningKey::load_file(f.path("new.key")).unwrap();
    assert!(
        fs::read_to_string(f.path("new.key"))
            .unwrap()
            .starts_with("keyseal-secret-v1_")
    );
    assert_eq!(v["key_id"], sk.key_id().to_string());
    assert_eq!(v["public_key"], sk.public_key().to_text());
    assert_eq!(
        fs::read_to_string(f.path("new.pub")).unwrap(),
        format!("{}\n", sk.public_key().to_text())
    );
    // PEM public key file, readable by the library.
    f.run(&["keygen", "--out", "b.pem", "--public-out", "b.pub.pem"])
        .success();
    assert_eq!(
        keyseal::PublicKey::load_pem_file(f.path("b.pub.pem")).unwrap(),
        SigningKey::load_file(f.path("b.pem")).unwrap().public_key()
    );
}

#[test]
fn keygen_never_replaces_a_file() {
    let f = Fixture::new();
    let before = fs::read(f.path("signing.pem")).unwrap();
    f.run(&["keygen", "--out", "signing.pem"])
        .code(5)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "key file signing.pem already exists; keyseal does not replace a key unless asked to",
        ));
    // Nor when only the public key file exists: nothing is written at all.
    f.write("taken.pub", "x");
    f.run(&["keygen", "--out", "fresh.pem", "--public-out", "taken.pub"])
        .code(5);
    assert!(!f.path("fresh.pem").exists());
    assert_eq!(fs::read(f.path("signing.pem")).unwrap(), before);
    assert_eq!(f.listing(), ["keyring.json", "signing.pem", "taken.pub"]);
}

#[test]
fn keyring_lifecycle_and_list() {
    let f = Fixture::new();
    let second = signing(2).public_key();
    let (k1, k2) = (signing(1).key_id().to_string(), second.key_id().to_string());
    f.run(&[
        "keyring",
        "add",
        "keyring.json",
        "--public-key",
        &second.to_text(),
    ])
    .success()
    .stdout(predicate::str::diff(format!(
        "added {k2} to keyring.json as verify-only\n"
    )));
    f.run(&["keyring", "promote", "keyring.json", &k2])
        .success()
        .stdout(predicate::str::contains(format!(
            "{k2} is now the active key"
        )))
        .stdout(predicate::str::contains(format!(
            "{k1} (previously active) is now verify-only"
        )));
    f.run(&[
        "keyring",
        "set-validity",
        "keyring.json",
        &k1,
        "--not-after",
        "2030-01-01T00:00:00Z",
    ])
    .success();
    let out = f
        .run(&["keyring", "list", "keyring.json", "--json"])
        .success();
    let v = json(&out);
    let keys = v["keys"].as_array().unwrap();
    let entry = |kid: &str| keys.iter().find(|k| k["kid"] == kid).unwrap().clone();
    assert_eq!(entry(&k1)["state"], "verify-only");
    assert_eq!(entry(&k1)["not_after"], "2030-01-01T00:00:00Z");
    assert_eq!(entry(&k2)["state"], "active");
    assert_eq!(entry(&k2)["public_key"], second.to_text());

    f.run(&["keyring", "retire", "keyring.json", &k1]).success();
    let out = f
        .run(&[
            "keyring",
            "list",
            "keyring.json",
            "--at",
            "2031-01-01T00:00:00Z",
        ])
        .success();
    let text = stdout(&out);
    assert!(text.starts_with("KID "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&k1) && l.contains("retired") && l.ends_with("retired")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&k2) && l.contains("active") && l.ends_with("usable")),
        "{text}"
    );
    // The document is what the library reads, with every change applied.
    let ring = Keyring::load_json_file(f.path("keyring.json")).unwrap();
    assert_eq!(ring.active().unwrap().key_id(), second.key_id());
    assert_eq!(
        ring.get(signing(1).key_id()).unwrap().state(),
        KeyState::Retired
    );
    assert_eq!(f.listing(), ["keyring.json", "signing.pem"]);
}

#[test]
fn keyring_refusals_leave_the_document_alone() {
    let f = Fixture::new();
    let before = fs::read(f.path("keyring.json")).unwrap();
    let k1 = signing(1).key_id().to_string();
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["keyring", "add", "keyring.json", "--key", "signing.pem"],
            5,
            "is already present",
        ),
        (
            &["keyring", "promote", "keyring.json", "0123456789abcdef"],
            5,
            "key 0123456789abcdef is not in the keyring",
        ),
        (
            &["keyring", "create", "keyring.json", "--key", "signing.pem"],
            5,
            "keyring.json already exists",
        ),
        (
            &["keyring", "promote", "keyring.json", "XYZ"],
            2,
            "invalid key id",
        ),
        (
            &[
                "keyring",
                "set-validity",
                "keyring.json",
                &k1,
                "--not-before",
                "2030-01-01T00:00:00Z",
                "--not-after",
                "2029-01-01T00:00:00Z",
            ],
            5,
            "ends before it starts",
        ),
        (
            &[
                "keyring",
                "add",
                "keyring.json",
                "--public-key",
                "keyseal-public-v1_nope",
            ],
            4,
            "cannot read --public-key",
        ),
    ];
    for (args, code, message) in cases {
        f.run(args)
            .code(code)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(message));
        assert_eq!(
            fs::read(f.path("keyring.json")).unwrap(),
            before,
            "{args:?}"
        );
    }
    // A secret key given as public text is refused without being echoed.
    let secret = signing(3).to_text();
    f.run(&[
        "keyring",
        "add",
        "keyring.json",
        "--public-key",
        secret.expose_secret(),
    ])
    .code(4)
    .stderr(predicate::str::contains("do not publish it"))
    .stderr(predicate::str::contains(secret.expose_secret()).not());
    // A broken document is named with its problem.
    f.write("broken.json", "{\"version\": 1, \"keys\": []}");
    f.run(&["keyring", "list", "broken.json"])
        .code(4)
        .stderr(predicate::str::contains(
            "cannot load keyring broken.json: keyring document: the document lists no keys",
        ));
    f.run(&["keyring", "list", "missing.json"])
        .code(3)
        .stderr(predicate::str::contains("cannot load keyring missing.json"));
    assert_eq!(f.listing(), ["broken.json", "keyring.json", "signing.pem"]);
}

#[test]
fn issue_options_and_json() {
    let f = Fixture::new();
    let out = f
        .run(&[
            "issue",
            "--key",
            "signing.pem",
            "--prefix",
            PREFIX,
            "--app",
            "app_1",
            "--expires",
            "2099-01-01T00:00:00Z",
            "--not-before",
            "2098-01-01T00:00:00Z",
            "--json",
        ])
        .success();
    let v = json(&out);
    assert_eq!(v["claims"]["expires_at"], "2099-01-01T00:00:00Z");
    assert_eq!(v["claims"]["not_before"], "2098-01-01T00:00:00Z");
    assert_eq!(v["claims"]["scopes"], serde_json::json!([]));
    assert_eq!(v["key_id"], signing(1).key_id().to_string());
    let key = v["key"].as_str().unwrap();
    // Not valid until 2098.
    f.verify(&[], key).code(16).stderr(predicate::str::diff(
        "keyseal: key rejected: key is not valid before 2098-01-01T00:00:00Z\n",
    ));
    f.verify(&["--at", "2098-06-01T00:00:00Z"], key).code(0);
}

#[test]
fn issue_refusals() {
    let f = Fixture::new();
    let base = [
        "issue",
        "--key",
        "signing.pem",
        "--prefix",
        PREFIX,
        "--app",
        "app_1",
    ];
    let cases: [(&[&str], i32, &str); 7] = [
        (&[], 2, "--ttl <DURATION>|--expires <TIME>"),
        (
            &["--ttl", "90"],
            2,
            "expected a positive number and a unit s, m, h or d",
        ),
        (&["--ttl", "0d"], 2, "invalid duration '0d'"),
        (
            &["--ttl", "1d", "--scope", "Orders"],
            2,
            "scope must be 'resource:action'",
        ),
        (&["--expires", "2026-01-01"], 2, "invalid time"),
        (
            &["--ttl", "1d", "--expires", "2099-01-01T00:00:00Z"],
            2,
            "cannot be used with",
        ),
        (
            &["--expires", "2001-01-01T00:00:00Z"],
            4,
            "expiry must be after the issue time",
        ),
    ];
    for (extra, code, message) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        f.run(&args)
            .code(code)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(message));
    }
    f.run(&[
        "issue",
        "--key",
        "signing.pem",
        "--prefix",
        "Acme",
        "--app",
        "a",
        "--ttl",
        "1d",
    ])
    .code(2)
    .stderr(predicate::str::contains("invalid key prefix"));
    // A secret key file others can read is refused, as OpenSSH refuses one.
    fs::set_permissions(f.path("signing.pem"), fs::Permissions::from_mode(0o644)).unwrap();
    f.run(&[
        "issue",
        "--key",
        "signing.pem",
        "--prefix",
        PREFIX,
        "--app",
        "a",
        "--ttl",
        "1d",
    ])
    .code(5)
    .stdout(predicate::str::is_empty())
    .stderr(predicate::str::contains("chmod 600 signing.pem"));
    f.run(&[
        "issue", "--key", "none.pem", "--prefix", PREFIX, "--app", "a", "--ttl", "1d",
    ])
    .code(3)
    .stderr(predicate::str::contains("cannot read none.pem"));
}

// ---------------------------------------------------------------------------------------
// verify: one exit status and one line per failure class.

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

// ---------------------------------------------------------------------------------------
// revoke: entries are never lost, files are never half-written.

#[test]
fn revoke_accumulates_every_kind_of_entry() {
    let f = Fixture::new();
    let token = "0123456789abcdef0123456789abcdef";
    f.revoke(&[
        "--create",
        "--token",
        &format!("{token}@2099-01-01T00:00:00Z"),
    ])
    .success();
    assert_eq!(f.list().sequence(), 1);

    let k1 = live_key("app_1");
    let k2 = live_key("app_2");
    let signer = signing(7).key_id().to_string();
    let out = f
        .keyseal(&revoke_args(
            "signing.pem",
            &[
                "--api-key",
                &k1,
                "--api-keys-from",
                "-",
                "--app",
                "app_9",
                "--issued-before",
                "2026-01-01T00:00:00Z",
                "--signer",
                &signer,
                "--effective",
                "2027-01-01T00:00:00Z",
                "--json",
            ],
        ))
        .write_stdin(format!("# leaked in ticket 42\n\n{k2}\n"))
        .assert()
        .success();
    let v = json(&out);
    assert_eq!(v["sequence"], 2);
    assert_eq!(v["previous_sequence"], 1);
    assert_eq!(
        v["added"],
        serde_json::json!({"tokens": 2, "apps": 1, "signers": 1})
    );
    assert_eq!(v["revoked"][1]["source"], "standard input:3");

    let list = f.list();
    assert_eq!(list.sequence(), 2);
    let tokens: Vec<String> = list
        .tokens()
        .iter()
        .map(|t| t.token_id.to_string())
        .collect();
    for key in [&k1, &k2] {
        let id = UntrustedKey::parse(key)
            .unwrap()
            .untrusted_claims()
            .unwrap()
            .token_id()
            .to_string();
        assert!(tokens.contains(&id));
    }
    assert!(
        tokens.contains(&token.to_string()),
        "the first entry is kept"
    );
    assert_eq!(list.apps()[0].app_id, "app_9");
    assert_eq!(list.signers()[0].key_id, signing(7).key_id());
    assert_eq!(
        list.signers()[0]
            .effective
            .map(|t| t.to_string())
            .as_deref(),
        Some("2027-01-01T00:00:00Z")
    );

    // With no entries the list is re-signed: next sequence, same entries.
    f.revoke(&["--valid-for", "2h"]).success();
    let again = f.list();
    assert_eq!(again.sequence(), 3);
    assert_eq!(again.tokens(), list.tokens());
    assert_eq!(again.apps(), list.apps());
    assert_eq!(again.signers(), list.signers());
    assert_eq!(
        again.stale_after().duration_since(again.issued_at()),
        Duration::from_secs(7200)
    );
    assert_eq!(f.listing(), ["keyring.json", "revoked.bin", "signing.pem"]);
}

#[test]
fn concurrent_revokes_lose_no_entry() {
    let f = Fixture::new();
    f.revoke(&["--create"]).success();
    let keys: Vec<String> = (0..8).map(|i| live_key(&format!("app_{i}"))).collect();
    // Eight processes at once, each revoking one key: each must wait its turn on the lock,
    // build on the list the one before wrote, and keep its entries.
    let children: Vec<std::process::Child> = keys
        .iter()
        .map(|key| {
            std::process::Command::new(env!("CARGO_BIN_EXE_keyseal"))
                .current_dir(f.dir.path())
                .args(revoke_args(
                    "signing.pem",
                    &["--wait", "60s", "--api-key", key],
                ))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = f.list();
    assert_eq!(list.sequence(), 9);
    let revoked: Vec<_> = list.tokens().iter().map(|t| t.token_id).collect();
    for key in &keys {
        let id = UntrustedKey::parse(key)
            .unwrap()
            .untrusted_claims()
            .unwrap()
            .token_id();
        assert!(revoked.contains(&id), "an entry was lost");
    }
    assert_eq!(f.listing(), ["keyring.json", "revoked.bin", "signing.pem"]);
}

#[test]
fn revoke_refusals_leave_the_list_byte_identical() {
    let f = Fixture::new();
    f.revoke(&["--create"]).success();
    let before = fs::read(f.path("revoked.bin")).unwrap();
    let live = live_key("app_1");
    f.write("bad.txt", &format!("{live}\nnot a key\n"));
    let foreign = issue_for(9, PREFIX, "app_2", now(), DAY);
    let other_prefix = issue_for(1, "acme_test", "app_3", now(), DAY);
    let cases: Vec<(Vec<String>, i32, String)> = vec![
        (
            vec!["--api-key".into(), forge(&live)],
            14,
            "cannot revoke --api-key #1: signature does not verify".into(),
        ),
        (
            vec!["--api-key".into(), foreign],
            12,
            "cannot revoke --api-key #1: key signed by unknown signing key".into(),
        ),
        (
            vec!["--api-key".into(), other_prefix],
            11,
            "wrong prefix".into(),
        ),
        (
            vec!["--api-keys-from".into(), "bad.txt".into()],
            10,
            "cannot revoke bad.txt:2: malformed key".into(),
        ),
        (
            vec!["--create".into()],
            5,
            "revoked.bin already exists; --create starts a new list".into(),
        ),
        (
            vec!["--token".into(), "abc".into()],
            2,
            "invalid token id".into(),
        ),
        (
            vec!["--effective".into(), "2030-01-01T00:00:00Z".into()],
            2,
            "--app <APP_ID>".into(),
        ),
    ];
    for (extra, code, message) in cases {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        f.revoke(&extra)
            .code(code)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(message.as_str()));
        assert_eq!(
            fs::read(f.path("revoked.bin")).unwrap(),
            before,
            "{extra:?}"
        );
    }
    // A list signed by a key the keyring does not hold cannot be built on.
    signing(9)
        .save_pem_file(f.path("other.pem"), SaveMode::CreateNew)
        .unwrap();
    f.run(&[
        "revoke",
        "--revocations",
        "revoked.bin",
        "--keyring",
        "keyring.json",
        "--key",
        "other.pem",
        "--prefix",
        PREFIX,
    ])
    .code(5)
    .stderr(predicate::str::contains("cannot sign revocation lists"));
    // A missing list is not silently started anew.
    f.run(&[
        "revoke",
        "--revocations",
        "elsewhere.bin",
        "--keyring",
        "keyring.json",
        "--key",
        "signing.pem",
        "--prefix",
        PREFIX,
    ])
    .code(3)
    .stderr(predicate::str::contains("pass --create to start a new one"));
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), before);
    assert_eq!(
        f.listing(),
        [
            "bad.txt",
            "keyring.json",
            "other.pem",
            "revoked.bin",
            "signing.pem"
        ]
    );
}

#[test]
fn revoke_on_a_tampered_list_changes_nothing() {
    let f = Fixture::new();
    f.revoke(&["--create", "--api-key", &live_key("app_1")])
        .success();
    let mut bytes = fs::read(f.path("revoked.bin")).unwrap();
    let at = bytes.len() - 70;
    bytes[at] ^= 0x01;
    fs::write(f.path("revoked.bin"), &bytes).unwrap();
    f.revoke(&["--api-key", &live_key("app_2")])
        .code(4)
        .stderr(predicate::str::contains(
            "cannot build on revocation list revoked.bin: revocation list refused: signature does not verify",
        ));
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), bytes);
    // A list of another issuer prefix is refused too.
    f.run(&[
        "revoke",
        "--revocations",
        "revoked.bin",
        "--keyring",
        "keyring.json",
        "--key",
        "signing.pem",
        "--prefix",
        "acme_test",
    ])
    .code(4)
    .stderr(predicate::str::contains("issued for another prefix"));
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), bytes);
    assert_eq!(f.listing(), ["keyring.json", "revoked.bin", "signing.pem"]);
}

/// Runs keyseal with a file size limit of zero, so that writing any file fails midway (the
/// shell ignores SIGXFSZ, so the write returns an error instead of killing the process).
fn without_room(f: &Fixture, args: &[&str]) -> Assert {
    let mut cmd = Command::new("sh");
    cmd.current_dir(f.dir.path())
        .arg("-c")
        .arg("ulimit -f 0 && trap '' XFSZ && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_keyseal"))
        .args(args);
    cmd.write_stdin("").assert()
}

#[test]
fn failed_writes_leave_old_files_whole_and_no_temporary_files() {
    let f = Fixture::new();
    f.revoke(&["--create", "--api-key", &live_key("app_1")])
        .success();
    let list = fs::read(f.path("revoked.bin")).unwrap();
    let ring = fs::read(f.path("keyring.json")).unwrap();
    let revoke = revoke_args("signing.pem", &["--app", "app_2"]);
    without_room(&f, &revoke)
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "revocation list not written, the old file is unchanged",
        ));
    let pk = signing(2).public_key().to_text();
    without_room(&f, &["keyring", "add", "keyring.json", "--public-key", &pk]).code(3);
    without_room(&f, &["keygen", "--out", "new.pem"]).code(3);
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), list);
    assert_eq!(fs::read(f.path("keyring.json")).unwrap(), ring);
    assert_eq!(f.listing(), ["keyring.json", "revoked.bin", "signing.pem"]);
    // With room, the same commands succeed: the failures above were the writes.
    f.run(&revoke).success();
    assert_eq!(f.list().apps().len(), 1);
}

// ---------------------------------------------------------------------------------------
// scan

/// A tree with one key of each kind; returns the keys that must never be printed whole.
fn scan_tree(f: &Fixture) -> Vec<String> {
    let live = live_key("app_live");
    let expired = issue_for(
        1,
        PREFIX,
        "app_expired",
        now().saturating_sub(10 * DAY),
        DAY,
    );
    let revoked = live_key("app_revoked");
    let forged = forge(&live_key("app_forged"));
    let unknown = issue_for(9, PREFIX, "app_unknown", now(), DAY);
    let lookalike = mistype(&live_key("app_lookalike"));
    let second = live_key("app_second");
    let secret = signing(1).to_text().expose_secret().to_string();
    let ignored = live_key("app_ignored");
    let later = Issuer::new(Prefix::new(PREFIX).unwrap(), signing(1))
        .issue(
            NewKey::for_app("app_later")
                .not_before(now().saturating_add(DAY))
                .expires_in(30 * DAY),
        )
        .unwrap()
        .into_string();

    f.write("revoked.txt", &revoked);
    f.revoke(&["--create", "--api-keys-from", "revoked.txt"])
        .success();
    fs::remove_file(f.path("revoked.txt")).unwrap();

    f.write("tree/a.txt", &format!("first line\ntoken = \"{live}\"\n"));
    f.write(
        "tree/b/config.rs",
        &format!("// old\nconst K: &str = \"{expired}\";\n"),
    );
    f.write("tree/.env", &format!("API_KEY={revoked}\n"));
    f.write(
        "tree/c.json",
        &format!("{{\"k\": \"{forged}\", \"u\": \"{unknown}\"}}\n"),
    );
    f.write("tree/d.txt", &format!("{lookalike}\n"));
    f.write("tree/e.csv", &format!("{live},{second}\n"));
    f.write("tree/f.yaml", &format!("key: {later}\n"));
    f.write("tree/signing.env", &format!("SIGNING_KEY={secret}\n"));
    f.write("tree/.gitignore", "ignored/\n");
    f.write("tree/ignored/f.txt", &ignored);
    f.write("tree/.git/config", &live);
    vec![
        live, expired, revoked, forged, unknown, lookalike, second, secret, ignored, later,
    ]
}

fn finding(path: &str, line: u64, column: u64, status: &str) -> (String, u64, u64, String) {
    (path.to_string(), line, column, status.to_string())
}

#[test]
fn scan_finds_exactly_the_right_keys() {
    let f = Fixture::new();
    let keys = scan_tree(&f);
    let live_len = u64::try_from(keys[0].len()).unwrap();
    let forged_len = u64::try_from(keys[3].len()).unwrap();
    let out = f
        .run(&[
            "scan",
            "tree",
            "--keyring",
            "keyring.json",
            "--revocations",
            "revoked.bin",
            "--prefix",
            PREFIX,
            "--json",
        ])
        .code(1);
    let v = json(&out);
    assert_eq!(
        findings(&v),
        [
            finding("tree/.env", 1, 9, "revoked"),
            finding("tree/a.txt", 2, 10, "live"),
            finding("tree/b/config.rs", 2, 18, "expired"),
            finding("tree/c.json", 1, 8, "forged"),
            finding("tree/c.json", 1, 8 + forged_len + 9, "unknown-signer"),
            finding("tree/e.csv", 1, 1, "live"),
            finding("tree/e.csv", 1, live_len + 2, "live"),
            finding("tree/f.yaml", 1, 6, "not-yet-valid"),
            finding("tree/signing.env", 1, 13, "secret-key"),
        ]
    );
    assert_eq!(v["failing"], 5);
    let live = &v["findings"][1];
    assert_eq!(live["app_id"], "app_live");
    assert_eq!(live["key_id"], signing(1).key_id().to_string());
    assert_eq!(live["kind"], "api_key");
    assert_eq!(live["fails"], true);
    let token = UntrustedKey::parse(&keys[0])
        .unwrap()
        .untrusted_claims()
        .unwrap()
        .token_id();
    assert_eq!(live["token_id"], token.to_string());
    let secret = &v["findings"][8];
    assert_eq!(secret["kind"], "secret_key");
    assert_eq!(secret["key_id"], signing(1).key_id().to_string());
    assert!(
        secret["detail"]
            .as_str()
            .unwrap()
            .contains("active in the keyring")
    );

    // The text form says the same, redacted, and never prints a whole key.
    let out = f
        .run(&[
            "scan",
            "tree",
            "--keyring",
            "keyring.json",
            "--revocations",
            "revoked.bin",
            "--prefix",
            PREFIX,
        ])
        .code(1);
    let text = stdout(&out);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(text.lines().count(), 9, "{text}");
    let redacted = format!("{}…{}", &keys[0][..14], &keys[0][keys[0].len() - 4..]);
    assert!(
        text.contains(&format!(
            "tree/a.txt:2:10: live {redacted} kid {}",
            signing(1).key_id()
        )),
        "{text}"
    );
    assert!(
        text.contains("tree/signing.env:1:13: secret-key keyseal-secret-v1_…"),
        "{text}"
    );
    for key in &keys {
        for chunk in key.as_bytes().chunks(16).skip(1) {
            let chunk = std::str::from_utf8(chunk).unwrap();
            if chunk.len() == 16 {
                assert!(
                    !text.contains(chunk) && !err.contains(chunk),
                    "{chunk} printed"
                );
            }
        }
    }
    assert!(err.contains("scanned 9 files: 9 keys found (1 secret-key, 3 live, 1 not-yet-valid, 1 expired, 1 revoked, 1 forged, 1 unknown-signer)"), "{err}");
    // Piped: no progress line.
    assert!(!err.contains("scanning"), "{err}");
}

#[test]
fn scan_respects_ignore_files_unless_told_not_to() {
    let f = Fixture::new();
    scan_tree(&f);
    let all = json(
        &f.run(&[
            "scan",
            "tree",
            "--keyring",
            "keyring.json",
            "--no-ignore",
            "--json",
        ])
        .code(1),
    );
    let paths: Vec<String> = findings(&all).into_iter().map(|(p, ..)| p).collect();
    assert!(
        paths.contains(&"tree/ignored/f.txt".to_string()),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains(".git/")),
        ".git is never scanned: {paths:?}"
    );
    // Without a list the revoked key counts as live: the keyring alone cannot know.
    assert_eq!(
        findings(&all)
            .iter()
            .find(|(p, ..)| p == "tree/.env")
            .unwrap()
            .3,
        "live"
    );
}

#[test]
fn scan_without_a_keyring_reports_unverified_keys() {
    let f = Fixture::new();
    let keys = scan_tree(&f);
    let v = json(&f.run(&["scan", "tree/a.txt", "tree/b", "--json"]).code(1));
    assert_eq!(
        findings(&v),
        [
            finding("tree/a.txt", 2, 10, "unverified"),
            finding("tree/b/config.rs", 2, 18, "unverified-expired"),
        ]
    );
    // Only expired or harmless keys: the scan passes.
    f.run(&["scan", "tree/b", "tree/d.txt"])
        .code(0)
        .stdout(predicate::str::contains("unverified-expired"));
    // Standard input, look-alikes only: nothing found.
    f.keyseal(&["scan", "-"])
        .write_stdin(format!("x {} y\n", keys[5]))
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("scanned 1 file: no keys found"));
    // A path that does not exist makes the scan incomplete, which is not a pass.
    f.run(&["scan", "tree/b", "nowhere"])
        .code(3)
        .stderr(predicate::str::contains("nowhere"));
}

#[test]
fn scan_finds_keys_in_lines_longer_than_its_buffer() {
    let f = Fixture::new();
    let key = live_key("app_long");
    // The key straddles the 4 MiB piece boundary of a single line.
    let pad = 4 * 1024 * 1024 - 100;
    let line = format!("{} {key} {}\n", "x".repeat(pad), "y".repeat(5000));
    f.write("long.txt", &format!("start\n{line}"));
    let v = json(
        &f.run(&["scan", "long.txt", "--keyring", "keyring.json", "--json"])
            .code(1),
    );
    assert_eq!(
        findings(&v),
        [finding(
            "long.txt",
            2,
            u64::try_from(pad).unwrap() + 2,
            "live"
        )]
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    let f = Fixture::new();
    let commands: [&[&str]; 14] = [
        &[],
        &["keygen"],
        &["keyring"],
        &["keyring", "create"],
        &["keyring", "add"],
        &["keyring", "promote"],
        &["keyring", "retire"],
        &["keyring", "set-validity"],
        &["keyring", "list"],
        &["issue"],
        &["verify"],
        &["inspect"],
        &["revoke"],
        &["scan"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let out = f.run(&args).code(0).stderr(predicate::str::is_empty());
        let text = stdout(&out);
        assert!(text.contains("  keyseal "), "{command:?}: no example");
    }
    f.run(&["--help"])
        .stdout(predicate::str::contains("  17  revoked"));
    f.run(&["verify", "--help"])
        .stdout(predicate::str::contains("  14  bad signature"));
    f.run(&["frobnicate"]).code(2);
}
