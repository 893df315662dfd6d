//! Error messages echo unknown input only as a short, marked fragment, and never anything
//! that may be key material: a secret key text pasted as a JSON member name, a JWK value or a
//! PEM label does not come back in the message (which ends up in logs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use keyseal::{Keyring, PublicKey, SigningKey};

const SECRET: &str = "keyseal-secret-v1_QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkLG9a_D";

/// The message must not contain the secret, nor any 8-character piece of its body.
fn assert_no_key_text(message: &str) {
    assert!(!message.contains("keyseal-secret"), "{message}");
    let body = &SECRET["keyseal-secret-v1_".len()..];
    for i in 0..body.len() - 8 {
        assert!(!message.contains(&body[i..i + 8]), "{message}");
    }
    assert!(
        message.contains(&format!("<{} characters, not shown>", SECRET.len())),
        "{message}"
    );
}

fn keyring_document(extra_member: &str) -> String {
    let key = SigningKey::from_text(SECRET).unwrap().public_key();
    format!(
        r#"{{"version": 1, "keys": [{{"kid": "{}", "public_key": "{key}", "state": "active", "{extra_member}": 1}}]}}"#,
        key.key_id()
    )
}

#[test]
fn a_secret_as_an_unknown_keyring_member_is_not_echoed() {
    let err = Keyring::from_json(&keyring_document(SECRET)).unwrap_err();
    assert_eq!(err.code(), "keyring_document");
    assert_no_key_text(&err.to_string());
    assert_no_key_text(&format!("{err:?}"));
}

#[test]
fn a_secret_as_a_duplicate_member_is_not_echoed() {
    let doc = format!(r#"{{"version": 1, "{SECRET}": 1, "{SECRET}": 2, "keys": []}}"#);
    let err = Keyring::from_json(&doc).unwrap_err();
    assert_no_key_text(&err.to_string());
}

#[test]
fn a_secret_as_a_jwk_value_is_not_echoed() {
    let jwk = format!(r#"{{"kty": "{SECRET}", "crv": "Ed25519", "x": "AAAA"}}"#);
    let err = PublicKey::from_jwk(&jwk).unwrap_err();
    assert_eq!(err.code(), "key_material");
    assert_no_key_text(&err.to_string());
}

#[test]
fn a_secret_as_a_pem_label_is_not_echoed() {
    let pem = format!("-----BEGIN {SECRET}-----\nAAAA\n-----END {SECRET}-----\n");
    let err = SigningKey::from_pkcs8_pem(&pem).unwrap_err();
    assert_no_key_text(&err.to_string());
}

#[test]
fn an_ordinary_unknown_member_is_named_and_a_long_one_cut() {
    let err = Keyring::from_json(&keyring_document("comment")).unwrap_err();
    assert!(
        err.to_string().contains("unknown member 'comment'"),
        "{err}"
    );
    let long = "a.".repeat(40);
    let err = Keyring::from_json(&keyring_document(&long)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("'{}…'", &long[..24])),
        "{message}"
    );
    assert!(!message.contains(&long[..26]), "{message}");
}
