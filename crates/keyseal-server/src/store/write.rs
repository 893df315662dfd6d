//! The write transaction: every change to the store, committed all at once or not at all.

use keyseal::{KeyId, KeyState, Timestamp, TokenId};
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::read::{seq_col, seq_of};
use super::rows::{entry_columns, opt_ts, ts};
use crate::error::Result;
use crate::model::{AuditEntry, Entry, KeyRecord, SigningKeyRecord, state_name};

/// An open write transaction. Dropped without [`WriteTx::commit`], it rolls back.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
}

impl WriteTx {
    pub(super) fn new(tx: Transaction<'static, Any>) -> WriteTx {
        WriteTx { tx }
    }

    /// The connection, for the reads in [`super::read`].
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Creates the service row and the counter (at 0). Fails if the store is initialised.
    pub(crate) async fn init_service(
        &mut self,
        prefix: &str,
        admin_prefix: &str,
        now: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO service (id, prefix, admin_prefix, created_at) VALUES (1, $1, $2, $3)",
        )
        .bind(prefix.to_owned())
        .bind(admin_prefix.to_owned())
        .bind(ts(now))
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("INSERT INTO revocation_counter (id, seq) VALUES (1, 0)")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Takes the counter row's lock without changing it; returns the current sequence.
    /// Every change that publishes or rotates takes it first, so they run one at a time
    /// across replicas.
    pub(crate) async fn lock_counter(&mut self) -> Result<u64> {
        let row = sqlx::query("UPDATE revocation_counter SET seq = seq WHERE id = 1 RETURNING seq")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(seq_of(row.try_get("seq")?))
    }

    /// Allocates the next list sequence number, inside this transaction.
    pub(crate) async fn next_sequence(&mut self) -> Result<u64> {
        let row =
            sqlx::query("UPDATE revocation_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq")
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(seq_of(row.try_get("seq")?))
    }

    pub(crate) async fn insert_key(&mut self, k: &KeyRecord) -> Result<()> {
        let scopes = serde_json::to_string(&k.scopes).unwrap_or_else(|_| "[]".to_owned());
        sqlx::query(
            "INSERT INTO keys (token_id, kind, app_id, scopes, issued_at, expires_at, not_before,
               name, metadata, signing_key_id, issued_by, key_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(k.token_id.to_string())
        .bind(k.kind.as_str())
        .bind(k.app_id.clone())
        .bind(scopes)
        .bind(ts(k.issued_at))
        .bind(ts(k.expires_at))
        .bind(opt_ts(k.not_before))
        .bind(k.name.clone())
        .bind(k.metadata.as_ref().map(serde_json::Value::to_string))
        .bind(k.signing_key_id.to_string())
        .bind(k.issued_by.map(|t| t.to_string()))
        .bind(k.key_sha256.clone())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Marks one key revoked from `at` on, unless it already is by then. Returns whether
    /// the row changed.
    pub(crate) async fn mark_revoked(
        &mut self,
        id: TokenId,
        at: Timestamp,
        reason: Option<&str>,
        by: Option<TokenId>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE keys SET revoked_at = $2, revoke_reason = $3, revoked_by = $4
             WHERE token_id = $1 AND (revoked_at IS NULL OR revoked_at > $2)",
        )
        .bind(id.to_string())
        .bind(ts(at))
        .bind(reason.map(str::to_owned))
        .bind(by.map(|t| t.to_string()))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Marks every app key of `app_id` issued before `issued_before` revoked from `at`.
    pub(crate) async fn mark_app_revoked(
        &mut self,
        app_id: &str,
        issued_before: Timestamp,
        at: Timestamp,
        reason: Option<&str>,
        by: Option<TokenId>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE keys SET revoked_at = $3, revoke_reason = $4, revoked_by = $5
             WHERE kind = 'app' AND app_id = $1 AND issued_at < $2
               AND (revoked_at IS NULL OR revoked_at > $3)",
        )
        .bind(app_id.to_owned())
        .bind(ts(issued_before))
        .bind(ts(at))
        .bind(reason.map(str::to_owned))
        .bind(by.map(|t| t.to_string()))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks every key `key_id` signed revoked from `at`.
    pub(crate) async fn mark_signer_revoked(
        &mut self,
        key_id: KeyId,
        at: Timestamp,
        by: Option<TokenId>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE keys SET revoked_at = $2, revoke_reason = 'signing key revoked', revoked_by = $3
             WHERE signing_key_id = $1 AND (revoked_at IS NULL OR revoked_at > $2)",
        )
        .bind(key_id.to_string())
        .bind(ts(at))
        .bind(by.map(|t| t.to_string()))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records that `old` was rerolled into `new`.
    pub(crate) async fn set_rerolled(&mut self, old: TokenId, new: TokenId) -> Result<()> {
        sqlx::query("UPDATE keys SET rerolled_to = $2 WHERE token_id = $1")
            .bind(old.to_string())
            .bind(new.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Schedules the publication of `id`'s revocation at `due`.
    pub(crate) async fn schedule_revocation(&mut self, id: TokenId, due: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO scheduled_revocations (token_id, due_at) VALUES ($1, $2)
             ON CONFLICT (token_id) DO UPDATE SET due_at = excluded.due_at
             WHERE scheduled_revocations.published_seq IS NULL
               AND excluded.due_at < scheduled_revocations.due_at",
        )
        .bind(id.to_string())
        .bind(ts(due))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Claims a due scheduled revocation for list `seq`; false if another writer already
    /// published it.
    pub(crate) async fn claim_scheduled(&mut self, id: TokenId, seq: u64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE scheduled_revocations SET published_seq = $2
             WHERE token_id = $1 AND published_seq IS NULL",
        )
        .bind(id.to_string())
        .bind(seq_col(seq))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn insert_entries(&mut self, seq: u64, entries: &[Entry]) -> Result<()> {
        for e in entries {
            let (kind, subject, expires_at, issued_before, effective) = entry_columns(e);
            sqlx::query(
                "INSERT INTO revocation_entries (seq, kind, subject, expires_at, issued_before, effective)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(seq_col(seq))
            .bind(kind)
            .bind(subject)
            .bind(expires_at)
            .bind(issued_before)
            .bind(effective)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Stores the signed list of `seq` (the primary key: one list per sequence, ever).
    pub(crate) async fn insert_list(
        &mut self,
        seq: u64,
        bytes: &[u8],
        issued_at: Timestamp,
        entries: usize,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO revocation_lists (seq, bytes, issued_at, entries) VALUES ($1, $2, $3, $4)",
        )
        .bind(seq_col(seq))
        .bind(bytes.to_vec())
        .bind(ts(issued_at))
        .bind(i64::try_from(entries).unwrap_or(i64::MAX))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// When the latest list was signed.
    pub(crate) async fn latest_list_time(&mut self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT issued_at FROM revocation_lists ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("issued_at")?),
            None => None,
        })
    }

    pub(crate) async fn insert_signing_key(&mut self, k: &SigningKeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (key_id, public_key, state, created_at, published_at, promoted_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(k.key_id.to_string())
        .bind(k.public_key.to_string())
        .bind(state_name(k.state))
        .bind(ts(k.created_at))
        .bind(ts(k.published_at))
        .bind(opt_ts(k.promoted_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Sets a signing key's state, stamping the promotion or retirement time.
    pub(crate) async fn set_signing_state(
        &mut self,
        id: KeyId,
        state: KeyState,
        at: Timestamp,
    ) -> Result<()> {
        let sql = match state {
            KeyState::Active => {
                "UPDATE signing_keys SET state = $2, promoted_at = $3 WHERE key_id = $1"
            }
            KeyState::VerifyOnly => {
                "UPDATE signing_keys SET state = $2 WHERE key_id = $1 AND $3 = $3"
            }
            _ => "UPDATE signing_keys SET state = $2, retired_at = $3 WHERE key_id = $1",
        };
        sqlx::query(sql)
            .bind(id.to_string())
            .bind(state_name(state))
            .bind(ts(at))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn append_audit(&mut self, a: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, actor, request_id, action, subject, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.at_unix)
        .bind(a.actor.clone())
        .bind(a.request_id.clone())
        .bind(a.action.clone())
        .bind(a.subject.clone())
        .bind(a.detail.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
