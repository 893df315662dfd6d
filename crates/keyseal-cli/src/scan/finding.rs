//! What `keyseal scan` reports: the status of each key found, and how a finding is
//! printed (file names with control characters escaped) and written as JSON.

use keyseal::{KeyId, Timestamp, TokenId};
use serde_json::{Value, json};

use crate::output;

/// What a found key is, from worst to harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Status {
    /// A secret signing key: whoever holds it can issue keys.
    SecretKey,
    /// Verifies now.
    Live,
    /// Verifies later, when its not-before time comes.
    NotYetValid,
    /// Verifies later, when its signer's validity window starts.
    SignerNotYetValid,
    /// No keyring given: its own (unverified) claims say it has not expired.
    Unverified,
    /// Signed by a keyring key, but expired.
    Expired,
    /// Revoked by the revocation list.
    Revoked,
    /// The signature does not verify.
    Forged,
    /// Signed by a key id the keyring does not hold.
    UnknownSigner,
    /// Signed by a retired key.
    RetiredSigner,
    /// Signed by a key outside its validity window.
    SignerOutsideValidity,
    /// No keyring given, and its own claims say it expired.
    UnverifiedExpired,
    /// Checksum right, contents broken.
    Malformed,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::SecretKey => "secret-key",
            Status::Live => "live",
            Status::NotYetValid => "not-yet-valid",
            Status::SignerNotYetValid => "signer-not-yet-valid",
            Status::Unverified => "unverified",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Forged => "forged",
            Status::UnknownSigner => "unknown-signer",
            Status::RetiredSigner => "retired-signer",
            Status::SignerOutsideValidity => "signer-outside-validity",
            Status::UnverifiedExpired => "unverified-expired",
            Status::Malformed => "malformed",
        }
    }

    /// Whether the finding fails the scan: the key works now or later, or might.
    pub(super) fn fails(self) -> bool {
        matches!(
            self,
            Status::SecretKey
                | Status::Live
                | Status::NotYetValid
                | Status::SignerNotYetValid
                | Status::Unverified
        )
    }
}

/// One key found.
pub(super) struct Finding {
    pub(super) path: String,
    pub(super) line: u64,
    pub(super) column: u64,
    pub(super) status: Status,
    pub(super) redacted: String,
    pub(super) key_id: Option<KeyId>,
    pub(super) app_id: Option<String>,
    pub(super) token_id: Option<TokenId>,
    pub(super) expires_at: Option<Timestamp>,
    pub(super) detail: Option<String>,
}

impl Finding {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "kind": if self.status == Status::SecretKey { "secret_key" } else { "api_key" },
            "status": self.status.as_str(),
            "fails": self.status.fails(),
            "key": self.redacted,
            "key_id": self.key_id.map(|k| k.to_string()),
            "app_id": self.app_id,
            "token_id": self.token_id.map(|t| t.to_string()),
            "expires_at": output::time_json(self.expires_at),
            "detail": self.detail,
        })
    }

    pub(super) fn to_line(&self) -> String {
        let mut s = format!(
            "{}:{}:{}: {} {}",
            output::escape(&self.path),
            self.line,
            self.column,
            self.status.as_str(),
            self.redacted
        );
        if let Some(kid) = self.key_id {
            s.push_str(&format!(" kid {kid}"));
        }
        if let Some(app) = &self.app_id {
            s.push_str(&format!(" app {app}"));
        }
        if let Some(token) = self.token_id {
            s.push_str(&format!(" token {token}"));
        }
        if let Some(t) = self.expires_at {
            s.push_str(&format!(" expires {t}"));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(" ({d})"));
        }
        s
    }
}
