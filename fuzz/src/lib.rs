//! What the fuzz targets check. Each target in `fuzz_targets/` is one call into this file,
//! so the properties read in one place. The fixed keyring, prefix and time come from
//! `tests/fixture`, and key text is taken apart and put together with `tests/forge`: the
//! same files the tests use, so the fuzzers and the tests agree on the fixture.

#[path = "../../tests/fixture/mod.rs"]
pub mod fixture;
#[path = "../../tests/forge/mod.rs"]
pub mod forge;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use keyseal::{
    __fuzz, Claims, Error, InvalidClaim, KeyId, KeyState, Keyring, ListProblem, MAX_APP_ID_LEN,
    MAX_EXTENSION_NAME_LEN, MAX_EXTENSION_VALUE_LEN, MAX_EXTENSIONS, MAX_SCOPE_LEN, MAX_SCOPES,
    NewKey, Prefix, PublicKey, RevocationList, SigningKey, Timestamp, TokenId, UntrustedKey,
    Verifier,
};

/// The fixture's keyring, built once.
fn keyring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(fixture::keyring)
}

/// The fixture's verifier, built once.
fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(fixture::verifier)
}

/// The first instant at which a key with `claims` verifies (no leeway needed).
fn valid_from(claims: &Claims) -> Timestamp {
    claims.not_before().unwrap_or(claims.issued_at())
}

/// Issues a key with exactly `claims` under the fixture's prefix, signed with `seed`.
fn reissue(claims: &Claims, seed: &[u8; 32]) -> String {
    let mut request = NewKey::for_app(claims.app_id())
        .scopes(claims.scopes())
        .expires_at(claims.expires_at())
        .token_id(claims.token_id());
    if let Some(nbf) = claims.not_before() {
        request = request.not_before(nbf);
    }
    for (name, value) in claims.extensions() {
        request = request.extension(name, value);
    }
    fixture::issue_at(fixture::PREFIX, seed, request, claims.issued_at()).into_string()
}

/// Target `key_text`: parses and verifies `text` with the fixture's verifier at the
/// fixture's time. Nothing panics; the parser and the verifier refuse for the same reason
/// (unless the prefix is another issuer's, which only the verifier checks); and a key that
/// verifies is exactly the text the issuer writes for its claims.
pub fn check_text(text: &str) {
    let parsed = UntrustedKey::parse(text);
    let verified = verifier().verify_at(text, fixture::now());
    match (&parsed, &verified) {
        (Err(p), Ok(_)) => panic!("verifies but does not parse ({p:?}): {text:?}"),
        (Err(p), Err(v)) => assert!(
            v == p || *v == Error::WrongPrefix,
            "parse refuses with {p:?}, verify with {v:?}: {text:?}"
        ),
        (Ok(untrusted), Ok(key)) => {
            assert_eq!(untrusted.untrusted_prefix(), fixture::PREFIX);
            assert_eq!(untrusted.untrusted_key_id(), key.key_id());
            assert_eq!(untrusted.untrusted_claims().as_ref(), Ok(key.claims()));
            assert!(key.claims().scopes().all(|s| key.has_scope(s)));
            let seed = [fixture::ACTIVE_SEED, fixture::VERIFY_ONLY_SEED]
                .into_iter()
                .find(|s| fixture::signing_key(s).key_id() == key.key_id())
                .expect("only the fixture's usable keys verify");
            assert_eq!(reissue(key.claims(), &seed), text, "not the issuer's text");
            let _ = key.to_string();
        }
        (Ok(untrusted), Err(e)) => {
            let _ = untrusted.untrusted_claims();
            let _ = e.to_string();
        }
    }
}

/// Target `payload_roundtrip`: decodes `data` as a payload. Anything accepted re-encodes to
/// the identical bytes, is exactly the payload the issuer writes for those claims, and
/// verifies as those claims.
pub fn check_payload(data: &[u8]) {
    let Ok(claims) = __fuzz::decode_payload(data) else {
        return;
    };
    assert_eq!(
        __fuzz::encode_payload(&claims).as_deref(),
        Ok(data),
        "an accepted payload is not canonical"
    );
    let key = reissue(&claims, &fixture::ACTIVE_SEED);
    assert_eq!(forge::payload(fixture::PREFIX, &key), data);
    let verified = verifier()
        .verify_at(&key, valid_from(&claims))
        .expect("a key re-issued from accepted claims verifies");
    assert_eq!(verified.claims(), &claims);
}

/// Target `public_key_text`: parses `text` as a public key, key id, token id, prefix and
/// key state. Whatever is accepted prints back as exactly `text`, so each value has one
/// text form (a public key also one byte form: a non-canonical point encoding is refused).
pub fn check_small_texts(text: &str) {
    fn round_trip<T: core::str::FromStr + core::fmt::Display>(text: &str) -> Option<T> {
        let value = text.parse::<T>().ok()?;
        assert_eq!(
            value.to_string(),
            text,
            "accepted, but not in canonical form"
        );
        Some(value)
    }
    if let Some(key) = round_trip::<PublicKey>(text) {
        assert_eq!(PublicKey::from_bytes(&key.to_bytes()), Ok(key));
        assert_eq!(KeyId::derive(&key.to_bytes()), key.key_id());
    }
    round_trip::<KeyId>(text);
    round_trip::<TokenId>(text);
    round_trip::<Prefix>(text);
    round_trip::<KeyState>(text);
}

/// One edit of a key's text or bytes. Positions wrap around the length.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Edit {
    /// Flips one bit.
    FlipBit {
        /// Where.
        at: u16,
        /// Which bit (modulo 8).
        bit: u8,
    },
    /// Overwrites one byte.
    Set {
        /// Where.
        at: u16,
        /// The new byte.
        byte: u8,
    },
    /// Inserts one byte.
    Insert {
        /// Where.
        at: u16,
        /// The new byte.
        byte: u8,
    },
    /// Removes one byte.
    Remove {
        /// Where.
        at: u16,
    },
    /// Swaps two bytes.
    Swap {
        /// One.
        a: u16,
        /// The other.
        b: u16,
    },
    /// Cuts the input short.
    Truncate {
        /// The new length (modulo the old length plus one).
        len: u16,
    },
}

impl Edit {
    /// Applies the edit to `buf`.
    fn apply(self, buf: &mut Vec<u8>) {
        let len = buf.len();
        let at = |i: u16| usize::from(i) % len.max(1);
        match self {
            Edit::FlipBit { at: i, bit } if len > 0 => buf[at(i)] ^= 1 << (bit % 8),
            Edit::Set { at: i, byte } if len > 0 => buf[at(i)] = byte,
            Edit::Insert { at: i, byte } => buf.insert(usize::from(i) % (len + 1), byte),
            Edit::Remove { at: i } if len > 0 => {
                buf.remove(at(i));
            }
            Edit::Swap { a, b } if len > 0 => buf.swap(at(a), at(b)),
            Edit::Truncate { len: n } => buf.truncate(usize::from(n) % (len + 1)),
            _ => {}
        }
    }
}

/// A mutation of an issued key: up to four edits of its text, or of its decoded bytes with
/// the checksum then recomputed (so that the mutation reaches the signature check).
#[derive(Debug, Clone, Arbitrary)]
pub struct Mutant {
    /// Edit the decoded bytes and re-seal, instead of the text.
    in_bytes: bool,
    /// The edits, in order (only the first four are applied).
    edits: Vec<Edit>,
}

impl Mutant {
    /// The mutated text of `original`, a key under `prefix`; `None` if it is not UTF-8.
    fn apply(&self, prefix: &str, original: &str) -> Option<String> {
        let mut buf = if self.in_bytes {
            let mut bytes = forge::open(prefix, original);
            bytes.truncate(bytes.len().saturating_sub(4));
            bytes
        } else {
            original.as_bytes().to_vec()
        };
        self.edits.iter().take(4).for_each(|e| e.apply(&mut buf));
        if self.in_bytes {
            Some(forge::seal(prefix, &buf))
        } else {
            String::from_utf8(buf).ok()
        }
    }
}

/// Target `issue_mutate`'s input: valid claims (by construction, from the grammar), who
/// issues them, and mutations of the issued key.
#[derive(Debug)]
pub struct IssueAndMutate {
    prefix: String,
    seed: [u8; 32],
    request: NewKey,
    issued_at: Timestamp,
    /// Whether two extensions share a name (the issuer refuses that).
    duplicate_names: bool,
    mutants: Vec<Mutant>,
}

/// Letters and digits.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// What follows the first character of an app id.
const APP_REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
/// Lowercase letters and digits: a prefix segment, or the start of a scope segment.
const LOWER_DIGIT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// What follows the first character of a scope segment or extension name.
const SEGMENT_REST: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_-.";
/// Lowercase letters.
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// A word of 1 to `max` characters: one from `first`, the rest from `rest`.
fn word(
    u: &mut Unstructured<'_>,
    first: &[u8],
    rest: &[u8],
    max: usize,
) -> arbitrary::Result<String> {
    let len = u.int_in_range(1..=max.max(1))?;
    let mut s = String::with_capacity(len);
    s.push(char::from(*u.choose(first)?));
    for _ in 1..len {
        s.push(char::from(*u.choose(rest)?));
    }
    Ok(s)
}

impl<'a> Arbitrary<'a> for IssueAndMutate {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let prefix = if u.ratio(1, 8)? {
            fixture::LONG_PREFIX.to_string()
        } else {
            let segments = u.int_in_range(1..=4)?;
            let mut p = word(u, LOWER, LOWER_DIGIT, 7)?;
            for _ in 1..segments {
                p.push('_');
                p.push_str(&word(u, LOWER_DIGIT, LOWER_DIGIT, 7)?);
            }
            p
        };
        let seed = if u.arbitrary()? {
            fixture::ACTIVE_SEED
        } else {
            fixture::VERIFY_ONLY_SEED
        };
        let mut request = NewKey::for_app(word(u, ALNUM, APP_REST, MAX_APP_ID_LEN)?);
        for _ in 0..u.int_in_range(0..=MAX_SCOPES)? {
            let resource = word(u, LOWER_DIGIT, SEGMENT_REST, MAX_SCOPE_LEN - 2)?;
            let room = MAX_SCOPE_LEN - 1 - resource.len();
            let action = if u.ratio(1, 4)? {
                "*".to_string()
            } else {
                word(u, LOWER_DIGIT, SEGMENT_REST, room)?
            };
            request = request.scope(format!("{resource}:{action}"));
        }
        let mut names = BTreeSet::new();
        let mut duplicate_names = false;
        for _ in 0..u.int_in_range(0..=MAX_EXTENSIONS)? {
            let mut name = word(u, LOWER, SEGMENT_REST, MAX_EXTENSION_NAME_LEN)?;
            if name.starts_with("keyseal") {
                name.replace_range(..1, "x");
            }
            let len = u.int_in_range(0..=MAX_EXTENSION_VALUE_LEN)?;
            let value = u.bytes(len)?.to_vec();
            duplicate_names |= !names.insert(name.clone());
            request = request.extension(name, value);
        }
        let (min, max) = (Timestamp::MIN.as_unix(), Timestamp::MAX.as_unix());
        let iat = u.int_in_range(min..=max - 1)?;
        let exp = u.int_in_range(iat + 1..=max)?;
        let time = |t| Timestamp::from_unix(t).ok_or(arbitrary::Error::IncorrectFormat);
        request = request.expires_at(time(exp)?);
        if u.arbitrary()? {
            request = request.not_before(time(u.int_in_range(iat..=exp - 1)?)?);
        }
        request = request.token_id(TokenId::from_bytes(u.arbitrary()?));
        Ok(IssueAndMutate {
            prefix,
            seed,
            request,
            issued_at: time(iat)?,
            duplicate_names,
            mutants: u.arbitrary()?,
        })
    }
}

/// Target `issue_mutate`: issues the input's key, checks that it verifies as issued, then
/// requires that no mutation of it verifies unless it is byte-identical to the original.
pub fn check_mutations(input: &IssueAndMutate) {
    let issuer = fixture::issuer(&input.prefix, &input.seed);
    let issued = match issuer.issue_at(input.request.clone(), input.issued_at) {
        Ok(key) => key,
        Err(Error::InvalidClaim(InvalidClaim::TooLarge)) => return,
        Err(Error::InvalidClaim(InvalidClaim::ExtensionsNotCanonical)) if input.duplicate_names => {
            return;
        }
        Err(e) => panic!("valid claims refused ({e:?}): {input:?}"),
    };
    let prefix = Prefix::new(input.prefix.as_str()).expect("a generated prefix is valid");
    let verifier = Verifier::new(prefix, keyring().clone());
    let at = valid_from(issued.claims());
    let original = issued.as_str();
    let verified = verifier
        .verify_at(original, at)
        .expect("a freshly issued key verifies");
    assert_eq!(verified.claims(), issued.claims());
    for mutant in input.mutants.iter().take(16) {
        let Some(text) = mutant.apply(&input.prefix, original) else {
            continue;
        };
        if let Ok(key) = verifier.verify_at(&text, at) {
            assert_eq!(text, original, "a mutated key verified as {key:?}");
        }
    }
}

/// Target `keyring_document`: whatever the keyring document parser accepts is a keyring
/// whose own document loads back as the same keyring, and prints the same document.
pub fn check_keyring_document(text: &str) {
    let Ok(ring) = Keyring::from_json(text) else {
        return;
    };
    let document = ring.to_json();
    let again = Keyring::from_json(&document).expect("a keyring's own document loads");
    assert_eq!(
        again, ring,
        "document round trip changed the keyring: {text:?}"
    );
    assert_eq!(again.to_json(), document);
}

/// Target `revocation_list`: the list payload decoder accepts exactly what encodes back to
/// the identical bytes; the same payload signed by the fixture's active key verifies exactly
/// when the decoder accepts it; and the raw input as a whole list file never verifies (it
/// carries no valid signature) nor panics.
pub fn check_revocation_list(data: &[u8]) {
    let again = __fuzz::revocation_payload_roundtrip(data);
    if let Some(again) = &again {
        assert_eq!(
            again.as_slice(),
            data,
            "accepted list payload is not canonical"
        );
    }
    let prefix = Prefix::new(fixture::PREFIX).expect("fixture prefix");
    let signer = fixture::signing_key(&fixture::ACTIVE_SEED);
    let mut file = b"keyseal/revocation-list\0".to_vec();
    file.push(u8::try_from(fixture::PREFIX.len()).expect("short prefix"));
    file.extend_from_slice(fixture::PREFIX.as_bytes());
    file.push(keyseal::LIST_VERSION);
    file.extend_from_slice(&signer.key_id().to_bytes());
    file.extend_from_slice(data);
    let signature = signer.sign_raw(&file);
    file.extend_from_slice(&signature);
    let verified = RevocationList::verify(&file, &prefix, keyring(), fixture::now());
    match &verified {
        // A canonical payload whose issue time lies after the fixture's `now` (beyond the
        // clock leeway) is refused for its time alone.
        Err(Error::RevocationList(ListProblem::IssuedInFuture { .. })) => {
            assert!(
                again.is_some(),
                "refused as from the future, yet not decodable"
            );
        }
        _ => assert_eq!(verified.is_ok(), again.is_some(), "{verified:?}"),
    }
    assert!(RevocationList::verify(data, &prefix, keyring(), fixture::now()).is_err());
}

/// Target `key_material`: every importer (PKCS#8 and SPKI in PEM and DER, JWK, the compact
/// text forms) refuses or returns a key whose export imports back as the same key; the
/// compact text forms are canonical (export gives back the input exactly).
pub fn check_key_material(data: &[u8]) {
    if let Ok(sk) = SigningKey::from_pkcs8_der(data) {
        let der = sk.to_pkcs8_der();
        let again = SigningKey::from_pkcs8_der(der.as_slice()).expect("own PKCS#8 DER loads");
        assert_eq!(again.key_id(), sk.key_id());
    }
    if let Ok(pk) = PublicKey::from_spki_der(data) {
        assert_eq!(PublicKey::from_spki_der(&pk.to_spki_der()), Ok(pk));
    }
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(sk) = SigningKey::from_pkcs8_pem(text) {
        let pem = sk.to_pkcs8_pem();
        let again = SigningKey::from_pkcs8_pem(pem.expose_secret()).expect("own PEM loads");
        assert_eq!(again.key_id(), sk.key_id());
    }
    if let Ok(pk) = PublicKey::from_spki_pem(text) {
        assert_eq!(PublicKey::from_spki_pem(&pk.to_spki_pem()), Ok(pk));
    }
    if let Ok(pk) = PublicKey::from_jwk(text) {
        assert_eq!(PublicKey::from_jwk(&pk.to_jwk()), Ok(pk));
    }
    if let Ok(sk) = SigningKey::from_text(text) {
        assert_eq!(
            sk.to_text().expose_secret(),
            text,
            "secret text form not canonical"
        );
    }
    if let Ok(pk) = PublicKey::from_text(text) {
        assert_eq!(pk.to_text(), text, "public text form not canonical");
    }
}
