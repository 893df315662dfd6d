//! `keyseal revoke`, run as the real binary: entries are never lost (concurrent runs
//! included), refusals and tampered lists leave the list byte for byte as it was, and a write
//! that fails midway leaves the old files whole and no temporary files.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::fs;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use keyseal::{SaveMode, UntrustedKey};
use predicates::prelude::*;
use support::*;

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
