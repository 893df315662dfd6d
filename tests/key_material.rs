//! Key material encodings: round trips, the fixture files in `tests/fixtures/` (OpenSSL and
//! RFC 8410 keys, RSA, P-256, X25519, Ed448, encrypted), the CCTV public keys through every
//! import path, and damaged input. Every bad input must be a clear `keyseal::Error`, never a
//! panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use keyseal::{
    Error, KeyEncoding, KeyMaterialProblem, KeyState, Keyring, PublicKey, PublicKeyProblem,
    SigningKey,
};
use proptest::prelude::*;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_text(name: &str) -> String {
    fs::read_to_string(fixtures().join(name)).unwrap()
}

/// Reads a fixture as `read_as` says; on success, the key id of the key (or public key).
fn read_fixture(name: &str, read_as: &str) -> Result<keyseal::KeyId, Error> {
    let path = fixtures().join(name);
    match read_as {
        "secret_pem" => SigningKey::from_pkcs8_pem(&fixture_text(name)).map(|k| k.key_id()),
        "public_pem" => PublicKey::from_spki_pem(&fixture_text(name)).map(|k| k.key_id()),
        "secret_der" => SigningKey::from_pkcs8_der(&fs::read(path).unwrap()).map(|k| k.key_id()),
        "public_der" => PublicKey::from_spki_der(&fs::read(path).unwrap()).map(|k| k.key_id()),
        other => panic!("unknown read_as {other}"),
    }
}

#[test]
fn fixture_cases() {
    let cases: Value = serde_json::from_str(&fixture_text("cases.json")).unwrap();
    let mut covered = BTreeSet::new();
    for case in cases["cases"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let read_as = case["read_as"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        covered.insert(file.to_string());
        let got = read_fixture(file, read_as);
        match (expect, &got) {
            ("ok", Ok(id)) => {
                if let Some(secret) = case["public_of"].as_str() {
                    assert_eq!(read_fixture(secret, "secret_pem").unwrap(), *id, "{file}");
                }
            }
            (_, Err(e)) if expect != "ok" => {
                assert!(e.to_string().contains(expect), "{file}: {e}");
            }
            _ => panic!("{file} as {read_as}: expected {expect}, got {got:?}"),
        }
    }
    for entry in fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".pem") || name.ends_with(".der") {
            assert!(covered.contains(&name), "{name} has no case in cases.json");
        }
    }
}

#[test]
fn openssl_pem_is_reproduced_byte_for_byte() {
    let pem = fixture_text("ed25519-openssl.pem");
    let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(key.to_pkcs8_pem().expose_secret(), pem);
    assert_eq!(
        key.public_key().to_spki_pem(),
        fixture_text("ed25519-openssl.pub.pem")
    );
    assert_eq!(
        key.to_pkcs8_der().as_slice(),
        fs::read(fixtures().join("ed25519-openssl.der")).unwrap()
    );
    assert_eq!(
        key.public_key().to_spki_der().as_slice(),
        fs::read(fixtures().join("ed25519-openssl.pub.der")).unwrap()
    );
}

#[test]
fn rfc8410_known_answer() {
    let key = SigningKey::from_pkcs8_pem(&fixture_text("rfc8410-private.pem")).unwrap();
    assert_eq!(
        hex::encode(key.to_seed().as_slice()),
        "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"
    );
    assert_eq!(
        hex::encode(key.public_key().to_bytes()),
        "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"
    );
}

proptest! {
    #[test]
    fn every_encoding_roundtrips(seed in any::<[u8; 32]>()) {
        let key = SigningKey::from_seed(&seed).unwrap();
        let id = key.key_id();
        let pk = key.public_key();
        prop_assert_eq!(SigningKey::from_pkcs8_pem(key.to_pkcs8_pem().expose_secret())?.key_id(), id);
        prop_assert_eq!(SigningKey::from_pkcs8_der(key.to_pkcs8_der().as_slice())?.key_id(), id);
        prop_assert_eq!(SigningKey::from_text(key.to_text().expose_secret())?.key_id(), id);
        prop_assert_eq!(SigningKey::from_text(key.to_text().expose_secret())?.to_seed(), key.to_seed());
        prop_assert_eq!(PublicKey::from_spki_pem(&pk.to_spki_pem())?, pk);
        prop_assert_eq!(PublicKey::from_spki_der(&pk.to_spki_der())?, pk);
        prop_assert_eq!(PublicKey::from_text(&pk.to_text())?, pk);
        prop_assert_eq!(PublicKey::from_jwk(&pk.to_jwk())?, pk);
        prop_assert_eq!(pk.to_string().parse::<PublicKey>()?, pk);
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = SigningKey::from_pkcs8_pem(&s);
        let _ = SigningKey::from_text(&s);
        let _ = PublicKey::from_spki_pem(&s);
        let _ = PublicKey::from_text(&s);
        let _ = PublicKey::from_jwk(&s);
        let _ = Keyring::from_json(&s);
    }

    #[test]
    fn arbitrary_pem_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..120)) {
        use base64ct::{Base64, Encoding};
        let b64 = Base64::encode_string(&body);
        let _ = SigningKey::from_pkcs8_pem(&format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n"));
        let _ = PublicKey::from_spki_pem(&format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n"));
        let _ = SigningKey::from_pkcs8_der(&body);
        let _ = PublicKey::from_spki_der(&body);
    }
}

fn pem_error(encoding: KeyEncoding, problem: KeyMaterialProblem) -> Error {
    Error::KeyMaterial { encoding, problem }
}

#[test]
fn truncated_and_corrupted_pem_is_refused() {
    for (pem, encoding) in [
        (fixture_text("ed25519-openssl.pem"), KeyEncoding::Pkcs8Pem),
        (
            fixture_text("ed25519-openssl.pub.pem"),
            KeyEncoding::SpkiPem,
        ),
    ] {
        let read = |t: &str| match encoding {
            KeyEncoding::Pkcs8Pem => SigningKey::from_pkcs8_pem(t).map(|_| ()),
            _ => PublicKey::from_spki_pem(t).map(|_| ()),
        };
        let lines: Vec<&str> = pem.lines().collect();
        let body = lines[1];
        // Every truncation of the base64 line, with the frame intact.
        for n in 0..body.len() {
            let t = format!("{}\n{}\n{}\n", lines[0], &body[..n], lines[2]);
            let err = read(&t).unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::KeyMaterial {
                        problem: KeyMaterialProblem::Base64 | KeyMaterialProblem::Der,
                        ..
                    }
                ),
                "{n}: {err:?}"
            );
        }
        // Every truncation of the whole text.
        for n in 0..pem.trim_end().len() {
            assert!(read(&pem[..n]).is_err(), "{n}");
        }
        // A character outside the alphabet anywhere in the body.
        for i in 0..body.len() {
            let mut b = body.as_bytes().to_vec();
            b[i] = b'*';
            let t = format!(
                "{}\n{}\n{}\n",
                lines[0],
                String::from_utf8(b).unwrap(),
                lines[2]
            );
            assert_eq!(
                read(&t),
                Err(pem_error(encoding, KeyMaterialProblem::Base64)),
                "{i}"
            );
        }
        // Any change in the DER header (the first 16 base64 characters cover the
        // structure before the key bytes) is refused, never silently read.
        for i in 0..16 {
            for c in [b'A', b'B', b'g', b'/', b'+'] {
                let mut b = body.as_bytes().to_vec();
                if b[i] == c {
                    continue;
                }
                b[i] = c;
                let t = format!(
                    "{}\n{}\n{}\n",
                    lines[0],
                    String::from_utf8(b).unwrap(),
                    lines[2]
                );
                assert!(read(&t).is_err(), "{i} {}", c as char);
            }
        }
    }
}

#[test]
fn wrong_lengths_are_refused() {
    let pk = SigningKey::from_seed(&[5; 32]).unwrap().public_key();
    let der = pk.to_spki_der();
    // SPKI declaring a 31- and a 33-byte key, with consistent outer lengths.
    let mut short = der[..43].to_vec();
    short[1] -= 1;
    short[10] -= 1;
    let mut long = der.to_vec();
    long.push(0);
    long[1] += 1;
    long[10] += 1;
    for bad in [short, long] {
        assert_eq!(
            PublicKey::from_spki_der(&bad),
            Err(pem_error(KeyEncoding::SpkiDer, KeyMaterialProblem::Der))
        );
    }
    assert_eq!(
        PublicKey::from_bytes(&[1; 31]),
        Err(Error::InvalidPublicKey(PublicKeyProblem::WrongLength))
    );
    let jwk = pk.to_jwk().replace(&pk.to_string(), &pk.to_string()[..42]);
    assert!(
        PublicKey::from_jwk(&jwk)
            .unwrap_err()
            .to_string()
            .contains("member 'x' is 42 characters, expected 43 characters of unpadded base64url")
    );
}

/// Every distinct public key of the C2SP CCTV vectors (`tests/vectors/ed25519/`), with
/// what keyseal must do with it, from the vectors' flags: a non-canonical encoding
/// (`non_canonical_A`) is refused as such, before the order check; a small-order point
/// (`low_order_A`) as weak; anything else (prime order, or mixed order with only
/// `low_order_component_A`, as `verify_strict` also allows) is accepted.
fn cctv_keys() -> Vec<([u8; 32], Option<PublicKeyProblem>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/ed25519/cctv_ed25519vectors.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let mut keys = std::collections::BTreeMap::new();
    for case in doc.as_array().unwrap() {
        let key: [u8; 32] = hex::decode(case["key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let flags: Vec<&str> = case["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let expected = if flags.contains(&"non_canonical_A") {
            Some(PublicKeyProblem::NonCanonical)
        } else if flags.contains(&"low_order_A") {
            Some(PublicKeyProblem::Weak)
        } else {
            None
        };
        let previous = keys.insert(key, expected);
        assert!(previous.is_none_or(|p| p == expected), "{}", case["number"]);
    }
    keys.into_iter().collect()
}

/// The SPKI DER of raw key bytes, valid or not.
fn spki_of(bytes: &[u8; 32]) -> Vec<u8> {
    let mut der = hex::decode("302a300506032b6570032100").unwrap();
    der.extend_from_slice(bytes);
    der
}

fn jwk_of(bytes: &[u8; 32]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
        Base64UrlUnpadded::encode_string(bytes)
    )
}

#[test]
fn cctv_public_keys_through_every_import_path() {
    let keys = cctv_keys();
    assert_eq!(keys.len(), 22);
    let mut refused = 0;
    for (bytes, expected) in keys {
        let want = expected.map_or(Ok(()), |p| Err(Error::InvalidPublicKey(p)));
        let hex = hex::encode(bytes);
        assert_eq!(PublicKey::from_bytes(&bytes).map(|_| ()), want, "{hex}");
        let der = spki_of(&bytes);
        assert_eq!(PublicKey::from_spki_der(&der).map(|_| ()), want, "{hex}");
        let pem = {
            use base64ct::{Base64, Encoding};
            format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
                Base64::encode_string(&der)
            )
        };
        assert_eq!(PublicKey::from_spki_pem(&pem).map(|_| ()), want, "{hex}");
        assert_eq!(
            PublicKey::from_jwk(&jwk_of(&bytes)).map(|_| ()),
            want,
            "{hex}"
        );
        {
            use base64ct::{Base64UrlUnpadded, Encoding};
            let text = Base64UrlUnpadded::encode_string(&bytes);
            assert_eq!(text.parse::<PublicKey>().map(|_| ()), want, "{hex}");
        }
        if let Some(p) = expected {
            refused += 1;
            // A keyring document names the entry.
            let doc = keyring_document_with_raw_key(&bytes);
            let err = Keyring::from_json(&doc).unwrap_err();
            assert_eq!(
                err,
                Error::KeyringDocument {
                    entry: Some(1),
                    kid: Some(keyseal::KeyId::derive(&bytes)),
                    problem: keyseal::DocumentProblem::InvalidPublicKey(p),
                },
                "{hex}"
            );
            assert!(
                err.to_string()
                    .starts_with("keyring document: keys[1] (kid ")
            );
        }
    }
    assert_eq!(refused, 14);
}

/// A document with one good entry and, second, an entry holding `bytes` under the key id
/// derived from them.
fn keyring_document_with_raw_key(bytes: &[u8; 32]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let mut ring = Keyring::new();
    ring.add(
        SigningKey::from_seed(&[1; 32]).unwrap().public_key(),
        KeyState::Active,
    )
    .unwrap();
    let mut doc: Value = serde_json::from_str(&ring.to_json()).unwrap();
    doc["keys"].as_array_mut().unwrap().push(serde_json::json!({
        "kid": keyseal::KeyId::derive(bytes).to_string(),
        "public_key": Base64UrlUnpadded::encode_string(bytes),
        "state": "verify-only",
    }));
    doc.to_string()
}

#[test]
fn compact_text_vectors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/key_text.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    for v in doc["valid"].as_array().unwrap() {
        let seed: [u8; 32] = hex::decode(v["seed"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let key = SigningKey::from_seed(&seed).unwrap();
        assert_eq!(
            hex::encode(key.public_key().to_bytes()),
            v["public_key"].as_str().unwrap()
        );
        let secret_text = v["secret_text"].as_str().unwrap();
        let public_text = v["public_text"].as_str().unwrap();
        assert_eq!(key.to_text().expose_secret(), secret_text);
        assert_eq!(key.public_key().to_text(), public_text);
        assert_eq!(
            SigningKey::from_text(secret_text).unwrap().to_seed(),
            key.to_seed()
        );
        assert_eq!(PublicKey::from_text(public_text).unwrap(), key.public_key());
    }
    for v in doc["invalid"].as_array().unwrap() {
        let text = v["text"].as_str().unwrap();
        let err = match v["as"].as_str().unwrap() {
            "secret" => SigningKey::from_text(text).map(|_| ()).unwrap_err(),
            _ => PublicKey::from_text(text).map(|_| ()).unwrap_err(),
        };
        let expected = v["error"].as_str().unwrap();
        assert!(
            err.to_string().contains(expected),
            "{}: {err}",
            v["why"].as_str().unwrap()
        );
    }
}

fn format_md() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("FORMAT.md")).unwrap()
}

#[test]
fn the_spec_publishes_the_secret_key_regex_and_example() {
    let spec = format_md();
    assert!(spec.contains(keyseal::SECRET_KEY_SCANNER_REGEX));
    // The example in §4.4 is the first known answer of tests/vectors/key_text.json.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/key_text.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    for field in ["secret_text", "public_text"] {
        assert!(
            spec.contains(doc["valid"][0][field].as_str().unwrap()),
            "{field}"
        );
    }
}

#[test]
fn the_secret_key_regex_finds_secret_keys_and_nothing_else() {
    let secret = regex::Regex::new(keyseal::SECRET_KEY_SCANNER_REGEX).unwrap();
    let api_key = regex::Regex::new(keyseal::SCANNER_REGEX).unwrap();
    let key = SigningKey::from_seed(&[9; 32]).unwrap();
    let text = key.to_text();
    let text = text.expose_secret();
    for context in [
        text.to_string(),
        format!("KEYSEAL_SIGNING_KEY={text}\n"),
        format!("{{\"signing_key\": \"{text}\"}}"),
        format!("export K='{text}'"),
    ] {
        let found: Vec<&str> = secret
            .captures_iter(&context)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert_eq!(found, [text], "{context}");
        assert!(SigningKey::from_text(found[0]).is_ok());
        // An API key scanner never mistakes it for an API key.
        assert!(!api_key.is_match(&context), "{context}");
    }
    // Not found: the public form, a longer run of base64url, a changed prefix.
    for context in [
        key.public_key().to_text(),
        format!("{text}A"),
        format!("x{text}"),
        text.replace("secret", "Secret"),
    ] {
        assert!(!secret.is_match(&context), "{context}");
    }
    // A look-alike is found, and the checksum refuses it.
    let mut look_alike = text.to_string();
    let last = look_alike.pop().unwrap();
    look_alike.push(if last == 'A' { 'B' } else { 'A' });
    assert!(secret.is_match(&look_alike));
    assert!(SigningKey::from_text(&look_alike).is_err());
}

#[test]
fn oversized_jwk_is_refused_before_parsing() {
    let pk = SigningKey::from_seed(&[7; 32]).unwrap().public_key();
    let jwk = pk.to_jwk();
    let max = keyseal::MAX_JWK_LEN;
    // Whitespace is allowed between JSON tokens: the same key, padded to the limit, loads.
    let at_limit = format!("{jwk}{}", "\n".repeat(max - jwk.len()));
    assert_eq!(PublicKey::from_jwk(&at_limit).unwrap(), pk);
    let over = format!("{at_limit}\n");
    assert_eq!(
        PublicKey::from_jwk(&over),
        Err(pem_error(
            KeyEncoding::Jwk,
            KeyMaterialProblem::TooLarge { len: max + 1 }
        ))
    );
}
