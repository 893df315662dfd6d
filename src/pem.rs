//! Ed25519 keys in PKCS#8 and SubjectPublicKeyInfo (RFC 8410), as DER and as PEM
//! (RFC 7468), byte for byte as OpenSSL writes them.
//!
//! ```text
//! PKCS#8 v1 (written)  30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 <seed 32>
//! PKCS#8 v2 (read)     30 51 02 01 01 30 05 06 03 2b 65 70 04 22 04 20 <seed 32> 81 21 00 <public 32>
//! SPKI                 30 2a 30 05 06 03 2b 65 70 03 21 00 <public 32>
//! ```
//!
//! The reader is a strict DER walk: definite minimal lengths, the Ed25519 OID with absent
//! parameters, exact key lengths, nothing trailing. PKCS#8 v2 (OneAsymmetricKey) is read
//! too; its attributes are skipped and its public key must match the private key. A key
//! for another algorithm is named in the error. Every buffer that holds secret bytes or
//! their base64 is a [`Zeroizing`] one.

use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::error::{Error, KeyEncoding, KeyMaterialProblem, printable};
use crate::keys::{PublicKey, SigningKey};

/// Length of the PKCS#8 DER encoding keyseal writes.
pub const PKCS8_DER_LEN: usize = 48;
/// Length of the SubjectPublicKeyInfo DER encoding.
pub const SPKI_DER_LEN: usize = 44;

const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

const PRIVATE_LABEL: &str = "PRIVATE KEY";
const PUBLIC_LABEL: &str = "PUBLIC KEY";
/// PEM bodies longer than this are refused before decoding (an RSA-4096 key is ~3.2 KB).
const MAX_PEM_BODY: usize = 16 * 1024;

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
struct Pkcs8<'a> {
    seed: Zeroizing<[u8; 32]>,
    /// The public key a v2 key may carry.
    public: Option<&'a [u8]>,
}

/// Parses PKCS#8 v1 or v2 DER.
fn parse_pkcs8(der: &[u8]) -> Result<Pkcs8<'_>, KeyMaterialProblem> {
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
fn parse_spki(der: &[u8]) -> Result<&[u8], KeyMaterialProblem> {
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

/// Splits off one line (without its `\n` or `\r\n`).
fn split_line(text: &str) -> (&str, &str) {
    let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
    (line.strip_suffix('\r').unwrap_or(line), rest)
}

/// Decodes a PEM block labelled `label` into a zeroized buffer: one block, nothing
/// around it but whitespace, `LF` or `CRLF` line ends, base64 lines of any width.
fn decode_pem(
    text: &str,
    label: &'static str,
    other_label: &'static str,
    other_problem: KeyMaterialProblem,
) -> Result<Zeroizing<Vec<u8>>, KeyMaterialProblem> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (first, mut rest) = split_line(text);
    let found = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(KeyMaterialProblem::NotPem)?;
    if found != label {
        return Err(match found {
            "ENCRYPTED PRIVATE KEY" => KeyMaterialProblem::Encrypted,
            f if f == other_label => other_problem,
            _ => KeyMaterialProblem::WrongPemLabel {
                expected: label,
                found: printable(found),
            },
        });
    }
    // Room for every character of the input, so that the buffer never reallocates.
    let mut body = Zeroizing::new(Vec::with_capacity(text.len().min(MAX_PEM_BODY)));
    loop {
        if rest.is_empty() {
            return Err(KeyMaterialProblem::NotPem);
        }
        let (line, after) = split_line(rest);
        rest = after;
        if let Some(end) = line.strip_prefix("-----END ") {
            if end.strip_suffix("-----") != Some(label) || !rest.is_empty() {
                return Err(KeyMaterialProblem::NotPem);
            }
            break;
        }
        let line = line.trim_end_matches([' ', '\t']);
        if line.is_empty() || body.len() + line.len() > MAX_PEM_BODY {
            return Err(KeyMaterialProblem::Base64);
        }
        body.extend_from_slice(line.as_bytes());
    }
    let len = Base64::decode_in_place(body.as_mut_slice())
        .map_err(|_| KeyMaterialProblem::Base64)?
        .len();
    body.truncate(len);
    Ok(body)
}

/// Writes `der` as a PEM block labelled `label` into `out`, wrapping at 64 columns. The
/// caller allocates `out` with [`pem_len`] bytes of room.
fn encode_pem(der: &[u8], label: &str, out: &mut String) {
    let mut b64 = Zeroizing::new([0u8; 128]);
    // Only called with 44- and 48-byte DER, which fit.
    let Ok(b64) = Base64::encode(der, b64.as_mut_slice()) else {
        return;
    };
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = b64;
    while !rest.is_empty() {
        let (line, after) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = after;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}

/// The length of the PEM text [`encode_pem`] writes.
fn pem_len(der_len: usize, label: &str) -> usize {
    let b64 = der_len.div_ceil(3) * 4;
    let lines = b64.div_ceil(64);
    2 * (label.len() + 16) + b64 + lines
}

impl SigningKey {
    /// The PKCS#8 DER encoding (the v1 form OpenSSL writes), in a zeroized buffer.
    #[must_use]
    pub fn to_pkcs8_der(&self) -> Zeroizing<[u8; PKCS8_DER_LEN]> {
        let mut der = Zeroizing::new([0u8; PKCS8_DER_LEN]);
        let (prefix, seed) = der.split_at_mut(PKCS8_V1_PREFIX.len());
        prefix.copy_from_slice(&PKCS8_V1_PREFIX);
        seed.copy_from_slice(self.to_seed().as_slice());
        der
    }

    /// Reads PKCS#8 DER: v1, or v2 with an optional public key that must match.
    ///
    /// # Errors
    /// [`Error::KeyMaterial`] when the bytes are not an Ed25519 PKCS#8 key (another
    /// algorithm is named in the error).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, Error> {
        signing_key_from_der(der, KeyEncoding::Pkcs8Der)
    }

    /// The PKCS#8 PEM encoding (`-----BEGIN PRIVATE KEY-----`), exactly as
    /// `openssl genpkey -algorithm ed25519` writes it.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::SigningKey;
    ///
    /// let key = SigningKey::generate()?;
    /// let pem = key.to_pkcs8_pem();
    /// assert!(pem.expose_secret().starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
    /// assert_eq!(SigningKey::from_pkcs8_pem(pem.expose_secret())?.key_id(), key.key_id());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn to_pkcs8_pem(&self) -> crate::SecretText {
        let mut pem = Zeroizing::new(String::with_capacity(pem_len(PKCS8_DER_LEN, PRIVATE_LABEL)));
        encode_pem(self.to_pkcs8_der().as_slice(), PRIVATE_LABEL, &mut pem);
        crate::SecretText::new(pem)
    }

    /// Reads a PKCS#8 PEM private key, as written by OpenSSL (`openssl genpkey -algorithm
    /// ed25519`) or [`SigningKey::to_pkcs8_pem`].
    ///
    /// # Errors
    /// [`Error::KeyMaterial`]: not PEM, another label (`RSA PRIVATE KEY`, `PUBLIC KEY`,
    /// `ENCRYPTED PRIVATE KEY`, ...), corrupt base64, or not an Ed25519 PKCS#8 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, Error> {
        let der = decode_pem(
            pem,
            PRIVATE_LABEL,
            PUBLIC_LABEL,
            KeyMaterialProblem::PublicKeyGiven,
        )
        .map_err(|problem| Error::KeyMaterial {
            encoding: KeyEncoding::Pkcs8Pem,
            problem,
        })?;
        signing_key_from_der(&der, KeyEncoding::Pkcs8Pem)
    }
}

fn signing_key_from_der(der: &[u8], encoding: KeyEncoding) -> Result<SigningKey, Error> {
    let problem = |problem| Error::KeyMaterial { encoding, problem };
    let Pkcs8 { seed, public } = parse_pkcs8(der).map_err(problem)?;
    let key = SigningKey::from_seed(&seed)?;
    match public {
        Some(p) if p != key.public_key().to_bytes() => {
            Err(problem(KeyMaterialProblem::PublicKeyMismatch))
        }
        _ => Ok(key),
    }
}

impl PublicKey {
    /// The SubjectPublicKeyInfo DER encoding.
    #[must_use]
    pub fn to_spki_der(&self) -> [u8; SPKI_DER_LEN] {
        let mut der = [0u8; SPKI_DER_LEN];
        let (prefix, key) = der.split_at_mut(SPKI_PREFIX.len());
        prefix.copy_from_slice(&SPKI_PREFIX);
        key.copy_from_slice(&self.to_bytes());
        der
    }

    /// Reads SubjectPublicKeyInfo DER.
    ///
    /// # Errors
    /// [`Error::KeyMaterial`] when the bytes are not an Ed25519 SubjectPublicKeyInfo;
    /// [`Error::InvalidPublicKey`] for a non-canonical or weak key.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, Error> {
        public_key_from_der(der, KeyEncoding::SpkiDer)
    }

    /// The SubjectPublicKeyInfo PEM encoding (`-----BEGIN PUBLIC KEY-----`), exactly as
    /// `openssl pkey -pubout` writes it.
    #[must_use]
    pub fn to_spki_pem(&self) -> String {
        let mut pem = String::with_capacity(pem_len(SPKI_DER_LEN, PUBLIC_LABEL));
        encode_pem(&self.to_spki_der(), PUBLIC_LABEL, &mut pem);
        pem
    }

    /// Reads a SubjectPublicKeyInfo PEM public key, as written by `openssl pkey -pubout` or
    /// [`PublicKey::to_spki_pem`].
    ///
    /// # Errors
    /// [`Error::KeyMaterial`]: not PEM, another label (a `PRIVATE KEY` is refused as a
    /// secret key given), corrupt base64, or not an Ed25519 key; [`Error::InvalidPublicKey`]
    /// for a non-canonical or weak key.
    pub fn from_spki_pem(pem: &str) -> Result<PublicKey, Error> {
        let der = decode_pem(
            pem,
            PUBLIC_LABEL,
            PRIVATE_LABEL,
            KeyMaterialProblem::SecretKeyGiven,
        )
        .map_err(|problem| Error::KeyMaterial {
            encoding: KeyEncoding::SpkiPem,
            problem,
        })?;
        public_key_from_der(&der, KeyEncoding::SpkiPem)
    }
}

fn public_key_from_der(der: &[u8], encoding: KeyEncoding) -> Result<PublicKey, Error> {
    let key = parse_spki(der).map_err(|problem| Error::KeyMaterial { encoding, problem })?;
    PublicKey::from_bytes(key)
}

#[cfg(test)]
mod tests {
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
}
