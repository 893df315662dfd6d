//! Signing keys and public keys.

use core::fmt;
use core::str::FromStr;

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::{Signer, Verifier};
use zeroize::Zeroizing;

use crate::error::{Error, PublicKeyProblem};
use crate::key_id::KeyId;

mod precomputed;

pub(crate) use precomputed::PrecomputedKey;
use precomputed::strict_encodings;

/// An Ed25519 public key that keyseal accepts: a canonical encoding of a point that is not
/// of small order. Carries its [`KeyId`].
///
/// `ed25519_dalek::VerifyingKey::from_bytes` accepts non-canonical encodings and weak
/// keys; [`PublicKey::from_bytes`] refuses both, so every public key has one encoding and
/// one key id.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// Validates and wraps a 32-byte Ed25519 public key.
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`] when the slice is not 32 bytes, not a curve point, not
    /// the canonical encoding of its point, or a point of small order.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, Error> {
        let bytes: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| PublicKeyProblem::WrongLength)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| PublicKeyProblem::NotOnCurve)?;
        if key.to_edwards().compress().as_bytes() != bytes {
            return Err(PublicKeyProblem::NonCanonical.into());
        }
        if key.is_weak() {
            return Err(PublicKeyProblem::Weak.into());
        }
        Ok(PublicKey {
            key,
            id: KeyId::derive(bytes),
        })
    }

    /// The 32-byte encoding.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id derived from this key.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The multiples of this key that make its verifications faster (what a keyring keeps
    /// for its active key and up to `Keyring::PRECOMPUTED_KEYS` verify-only keys).
    pub(crate) fn precompute(&self) -> PrecomputedKey {
        PrecomputedKey::new(self.to_bytes(), &self.key.to_edwards())
    }

    /// The underlying `ed25519-dalek` key, for interoperation.
    #[must_use]
    pub fn as_dalek(&self) -> &ed25519_dalek::VerifyingKey {
        &self.key
    }

    /// Strict Ed25519 verification of `signature` over `message`: exactly the verdict of
    /// `ed25519_dalek::VerifyingKey::verify_strict` (canonical `S`, `R` the canonical encoding
    /// of a point not of small order, a key not of small order, and the cofactorless
    /// equation). Every keyseal signature check gets this verdict: a [`Keyring`](crate::Keyring)
    /// reaches it faster for the keys it holds precomputed multiples of
    /// ([`KeyEntry::verify_strict`](crate::KeyEntry::verify_strict)).
    ///
    /// It gets that verdict without decompressing `R`, which saves a field square root
    /// (about 3 % of a verification): the equation is checked as dalek's `verify` checks it,
    /// by comparing `R` with the canonical encoding of `[s]B − [k]A`, so an `R` that passes is
    /// itself a canonical point encoding; refusing the eight canonical encodings of the points
    /// of small order (listed in FORMAT.md §1.4) then leaves exactly what `verify_strict`
    /// accepts. The key's own small-order check was made by [`PublicKey::from_bytes`]. `S` is
    /// checked here too (dalek's `verify` checks it as well, unless some crate in the build
    /// enables its `legacy_compatibility` feature, which Cargo would then turn on for keyseal
    /// as well).
    ///
    /// # Errors
    /// [`Error::BadSignature`] for any failure.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Error> {
        strict_encodings(signature)?;
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.key
            .verify(message, &signature)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, id {})", self, self.id)
    }
}

/// Unpadded base64url of the 32 bytes (43 characters).
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 43];
        let s = Base64UrlUnpadded::encode(self.key.as_bytes(), &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(s)
    }
}

/// Parses the 43-character unpadded base64url form written by `Display`.
impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<PublicKey, Error> {
        let mut buf = [0u8; 32];
        let bytes = Base64UrlUnpadded::decode(s, &mut buf)
            .map_err(|_| Error::InvalidPublicKey(PublicKeyProblem::WrongLength))?;
        PublicKey::from_bytes(bytes)
    }
}

/// An Ed25519 secret signing key, with its public key and key id.
///
/// The secret is zeroized when the value is dropped, is never printed by `Debug`, and has no
/// `PartialEq` or `Clone`: compare keys by [`SigningKey::key_id`].
pub struct SigningKey {
    secret: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl SigningKey {
    /// Generates a new key from the operating system's random source.
    ///
    /// # Errors
    /// Only if the operating system cannot provide randomness
    /// ([`Error::RandomnessUnavailable`]).
    #[cfg(feature = "std")]
    pub fn generate() -> Result<SigningKey, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut_slice()).map_err(|_| Error::RandomnessUnavailable)?;
        SigningKey::from_seed(&seed)
    }

    /// Generates a new key from a caller-supplied cryptographically secure random source
    /// (for `no_std` targets).
    ///
    /// # Errors
    /// As [`SigningKey::from_seed`].
    pub fn generate_with_rng<R: rand_core::CryptoRng + ?Sized>(
        rng: &mut R,
    ) -> Result<SigningKey, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut_slice());
        SigningKey::from_seed(&seed)
    }

    /// The key for a 32-byte Ed25519 seed (the RFC 8032 secret key).
    ///
    /// # Errors
    /// [`Error::InvalidPublicKey`] in the (cryptographically negligible) case that the seed
    /// yields a public key keyseal would refuse.
    pub fn from_seed(seed: &[u8; 32]) -> Result<SigningKey, Error> {
        let secret = ed25519_dalek::SigningKey::from_bytes(seed);
        let public = PublicKey::from_bytes(secret.verifying_key().as_bytes())?;
        Ok(SigningKey { secret, public })
    }

    /// The 32-byte seed, in a buffer that is zeroized on drop. Handle with care.
    #[must_use]
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// The key id.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.public.id
    }

    /// Signs `message` as is (pure Ed25519, RFC 8032). keyseal builds the domain-separated
    /// messages itself; use this only to interoperate with other Ed25519 tools.
    #[must_use]
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.secret.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.public.id)
            .field("public_key", &format_args!("{}", self.public))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_roundtrips_through_hex() {
        let sk = SigningKey::from_seed(&[7; 32]).unwrap();
        let id = sk.key_id();
        assert_eq!(id.to_string().len(), 16);
        assert_eq!(id.to_string().parse::<KeyId>().unwrap(), id);
        assert!("0123456789ABCDEF".parse::<KeyId>().is_err());
        assert!("0123".parse::<KeyId>().is_err());
        assert!("0123456789abcdeg".parse::<KeyId>().is_err());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let seed = [0x42; 32];
        let sk = SigningKey::from_seed(&seed).unwrap();
        let dbg = format!("{sk:?}");
        assert!(dbg.contains(&sk.key_id().to_string()));
        let b64 = Base64UrlUnpadded::encode_string(&seed);
        assert!(!dbg.contains(&b64));
        assert!(!dbg.contains("4242"));
        assert!(!dbg.contains("66, 66"));
    }

    #[test]
    fn public_key_text_roundtrip() {
        let pk = SigningKey::from_seed(&[9; 32]).unwrap().public_key();
        let text = pk.to_string();
        assert_eq!(text.len(), 43);
        assert_eq!(text.parse::<PublicKey>().unwrap(), pk);
    }
}
