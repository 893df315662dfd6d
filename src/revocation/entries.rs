//! The three kinds of entry a revocation list holds.

use alloc::string::String;

use crate::claims::TokenId;
use crate::key_id::KeyId;
use crate::timestamp::Timestamp;

/// One revoked key, by token id. Its expiry lets the issuer drop the entry once the key has
/// expired anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedToken {
    /// The revoked key's token id.
    pub token_id: TokenId,
    /// When the revoked key expires.
    pub expires_at: Timestamp,
}

/// Every key of one app issued before a time: the way to withdraw all of an app's keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedApp {
    /// The app whose keys are revoked.
    pub app_id: String,
    /// Keys issued strictly before this time are revoked; later ones are not.
    pub issued_before: Timestamp,
    /// The revocation applies from this time on (a grace period); immediately if `None`.
    pub effective: Option<Timestamp>,
}

/// Every key signed by one signing key (for example a compromised one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedSigner {
    /// The signing key whose keys are revoked.
    pub key_id: KeyId,
    /// The revocation applies from this time on (a grace period); immediately if `None`.
    pub effective: Option<Timestamp>,
}
