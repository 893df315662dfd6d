//! The edge handle: the verifier the middleware reads, the refresher's shared state, and
//! the ways to look at it (readiness, status).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use keyseal::{LiveVerifier, Timestamp, VerifiedKey, Verifier};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::EdgeConfig;
use crate::early::EarlyRefresh;
use crate::error::EdgeError;
use crate::refusal::Refusal;
use crate::status::{DocumentStatus, Origin, Status};

/// Which document a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    Keyring,
    List,
}

/// The verifier the requests read: cached (feature `cache`) or plain.
enum Verifiers {
    #[cfg(feature = "cache")]
    Cached(keyseal::CachedVerifier),
    Live(LiveVerifier),
}

/// State shared by the handle, the middleware and the refresher tasks.
pub(crate) struct Shared {
    verifiers: Verifiers,
    ready: AtomicBool,
    ready_tx: watch::Sender<bool>,
    keyring_loaded: AtomicBool,
    list_loaded: AtomicBool,
    pub(crate) has_list_source: bool,
    pub(crate) early: EarlyRefresh,
    /// Wakes the list refresher after a keyring change (a refused list may verify now).
    pub(crate) keyring_changed: Notify,
    books: Mutex<[DocumentStatus; 2]>,
    pub(crate) config: EdgeConfig,
}

impl Shared {
    /// `high_water`: the revocation high-water mark restored from the local copy, below
    /// which no list is accepted.
    pub(crate) fn new(config: EdgeConfig, high_water: Option<u64>) -> Shared {
        let verifier = Verifier::new(config.prefix.clone(), keyseal::Keyring::new())
            .with_options(config.options)
            .with_min_revocation_sequence(high_water.unwrap_or(0));
        let live = LiveVerifier::new(verifier);
        #[cfg(feature = "cache")]
        let verifiers = if config.cache_capacity > 0 {
            Verifiers::Cached(keyseal::CachedVerifier::new(live, config.cache_capacity))
        } else {
            Verifiers::Live(live)
        };
        #[cfg(not(feature = "cache"))]
        let verifiers = Verifiers::Live(live);
        Shared {
            verifiers,
            ready: AtomicBool::new(false),
            ready_tx: watch::Sender::new(false),
            keyring_loaded: AtomicBool::new(false),
            list_loaded: AtomicBool::new(false),
            has_list_source: config.revocations.is_some(),
            early: EarlyRefresh::new(config.unknown_key_refresh_window),
            keyring_changed: Notify::new(),
            books: Mutex::new([DocumentStatus::default(), DocumentStatus::default()]),
            config,
        }
    }

    pub(crate) fn live(&self) -> &LiveVerifier {
        match &self.verifiers {
            #[cfg(feature = "cache")]
            Verifiers::Cached(c) => c.live(),
            Verifiers::Live(l) => l,
        }
    }

    fn verify(&self, text: &str) -> Result<VerifiedKey, keyseal::Error> {
        match &self.verifiers {
            #[cfg(feature = "cache")]
            Verifiers::Cached(c) => c.verify(text),
            Verifiers::Live(l) => l.verify(text),
        }
    }

    pub(crate) fn keyring_loaded(&self) -> bool {
        self.keyring_loaded.load(Ordering::Acquire)
    }

    /// Records that a document was applied, and becomes ready once everything configured
    /// has been loaded.
    pub(crate) fn applied(&self, doc: Document, origin: Origin) {
        let now = SystemTime::now();
        self.with_book(doc, |b| {
            b.origin = Some(origin);
            b.applied_at = Some(now);
            if origin == Origin::Source {
                b.last_success = Some(now);
                b.consecutive_failures = 0;
            }
        });
        match doc {
            Document::Keyring => self.keyring_loaded.store(true, Ordering::Release),
            Document::List => self.list_loaded.store(true, Ordering::Release),
        }
        let ready = self.keyring_loaded()
            && (!self.has_list_source || self.list_loaded.load(Ordering::Acquire));
        if ready && !self.ready.swap(true, Ordering::AcqRel) {
            self.ready_tx.send_replace(true);
            tracing::info!("keyseal edge ready");
        }
    }

    /// Records that the source confirmed the document in force (a `304`, or the same
    /// bytes again).
    pub(crate) fn confirmed(&self, doc: Document) {
        let now = SystemTime::now();
        self.with_book(doc, |b| {
            b.last_success = Some(now);
            b.consecutive_failures = 0;
        });
    }

    pub(crate) fn with_book<R>(
        &self,
        doc: Document,
        f: impl FnOnce(&mut DocumentStatus) -> R,
    ) -> R {
        let mut books = self.books.lock().unwrap_or_else(PoisonError::into_inner);
        let [keyring, list] = &mut *books;
        f(match doc {
            Document::Keyring => keyring,
            Document::List => list,
        })
    }
}

/// Stops the refresher tasks when the last handle is dropped.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// A running edge: verification for the middleware, and the refresher keeping its keyring
/// and revocation list fresh in the background. Cheap to clone; the refresher stops when
/// the last clone is dropped.
#[derive(Clone)]
pub struct Edge {
    pub(crate) shared: Arc<Shared>,
    _tasks: Arc<Tasks>,
}

impl Edge {
    /// Starts an edge: loads the local copy if one is configured and present, then spawns
    /// the refresher on the current tokio runtime. Returns at once; await
    /// [`Edge::ready`] before taking traffic.
    ///
    /// # Errors
    /// [`EdgeError::Config`] / [`EdgeError::InvalidUrl`] for a configuration that cannot
    /// work, [`EdgeError::Client`] if the HTTP client cannot be built,
    /// [`EdgeError::CorruptHighWater`] / [`EdgeError::Io`] if the local copy's revocation
    /// high-water mark exists but cannot be read (the edge fails closed rather than accept
    /// lists it may have seen superseded).
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn`).
    pub fn start(config: EdgeConfig) -> Result<Edge, EdgeError> {
        config.check()?;
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("keyseal-edge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| EdgeError::Client)?;
        let high_water =
            crate::local_copy::restore_high_water(config.local_copy.as_deref(), &config.prefix)?;
        let shared = Arc::new(Shared::new(config, high_water));
        let restored = crate::local_copy::restore(&shared);
        let tasks = crate::refresher::spawn(&shared, &client, restored);
        Ok(Edge {
            shared,
            _tasks: Arc::new(Tasks(tasks)),
        })
    }

    /// Whether the first good load has happened.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    /// Resolves once the edge has loaded its keyring (and its list, if one is configured),
    /// from the sources or the local copy. Bound it with a timeout.
    pub async fn ready(&self) {
        let mut rx = self.shared.ready_tx.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ready = rx.wait_for(|ready| *ready).await;
    }

    /// Verifies a key text now, synchronously: no lock, no await. An unknown key id in a
    /// well-formed key asks the refresher for an early keyring refresh (rate limited).
    ///
    /// # Errors
    /// [`Refusal::NotReady`] before the first load, else [`Refusal::Key`].
    pub fn verify(&self, text: &str) -> Result<VerifiedKey, Refusal> {
        if !self.is_ready() {
            return Err(Refusal::NotReady);
        }
        self.shared.verify(text).map_err(|e| {
            if matches!(e, keyseal::Error::UnknownKey(_)) && self.shared.early.trigger() {
                tracing::info!("unknown key id: early keyring refresh");
            }
            Refusal::Key(e)
        })
    }

    /// The live verifier underneath (for inspection, or to apply documents by hand).
    #[must_use]
    pub fn live(&self) -> &LiveVerifier {
        self.shared.live()
    }

    /// The configuration the edge runs with.
    #[must_use]
    pub fn config(&self) -> &EdgeConfig {
        &self.shared.config
    }

    /// A snapshot of the refresher's state.
    #[must_use]
    pub fn status(&self) -> Status {
        let snapshot = self.live().snapshot();
        let list = snapshot.revocation_list();
        let now = SystemTime::now();
        let age = |b: &mut DocumentStatus| {
            b.age = b.applied_at.and_then(|t| now.duration_since(t).ok());
            b.clone()
        };
        Status {
            ready: self.is_ready(),
            keyring_keys: snapshot.keyring().len(),
            list_sequence: list.map(keyseal::RevocationList::sequence),
            list_issued_at: list.map(keyseal::RevocationList::issued_at),
            list_age: list.map(|l| Timestamp::now().duration_since(l.issued_at())),
            early_refreshes: self.shared.early.granted(),
            keyring: self.shared.with_book(Document::Keyring, age),
            revocation_list: self.shared.with_book(Document::List, age),
        }
    }
}

impl core::fmt::Debug for Edge {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Edge")
            .field("prefix", &self.shared.config.prefix)
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}
