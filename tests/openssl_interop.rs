//! Interoperation with the real `openssl` command (OpenSSL 3; `.ci/setup/openssl.sh`
//! installs it): keys OpenSSL generates sign keyseal keys, keys keyseal generates are read
//! by OpenSSL, and signatures cross over in both directions.
//!
//! These tests fail (rather than skip) when `openssl` is missing, so that CI cannot pass
//! without running them.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use keyseal::{
    Error, Issuer, KeyState, Keyring, NewKey, Prefix, PublicKey, SaveMode, SigningKey, Timestamp,
    Verifier,
};

/// Runs `openssl args...` in `dir`; panics with its stderr if it fails.
fn openssl(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}); install it, for example with .ci/setup/openssl.sh")
        });
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn now() -> Timestamp {
    Timestamp::from_unix(1_790_000_000).unwrap()
}

/// Issues a key with `signing_key` and verifies it against a keyring holding only
/// `public_key`.
fn issue_and_verify(signing_key: SigningKey, public_key: PublicKey) -> String {
    let prefix = Prefix::new("acme_live").unwrap();
    let issuer = Issuer::new(prefix.clone(), signing_key);
    let key = issuer
        .issue_at(
            NewKey::for_app("app_7f3k9x2m")
                .scopes(["orders:read", "orders:write"])
                .expires_in(Duration::from_secs(86_400)),
            now(),
        )
        .unwrap();
    let mut keyring = Keyring::new();
    keyring.add(public_key, KeyState::Active).unwrap();
    let verified = Verifier::new(prefix, keyring)
        .verify_at(key.as_str(), now())
        .unwrap();
    verified.require_scope("orders:write").unwrap();
    key.into_string()
}

#[test]
fn openssl_generated_key_issues_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "ed25519", "-out", "key.pem"],
    );
    openssl(
        dir.path(),
        &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"],
    );
    let path = dir.path().join("key.pem");
    // OpenSSL writes private keys with mode 0600 itself; keyseal checks that on load.
    let signing_key = SigningKey::load_file(&path).unwrap();
    let public_key = PublicKey::load_pem_file(dir.path().join("pub.pem")).unwrap();
    assert_eq!(signing_key.public_key(), public_key);
    // keyseal writes the same bytes OpenSSL wrote.
    assert_eq!(
        signing_key.to_pkcs8_pem().expose_secret(),
        fs::read_to_string(&path).unwrap()
    );
    issue_and_verify(signing_key, public_key);
}

#[test]
fn keyseal_key_is_read_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    key.save_pem_file(dir.path().join("key.pem"), SaveMode::CreateNew)
        .unwrap();
    // OpenSSL derives the same public key, in the same SPKI PEM keyseal writes.
    let out = openssl(dir.path(), &["pkey", "-in", "key.pem", "-pubout"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        key.public_key().to_spki_pem()
    );
    // OpenSSL re-encodes the private key to exactly what keyseal wrote.
    let out = openssl(dir.path(), &["pkey", "-in", "key.pem"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        key.to_pkcs8_pem().expose_secret()
    );
    // And reads keyseal's public key file and DER forms.
    key.public_key()
        .save_pem_file(dir.path().join("pub.pem"), SaveMode::CreateNew)
        .unwrap();
    let out = openssl(
        dir.path(),
        &["pkey", "-pubin", "-in", "pub.pem", "-outform", "DER"],
    );
    assert_eq!(out.stdout, key.public_key().to_spki_der());
    let out = openssl(dir.path(), &["pkey", "-in", "key.pem", "-outform", "DER"]);
    assert_eq!(out.stdout, key.to_pkcs8_der().as_slice());
}

/// The signed message and signature of a keyseal key, per `FORMAT.md`:
/// `text = prefix "_" base64url(version key_id payload signature crc32)`, signed message
/// `"keyseal/key" 0x00 len(prefix) prefix version key_id payload`.
fn signed_parts(text: &str, prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let body = text
        .strip_prefix(prefix)
        .unwrap()
        .strip_prefix('_')
        .unwrap();
    let bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
    let (signed, tail) = bytes.split_at(bytes.len() - 68);
    let signature = tail[..64].to_vec();
    let mut message = b"keyseal/key\0".to_vec();
    message.push(u8::try_from(prefix.len()).unwrap());
    message.extend_from_slice(prefix.as_bytes());
    message.extend_from_slice(signed);
    (message, signature)
}

#[test]
fn openssl_verifies_keyseal_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    fs::write(dir.path().join("pub.pem"), key.public_key().to_spki_pem()).unwrap();
    let public_key = key.public_key();
    let token = issue_and_verify(SigningKey::from_seed(&key.to_seed()).unwrap(), public_key);
    let (message, signature) = signed_parts(&token, "acme_live");
    // sign_raw over the signed message gives the key's signature (Ed25519 is deterministic).
    assert_eq!(key.sign_raw(&message).as_slice(), signature.as_slice());
    fs::write(dir.path().join("msg.bin"), &message).unwrap();
    fs::write(dir.path().join("sig.bin"), &signature).unwrap();
    let verify = |msg: &str| {
        Command::new("openssl")
            .args([
                "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", msg,
                "-sigfile", "sig.bin",
            ])
            .current_dir(dir.path())
            .output()
            .expect("cannot run openssl; install it, for example with .ci/setup/openssl.sh")
    };
    let out = verify("msg.bin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully"));
    // The check can fail: one changed byte of the message is refused.
    let mut tampered = message.clone();
    tampered[20] ^= 1;
    fs::write(dir.path().join("tampered.bin"), &tampered).unwrap();
    assert!(!verify("tampered.bin").status.success());
}

#[test]
fn keyseal_verifies_openssl_signatures() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "ed25519", "-out", "key.pem"],
    );
    let message = b"keyseal/key\0\x09acme_live any bytes at all";
    fs::write(dir.path().join("msg.bin"), message).unwrap();
    openssl(
        dir.path(),
        &[
            "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg.bin", "-out", "sig.bin",
        ],
    );
    let signature: [u8; 64] = fs::read(dir.path().join("sig.bin"))
        .unwrap()
        .try_into()
        .unwrap();
    let key = SigningKey::load_file(dir.path().join("key.pem")).unwrap();
    key.public_key().verify_strict(message, &signature).unwrap();
    assert_eq!(key.sign_raw(message), signature);
    assert_eq!(
        key.public_key()
            .verify_strict(b"another message", &signature),
        Err(Error::BadSignature)
    );
}

#[test]
fn openssl_rsa_and_p256_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "p256.pem",
        ],
    );
    for (file, alg) in [("rsa.pem", "an RSA key"), ("p256.pem", "an EC P-256 key")] {
        let pem = fs::read_to_string(d.join(file)).unwrap();
        let err = SigningKey::from_pkcs8_pem(&pem).unwrap_err();
        assert!(err.to_string().contains(&format!("this is {alg}")), "{err}");
        let out = openssl(d, &["pkey", "-in", file, "-pubout"]);
        let err = PublicKey::from_spki_pem(&String::from_utf8(out.stdout).unwrap()).unwrap_err();
        assert!(err.to_string().contains(&format!("this is {alg}")), "{err}");
    }
}
