//! Issuing a key (app or admin): validated request in, key text out once, record and audit
//! row stored in one transaction. The key text is never stored; its SHA-256 is.

use std::time::Duration;

use keyseal::{IssuedKey, NewKey, Timestamp, TokenId};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::{Actor, AuditEntry, KeyKind, KeyRecord};
use crate::service::Service;
use crate::signing::{self, KeyFiles};
use crate::store::{Store, read};

/// Longest key name, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 200;
/// Largest metadata object, serialized, in bytes.
pub(crate) const MAX_METADATA_LEN: usize = 4096;

/// A validated issue request.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) kind: KeyKind,
    pub(crate) app_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Timestamp,
    pub(crate) not_before: Option<Timestamp>,
    pub(crate) name: Option<String>,
    pub(crate) metadata: Option<serde_json::Value>,
}

/// The expiry from `lifetime_seconds` or `expires_at` (exactly one), within `max`.
pub(crate) fn expiry(
    lifetime_seconds: Option<u64>,
    expires_at: Option<&str>,
    max: Duration,
    now: Timestamp,
) -> Result<Timestamp> {
    let at = match (lifetime_seconds, expires_at) {
        (Some(_), Some(_)) => {
            return Err(Error::field(
                "expires_at",
                "give either `lifetime_seconds` or `expires_at`, not both",
            ));
        }
        (None, None) => {
            return Err(Error::field(
                "lifetime_seconds",
                "a key needs `lifetime_seconds` or `expires_at`",
            ));
        }
        (Some(0), None) => return Err(Error::field("lifetime_seconds", "must be at least 1")),
        (Some(s), None) => now
            .checked_add(Duration::from_secs(s))
            .ok_or_else(|| Error::field("lifetime_seconds", "too large"))?,
        (None, Some(t)) => crate::http::timestamp("expires_at", t)?,
    };
    let field = if lifetime_seconds.is_some() {
        "lifetime_seconds"
    } else {
        "expires_at"
    };
    if at <= now {
        return Err(Error::field(
            field,
            "the key would expire before it is issued",
        ));
    }
    if at.duration_since(now) > max {
        return Err(Error::field(
            field,
            format!(
                "the longest lifetime this service issues is {} s",
                max.as_secs()
            ),
        ));
    }
    Ok(at)
}

/// Checks the name and metadata limits.
pub(crate) fn check_extras(name: Option<&str>, metadata: Option<&serde_json::Value>) -> Result<()> {
    if name.is_some_and(|n| n.len() > MAX_NAME_LEN || n.chars().any(char::is_control)) {
        return Err(Error::field(
            "name",
            format!("at most {MAX_NAME_LEN} bytes, no control characters"),
        ));
    }
    if let Some(m) = metadata {
        if !m.is_object() {
            return Err(Error::field("metadata", "must be a JSON object"));
        }
        if m.to_string().len() > MAX_METADATA_LEN {
            return Err(Error::field(
                "metadata",
                format!("at most {MAX_METADATA_LEN} bytes of JSON"),
            ));
        }
    }
    Ok(())
}

/// Checks app id and scopes with the core's grammar, naming the field.
pub(crate) fn check_claims(app_id: &str, scopes: &[String]) -> Result<()> {
    keyseal::check_app_id(app_id).map_err(|e| Error::field("app_id", e.to_string()))?;
    if scopes.len() > keyseal::MAX_SCOPES {
        return Err(Error::field(
            "scopes",
            format!("at most {} scopes", keyseal::MAX_SCOPES),
        ));
    }
    for (i, s) in scopes.iter().enumerate() {
        keyseal::check_scope(s).map_err(|e| Error::field(format!("scopes[{i}]"), e.to_string()))?;
    }
    Ok(())
}

/// SHA-256 of a key text, lowercase hex.
pub(crate) fn key_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Signs the key with the active signing key and stores its record with an audit row.
/// With `reroll = Some((old, due))`, the same transaction links the old key to the new one
/// and schedules the old one's revocation at `due` (durable: published by whichever replica
/// runs its scheduler first once it is due, also after a restart).
pub(crate) async fn issue(
    store: &Store,
    keys: &KeyFiles,
    plan: &Plan,
    actor: &Actor,
    now: Timestamp,
    reroll: Option<(TokenId, Timestamp)>,
) -> Result<(IssuedKey, KeyRecord)> {
    let mut tx = store.write().await?;
    let records = read::signing_keys(tx.conn()).await?;
    let loaded = keys.get(signing::active(&records)?.key_id)?;
    let issuer = match plan.kind {
        KeyKind::App => &loaded.app,
        KeyKind::Admin => &loaded.admin,
    };
    let mut request = NewKey::for_app(plan.app_id.clone())
        .scopes(plan.scopes.iter().cloned())
        .expires_at(plan.expires_at);
    if let Some(nbf) = plan.not_before {
        request = request.not_before(nbf);
    }
    let issued = issuer.issue_at(request, now).map_err(|e| match e {
        keyseal::Error::InvalidClaim(c) => Error::field(claim_field(&c), c.to_string()),
        other => Error::Core(other),
    })?;
    let claims = issued.claims();
    let record = KeyRecord {
        token_id: claims.token_id(),
        kind: plan.kind,
        app_id: claims.app_id().to_owned(),
        scopes: claims.scopes().map(str::to_owned).collect(),
        issued_at: claims.issued_at(),
        expires_at: claims.expires_at(),
        not_before: claims.not_before(),
        name: plan.name.clone(),
        metadata: plan.metadata.clone(),
        signing_key_id: issued.key_id(),
        issued_by: actor.token_id,
        key_sha256: key_sha256(issued.as_str()),
        revoked_at: None,
        revoke_reason: None,
        revoked_by: None,
        rerolled_to: None,
    };
    tx.insert_key(&record).await?;
    if let Some((old, due)) = reroll {
        tx.set_rerolled(old, record.token_id).await?;
        tx.mark_revoked(old, due, Some("rerolled"), actor.token_id)
            .await?;
        tx.schedule_revocation(old, due).await?;
        tx.append_audit(&AuditEntry::new(
            actor,
            "key.reroll",
            old.to_string(),
            serde_json::json!({ "new_token_id": record.token_id.to_string(), "old_stops_at": due.to_string() }),
        ))
        .await?;
    }
    let action = match plan.kind {
        KeyKind::App => "key.issue",
        KeyKind::Admin => "admin_key.issue",
    };
    tx.append_audit(&AuditEntry::new(
        actor,
        action,
        record.token_id.to_string(),
        serde_json::json!({
            "app_id": record.app_id, "scopes": record.scopes,
            "expires_at": record.expires_at.to_string(),
            "signing_key_id": record.signing_key_id.to_string(),
        }),
    ))
    .await?;
    tx.commit().await?;
    Ok((issued, record))
}

/// Which request field an invalid claim comes from.
fn claim_field(c: &keyseal::InvalidClaim) -> &'static str {
    let text = format!("{c:?}");
    if text.starts_with("AppId") {
        "app_id"
    } else if text.contains("Scope") {
        "scopes"
    } else if text.contains("NotBefore") {
        "not_before"
    } else {
        "expires_at"
    }
}

/// Issues through the service (metrics counted).
pub(crate) async fn issue_for(
    service: &Service,
    plan: &Plan,
    actor: &Actor,
) -> Result<(IssuedKey, KeyRecord)> {
    let out = issue(
        &service.store,
        &service.keys,
        plan,
        actor,
        Timestamp::now(),
        None,
    )
    .await?;
    service.metrics.count_issue();
    Ok(out)
}
