//! Signing key rotation, in the order that never strands an edge: create (published
//! verify-only), promote once it has been published for the propagation delay (the list is
//! then re-signed by it), retire the old one. `--rotate-every` runs the same steps on a timer.

use std::time::Duration;

use keyseal::{KeyId, KeyState, Timestamp};

use crate::error::{Error, Result};
use crate::model::{Actor, AuditEntry, SigningKeyRecord};
use crate::publisher::{self, Change};
use crate::service::Service;
use crate::signing;
use crate::store::read;

/// Creates a signing key, published verify-only.
pub(crate) async fn create(service: &Service, actor: &Actor) -> Result<SigningKeyRecord> {
    let now = Timestamp::now();
    let loaded = service.keys.create()?;
    let record = signing::new_record(&loaded, KeyState::VerifyOnly, now);
    let mut tx = service.store.write().await?;
    tx.lock_counter().await?;
    tx.insert_signing_key(&record).await?;
    tx.append_audit(&AuditEntry::new(
        actor,
        "signing_key.create",
        record.key_id.to_string(),
        serde_json::json!({}),
    ))
    .await?;
    tx.commit().await?;
    service.refresh_keyring().await?;
    publisher::write_publish_dir(service, &service.current().bytes);
    Ok(record)
}

/// Promotes a verify-only key that has been published long enough; the list is re-signed
/// by it before this returns.
pub(crate) async fn promote(
    service: &Service,
    id: KeyId,
    actor: &Actor,
) -> Result<SigningKeyRecord> {
    let now = Timestamp::now();
    let mut tx = service.store.write().await?;
    tx.lock_counter().await?;
    let records = read::signing_keys(tx.conn()).await?;
    // An id the store does not know is a 404, whether or not a file of that name exists.
    let target = records
        .iter()
        .find(|r| r.key_id == id)
        .ok_or(Error::NotFound)?;
    if target.state != KeyState::VerifyOnly {
        return Err(Error::Conflict {
            code: "not_verify_only",
            detail: "only a verify-only signing key can be promoted".to_owned(),
        });
    }
    service.keys.get(id).map_err(|_| Error::Conflict {
        code: "key_file_missing",
        detail: "this replica cannot read the signing key's file".to_owned(),
    })?;
    let delay = service.settings.propagation_delay;
    let published_for = now.duration_since(target.published_at);
    if published_for < delay {
        return Err(Error::Conflict {
            code: "propagation_delay",
            detail: format!(
                "the key has been published for {} s; promotion needs {} s so every edge knows it first",
                published_for.as_secs(),
                delay.as_secs()
            ),
        });
    }
    if let Ok(active) = signing::active(&records) {
        tx.set_signing_state(active.key_id, KeyState::VerifyOnly, now)
            .await?;
    }
    tx.set_signing_state(id, KeyState::Active, now).await?;
    tx.append_audit(&AuditEntry::new(
        actor,
        "signing_key.promote",
        id.to_string(),
        serde_json::json!({}),
    ))
    .await?;
    tx.commit().await?;
    service.refresh_keyring().await?;
    publisher::submit(service, Change::Refresh { force: true }, actor.clone()).await?;
    find(service, id).await
}

/// Retires a key that is not active.
pub(crate) async fn retire(
    service: &Service,
    id: KeyId,
    actor: &Actor,
) -> Result<SigningKeyRecord> {
    let now = Timestamp::now();
    let mut tx = service.store.write().await?;
    tx.lock_counter().await?;
    let records = read::signing_keys(tx.conn()).await?;
    let target = records
        .iter()
        .find(|r| r.key_id == id)
        .ok_or(Error::NotFound)?;
    match target.state {
        KeyState::Active => {
            return Err(Error::Conflict {
                code: "active_key",
                detail: "promote another key before retiring the active one".to_owned(),
            });
        }
        KeyState::VerifyOnly => {}
        _ => return Ok(target.clone()),
    }
    tx.set_signing_state(id, KeyState::Retired, now).await?;
    tx.append_audit(&AuditEntry::new(
        actor,
        "signing_key.retire",
        id.to_string(),
        serde_json::json!({}),
    ))
    .await?;
    tx.commit().await?;
    service.refresh_keyring().await?;
    publisher::write_publish_dir(service, &service.current().bytes);
    find(service, id).await
}

async fn find(service: &Service, id: KeyId) -> Result<SigningKeyRecord> {
    let mut conn = service.store.conn().await?;
    read::signing_keys(&mut conn)
        .await?
        .into_iter()
        .find(|r| r.key_id == id)
        .ok_or(Error::NotFound)
}

/// One step of scheduled rotation: when the active key is older than `every`, publish a
/// successor (unless one is waiting); promote the successor once it has propagated. The old
/// key stays verify-only (keys it signed keep working until they expire); retiring it is
/// an operator's call (`POST /v1/signing-keys/{key_id}/retire`).
pub(crate) async fn scheduled_step(service: &Service, every: Duration) -> Result<()> {
    let now = Timestamp::now();
    let actor = Actor::system("scheduled-rotation");
    let records = {
        let mut conn = service.store.conn().await?;
        read::signing_keys(&mut conn).await?
    };
    let Ok(active) = signing::active(&records) else {
        return Ok(());
    };
    let since = active.promoted_at.unwrap_or(active.created_at);
    if now.duration_since(since) < every {
        return Ok(());
    }
    let waiting = records
        .iter()
        .filter(|r| r.state == KeyState::VerifyOnly && r.created_at > since)
        .max_by_key(|r| r.created_at);
    match waiting {
        None => {
            let r = create(service, &actor).await?;
            tracing::info!(key_id = %r.key_id, "scheduled rotation: new signing key published");
        }
        Some(next)
            if now.duration_since(next.published_at) >= service.settings.propagation_delay =>
        {
            promote(service, next.key_id, &actor).await?;
            tracing::info!(key_id = %next.key_id, "scheduled rotation: signing key promoted");
        }
        Some(_) => {}
    }
    Ok(())
}
