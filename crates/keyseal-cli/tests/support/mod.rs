//! What the CLI test files share: a temporary directory with a signing key and a keyring,
//! running the real binary there (every run bounded in time), and keys made with the
//! library at test time, so no live key is ever checked in.
#![allow(dead_code)]

#[path = "../../../../tests/common/mod.rs"]
pub(crate) mod common;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::assert::Assert;
use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::{
    Issuer, KeyState, Keyring, NewKey, Prefix, RevocationList, SaveMode, SigningKey, Timestamp,
};
use serde_json::Value;

pub(crate) const PREFIX: &str = "acme_live";
pub(crate) const DAY: Duration = Duration::from_secs(86_400);
/// No command of these tests may take longer (a hang is a failure, not a stuck suite).
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(60);

pub(crate) fn signing(seed: u8) -> SigningKey {
    SigningKey::from_seed(&[seed; 32]).unwrap()
}

pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

/// A key issued with the library, at any time.
pub(crate) fn issue_at(seed: u8, app: &str, issued_at: Timestamp, lifetime: Duration) -> String {
    issue_for(seed, PREFIX, app, issued_at, lifetime)
}

/// A key issued with the library under any prefix, at any time.
pub(crate) fn issue_for(
    seed: u8,
    prefix: &str,
    app: &str,
    issued_at: Timestamp,
    lifetime: Duration,
) -> String {
    Issuer::new(Prefix::new(prefix).unwrap(), signing(seed))
        .issue_at(
            NewKey::for_app(app)
                .scope("orders:read")
                .expires_in(lifetime),
            issued_at,
        )
        .unwrap()
        .into_string()
}

/// A live key signed by the fixture's key (seed 1).
pub(crate) fn live_key(app: &str) -> String {
    issue_at(1, app, now(), 30 * DAY)
}

/// A temporary directory with `signing.pem` (seed 1) and `keyring.json` holding its public
/// key as the active key.
pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        signing(1)
            .save_pem_file(dir.path().join("signing.pem"), SaveMode::CreateNew)
            .unwrap();
        let mut ring = Keyring::new();
        ring.add(signing(1).public_key(), KeyState::Active).unwrap();
        ring.save_json_file(dir.path().join("keyring.json"), SaveMode::CreateNew)
            .unwrap();
        Fixture { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, contents: &str) {
        let path = self.path(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    pub(crate) fn keyseal(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyseal"));
        cmd.current_dir(self.dir.path())
            .args(args)
            .timeout(RUN_LIMIT);
        cmd
    }

    /// Runs `args` with no input.
    pub(crate) fn run(&self, args: &[&str]) -> Assert {
        self.keyseal(args).write_stdin("").assert()
    }

    /// Writes `name` and dates its last change `age` back (a temporary file a run killed
    /// that long ago would have left).
    pub(crate) fn write_aged(&self, name: &str, contents: &str, age: Duration) {
        self.write(name, contents);
        let file = fs::File::options()
            .write(true)
            .open(self.path(name))
            .unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
    }

    /// A `keyseal` process started with no input, output captured.
    pub(crate) fn spawn(&self, args: &[&str]) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_keyseal"))
            .current_dir(self.dir.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// The keyring document, loaded with the library.
    pub(crate) fn keyring(&self, name: &str) -> Keyring {
        Keyring::load_json_file(self.path(name)).unwrap()
    }

    /// Every name in the directory.
    pub(crate) fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

/// The arguments of `keyseal revoke` on `revoked.bin` with the fixture's keyring and `key`.
pub(crate) fn revoke_args<'a>(key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "revoke",
        "--revocations",
        "revoked.bin",
        "--keyring",
        "keyring.json",
        "--key",
        key,
        "--prefix",
        PREFIX,
    ];
    args.extend_from_slice(extra);
    args
}

/// Waits (bounded) for a child and says whether it succeeded, with its standard error.
pub(crate) fn finished(child: std::process::Child) -> (bool, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn stdout(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub(crate) fn stderr(assert: &Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).unwrap()
}

pub(crate) fn json(assert: &Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

/// (path, line, column, status) of each finding of `scan --json`.
pub(crate) fn findings(v: &Value) -> Vec<(String, u64, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The same key with one signature byte changed and the checksum recomputed: well-formed,
/// signed by a key id in the keyring, but forged.
pub(crate) fn forge(key: &str) -> String {
    let (prefix, body) = key.split_at(key.find("_A").unwrap());
    let mut bytes = Base64UrlUnpadded::decode_vec(&body[1..]).unwrap();
    bytes.truncate(bytes.len() - 4);
    let at = bytes.len() - 10;
    bytes[at] ^= 0x01;
    common::key_text(prefix, &bytes)
}

/// The same key with one body character changed: the checksum no longer matches.
pub(crate) fn mistype(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    let at = chars.len() - 20;
    chars[at] = if chars[at] == 'Q' { 'R' } else { 'Q' };
    chars.into_iter().collect()
}

impl Fixture {
    /// `keyseal verify` against the fixture's keyring, the key on standard input.
    pub(crate) fn verify(&self, extra: &[&str], key: &str) -> Assert {
        self.verify_with("keyring.json", extra, key)
    }

    /// `keyseal verify` against a keyring, the key on standard input.
    pub(crate) fn verify_with(&self, keyring: &str, extra: &[&str], key: &str) -> Assert {
        let mut args = vec!["verify", "--keyring", keyring, "--prefix", PREFIX];
        args.extend_from_slice(extra);
        self.keyseal(&args).write_stdin(format!("{key}\n")).assert()
    }

    /// `keyseal revoke` on `revoked.bin` with the fixture's keyring and key.
    pub(crate) fn revoke(&self, extra: &[&str]) -> Assert {
        self.run(&revoke_args("signing.pem", extra))
    }

    /// The revocation list, verified with the library.
    pub(crate) fn list(&self) -> RevocationList {
        let bytes = fs::read(self.path("revoked.bin")).unwrap();
        let ring = Keyring::load_json_file(self.path("keyring.json")).unwrap();
        RevocationList::verify(&bytes, &Prefix::new(PREFIX).unwrap(), &ring, now()).unwrap()
    }
}
