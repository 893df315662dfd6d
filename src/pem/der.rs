//! The DER of Ed25519 keys (RFC 8410): the fixed layouts keyseal writes, and a strict walk
//! that reads PKCS#8 v1 and v2 (OneAsymmetricKey) and SubjectPublicKeyInfo: definite
//! minimal lengths, the Ed25519 OID with absent parameters, exact key lengths, nothing
//! trailing. A key for another algorithm is named in the error.

use zeroize::Zeroizing;

use crate::error::KeyMaterialProblem;

pub(super) const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
pub(super) const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_ATTRIBUTES: u8 = 0xa0;
const TAG_PUBLIC_KEY: u8 = 0x81;

/// 1.3.101.112
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// Names an algorithm by its OID (and, for EC keys, curve), for error messages.
fn algorithm_name(oid: &[u8], params: &[u8]) -> &'static str {
    match oid {
        [0x2b, 0x65, 0x6e] => "an X25519 key",
        [0x2b, 0x65, 0x6f] => "an X448 key",
        [0x2b, 0x65, 0x71] => "an Ed448 key",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01] => "an RSA key",
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a] => "an RSA-PSS key",
        [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01] => "a DSA key",
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] => match params {
            [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => "an EC P-256 key",
            [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22] => "an EC P-384 key",
            [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23] => "an EC P-521 key",
            [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a] => "an EC secp256k1 key",
            _ => "an elliptic-curve (EC) key",
        },
        _ => "a key of an unknown algorithm",
    }
}

/// Reads one DER element with tag `tag` from the front of `input`: its contents and what
/// follows. Lengths must be definite and minimal, and at most two bytes long.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&n, rest) = rest.split_first()?;
            (n >= 0x80).then_some((usize::from(n), rest))?
        }
        0x82 => {
            let (&[hi, lo], rest) = rest.split_first_chunk::<2>()?;
            let n = usize::from(u16::from_be_bytes([hi, lo]));
            (n >= 0x100).then_some((n, rest))?
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Reads an AlgorithmIdentifier and checks that it is Ed25519 with absent parameters.
fn check_algorithm(alg: &[u8]) -> Result<(), KeyMaterialProblem> {
    let (oid, params) = element(alg, TAG_OID).ok_or(KeyMaterialProblem::Der)?;
    if oid != OID_ED25519 {
        return Err(KeyMaterialProblem::WrongAlgorithm(algorithm_name(
            oid, params,
        )));
    }
    if !params.is_empty() {
        return Err(KeyMaterialProblem::Der);
    }
    Ok(())
}

/// The contents of a PKCS#8 key.
pub(super) struct Pkcs8<'a> {
    pub(super) seed: Zeroizing<[u8; 32]>,
    /// The public key a v2 key may carry.
    pub(super) public: Option<&'a [u8]>,
}

/// Parses PKCS#8 v1 or v2 DER.
pub(super) fn parse_pkcs8(der: &[u8]) -> Result<Pkcs8<'_>, KeyMaterialProblem> {
    let der_err = || KeyMaterialProblem::Der;
    let (outer, trailing) = element(der, TAG_SEQUENCE).ok_or_else(der_err)?;
    if !trailing.is_empty() {
        return Err(der_err());
    }
    let (version, rest) = element(outer, TAG_INTEGER).ok_or_else(der_err)?;
    let v2 = match version {
        [0] => false,
        [1] => true,
        _ => return Err(der_err()),
    };
    let (alg, rest) = element(rest, TAG_SEQUENCE).ok_or_else(der_err)?;
    check_algorithm(alg)?;
    let (private, mut rest) = element(rest, TAG_OCTET_STRING).ok_or_else(der_err)?;
    let (seed_bytes, after_seed) = element(private, TAG_OCTET_STRING).ok_or_else(der_err)?;
    if seed_bytes.len() != 32 || !after_seed.is_empty() {
        return Err(der_err());
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(seed_bytes);
    if let Some((_attributes, after)) = element(rest, TAG_ATTRIBUTES) {
        rest = after;
    }
    let mut public = None;
    if v2 {
        if let Some((bits, after)) = element(rest, TAG_PUBLIC_KEY) {
            match bits.split_first() {
                Some((0, key)) if key.len() == 32 => public = Some(key),
                _ => return Err(der_err()),
            }
            rest = after;
        }
    }
    if !rest.is_empty() {
        return Err(der_err());
    }
    Ok(Pkcs8 { seed, public })
}

/// Parses SubjectPublicKeyInfo DER; returns the 32 key bytes.
pub(super) fn parse_spki(der: &[u8]) -> Result<&[u8], KeyMaterialProblem> {
    let der_err = || KeyMaterialProblem::Der;
    let (outer, trailing) = element(der, TAG_SEQUENCE).ok_or_else(der_err)?;
    if !trailing.is_empty() {
        return Err(der_err());
    }
    let (alg, rest) = element(outer, TAG_SEQUENCE).ok_or_else(der_err)?;
    check_algorithm(alg)?;
    let (bits, rest) = element(rest, TAG_BIT_STRING).ok_or_else(der_err)?;
    match bits.split_first() {
        Some((0, key)) if key.len() == 32 && rest.is_empty() => Ok(key),
        _ => Err(der_err()),
    }
}
