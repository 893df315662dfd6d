//! Unit tests of the DER walk and the PEM framing; the OpenSSL files and the vectors are in
//! `tests/openssl_interop.rs` and `tests/key_material.rs`.

use super::*;

fn key() -> SigningKey {
    SigningKey::from_seed(&[0x42; 32]).unwrap()
}

fn pkcs8_err(problem: KeyMaterialProblem) -> Result<(), Error> {
    Err(Error::KeyMaterial {
        encoding: KeyEncoding::Pkcs8Der,
        problem,
    })
}

fn parse(der: &[u8]) -> Result<(), Error> {
    SigningKey::from_pkcs8_der(der).map(|_| ())
}

#[test]
fn pem_lengths_are_exact() {
    let sk = key();
    let pem = sk.to_pkcs8_pem();
    assert_eq!(
        pem.expose_secret().len(),
        pem_len(PKCS8_DER_LEN, PRIVATE_LABEL)
    );
    let spki = sk.public_key().to_spki_pem();
    assert_eq!(spki.len(), pem_len(SPKI_DER_LEN, PUBLIC_LABEL));
    assert_eq!(spki.len(), spki.capacity());
}

#[test]
fn v2_with_matching_public_key_is_read() {
    let sk = key();
    let mut der = vec![0x30, 0x51, 0x02, 0x01, 0x01];
    der.extend_from_slice(&PKCS8_V1_PREFIX[5..]);
    der.extend_from_slice(sk.to_seed().as_slice());
    der.extend_from_slice(&[0x81, 0x21, 0x00]);
    der.extend_from_slice(&sk.public_key().to_bytes());
    assert_eq!(
        SigningKey::from_pkcs8_der(&der).unwrap().key_id(),
        sk.key_id()
    );
    // The same with another key's public key.
    let other = SigningKey::from_seed(&[7; 32]).unwrap().public_key();
    let n = der.len();
    der[n - 32..].copy_from_slice(&other.to_bytes());
    assert_eq!(
        parse(&der),
        pkcs8_err(KeyMaterialProblem::PublicKeyMismatch)
    );
    // A v1 key may not carry a public key.
    der[4] = 0;
    assert_eq!(parse(&der), pkcs8_err(KeyMaterialProblem::Der));
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let der = key().to_pkcs8_der();
    for n in 0..der.len() {
        assert_eq!(parse(&der[..n]), pkcs8_err(KeyMaterialProblem::Der), "{n}");
    }
    let mut longer = der.to_vec();
    longer.push(0);
    assert_eq!(parse(&longer), pkcs8_err(KeyMaterialProblem::Der));
}

#[test]
fn non_minimal_lengths_and_wrong_versions_are_refused() {
    let der = key().to_pkcs8_der();
    // Outer length in long form (0x81 0x2e) is not minimal DER.
    let mut long_form = vec![0x30, 0x81, 0x2e];
    long_form.extend_from_slice(&der[2..]);
    assert_eq!(parse(&long_form), pkcs8_err(KeyMaterialProblem::Der));
    // Indefinite length (BER, not DER).
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend_from_slice(&der[2..]);
    indefinite.extend_from_slice(&[0, 0]);
    assert_eq!(parse(&indefinite), pkcs8_err(KeyMaterialProblem::Der));
    let mut v3 = der.to_vec();
    v3[4] = 2;
    assert_eq!(parse(&v3), pkcs8_err(KeyMaterialProblem::Der));
    // A 31-byte seed inside a consistent structure.
    let mut short = vec![0x30, 0x2d, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b];
    short.extend_from_slice(&[0x65, 0x70, 0x04, 0x21, 0x04, 0x1f]);
    short.extend_from_slice(&[1; 31]);
    assert_eq!(parse(&short), pkcs8_err(KeyMaterialProblem::Der));
    // Parameters present (NULL) after the Ed25519 OID.
    let mut params = vec![0x30, 0x30, 0x02, 0x01, 0x00, 0x30, 0x07, 0x06, 0x03];
    params.extend_from_slice(&[0x2b, 0x65, 0x70, 0x05, 0x00, 0x04, 0x22, 0x04, 0x20]);
    params.extend_from_slice(&[1; 32]);
    assert_eq!(parse(&params), pkcs8_err(KeyMaterialProblem::Der));
}

#[test]
fn x25519_is_named() {
    let mut der = key().to_pkcs8_der();
    der[11] = 0x6e;
    assert_eq!(
        parse(der.as_slice()),
        pkcs8_err(KeyMaterialProblem::WrongAlgorithm("an X25519 key"))
    );
}

#[test]
fn spki_roundtrip_and_errors() {
    let pk = key().public_key();
    let der = pk.to_spki_der();
    assert_eq!(PublicKey::from_spki_der(&der).unwrap(), pk);
    assert_eq!(PublicKey::from_spki_pem(&pk.to_spki_pem()).unwrap(), pk);
    for n in 0..der.len() {
        assert!(PublicKey::from_spki_der(&der[..n]).is_err());
    }
    let mut unused_bits = der;
    unused_bits[11] = 1;
    assert_eq!(
        PublicKey::from_spki_der(&unused_bits),
        Err(Error::KeyMaterial {
            encoding: KeyEncoding::SpkiDer,
            problem: KeyMaterialProblem::Der
        })
    );
}

#[test]
fn pem_framing_rules() {
    let sk = key();
    let pem = sk.to_pkcs8_pem();
    let pem = pem.expose_secret();
    let read = |t: &str| SigningKey::from_pkcs8_pem(t).map(|k| k.key_id());
    let err = |problem| {
        Err(Error::KeyMaterial {
            encoding: KeyEncoding::Pkcs8Pem,
            problem,
        })
    };
    assert_eq!(read(pem), Ok(sk.key_id()));
    assert_eq!(read(&pem.replace('\n', "\r\n")), Ok(sk.key_id()));
    assert_eq!(read(&format!("\n\n{pem}\n  ")), Ok(sk.key_id()));
    // Base64 split over several lines.
    let lines: Vec<&str> = pem.lines().collect();
    let (b1, b2) = lines[1].split_at(20);
    let split = format!("{}\n{b1}\n{b2}\n{}\n", lines[0], lines[2]);
    assert_eq!(read(&split), Ok(sk.key_id()));
    let trailing_spaces = format!("{}\n{} \t\n{}\n", lines[0], lines[1], lines[2]);
    assert_eq!(read(&trailing_spaces), Ok(sk.key_id()));
    assert_eq!(
        read(&format!("text\n{pem}")),
        err(KeyMaterialProblem::NotPem)
    );
    assert_eq!(read(&format!("{pem}text")), err(KeyMaterialProblem::NotPem));
    assert_eq!(
        read(&format!("{pem}{pem}")),
        err(KeyMaterialProblem::NotPem)
    );
    assert_eq!(
        read(&pem.replace("END PRIVATE", "END PUBLIC")),
        err(KeyMaterialProblem::NotPem)
    );
    assert_eq!(
        read(&pem.replace("-----END PRIVATE KEY-----\n", "")),
        err(KeyMaterialProblem::NotPem)
    );
    assert_eq!(
        read(&pem.replace("PRIVATE KEY", "EC PRIVATE KEY")),
        err(KeyMaterialProblem::WrongPemLabel {
            expected: PRIVATE_LABEL,
            found: "EC PRIVATE KEY".into()
        })
    );
    assert_eq!(
        read(&sk.public_key().to_spki_pem()),
        err(KeyMaterialProblem::PublicKeyGiven)
    );
    assert_eq!(
        read(&format!("{}\n\n{}\n{}", lines[0], lines[1], lines[2])),
        err(KeyMaterialProblem::Base64)
    );
    assert_eq!(
        read(&pem.replace("MC4C", "MC4C=")),
        err(KeyMaterialProblem::Base64)
    );
    assert_eq!(
        read(&pem.replace("MC4C", "MC 4C")),
        err(KeyMaterialProblem::Base64)
    );
}

#[test]
fn errors_never_echo_secret_bytes() {
    // A label made of base64 is echoed only as printable, shortened text; secret
    // bodies are never part of an error.
    let sk = key();
    let pem = sk.to_pkcs8_pem();
    let body: String = pem.expose_secret().lines().nth(1).unwrap().into();
    let corrupted = pem.expose_secret().replace("MC4C", "MC4!");
    let msg = SigningKey::from_pkcs8_pem(&corrupted)
        .unwrap_err()
        .to_string();
    assert!(!msg.contains(&body[4..]), "{msg}");
}
