//! The `keyseal` command-line tool, run as the real binary: the README session, every
//! command's success path and its refusals that leave files alone, and every command's help.
//! `cli_verify.rs`, `cli_revoke.rs`, `cli_scan.rs` and `cli_files.rs` cover the rest.
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

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keyseal::{KeyState, Keyring, SigningKey, UntrustedKey};
use predicates::prelude::*;
use support::*;

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
