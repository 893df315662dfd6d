//! `keyseal scan`, run as the real binary over a generated tree of live, expired, revoked,
//! forged, unknown-signer and look-alike keys: exactly the right findings, ignore files,
//! scans without a keyring, and lines longer than the scanner's buffer.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::fs;

use keyseal::{Issuer, NewKey, Prefix, UntrustedKey};
use predicates::prelude::*;
use support::*;

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
