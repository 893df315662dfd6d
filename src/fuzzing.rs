//! Internals that the fuzz targets in `fuzz/` drive directly, compiled only with the
//! `fuzzing` feature. Not part of the API: hidden from the documentation, no stability
//! promise, and nothing here is needed to use keyseal.

use alloc::vec::Vec;

use crate::{Claims, Error, wire};

/// Decodes a key payload as verification does once the signature has verified: canonical
/// postcard, nothing left over, claims within the grammar.
///
/// # Errors
/// [`Error::Malformed`] for any payload a key may not carry.
pub fn decode_payload(payload: &[u8]) -> Result<Claims, Error> {
    Ok(wire::decode_payload(payload)?)
}

/// Encodes claims as the payload an issuer writes for them.
///
/// # Errors
/// [`Error::InvalidClaim`] when the payload would not fit in a key.
pub fn encode_payload(claims: &Claims) -> Result<Vec<u8>, Error> {
    wire::encode_payload(claims)
}

/// Decodes a revocation list payload and, when it is accepted, encodes the decoded entries
/// again: the fuzz target requires the identical bytes back.
#[must_use]
pub fn revocation_payload_roundtrip(payload: &[u8]) -> Option<Vec<u8>> {
    crate::revocation::payload_roundtrip(payload)
}
