//! # keyseal: API keys that verify themselves
//!
//! A keyseal key carries its app id, scopes, expiry, token id and the id of the key that
//! signed it, in a compact postcard payload signed with Ed25519. An edge service checks a
//! key **offline**, with public keys alone, in microseconds: no database lookup per request.
//!
//! ```text
//! acme_live_AX...  (about 220 characters for three scopes)
//! └prefix─┘ └ base64url(version · key id · payload · signature · CRC-32) ┘
//! ```
//!
//! - [`Issuer`] signs keys from a [`NewKey`] request with a [`SigningKey`].
//! - [`Verifier`] checks them against a [`Keyring`] of [`PublicKey`]s and hands back a
//!   [`VerifiedKey`], the only type that answers [`has_scope`](VerifiedKey::has_scope).
//! - [`UntrustedKey`] parses without verifying, for display and key selection.
//!
//! The byte format is specified in `FORMAT.md`, with test vectors in `tests/vectors/`.
//!
//! ```
//! # fn main() -> Result<(), keyseal::Error> {
//! use core::time::Duration;
//! use keyseal::{Error, Issuer, KeyState, Keyring, NewKey, Prefix, SigningKey, Verifier};
//!
//! // Signing service: one secret key, published in the keyring as active.
//! let signing_key = SigningKey::generate()?;
//! let mut keyring = Keyring::new();
//! keyring.add(signing_key.public_key(), KeyState::Active)?;
//! let issuer = Issuer::new(Prefix::new("acme_live")?, signing_key);
//! let key = issuer.issue(
//!     NewKey::for_app("app_7f3k9x2m")
//!         .scopes(["orders:read", "orders:write"])
//!         .expires_in(Duration::from_secs(90 * 86_400)),
//! )?;
//!
//! // Edge service: public keys only.
//! let verifier = Verifier::new(Prefix::new("acme_live")?, keyring);
//! let verified = verifier.verify(key.as_str())?;
//! verified.require_scope("orders:read")?;
//! assert!(matches!(
//!     verified.require_scope("customers:read"),
//!     Err(Error::MissingScope { .. })
//! ));
//! # Ok(()) }
//! ```
//!
//! ## Features
//! - `std` (default): system clock, OS randomness, `Issuer::issue`. Without it the crate is
//!   `no_std` + `alloc`: verification works with [`Verifier::verify_at`] or a [`Clock`], and
//!   issuing with [`Issuer::issue_with_rng`]. Also key files ([`SigningKey::save_pem_file`],
//!   [`SigningKey::save_text_file`], [`SigningKey::load_file`]) and
//!   [`write_file_atomically`] for other published files such as revocation lists.
//! - `json` (default): keyring documents ([`Keyring::from_json`], [`Keyring::to_json`]) and
//!   JWK ([`PublicKey::from_jwk`]). Works without `std`, so `no_std` edges can load keyring
//!   documents.
//! - `batch`: [`Verifier::verify_batch`] and [`verify_strict_batch`] check many keys with one
//!   multi-scalar multiplication, about twice as fast per key, with the results of one by one
//!   (save signatures crafted by a signing-key holder, see [`verify_strict_batch`]). Works
//!   without `std`.
//!
//! Key material moves between keyseal and other tools as PKCS#8 and SubjectPublicKeyInfo
//! PEM/DER (byte for byte what OpenSSL writes), JWK, and compact text forms
//! (`keyseal-secret-v1_…`, `keyseal-public-v1_…`): see `FORMAT.md` §4.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(all(feature = "std", not(test)))]
extern crate std;

#[cfg(feature = "batch")]
mod batch;
#[cfg(feature = "cache")]
mod cache;
mod claims;
mod error;
mod find;
mod issuer;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "json")]
mod jwk;
mod key_id;
mod key_text;
#[cfg(feature = "std")]
mod keyfile;
mod keyring;
#[cfg(feature = "json")]
mod keyring_doc;
mod keys;
mod limits;
#[cfg(feature = "std")]
mod live;
mod pem;
mod revocation;
mod timestamp;
mod token;
mod verifier;
mod wire;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzzing.rs"]
pub mod __fuzz;

/// The README's example runs as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "batch")]
pub use batch::{BatchItem, verify_strict_batch};
#[cfg(feature = "cache")]
pub use cache::CachedVerifier;
pub use claims::{Claims, NewKey, TokenId, check_app_id, check_extension_name, check_scope};
pub use error::{DocumentProblem, JsonProblem, KeyEncoding, KeyMaterialProblem};
pub use error::{Error, InvalidClaim, KeyringProblem, Malformed, PublicKeyProblem};
pub use error::{ListProblem, PayloadField, PayloadProblem, RevocationReason};
// Finding keys and secret key texts in arbitrary text by their checksum (`FORMAT.md` §1.11).
pub use find::{find_keys, find_secret_texts};
pub use issuer::{IssuedKey, Issuer};
pub use key_id::{KEY_ID_LEN, KeyId};
pub use key_text::{PUBLIC_TEXT_PREFIX, SECRET_KEY_SCANNER_REGEX, SECRET_TEXT_PREFIX, SecretText};
#[cfg(feature = "std")]
pub use keyfile::{SaveMode, write_file_atomically};
pub use keyring::{KeyEntry, KeyState, Keyring};
#[cfg(feature = "json")]
pub use keyring_doc::KEYRING_DOCUMENT_VERSION;
pub use keys::{PublicKey, SigningKey};
pub use limits::{
    MAX_APP_ID_LEN, MAX_EXTENSION_NAME_LEN, MAX_EXTENSION_VALUE_LEN, MAX_EXTENSIONS, MAX_JWK_LEN,
    MAX_KEY_BYTES, MAX_KEY_LEN, MAX_KEYRING_DOCUMENT_LEN, MAX_LIST_BYTES, MAX_PREFIX_LEN,
    MAX_REVOKED_APPS, MAX_REVOKED_SIGNERS, MAX_REVOKED_TOKENS, MAX_SCOPE_LEN, MAX_SCOPES,
};
#[cfg(feature = "std")]
pub use live::LiveVerifier;
pub use pem::{PKCS8_DER_LEN, SPKI_DER_LEN};
pub use revocation::{
    LIST_VERSION, RevocationList, RevocationListBuilder, RevokedApp, RevokedSigner, RevokedToken,
};
#[cfg(feature = "std")]
pub use timestamp::SystemClock;
pub use timestamp::{Clock, FixedClock, Timestamp};
pub use token::{RevocationStatus, UntrustedKey, VerifiedKey};
pub use verifier::{MissingListPolicy, StalePolicy, Verifier, VerifierOptions};
pub use wire::{Prefix, SCANNER_REGEX, VERSION};
