//! Reads, on any connection: a pooled one ([`Store::conn`](super::Store::conn)) or a write
//! transaction's (which then sees its own uncommitted rows).

use keyseal::{Timestamp, TokenId};
use sqlx::{AnyConnection, Row};

use super::rows::{self, ts};
use crate::error::Result;
use crate::model::{AuditEntry, Entry, KeyKind, KeyRecord, KeyStatus, SigningKeyRecord};

/// The prefixes the store was initialised with: (app prefix, admin prefix).
pub(crate) async fn service(conn: &mut AnyConnection) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT prefix, admin_prefix FROM service WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("prefix")?, r.try_get("admin_prefix")?)),
        None => None,
    })
}

pub(crate) async fn signing_keys(conn: &mut AnyConnection) -> Result<Vec<SigningKeyRecord>> {
    sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, key_id")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::signing_key)
        .collect()
}

pub(crate) async fn key(conn: &mut AnyConnection, id: TokenId) -> Result<Option<KeyRecord>> {
    sqlx::query("SELECT * FROM keys WHERE token_id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(rows::key_record)
        .transpose()
}

/// What a key listing selects.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyFilter {
    pub(crate) app_id: Option<String>,
    pub(crate) status: Option<KeyStatus>,
    pub(crate) key_sha256: Option<String>,
    /// Only token ids after this one (the cursor).
    pub(crate) after: Option<TokenId>,
}

/// One page of keys of `kind`, ordered by token id.
pub(crate) async fn page_keys(
    conn: &mut AnyConnection,
    kind: KeyKind,
    filter: &KeyFilter,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<KeyRecord>> {
    sqlx::query(
        "SELECT * FROM keys WHERE kind = $1
           AND (CAST($2 AS TEXT) IS NULL OR app_id = $2)
           AND (CAST($3 AS TEXT) IS NULL OR key_sha256 = $3)
           AND (CAST($4 AS TEXT) IS NULL OR token_id > $4)
           AND (CAST($5 AS TEXT) IS NULL
                OR ($5 = 'revoked' AND revoked_at IS NOT NULL AND revoked_at <= $6)
                OR ($5 = 'active' AND (revoked_at IS NULL OR revoked_at > $6) AND expires_at > $6)
                OR ($5 = 'expired' AND (revoked_at IS NULL OR revoked_at > $6) AND expires_at <= $6))
         ORDER BY token_id LIMIT $7",
    )
    .bind(kind.as_str())
    .bind(filter.app_id.clone())
    .bind(filter.key_sha256.clone())
    .bind(filter.after.map(|t| t.to_string()))
    .bind(filter.status.map(|s| s.as_str()))
    .bind(ts(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(rows::key_record)
    .collect()
}

/// The latest published list: (sequence, bytes).
pub(crate) async fn latest_list(conn: &mut AnyConnection) -> Result<Option<(u64, Vec<u8>)>> {
    let row = sqlx::query("SELECT seq, bytes FROM revocation_lists ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => Some((seq_of(r.try_get("seq")?), r.try_get("bytes")?)),
        None => None,
    })
}

/// The list published under `seq`.
pub(crate) async fn list_at(conn: &mut AnyConnection, seq: u64) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT bytes FROM revocation_lists WHERE seq = $1")
        .bind(seq_col(seq))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("bytes")?),
        None => None,
    })
}

/// The highest published sequence (0 before the first list).
pub(crate) async fn latest_seq(conn: &mut AnyConnection) -> Result<u64> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM revocation_lists")
        .fetch_one(&mut *conn)
        .await?;
    Ok(seq_of(row.try_get("seq")?))
}

/// Every entry ever committed (for the start-up check).
pub(crate) async fn all_entries(conn: &mut AnyConnection) -> Result<Vec<Entry>> {
    sqlx::query("SELECT * FROM revocation_entries")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::entry)
        .collect()
}

/// Token revocations due at `now` and not yet published: (token id, key expiry).
pub(crate) async fn due_scheduled(
    conn: &mut AnyConnection,
    now: Timestamp,
) -> Result<Vec<TokenId>> {
    sqlx::query(
        "SELECT token_id FROM scheduled_revocations
         WHERE published_seq IS NULL AND due_at <= $1 ORDER BY due_at LIMIT 1000",
    )
    .bind(ts(now))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| rows::to_token_id(&r.try_get::<String, _>("token_id")?))
    .collect()
}

/// One page of the audit log, oldest first, after row `after`.
pub(crate) async fn page_audit(
    conn: &mut AnyConnection,
    after: i64,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query("SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let at: i64 = r.try_get("at")?;
            let detail: String = r.try_get("detail")?;
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: rows::to_ts(at, "audit time")?.to_string(),
                at_unix: at,
                actor: r.try_get("actor")?,
                request_id: r.try_get("request_id")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}

pub(super) fn seq_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(super) fn seq_col(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}
