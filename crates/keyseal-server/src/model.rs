//! What the store holds, as Rust types: key records, list entries, signing keys, audit rows.

use keyseal::{KeyId, KeyState, Timestamp, TokenId};
use serde::Serialize;

/// Which prefix a key lives under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A key for an app, checked at edges.
    App,
    /// An admin key of this service.
    Admin,
}

impl KeyKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KeyKind::App => "app",
            KeyKind::Admin => "admin",
        }
    }
}

/// The stored facts about one issued key (never its text).
#[derive(Debug, Clone)]
pub(crate) struct KeyRecord {
    pub(crate) token_id: TokenId,
    pub(crate) kind: KeyKind,
    pub(crate) app_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) not_before: Option<Timestamp>,
    pub(crate) name: Option<String>,
    pub(crate) metadata: Option<serde_json::Value>,
    pub(crate) signing_key_id: KeyId,
    pub(crate) issued_by: Option<TokenId>,
    pub(crate) key_sha256: String,
    /// When the key stops working (in the future for a reroll's grace period).
    pub(crate) revoked_at: Option<Timestamp>,
    pub(crate) revoke_reason: Option<String>,
    pub(crate) revoked_by: Option<TokenId>,
    pub(crate) rerolled_to: Option<TokenId>,
}

/// The status filter of the key listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Revoked => "revoked",
            KeyStatus::Expired => "expired",
        }
    }
}

impl KeyRecord {
    /// The status at `now`: revoked wins over expired.
    pub(crate) fn status(&self, now: Timestamp) -> KeyStatus {
        if self.revoked_at.is_some_and(|t| t <= now) {
            KeyStatus::Revoked
        } else if self.expires_at <= now {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    /// The JSON the API answers with.
    pub(crate) fn to_json(&self, now: Timestamp) -> serde_json::Value {
        serde_json::json!({
            "token_id": self.token_id.to_string(),
            "app_id": self.app_id,
            "scopes": self.scopes,
            "issued_at": self.issued_at.to_string(),
            "expires_at": self.expires_at.to_string(),
            "not_before": self.not_before.map(|t| t.to_string()),
            "name": self.name,
            "metadata": self.metadata,
            "signing_key_id": self.signing_key_id.to_string(),
            "issued_by": self.issued_by.map(|t| t.to_string()),
            "key_sha256": self.key_sha256,
            "status": self.status(now).as_str(),
            "revoked_at": self.revoked_at.map(|t| t.to_string()),
            "revoke_reason": self.revoke_reason,
            "revoked_by": self.revoked_by.map(|t| t.to_string()),
            "rerolled_to": self.rerolled_to.map(|t| t.to_string()),
        })
    }
}

/// One entry of a revocation list, as stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Entry {
    Token {
        token_id: TokenId,
        expires_at: Timestamp,
    },
    App {
        app_id: String,
        issued_before: Timestamp,
        effective: Option<Timestamp>,
    },
    Signer {
        key_id: KeyId,
        effective: Option<Timestamp>,
    },
}

/// A signing key the service knows.
#[derive(Debug, Clone)]
pub(crate) struct SigningKeyRecord {
    pub(crate) key_id: KeyId,
    pub(crate) public_key: keyseal::PublicKey,
    pub(crate) state: KeyState,
    pub(crate) created_at: Timestamp,
    pub(crate) published_at: Timestamp,
    pub(crate) promoted_at: Option<Timestamp>,
    pub(crate) retired_at: Option<Timestamp>,
}

impl SigningKeyRecord {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "key_id": self.key_id.to_string(),
            "public_key": self.public_key.to_string(),
            "state": state_name(self.state),
            "created_at": self.created_at.to_string(),
            "published_at": self.published_at.to_string(),
            "promoted_at": self.promoted_at.map(|t| t.to_string()),
            "retired_at": self.retired_at.map(|t| t.to_string()),
        })
    }
}

/// The store's name for a key state.
pub(crate) fn state_name(state: KeyState) -> &'static str {
    match state {
        KeyState::Active => "active",
        KeyState::VerifyOnly => "verify_only",
        _ => "retired",
    }
}

/// A key state from the store's name.
pub(crate) fn parse_state(name: &str) -> Option<KeyState> {
    match name {
        "active" => Some(KeyState::Active),
        "verify_only" => Some(KeyState::VerifyOnly),
        "retired" => Some(KeyState::Retired),
        _ => None,
    }
}

/// One audit row: who changed what, when, under which request id. Never a key text.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditEntry {
    /// Row id, the pagination cursor (0 before it is stored).
    pub(crate) id: i64,
    pub(crate) at: String,
    #[serde(skip)]
    pub(crate) at_unix: i64,
    /// Token id of the acting admin key (`"system"` for scheduled work, `"init"` at init).
    pub(crate) actor: String,
    pub(crate) request_id: String,
    pub(crate) action: String,
    pub(crate) subject: String,
    pub(crate) detail: serde_json::Value,
}

impl AuditEntry {
    pub(crate) fn new(
        actor: &Actor,
        action: &str,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) -> AuditEntry {
        let now = Timestamp::now();
        AuditEntry {
            id: 0,
            at: now.to_string(),
            at_unix: i64::try_from(now.as_unix()).unwrap_or(i64::MAX),
            actor: actor.name.clone(),
            request_id: actor.request_id.clone(),
            action: action.to_owned(),
            subject: subject.into(),
            detail,
        }
    }
}

/// Who is acting, for the audit log: an admin key's token id and the request id.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) name: String,
    pub(crate) token_id: Option<TokenId>,
    pub(crate) request_id: String,
}

impl Actor {
    /// Scheduled work of the service itself.
    pub(crate) fn system(what: &str) -> Actor {
        Actor {
            name: "system".to_owned(),
            token_id: None,
            request_id: what.to_owned(),
        }
    }
}
