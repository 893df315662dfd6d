//! Revocations and list publication: one task takes every change of this replica, groups
//! those that arrive together into one transaction, and in that transaction allocates the
//! next sequence, stores the new entries, builds and signs the list and stores it under its
//! sequence. A caller's `200` waits for that commit.

use std::sync::Arc;
use std::time::Instant;

use keyseal::{KeyId, RevocationList, RevocationListBuilder, Timestamp, TokenId};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::model::{Actor, AuditEntry, Entry, KeyKind, KeyRecord};
use crate::service::Service;
use crate::signing;
use crate::store::{WriteTx, read};

/// Most changes grouped into one transaction.
const MAX_BATCH: usize = 256;

/// A list as served: sequence, bytes, strong ETag.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) seq: u64,
    pub(crate) bytes: axum::body::Bytes,
    pub(crate) etag: String,
    pub(crate) entries: usize,
    pub(crate) stale_after: Timestamp,
}

impl Published {
    pub(crate) fn none() -> Published {
        Published {
            seq: 0,
            bytes: axum::body::Bytes::new(),
            etag: "\"0\"".to_owned(),
            entries: 0,
            stale_after: Timestamp::MIN,
        }
    }

    pub(crate) fn new(list: &RevocationList, bytes: Vec<u8>) -> Published {
        Published {
            seq: list.sequence(),
            etag: format!("\"{}\"", list.sequence()),
            entries: list.tokens().len() + list.apps().len() + list.signers().len(),
            stale_after: list.stale_after(),
            bytes: bytes.into(),
        }
    }
}

/// A change that may publish a new list.
#[derive(Debug)]
pub(crate) enum Change {
    /// Revoke one key now.
    Token {
        token_id: TokenId,
        kind: KeyKind,
        reason: Option<String>,
    },
    /// Revoke every key of an app issued before a time.
    App {
        app_id: String,
        issued_before: Timestamp,
        effective: Option<Timestamp>,
        reason: Option<String>,
    },
    /// Revoke every key a signing key signed.
    Signer {
        key_id: KeyId,
        effective: Option<Timestamp>,
    },
    /// Publish the scheduled token revocations that are due.
    Due,
    /// Put committed entries back into the list (the start-up check found them missing).
    Restore { entries: Vec<Entry> },
    /// Publish a new list even with no new entry: `force`, or when the current one is
    /// past half its validity.
    Refresh { force: bool },
    /// Revoke keys reported as leaked (one change for a whole report); `notify` stores an
    /// owner event per key revoked.
    Leaked {
        keys: Vec<crate::leaks::LeakedKey>,
        notify: bool,
    },
}

/// What a change did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The key, as stored after the change.
    Token(Box<KeyRecord>),
    /// How many stored keys the entry covers.
    Covered(u64),
    /// Nothing beyond the list.
    Done,
    /// The leaked keys this change revoked (those already revoked are not listed).
    Leaked(Vec<TokenId>),
}

/// A change with its actor and where to send the result: (outcome, list sequence).
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) change: Change,
    pub(crate) actor: Actor,
    pub(crate) reply: oneshot::Sender<Result<(Outcome, u64)>>,
}

/// Sends a change to the publisher task and waits for its commit.
pub(crate) async fn submit(
    service: &Service,
    change: Change,
    actor: Actor,
) -> Result<(Outcome, u64)> {
    let (reply, answer) = oneshot::channel();
    service
        .changes
        .send(Request {
            change,
            actor,
            reply,
        })
        .await
        .map_err(|_| Error::Setup("the publisher has stopped".to_owned()))?;
    answer
        .await
        .map_err(|_| Error::Setup("the publisher dropped a change".to_owned()))?
}

/// The publisher task: runs until every sender is gone (shutdown), finishing what it holds.
pub(crate) async fn run(service: Arc<Service>, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let mut changes = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        for r in batch {
            changes.push((r.change, r.actor));
            replies.push(r.reply);
        }
        match commit(&service, &mut changes).await {
            Ok((outcomes, seq, published)) => {
                if published {
                    service.metrics.observe_publish(started.elapsed());
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome.map(|o| (o, seq)));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, changes = replies.len(), "revocation batch not committed");
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(match &e {
                        Error::Store(_) => Error::Store(sqlx::Error::Protocol(message.clone())),
                        _ => Error::Setup(message.clone()),
                    }));
                }
            }
        }
    }
}

type Outcomes = Vec<Result<Outcome>>;

/// Applies a batch in one transaction. Each change gets its own outcome (one unknown token
/// does not fail the others); a store failure fails them all, with nothing committed.
async fn commit(
    service: &Service,
    changes: &mut [(Change, Actor)],
) -> Result<(Outcomes, u64, bool)> {
    let now = Timestamp::now();
    let mut tx = service.store.write().await?;
    let current = tx.lock_counter().await?;
    let mut entries = Vec::new();
    let mut audits = Vec::new();
    let mut outcomes = Vec::with_capacity(changes.len());
    let mut publish = false;
    let mut due = false;
    for (change, actor) in changes.iter() {
        let outcome = apply(&mut tx, change, actor, now, &mut entries, &mut audits).await?;
        match change {
            Change::Due => due = true,
            Change::Refresh { force } => {
                let half = service.settings.list_validity / 2;
                let fresh = tx
                    .latest_list_time()
                    .await?
                    .and_then(|t| u64::try_from(t).ok())
                    .is_some_and(|t| t.saturating_add(half.as_secs()) > now.as_unix());
                publish |= *force || !fresh;
            }
            _ => {}
        }
        outcomes.push(outcome);
    }
    let due_ids = if due {
        read::due_scheduled(tx.conn(), now).await?
    } else {
        Vec::new()
    };
    if entries.is_empty() && due_ids.is_empty() && !publish {
        for a in &audits {
            tx.append_audit(a).await?;
        }
        tx.commit().await?;
        return Ok((outcomes, current, false));
    }
    let seq = tx.next_sequence().await?;
    for id in due_ids {
        if !tx.claim_scheduled(id, seq).await? {
            continue;
        }
        {
            if let Some(rec) = read::key(tx.conn(), id).await? {
                entries.push(Entry::Token {
                    token_id: id,
                    expires_at: rec.expires_at,
                });
                audits.push(AuditEntry::new(
                    &Actor::system("reroll-grace-ended"),
                    "key.revoke.scheduled",
                    id.to_string(),
                    serde_json::json!({ "sequence": seq }),
                ));
            }
        }
    }
    tx.insert_entries(seq, &entries).await?;
    let (list, bytes) = build_list(service, &mut tx, seq, &entries, now).await?;
    let published = Published::new(&list, bytes);
    tx.insert_list(seq, &published.bytes, now, published.entries)
        .await?;
    for a in &audits {
        tx.append_audit(a).await?;
    }
    tx.commit().await?;
    service.set_decoded(Some(Arc::new(list)));
    service
        .metrics
        .set_list(seq, published.entries, published.bytes.len());
    write_publish_dir(service, &published.bytes);
    service.published.send_replace(Arc::new(published));
    Ok((outcomes, seq, true))
}

/// Applies one change's row updates and collects its list entries and audit rows.
async fn apply(
    tx: &mut WriteTx,
    change: &Change,
    actor: &Actor,
    now: Timestamp,
    entries: &mut Vec<Entry>,
    audits: &mut Vec<AuditEntry>,
) -> Result<Result<Outcome>> {
    match change {
        Change::Token {
            token_id,
            kind,
            reason,
        } => {
            let Some(rec) = read::key(tx.conn(), *token_id)
                .await?
                .filter(|r| r.kind == *kind)
            else {
                return Ok(Err(Error::NotFound));
            };
            if tx
                .mark_revoked(*token_id, now, reason.as_deref(), actor.token_id)
                .await?
            {
                if rec.kind == KeyKind::App {
                    entries.push(Entry::Token {
                        token_id: *token_id,
                        expires_at: rec.expires_at,
                    });
                }
                let action = match rec.kind {
                    KeyKind::App => "key.revoke",
                    KeyKind::Admin => "admin_key.revoke",
                };
                audits.push(AuditEntry::new(
                    actor,
                    action,
                    token_id.to_string(),
                    serde_json::json!({ "reason": reason }),
                ));
            }
            let rec = read::key(tx.conn(), *token_id)
                .await?
                .ok_or(Error::NotFound)?;
            Ok(Ok(Outcome::Token(Box::new(rec))))
        }
        Change::App {
            app_id,
            issued_before,
            effective,
            reason,
        } => {
            let at = effective.unwrap_or(now);
            let n = tx
                .mark_app_revoked(
                    app_id,
                    *issued_before,
                    at,
                    reason.as_deref(),
                    actor.token_id,
                )
                .await?;
            entries.push(Entry::App {
                app_id: app_id.clone(),
                issued_before: *issued_before,
                effective: *effective,
            });
            audits.push(AuditEntry::new(
                actor,
                "app.revoke",
                app_id.clone(),
                serde_json::json!({
                    "issued_before": issued_before.to_string(),
                    "effective": effective.map(|t| t.to_string()),
                    "reason": reason, "keys": n,
                }),
            ));
            Ok(Ok(Outcome::Covered(n)))
        }
        Change::Signer { key_id, effective } => {
            let known = read::signing_keys(tx.conn())
                .await?
                .iter()
                .any(|r| r.key_id == *key_id);
            if !known {
                return Ok(Err(Error::NotFound));
            }
            let n = tx
                .mark_signer_revoked(*key_id, effective.unwrap_or(now), actor.token_id)
                .await?;
            entries.push(Entry::Signer {
                key_id: *key_id,
                effective: *effective,
            });
            audits.push(AuditEntry::new(
                actor,
                "signing_key.revoke_signed",
                key_id.to_string(),
                serde_json::json!({ "effective": effective.map(|t| t.to_string()), "keys": n }),
            ));
            Ok(Ok(Outcome::Covered(n)))
        }
        Change::Restore { entries: missing } => {
            entries.extend(missing.iter().cloned());
            Ok(Ok(Outcome::Done))
        }
        Change::Leaked { keys, notify } => {
            crate::leaks::apply(tx, keys, *notify, actor, now, entries, audits).await
        }
        Change::Due | Change::Refresh { .. } => Ok(Ok(Outcome::Done)),
    }
}

/// The list of `seq`: the committed list of `seq - 1` (from memory when this replica
/// published it, else from the store) plus `entries`, signed by the active key.
async fn build_list(
    service: &Service,
    tx: &mut WriteTx,
    seq: u64,
    entries: &[Entry],
    now: Timestamp,
) -> Result<(RevocationList, Vec<u8>)> {
    let records = read::signing_keys(tx.conn()).await?;
    let trusting = signing::trusting_keyring(&records)?;
    let previous = match service.decoded() {
        Some(p) if p.sequence() + 1 == seq => Some(p),
        _ => match seq.checked_sub(1).filter(|&s| s > 0) {
            Some(prev) => {
                let bytes = read::list_at(tx.conn(), prev).await?.ok_or_else(|| {
                    Error::Setup(format!("the store has no list {prev} before {seq}"))
                })?;
                Some(Arc::new(RevocationList::verify(
                    &bytes,
                    &service.prefix,
                    &trusting,
                    now,
                )?))
            }
            None => None,
        },
    };
    let mut builder = match &previous {
        Some(p) => RevocationListBuilder::from_previous(p),
        None => RevocationListBuilder::new(),
    };
    if builder.sequence() != seq {
        return Err(Error::Setup(format!(
            "list sequence {} does not follow the counter {seq}",
            builder.sequence()
        )));
    }
    add_entries(&mut builder, entries)?;
    builder
        .valid_for(service.settings.list_validity)
        .max_key_lifetime(service.settings.max_key_lifetime);
    let active = signing::active(&records)?;
    let key = service.keys.get(active.key_id)?;
    let prefix = service.prefix.clone();
    // Encoding, signing and re-verifying hash the whole list (21 MB at 1M entries): off the
    // async workers, which would otherwise stall every other request for that long.
    tokio::task::spawn_blocking(move || {
        let bytes = key.app.sign_revocation_list(&builder, now)?;
        let list = RevocationList::verify(&bytes, &prefix, &trusting, now)?;
        Ok((list, bytes))
    })
    .await
    .map_err(|e| Error::Setup(format!("the list signing task failed: {e}")))?
}

/// Adds stored entries to a builder.
pub(crate) fn add_entries(builder: &mut RevocationListBuilder, entries: &[Entry]) -> Result<()> {
    for e in entries {
        match e {
            Entry::Token {
                token_id,
                expires_at,
            } => {
                builder.revoke_token(*token_id, *expires_at);
            }
            Entry::App {
                app_id,
                issued_before,
                effective,
            } => {
                builder.revoke_app(app_id, *issued_before, *effective)?;
            }
            Entry::Signer { key_id, effective } => {
                builder.revoke_signer(*key_id, *effective);
            }
        }
    }
    Ok(())
}

/// Writes the list (and keyring) to `--publish-dir`, atomically; failures are logged, the
/// store stays the source of truth.
pub(crate) fn write_publish_dir(service: &Service, list: &[u8]) {
    let Some(dir) = &service.settings.publish_dir else {
        return;
    };
    let keyring = service.keyring().to_json();
    for (name, bytes) in [
        ("revocations.bin", list),
        ("keyring.json", keyring.as_bytes()),
    ] {
        if let Err(e) =
            keyseal::write_file_atomically(dir.join(name), bytes, keyseal::SaveMode::Replace)
        {
            tracing::error!(error = %e, file = name, "could not write the publish directory");
        }
    }
}
