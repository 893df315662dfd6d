//! The background refresher: one task per document, polling its source, applying only
//! what verifies, backing off on failure.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use keyseal::{MAX_KEYRING_DOCUMENT_LEN, MAX_LIST_BYTES};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::config::EdgeConfig;
use crate::edge::{Document, Shared};
use crate::error::EdgeError;
use crate::fetch::{Fetched, Fetcher};
use crate::local_copy::{Restored, apply_keyring, save};
use crate::status::Origin;

pub(crate) fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Spawns the keyring task and, if a list source is configured, the list task.
pub(crate) fn spawn(
    shared: &Arc<Shared>,
    client: &reqwest::Client,
    restored: Restored,
) -> Vec<JoinHandle<()>> {
    let config = &shared.config;
    let keyring = Fetcher::new(
        config.keyring.clone(),
        client.clone(),
        MAX_KEYRING_DOCUMENT_LEN,
        config.request_timeout,
    );
    let mut tasks = vec![tokio::spawn(run(
        Arc::clone(shared),
        Document::Keyring,
        keyring,
        restored.keyring,
    ))];
    if let Some(source) = &config.revocations {
        let list = Fetcher::new(
            source.clone(),
            client.clone(),
            MAX_LIST_BYTES,
            config.request_timeout,
        );
        tasks.push(tokio::spawn(run(
            Arc::clone(shared),
            Document::List,
            list,
            restored.list,
        )));
    }
    tasks
}

/// What one round ended with.
enum Round {
    /// The document in force is current; poll again after the source's freshness lifetime.
    Current {
        max_age: Option<Duration>,
        /// Whether a new document was applied in this round.
        changed: bool,
    },
    /// The round failed or the document was refused.
    Failed,
}

async fn run(shared: Arc<Shared>, doc: Document, mut fetcher: Fetcher, mut seen: Option<[u8; 32]>) {
    let config = &shared.config;
    let mut failures: u32 = 0;
    loop {
        if doc == Document::List && !shared.keyring_loaded() {
            // A list verifies against the keyring: nothing to do before one is loaded.
            shared.keyring_changed.notified().await;
            continue;
        }
        let started = Instant::now();
        let round = round(&shared, doc, &mut fetcher, &mut seen).await;
        let delay = match round {
            Round::Current { max_age, changed } => {
                failures = 0;
                if fetcher.is_long_poll() {
                    // Poll again at once after news or a held request; a server that
                    // answers "nothing new" without holding it must not make us spin.
                    if changed || started.elapsed() >= config.long_poll_wait / 2 {
                        Duration::ZERO
                    } else {
                        config.min_interval
                    }
                } else {
                    jittered(interval(config, max_age), config.jitter)
                }
            }
            Round::Failed => {
                failures = failures.saturating_add(1);
                jittered(backoff(config, failures), config.jitter)
            }
        };
        let sleep = tokio::time::sleep(delay);
        match doc {
            Document::Keyring => tokio::select! {
                () = sleep => {}
                () = shared.early.wake.notified() => {
                    tracing::debug!("early keyring refresh");
                }
            },
            Document::List => {
                let retry_on_keyring = failures > 0;
                tokio::select! {
                    () = sleep => {}
                    () = shared.keyring_changed.notified(), if retry_on_keyring => {}
                }
            }
        }
    }
}

async fn round(
    shared: &Arc<Shared>,
    doc: Document,
    fetcher: &mut Fetcher,
    seen: &mut Option<[u8; 32]>,
) -> Round {
    shared.with_book(doc, |b| b.fetches += 1);
    let after = shared
        .live()
        .snapshot()
        .revocation_list()
        .map_or(0, keyseal::RevocationList::sequence);
    let fetched = fetcher.fetch(after, shared.config.long_poll_wait).await;
    let (body, max_age, validators) = match fetched {
        Ok(Fetched::NotModified { max_age }) => {
            shared.with_book(doc, |b| b.not_modified += 1);
            shared.confirmed(doc);
            return Round::Current {
                max_age,
                changed: false,
            };
        }
        Ok(Fetched::Body {
            body,
            max_age,
            validators,
        }) => (body, max_age, validators),
        Err(e) => {
            failed(shared, doc, &e);
            return Round::Failed;
        }
    };
    let new_digest = digest(&body);
    if *seen == Some(new_digest) {
        // The same bytes as the document in force (a source without validators, or the
        // local copy served again): unchanged, not a rollback.
        fetcher.commit(validators);
        shared.confirmed(doc);
        return Round::Current {
            max_age,
            changed: false,
        };
    }
    match apply(shared, doc, body.clone()).await {
        Ok(()) => {
            *seen = Some(new_digest);
            fetcher.commit(validators);
            shared.applied(doc, Origin::Source);
            if doc == Document::Keyring {
                shared.keyring_changed.notify_one();
            }
            if let Some(dir) = &shared.config.local_copy {
                let high_water = match doc {
                    Document::List => shared.live().revocation_high_water(),
                    Document::Keyring => None,
                };
                let mark = high_water.map(|sequence| (&shared.config.prefix, sequence));
                save(dir.clone(), doc, body, mark).await;
            }
            Round::Current {
                max_age,
                changed: true,
            }
        }
        Err(e) => {
            if matches!(
                e,
                EdgeError::Refused(keyseal::Error::RevocationList(
                    keyseal::ListProblem::UnknownSigner(_)
                ))
            ) && shared.early.trigger()
            {
                tracing::info!("list signed by an unknown key: early keyring refresh");
            }
            fetcher.forget();
            failed(shared, doc, &e);
            Round::Failed
        }
    }
}

async fn apply(shared: &Arc<Shared>, doc: Document, body: Bytes) -> Result<(), EdgeError> {
    match doc {
        Document::Keyring => {
            apply_keyring(shared, &body)?;
            tracing::info!(
                keys = shared.live().snapshot().keyring().len(),
                "keyring applied"
            );
            Ok(())
        }
        Document::List => {
            // Verifying a large list is CPU work: keep it off the async workers.
            let shared = Arc::clone(shared);
            let sequence =
                tokio::task::spawn_blocking(move || shared.live().update_revocations(&body))
                    .await
                    .map_err(|_| EdgeError::Io(std::io::ErrorKind::Interrupted))??;
            tracing::info!(sequence, "revocation list applied");
            Ok(())
        }
    }
}

fn failed(shared: &Shared, doc: Document, e: &EdgeError) {
    let what = match doc {
        Document::Keyring => "keyring document",
        Document::List => "revocation list",
    };
    if e.is_refusal() {
        tracing::warn!(document = what, reason = e.code(), error = %e, "document refused; the one in force stays");
    } else {
        tracing::warn!(document = what, reason = e.code(), error = %e, "refresh failed");
    }
    shared.with_book(doc, |b| {
        if e.is_refusal() {
            *b.refusals.entry(e.code()).or_insert(0) += 1;
        }
        b.last_error = Some(e.to_string());
        b.last_error_at = Some(SystemTime::now());
        b.consecutive_failures = b.consecutive_failures.saturating_add(1);
    });
}

/// The poll interval: the source's freshness lifetime within the configured bounds.
pub(crate) fn interval(config: &EdgeConfig, max_age: Option<Duration>) -> Duration {
    max_age
        .unwrap_or(config.default_interval)
        .clamp(config.min_interval, config.max_interval)
}

/// The delay after `failures` consecutive failures: doubling from `backoff_start`, capped.
pub(crate) fn backoff(config: &EdgeConfig, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    config
        .backoff_start
        .saturating_mul(1u32 << doublings)
        .min(config.backoff_cap)
}

/// `delay` shortened by a random fraction of up to `jitter`.
fn jittered(delay: Duration, jitter: f64) -> Duration {
    delay.mul_f64(1.0 - jitter * random_unit())
}

/// A random number in [0, 1) from std's per-process random hasher keys and the clock; only
/// for spreading polls, not for anything secret.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Source;

    fn config() -> EdgeConfig {
        EdgeConfig::new(
            keyseal::Prefix::new("acme").unwrap(),
            Source::url("http://127.0.0.1:1/"),
        )
        .intervals(
            Duration::from_secs(60),
            Duration::from_secs(5),
            Duration::from_secs(600),
        )
        .backoff(Duration::from_secs(1), Duration::from_secs(60))
    }

    #[test]
    fn max_age_is_clamped_to_the_bounds() {
        let c = config();
        assert_eq!(interval(&c, None), Duration::from_secs(60));
        assert_eq!(interval(&c, Some(Duration::ZERO)), Duration::from_secs(5));
        assert_eq!(
            interval(&c, Some(Duration::from_secs(42))),
            Duration::from_secs(42)
        );
        assert_eq!(
            interval(&c, Some(Duration::from_secs(86_400))),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_to_the_cap() {
        let c = config();
        let delays: Vec<u64> = (1..=8).map(|n| backoff(&c, n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(&c, u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_only_shortens_and_stays_within_the_fraction() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(10), 0.1);
            assert!(
                d <= Duration::from_secs(10) && d >= Duration::from_secs(9),
                "{d:?}"
            );
        }
    }
}
