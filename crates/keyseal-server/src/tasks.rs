//! Background work, each loop with the shared shutdown signal: the store poller (lists and
//! keyring committed by other replicas), the scheduler (reroll grace ends, list refresh before
//! it goes stale, scheduled rotation), and the start-up check of the latest list.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use keyseal::{RevocationList, RevocationListBuilder, Timestamp};
use tokio::sync::watch;

use crate::error::Result;
use crate::model::{Actor, Entry};
use crate::publisher::{self, Change, Published};
use crate::service::Service;
use crate::signing;
use crate::store::read;

/// How often the poller looks for lists other replicas committed.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How often the scheduler runs.
const TICK_EVERY: Duration = Duration::from_secs(1);

/// Loads the latest committed list into the published snapshot when it is newer.
pub(crate) async fn load_latest(service: &Service) -> Result<()> {
    let mut conn = service.store.conn().await?;
    let seq = read::latest_seq(&mut conn).await?;
    if seq <= service.current().seq {
        return Ok(());
    }
    let Some((seq, bytes)) = read::latest_list(&mut conn).await? else {
        return Ok(());
    };
    drop(conn);
    service.refresh_keyring().await?;
    let records: Vec<_> = {
        let mut conn = service.store.conn().await?;
        read::signing_keys(&mut conn).await?
    };
    let trusting = signing::trusting_keyring(&records)?;
    let list = RevocationList::verify(&bytes, &service.prefix, &trusting, Timestamp::now())?;
    if list.sequence() != seq {
        return Err(crate::error::Error::Setup(format!(
            "the list stored under {seq} carries sequence {}",
            list.sequence()
        )));
    }
    let published = Published::new(&list, bytes);
    service
        .metrics
        .set_list(seq, published.entries, published.bytes.len());
    publisher::write_publish_dir(service, &published.bytes);
    service.set_decoded(Some(Arc::new(list)));
    service.published.send_if_modified(|current| {
        if published.seq > current.seq {
            *current = Arc::new(published);
            true
        } else {
            false
        }
    });
    Ok(())
}

/// At start: publish the first list if there is none, else check the latest one against
/// every committed entry and republish any entry it lacks.
pub(crate) async fn check_latest(service: &Service) -> Result<()> {
    load_latest(service).await?;
    let Some(latest) = service.decoded() else {
        publisher::submit(
            service,
            Change::Refresh { force: true },
            Actor::system("first-list"),
        )
        .await?;
        return Ok(());
    };
    let now = Timestamp::now();
    let (entries, records) = {
        let mut conn = service.store.conn().await?;
        (
            read::all_entries(&mut conn).await?,
            read::signing_keys(&mut conn).await?,
        )
    };
    // Rebuild from the rows (pruned as of now) and compare with what was published.
    let mut builder = RevocationListBuilder::new();
    publisher::add_entries(&mut builder, &entries)?;
    builder.max_key_lifetime(service.settings.max_key_lifetime);
    let key = service.keys.get(signing::active(&records)?.key_id)?;
    let rebuilt = key.app.sign_revocation_list(&builder, now)?;
    let rebuilt = RevocationList::verify(
        &rebuilt,
        &service.prefix,
        &signing::trusting_keyring(&records)?,
        now,
    )?;
    let tokens: BTreeSet<_> = latest.tokens().iter().map(|t| t.token_id).collect();
    let mut missing: Vec<Entry> = rebuilt
        .tokens()
        .iter()
        .filter(|t| !tokens.contains(&t.token_id))
        .map(|t| Entry::Token {
            token_id: t.token_id,
            expires_at: t.expires_at,
        })
        .collect();
    missing.extend(
        rebuilt
            .apps()
            .iter()
            .filter(|a| !latest.apps().contains(a))
            .map(|a| Entry::App {
                app_id: a.app_id.clone(),
                issued_before: a.issued_before,
                effective: a.effective,
            }),
    );
    missing.extend(
        rebuilt
            .signers()
            .iter()
            .filter(|s| !latest.signers().contains(s))
            .map(|s| Entry::Signer {
                key_id: s.key_id,
                effective: s.effective,
            }),
    );
    if missing.is_empty() {
        tracing::info!(
            sequence = latest.sequence(),
            entries = entries.len(),
            "start-up check: the latest list holds every committed entry"
        );
    } else {
        tracing::error!(
            sequence = latest.sequence(),
            missing = missing.len(),
            "start-up check: the latest list lacks committed entries; republishing"
        );
        publisher::submit(
            service,
            Change::Restore { entries: missing },
            Actor::system("start-up-check"),
        )
        .await?;
    }
    Ok(())
}

/// Polls the store for lists and keys committed elsewhere, until shutdown.
pub(crate) async fn poll_store(service: Arc<Service>, mut shutdown: watch::Receiver<bool>) {
    let mut ticks = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(POLL_EVERY) => {}
        }
        if let Err(e) = load_latest(&service).await {
            tracing::warn!(error = %e, "could not load the latest list");
        }
        ticks = ticks.wrapping_add(1);
        if ticks.is_multiple_of(10)
            && let Err(e) = service.refresh_keyring().await
        {
            tracing::warn!(error = %e, "could not refresh the keyring");
        }
    }
}

/// Runs scheduled work once a second, until shutdown.
pub(crate) async fn schedule(service: Arc<Service>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(TICK_EVERY) => {}
        }
        if let Err(e) = tick(&service).await {
            tracing::warn!(error = %e, "scheduled work failed; retrying next tick");
        }
    }
}

async fn tick(service: &Service) -> Result<()> {
    let now = Timestamp::now();
    let due = {
        let mut conn = service.store.conn().await?;
        read::due_scheduled(&mut conn, now).await?
    };
    if !due.is_empty() {
        publisher::submit(service, Change::Due, Actor::system("reroll-grace-ended")).await?;
    }
    let current = service.current();
    let half = service.settings.list_validity / 2;
    if current.stale_after.saturating_sub(half) <= now {
        publisher::submit(
            service,
            Change::Refresh { force: false },
            Actor::system("list-refresh"),
        )
        .await?;
    }
    if let Some(every) = service.settings.rotate_every {
        crate::rotation::scheduled_step(service, every).await?;
    }
    Ok(())
}
