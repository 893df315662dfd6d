//! The files the CLI changes, run as the real binary: keyring edits and revocations
//! locked against each other with an OS lock that dies with its holder, rotation of the
//! list's signer, partial validity changes, FIFOs refused instead of hanging, temporaries
//! of killed runs cleaned up, symlinks written through, secret key files of other owners
//! refused, and `issue --out`.
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
use std::time::{Duration, Instant};

use keyseal::{KeyState, Prefix, RevocationList, Timestamp, UntrustedKey};
use predicates::prelude::*;
use support::*;

fn kid(seed: u8) -> String {
    signing(seed).key_id().to_string()
}

fn public(seed: u8) -> String {
    signing(seed).public_key().to_text()
}

#[test]
fn ten_concurrent_adds_keep_every_key() {
    let f = Fixture::new();
    let children: Vec<_> = (10..20u8)
        .map(|seed| {
            f.spawn(&[
                "keyring",
                "add",
                "keyring.json",
                "--public-key",
                &public(seed),
            ])
        })
        .collect();
    for child in children {
        let (ok, err) = finished(child);
        assert!(ok, "{err}");
    }
    let ring = f.keyring("keyring.json");
    assert_eq!(ring.len(), 11);
    for seed in 10..20u8 {
        assert!(
            ring.get(signing(seed).key_id()).is_some(),
            "key {seed} lost"
        );
    }
    assert_eq!(f.listing(), ["keyring.json", "signing.pem"]);
}

#[test]
fn a_retire_racing_an_add_is_never_lost() {
    for trial in 0..5u8 {
        let f = Fixture::new();
        f.run(&["keyring", "add", "keyring.json", "--public-key", &public(2)])
            .success();
        let retire = f.spawn(&["keyring", "retire", "keyring.json", &kid(2)]);
        let add = f.spawn(&[
            "keyring",
            "add",
            "keyring.json",
            "--public-key",
            &public(30 + trial),
        ]);
        for child in [retire, add] {
            let (ok, err) = finished(child);
            assert!(ok, "{err}");
        }
        let ring = f.keyring("keyring.json");
        assert_eq!(
            ring.get(signing(2).key_id()).unwrap().state(),
            KeyState::Retired,
            "trial {trial}"
        );
        assert!(
            ring.get(signing(30 + trial).key_id()).is_some(),
            "trial {trial}"
        );
    }
}

#[test]
fn the_lock_dies_with_its_holder_and_a_stale_lock_file_means_nothing() {
    let f = Fixture::new();
    f.run(&revoke_args("signing.pem", &["--create"])).success();
    // A leftover of the old lock-file scheme no longer blocks anyone.
    f.write("revoked.bin.lock", "12345\n");
    f.run(&revoke_args(
        "signing.pem",
        &["--api-key", &live_key("app_1")],
    ))
    .success();
    // Another process holds the list's lock: the run waits, then gives up, writing nothing.
    // (One process, which holds the lock itself: killing it is what a SIGKILL of a
    // keyseal run mid-change does.)
    let mut holder = std::process::Command::new("bash")
        .current_dir(f.dir.path())
        .args(["-c", "exec 9<revoked.bin && flock 9 && exec sleep 60"])
        .spawn()
        .unwrap();
    let file = fs::File::open(f.path("revoked.bin")).unwrap();
    let start = Instant::now();
    while fs4::FileExt::try_lock(&file).is_ok() {
        fs4::FileExt::unlock(&file).unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "flock never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = fs::read(f.path("revoked.bin")).unwrap();
    let key = live_key("app_2");
    f.run(&revoke_args(
        "signing.pem",
        &["--wait", "1s", "--api-key", &key],
    ))
    .code(5)
    .stderr(predicate::str::contains(
        "another keyseal run is changing revoked.bin (waited 1 s; nothing written)",
    ));
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), before);
    // Killed: the kernel releases its lock, and the next run goes ahead at once.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let start = Instant::now();
    f.run(&revoke_args(
        "signing.pem",
        &["--wait", "1s", "--api-key", &key],
    ))
    .success();
    assert!(start.elapsed() < Duration::from_secs(20));
}

fn list(f: &Fixture) -> RevocationList {
    let bytes = fs::read(f.path("revoked.bin")).unwrap();
    let mut ring = keyseal::Keyring::new();
    for e in f.keyring("keyring.json").iter() {
        ring.add(*e.public_key(), KeyState::VerifyOnly).unwrap();
    }
    RevocationList::verify(&bytes, &Prefix::new(PREFIX).unwrap(), &ring, now()).unwrap()
}

#[test]
fn rotating_the_lists_signer_keeps_every_entry() {
    // The documented order: re-sign the list with the new key before retiring the old one.
    let f = Fixture::new();
    let key = live_key("app_old");
    f.run(&revoke_args(
        "signing.pem",
        &["--create", "--api-key", &key],
    ))
    .success();
    f.run(&["keygen", "--out", "new.pem"]).success();
    let new_kid = keyseal::SigningKey::load_file(f.path("new.pem"))
        .unwrap()
        .key_id()
        .to_string();
    f.run(&["keyring", "add", "keyring.json", "--key", "new.pem"])
        .success();
    f.run(&["keyring", "promote", "keyring.json", &new_kid])
        .success();
    f.run(&revoke_args("new.pem", &[])).success();
    assert_eq!(list(&f).signer().to_string(), new_kid);
    f.run(&["keyring", "retire", "keyring.json", &kid(1)])
        .success();
    f.run(&revoke_args("new.pem", &["--api-key", &key]))
        .success();
    assert_eq!(list(&f).sequence(), 3);

    // Retired first: the holder of the new active key can still continue the list, and no
    // entry is lost; anyone else is refused.
    let f = Fixture::new();
    f.run(&revoke_args(
        "signing.pem",
        &["--create", "--api-key", &key],
    ))
    .success();
    f.run(&["keygen", "--out", "new.pem"]).success();
    f.run(&["keygen", "--out", "other.pem"]).success();
    let new_kid = keyseal::SigningKey::load_file(f.path("new.pem"))
        .unwrap()
        .key_id()
        .to_string();
    f.run(&["keyring", "add", "keyring.json", "--key", "new.pem"])
        .success();
    f.run(&["keyring", "add", "keyring.json", "--key", "other.pem"])
        .success();
    f.run(&["keyring", "promote", "keyring.json", &new_kid])
        .success();
    f.run(&["keyring", "retire", "keyring.json", &kid(1)])
        .success();
    let before = fs::read(f.path("revoked.bin")).unwrap();
    f.run(&revoke_args("other.pem", &[])).code(4);
    assert_eq!(fs::read(f.path("revoked.bin")).unwrap(), before);
    let second = live_key("app_second");
    f.run(&revoke_args("new.pem", &["--api-key", &second]))
        .success()
        .stderr(predicate::str::contains(format!(
            "continuing it with the active key {new_kid}"
        )));
    let l = list(&f);
    assert_eq!((l.sequence(), l.tokens().len()), (2, 2));
    assert_eq!(l.signer().to_string(), new_kid);
}

#[test]
fn set_validity_changes_only_what_is_given() {
    let f = Fixture::new();
    let (from, until) = ("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    f.run(&[
        "keyring",
        "set-validity",
        "keyring.json",
        &kid(1),
        "--not-before",
        from,
    ])
    .success();
    f.run(&[
        "keyring",
        "set-validity",
        "keyring.json",
        &kid(1),
        "--not-after",
        until,
    ])
    .success()
    .stdout(predicate::str::contains(format!(
        "valid from {from} until {until}"
    )));
    let entry = f.keyring("keyring.json");
    let entry = entry.get(signing(1).key_id()).unwrap();
    assert_eq!(entry.not_before(), Some(from.parse::<Timestamp>().unwrap()));
    assert_eq!(entry.not_after(), Some(until.parse::<Timestamp>().unwrap()));
    f.run(&[
        "keyring",
        "set-validity",
        "keyring.json",
        &kid(1),
        "--clear-not-before",
    ])
    .success();
    let ring = f.keyring("keyring.json");
    let entry = ring.get(signing(1).key_id()).unwrap();
    assert_eq!(
        (entry.not_before(), entry.not_after().is_some()),
        (None, true)
    );
}

#[test]
fn fifos_are_refused_instead_of_hanging() {
    let f = Fixture::new();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(f.path("fifo"))
            .status()
            .unwrap()
            .success()
    );
    let key = live_key("app_1");
    let cases: [&[&str]; 4] = [
        &[
            "issue", "--key", "fifo", "--prefix", PREFIX, "--app", "app_1", "--ttl", "1d",
        ],
        &["verify", "--keyring", "fifo", "--prefix", PREFIX, &key],
        &[
            "verify",
            "--keyring",
            "keyring.json",
            "--prefix",
            PREFIX,
            "--revocations",
            "fifo",
            &key,
        ],
        &["keyring", "add", "keyring.json", "--key", "fifo"],
    ];
    for args in cases {
        f.run(args).code(4).stderr(predicate::str::contains(
            "fifo is a FIFO (named pipe), not a file",
        ));
    }
}

#[test]
fn stale_temporaries_of_killed_runs_are_removed_by_the_next_run() {
    let f = Fixture::new();
    f.run(&revoke_args("signing.pem", &["--create"])).success();
    let temp = ".revoked.bin.00000000deadbeef.tmp";
    let old = Duration::from_secs(11 * 60);
    f.write_aged(temp, "half a list", old);
    f.write_aged(".keyring.json.0123456789abcdef.tmp", "{", old);
    f.run(&revoke_args("signing.pem", &[]))
        .success()
        .stderr(predicate::str::contains(format!("removed {temp}")));
    f.run(&["keyring", "add", "keyring.json", "--public-key", &public(2)])
        .success();
    assert_eq!(f.listing(), ["keyring.json", "revoked.bin", "signing.pem"]);
}

#[test]
fn a_young_temporary_may_be_another_writers_and_is_left_alone() {
    // keyseal-server's --publish-dir writes `.keyring.json.<hex>.tmp` through the library
    // without keyseal's lock: a temporary changed moments ago may be its write at work.
    let f = Fixture::new();
    let young = ".keyring.json.00000000feedface.tmp";
    f.write_aged(young, "{\"version\": 1, ", Duration::from_secs(5));
    f.run(&["keyring", "add", "keyring.json", "--public-key", &public(2)])
        .success()
        .stderr(predicate::str::contains(format!(
            "left {young}, a temporary file changed less than 10 minutes ago"
        )));
    assert_eq!(
        fs::read_to_string(f.path(young)).unwrap(),
        "{\"version\": 1, "
    );
    // Nine minutes is still young; eleven is stale.
    let young_key = ".other.pem.0123456789abcdef.tmp";
    let old_key = ".other.pem.fedcba9876543210.tmp";
    f.write_aged(young_key, "-----BEGIN", Duration::from_secs(9 * 60));
    f.write_aged(old_key, "-----BEGIN", Duration::from_secs(11 * 60));
    f.run(&["keygen", "--out", "other.pem"])
        .success()
        .stderr(predicate::str::contains(format!("removed {old_key}")));
    assert!(f.path(young_key).exists());
    assert!(!f.path(old_key).exists());
}

#[test]
fn documents_given_as_symlinks_are_written_through() {
    let f = Fixture::new();
    std::os::unix::fs::symlink("keyring.json", f.path("published.json")).unwrap();
    f.run(&[
        "keyring",
        "add",
        "published.json",
        "--public-key",
        &public(2),
    ])
    .success();
    assert!(
        fs::symlink_metadata(f.path("published.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(f.keyring("keyring.json").len(), 2);
    f.run(&revoke_args("signing.pem", &["--create"])).success();
    fs::rename(f.path("revoked.bin"), f.path("list.bin")).unwrap();
    std::os::unix::fs::symlink("list.bin", f.path("revoked.bin")).unwrap();
    f.run(&revoke_args(
        "signing.pem",
        &["--api-key", &live_key("app_1")],
    ))
    .success();
    assert!(
        fs::symlink_metadata(f.path("revoked.bin"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let bytes = fs::read(f.path("list.bin")).unwrap();
    let l = RevocationList::verify(
        &bytes,
        &Prefix::new(PREFIX).unwrap(),
        &f.keyring("keyring.json"),
        now(),
    )
    .unwrap();
    assert_eq!(l.sequence(), 2);
}

#[test]
fn secret_key_files_of_other_owners_or_with_special_bits_are_refused() {
    let f = Fixture::new();
    let issue = [
        "issue",
        "--key",
        "signing.pem",
        "--prefix",
        PREFIX,
        "--app",
        "app_1",
        "--ttl",
        "1d",
    ];
    fs::set_permissions(f.path("signing.pem"), fs::Permissions::from_mode(0o4600)).unwrap();
    f.run(&issue).code(5).stderr(predicate::str::contains(
        "set-user-id, set-group-id or sticky bit (mode 4600)",
    ));
    fs::set_permissions(f.path("signing.pem"), fs::Permissions::from_mode(0o600)).unwrap();
    if rustix::process::geteuid().is_root() {
        std::os::unix::fs::chown(f.path("signing.pem"), Some(65_534), None).unwrap();
        f.run(&issue).code(5).stderr(predicate::str::contains(
            "is owned by user id 65534, not by you (user id 0)",
        ));
    }
}

#[test]
fn sizes_json_refusals_and_issue_out() {
    let f = Fixture::new();
    // The size read from a device, not its length of 0.
    f.run(&["verify", "--keyring", "/dev/zero", "--prefix", PREFIX, "x"])
        .code(4)
        .stderr(predicate::str::contains(format!(
            "{} bytes is more than",
            (1 << 20) + 1
        )));
    // --json reports a refused keyring as JSON too.
    f.write("bad.json", "{}");
    let v = json(
        &f.run(&[
            "verify",
            "--json",
            "--keyring",
            "bad.json",
            "--prefix",
            PREFIX,
            "x",
        ])
        .code(4),
    );
    assert_eq!(
        (v["valid"].as_bool(), v["exit_code"].as_u64()),
        (Some(false), Some(4))
    );
    assert!(v["code"].as_str().unwrap().starts_with("keyring"), "{v}");
    // issue --out: mode 0600, nothing on standard output, never over a file unless --force.
    let issue = [
        "issue",
        "--key",
        "signing.pem",
        "--prefix",
        PREFIX,
        "--app",
        "app_1",
        "--ttl",
        "1d",
        "--out",
        "api.key",
    ];
    f.run(&issue).success().stdout(predicate::str::is_empty());
    let meta = fs::metadata(f.path("api.key")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let first = fs::read_to_string(f.path("api.key")).unwrap();
    assert!(UntrustedKey::parse(first.trim_end()).is_ok());
    f.run(&issue)
        .code(5)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(fs::read_to_string(f.path("api.key")).unwrap(), first);
    let mut forced = issue.to_vec();
    forced.push("--force");
    f.run(&forced).success();
    assert_ne!(fs::read_to_string(f.path("api.key")).unwrap(), first);
    f.keyseal(&["verify", "--keyring", "keyring.json", "--prefix", PREFIX])
        .pipe_stdin(f.path("api.key"))
        .unwrap()
        .assert()
        .success();
}

#[test]
fn verify_trims_ascii_whitespace_only() {
    let f = Fixture::new();
    let key = live_key("app_1");
    f.keyseal(&["verify", "--keyring", "keyring.json", "--prefix", PREFIX])
        .write_stdin(format!(" \t\r\n{key}\r\n"))
        .assert()
        .success();
    for around in ["\u{a0}", "\u{3000}", "\u{b}", "\u{c}"] {
        f.keyseal(&["verify", "--keyring", "keyring.json", "--prefix", PREFIX])
            .write_stdin(format!("{around}{key}\n"))
            .assert()
            .code(predicate::in_iter([10, 11]));
    }
}
