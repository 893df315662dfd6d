//! Key files: atomic writes with mode 0600, no accidental replacement, nothing left behind,
//! and secret key files open to group or others refused.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use keyseal::{Error, KeyState, Keyring, PublicKey, SaveMode, SigningKey};

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32]).unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Names in `dir`, to check that no temporary file is left behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn secret_key_file_is_0600_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");
    key(1).save_pem_file(&path, SaveMode::CreateNew).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        key(1).to_pkcs8_pem().expose_secret()
    );
    assert_eq!(
        SigningKey::load_file(&path).unwrap().key_id(),
        key(1).key_id()
    );
    assert_eq!(listing(dir.path()), ["signing.pem"]);
}

#[test]
fn existing_key_is_never_replaced_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");
    key(1).save_pem_file(&path, SaveMode::CreateNew).unwrap();
    let err = key(2)
        .save_pem_file(&path, SaveMode::CreateNew)
        .unwrap_err();
    assert_eq!(
        err,
        Error::KeyFileExists {
            path: path.display().to_string()
        }
    );
    assert!(err.to_string().contains("already exists"));
    assert_eq!(err.code(), "key_file_exists");
    assert_eq!(
        SigningKey::load_file(&path).unwrap().key_id(),
        key(1).key_id()
    );
    assert_eq!(listing(dir.path()), ["signing.pem"]);

    key(2).save_pem_file(&path, SaveMode::Replace).unwrap();
    assert_eq!(
        SigningKey::load_file(&path).unwrap().key_id(),
        key(2).key_id()
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(listing(dir.path()), ["signing.pem"]);
}

#[test]
fn a_dangling_symlink_counts_as_existing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.pem"), &path).unwrap();
    assert!(matches!(
        key(1).save_pem_file(&path, SaveMode::CreateNew),
        Err(Error::KeyFileExists { .. })
    ));
    assert!(!dir.path().join("elsewhere.pem").exists());
}

#[test]
fn readable_by_group_or_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.pem");
    key(1).save_pem_file(&path, SaveMode::CreateNew).unwrap();
    for bad in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o660] {
        fs::set_permissions(&path, fs::Permissions::from_mode(bad)).unwrap();
        let err = SigningKey::load_file(&path).unwrap_err();
        assert_eq!(
            err,
            Error::InsecurePermissions {
                path: path.display().to_string(),
                mode: bad
            }
        );
        let msg = err.to_string();
        assert!(msg.contains(&format!("permissions {bad:04o}")), "{msg}");
        assert!(msg.contains("too open"), "{msg}");
        assert!(msg.contains("chmod 600"), "{msg}");
        assert_eq!(err.code(), "insecure_permissions");
    }
    for good in [0o600, 0o400] {
        fs::set_permissions(&path, fs::Permissions::from_mode(good)).unwrap();
        assert_eq!(
            SigningKey::load_file(&path).unwrap().key_id(),
            key(1).key_id()
        );
    }
}

#[test]
fn compact_text_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    let text = key(3).to_text();
    fs::write(&path, format!("{}\n", text.expose_secret())).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        SigningKey::load_file(&path).unwrap().key_id(),
        key(3).key_id()
    );
}

#[test]
fn unusable_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = SigningKey::load_file(&missing).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("cannot read "), "{err}");

    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o700)).unwrap();
    let err = SigningKey::load_file(&sub).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");

    let big = dir.path().join("big.pem");
    fs::write(&big, vec![b'A'; 65 * 1024]).unwrap();
    fs::set_permissions(&big, fs::Permissions::from_mode(0o600)).unwrap();
    let err = SigningKey::load_file(&big).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");

    let binary = dir.path().join("binary.der");
    fs::write(&binary, key(200).to_pkcs8_der().as_slice()).unwrap();
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o600)).unwrap();
    let err = SigningKey::load_file(&binary).unwrap_err();
    assert!(err.to_string().contains("not a text file"), "{err}");

    let garbage = dir.path().join("garbage.pem");
    fs::write(&garbage, "hello").unwrap();
    fs::set_permissions(&garbage, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(
        SigningKey::load_file(&garbage),
        Err(Error::KeyMaterial { .. })
    ));

    // Writing into a directory that does not exist leaves nothing and says where.
    let err = key(1)
        .save_pem_file(dir.path().join("nope/signing.pem"), SaveMode::CreateNew)
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn failed_write_leaves_no_temporary_file() {
    // Saving over a directory fails at the rename; the temporary file must be gone.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("signing.pem");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside"), "x").unwrap();
    let err = key(1)
        .save_pem_file(&target, SaveMode::Replace)
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(listing(dir.path()), ["signing.pem"]);
}

#[test]
fn public_key_and_keyring_files() {
    let dir = tempfile::tempdir().unwrap();
    let pk_path = dir.path().join("signing.pub.pem");
    key(1)
        .public_key()
        .save_pem_file(&pk_path, SaveMode::CreateNew)
        .unwrap();
    assert_eq!(mode(&pk_path) & 0o600, 0o600);
    assert_eq!(
        PublicKey::load_pem_file(&pk_path).unwrap(),
        key(1).public_key()
    );

    let mut ring = Keyring::new();
    ring.add(key(1).public_key(), KeyState::Active).unwrap();
    let doc = dir.path().join("keyring.json");
    ring.save_json_file(&doc, SaveMode::CreateNew).unwrap();
    ring.add(key(2).public_key(), KeyState::VerifyOnly).unwrap();
    assert!(matches!(
        ring.save_json_file(&doc, SaveMode::CreateNew),
        Err(Error::KeyFileExists { .. })
    ));
    ring.save_json_file(&doc, SaveMode::Replace).unwrap();
    assert_eq!(Keyring::load_json_file(&doc).unwrap(), ring);
    assert_eq!(listing(dir.path()), ["keyring.json", "signing.pub.pem"]);

    // A file past the document limit is refused after reading one byte past the limit.
    let mut big = ring.to_json();
    big.push_str(&" ".repeat(keyseal::MAX_KEYRING_DOCUMENT_LEN * 2));
    let big_path = dir.path().join("big.json");
    fs::write(&big_path, &big).unwrap();
    assert_eq!(
        Keyring::load_json_file(&big_path),
        Err(Error::KeyringDocument {
            entry: None,
            kid: None,
            problem: keyseal::DocumentProblem::TooLarge { len: big.len() },
        })
    );
}

#[test]
fn compact_text_key_file_is_0600_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    key(4).save_text_file(&path, SaveMode::CreateNew).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{}\n", key(4).to_text().expose_secret())
    );
    assert_eq!(
        SigningKey::load_file(&path).unwrap().key_id(),
        key(4).key_id()
    );
    let before = fs::read(&path).unwrap();
    assert!(matches!(
        key(5).save_text_file(&path, SaveMode::CreateNew),
        Err(Error::KeyFileExists { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(listing(dir.path()), ["signing.key"]);
}

#[test]
fn atomic_write_replaces_whole_files_and_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revoked.bin");
    keyseal::write_file_atomically(&path, b"one", SaveMode::CreateNew).unwrap();
    assert!(matches!(
        keyseal::write_file_atomically(&path, b"two", SaveMode::CreateNew),
        Err(Error::KeyFileExists { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), b"one");
    keyseal::write_file_atomically(&path, b"three", SaveMode::Replace).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"three");
    assert_eq!(mode(&path) & 0o600, 0o600);

    // Replacing a directory fails at the rename and removes the temporary file.
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("inside"), "x").unwrap();
    assert!(matches!(
        keyseal::write_file_atomically(&sub, b"five", SaveMode::Replace),
        Err(Error::Io { .. })
    ));
    let names = listing(dir.path());
    assert!(names == ["revoked.bin", "sub"], "{names:?}");
}
