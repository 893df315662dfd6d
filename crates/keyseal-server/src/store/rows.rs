//! Conversions between store columns and the crate's types.

use keyseal::{KeyId, Timestamp, TokenId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result};
use crate::model::{Entry, KeyKind, KeyRecord, SigningKeyRecord, parse_state};

/// Column value of a timestamp (seconds; always fits: `Timestamp::MAX` < 2^38).
pub(super) fn ts(t: Timestamp) -> i64 {
    i64::try_from(t.as_unix()).unwrap_or(i64::MAX)
}

pub(super) fn opt_ts(t: Option<Timestamp>) -> Option<i64> {
    t.map(ts)
}

fn corrupt(what: &str) -> Error {
    Error::Setup(format!("the store holds an invalid {what}"))
}

pub(super) fn to_ts(v: i64, what: &str) -> Result<Timestamp> {
    u64::try_from(v)
        .ok()
        .and_then(Timestamp::from_unix)
        .ok_or_else(|| corrupt(what))
}

pub(super) fn to_opt_ts(v: Option<i64>, what: &str) -> Result<Option<Timestamp>> {
    v.map(|v| to_ts(v, what)).transpose()
}

pub(super) fn to_token_id(s: &str) -> Result<TokenId> {
    s.parse().map_err(|_| corrupt("token id"))
}

pub(super) fn to_key_id(s: &str) -> Result<KeyId> {
    s.parse().map_err(|_| corrupt("signing key id"))
}

pub(super) fn key_record(row: &AnyRow) -> Result<KeyRecord> {
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "admin" => KeyKind::Admin,
        _ => KeyKind::App,
    };
    let scopes: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("scopes")?)
        .map_err(|_| corrupt("scope list"))?;
    let metadata = row
        .try_get::<Option<String>, _>("metadata")?
        .map(|m| serde_json::from_str(&m))
        .transpose()
        .map_err(|_| corrupt("metadata"))?;
    let opt_token = |col: &str| -> Result<Option<TokenId>> {
        row.try_get::<Option<String>, _>(col)?
            .map(|s| to_token_id(&s))
            .transpose()
    };
    Ok(KeyRecord {
        token_id: to_token_id(&row.try_get::<String, _>("token_id")?)?,
        kind,
        app_id: row.try_get("app_id")?,
        scopes,
        issued_at: to_ts(row.try_get("issued_at")?, "issue time")?,
        expires_at: to_ts(row.try_get("expires_at")?, "expiry")?,
        not_before: to_opt_ts(row.try_get("not_before")?, "not-before")?,
        name: row.try_get("name")?,
        metadata,
        signing_key_id: to_key_id(&row.try_get::<String, _>("signing_key_id")?)?,
        issued_by: opt_token("issued_by")?,
        key_sha256: row.try_get("key_sha256")?,
        revoked_at: to_opt_ts(row.try_get("revoked_at")?, "revocation time")?,
        revoke_reason: row.try_get("revoke_reason")?,
        revoked_by: opt_token("revoked_by")?,
        rerolled_to: opt_token("rerolled_to")?,
    })
}

pub(super) fn signing_key(row: &AnyRow) -> Result<SigningKeyRecord> {
    let public_key: keyseal::PublicKey = row
        .try_get::<String, _>("public_key")?
        .parse()
        .map_err(|_| corrupt("public key"))?;
    Ok(SigningKeyRecord {
        key_id: to_key_id(&row.try_get::<String, _>("key_id")?)?,
        public_key,
        state: parse_state(&row.try_get::<String, _>("state")?)
            .ok_or_else(|| corrupt("key state"))?,
        created_at: to_ts(row.try_get("created_at")?, "creation time")?,
        published_at: to_ts(row.try_get("published_at")?, "publication time")?,
        promoted_at: to_opt_ts(row.try_get("promoted_at")?, "promotion time")?,
        retired_at: to_opt_ts(row.try_get("retired_at")?, "retirement time")?,
    })
}

pub(super) fn entry(row: &AnyRow) -> Result<Entry> {
    let subject: String = row.try_get("subject")?;
    let effective = to_opt_ts(row.try_get("effective")?, "effective time")?;
    match row.try_get::<String, _>("kind")?.as_str() {
        "token" => Ok(Entry::Token {
            token_id: to_token_id(&subject)?,
            expires_at: to_ts(
                row.try_get::<Option<i64>, _>("expires_at")?
                    .ok_or_else(|| corrupt("entry expiry"))?,
                "entry expiry",
            )?,
        }),
        "app" => Ok(Entry::App {
            app_id: subject,
            issued_before: to_ts(
                row.try_get::<Option<i64>, _>("issued_before")?
                    .ok_or_else(|| corrupt("entry cut-off"))?,
                "entry cut-off",
            )?,
            effective,
        }),
        "signer" => Ok(Entry::Signer {
            key_id: to_key_id(&subject)?,
            effective,
        }),
        _ => Err(corrupt("entry kind")),
    }
}

/// (kind, subject, expires_at, issued_before, effective) columns of an entry.
pub(super) fn entry_columns(
    e: &Entry,
) -> (&'static str, String, Option<i64>, Option<i64>, Option<i64>) {
    match e {
        Entry::Token {
            token_id,
            expires_at,
        } => (
            "token",
            token_id.to_string(),
            Some(ts(*expires_at)),
            None,
            None,
        ),
        Entry::App {
            app_id,
            issued_before,
            effective,
        } => (
            "app",
            app_id.clone(),
            None,
            Some(ts(*issued_before)),
            opt_ts(*effective),
        ),
        Entry::Signer { key_id, effective } => {
            ("signer", key_id.to_string(), None, None, opt_ts(*effective))
        }
    }
}
