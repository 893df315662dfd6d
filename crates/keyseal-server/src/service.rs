//! The service's shared state: store, key files, prefixes, settings, the published list and
//! keyring snapshots, metrics. One `Arc<Service>` is the axum state.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use keyseal::{Keyring, Prefix, RevocationList, Timestamp};
use tokio::sync::{mpsc, watch};

use crate::error::Result;
use crate::metrics::Metrics;
use crate::publisher::{Published, Request};
use crate::signing::{self, KeyFiles};
use crate::store::{Store, read};

/// Tunables, from the command line.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// How long a signed list stays fresh (`stale_after - issued_at`).
    pub(crate) list_validity: Duration,
    /// `Cache-Control: max-age` of the published files.
    pub(crate) max_age: Duration,
    /// A new signing key is published at least this long before it may be promoted.
    pub(crate) propagation_delay: Duration,
    /// Scheduled rotation period, if any.
    pub(crate) rotate_every: Option<Duration>,
    /// The longest lifetime a key may be issued with (lets the list prune app entries).
    pub(crate) max_key_lifetime: Duration,
    /// Longest long-poll wait.
    pub(crate) max_wait: Duration,
    /// Where the published files are also written, if anywhere.
    pub(crate) publish_dir: Option<std::path::PathBuf>,
}

/// Everything the handlers and background tasks share.
#[derive(Debug)]
pub(crate) struct Service {
    pub(crate) store: Store,
    pub(crate) keys: KeyFiles,
    pub(crate) prefix: Prefix,
    pub(crate) admin_prefix: Prefix,
    pub(crate) settings: Settings,
    pub(crate) metrics: Metrics,
    /// The latest list this replica knows of (from its own commits or the store poller).
    pub(crate) published: watch::Sender<Arc<Published>>,
    /// The latest list, decoded, to build the next one from without reading every row.
    pub(crate) decoded: Mutex<Option<Arc<RevocationList>>>,
    /// The keyring as the store describes it (refreshed by the poller and on changes).
    pub(crate) keyring: RwLock<Arc<Keyring>>,
    /// Revocations to commit (grouped by the publisher task).
    pub(crate) changes: mpsc::Sender<Request>,
    /// Becomes `true` when graceful shutdown starts: held long polls answer at once.
    pub(crate) stopping: watch::Sender<bool>,
    /// The leak endpoints: GitHub's keys, the owner webhook.
    pub(crate) leaks: crate::leaks::Leaks,
}

impl Service {
    /// The latest published list.
    pub(crate) fn current(&self) -> Arc<Published> {
        Arc::clone(&self.published.borrow())
    }

    pub(crate) fn keyring(&self) -> Arc<Keyring> {
        Arc::clone(&self.keyring.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Re-reads the signing keys from the store into the keyring snapshot.
    pub(crate) async fn refresh_keyring(&self) -> Result<Arc<Keyring>> {
        let mut conn = self.store.conn().await?;
        let records = read::signing_keys(&mut conn).await?;
        let ring = Arc::new(signing::keyring(&records)?);
        *self.keyring.write().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&ring);
        Ok(ring)
    }

    pub(crate) fn decoded(&self) -> Option<Arc<RevocationList>> {
        self.decoded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_decoded(&self, list: Option<Arc<RevocationList>>) {
        *self.decoded.lock().unwrap_or_else(PoisonError::into_inner) = list;
    }

    /// Whether the published list is fresh (well inside its validity).
    pub(crate) fn list_current(&self, now: Timestamp) -> bool {
        let p = self.current();
        p.seq > 0 && p.stale_after > now
    }
}
