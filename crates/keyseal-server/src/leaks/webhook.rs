//! Owner notification: one JSON event per key revoked as leaked, POSTed to `--leak-webhook`.
//!
//! Each event is stored in the revocation's own transaction (`leak_events`), so a committed
//! revocation always has its event and a restart loses none; a background task delivers
//! them, never the request that revoked. A delivery is claimed with a lease (another
//! replica leaves it alone while it runs), retried with doubling waits up to `attempts`
//! times, then given up with an error in the log. Delivery is at least once: the
//! `event_id` lets the receiver drop a repeat. With `--leak-webhook-secret-file`, each
//! request carries `X-Keyseal-Signature: sha256=<hex HMAC-SHA256 of the body>`.

use std::sync::Arc;
use std::time::Duration;

use keyseal::{Timestamp, TokenId};
use tokio::sync::{Notify, watch};

use super::Found;
use crate::error::Result;
use crate::model::KeyRecord;
use crate::service::Service;
use crate::store::leaks::{self as events, Attempt};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// How long a claimed delivery is left to its replica before another may retry it.
const LEASE: Duration = Duration::from_secs(60);
/// How often the task looks for due events when nothing wakes it.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Events taken per pass.
const BATCH: u32 = 32;

/// The configured receiver.
#[derive(Debug)]
pub(crate) struct Webhook {
    url: String,
    client: reqwest::Client,
    attempts: u32,
    backoff: Duration,
    /// The HMAC key of `X-Keyseal-Signature`, if configured.
    secret: Option<Vec<u8>>,
    /// Woken after a commit that stored events.
    pub(crate) wake: Notify,
}

impl Webhook {
    pub(crate) fn new(
        url: String,
        client: reqwest::Client,
        attempts: u32,
        backoff: Duration,
        secret: Option<Vec<u8>>,
    ) -> Webhook {
        Webhook {
            url,
            client,
            attempts,
            backoff,
            secret,
            wake: Notify::new(),
        }
    }

    /// `sha256=<hex HMAC-SHA256(secret, body)>`, with a secret.
    fn signature(&self, body: &[u8]) -> Option<String> {
        use hmac::{KeyInit as _, Mac as _};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.secret.as_deref()?).ok()?;
        mac.update(body);
        let tag = mac.finalize().into_bytes();
        Some(format!(
            "sha256={}",
            tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ))
    }

    /// The wait after the `failures`-th failed attempt.
    fn wait_after(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// The event for `rec`, revoked at `now` because it was found at `found`.
pub(crate) fn event(rec: &KeyRecord, found: &Found, now: Timestamp) -> String {
    serde_json::json!({
        "type": "keyseal.key.leaked",
        "event_id": TokenId::random().to_string(),
        "app_id": rec.app_id,
        "token_id": rec.token_id.to_string(),
        "key_kind": rec.kind.as_str(),
        "revoked_at": now.to_string(),
        "reason": "leaked",
        "found": found,
    })
    .to_string()
}

/// The delivery task: runs until shutdown.
pub(crate) async fn run(service: Arc<Service>, mut shutdown: watch::Receiver<bool>) {
    let Some(hook) = service.leaks.webhook.as_ref() else {
        return;
    };
    loop {
        if let Err(e) = deliver_due(&service, hook).await {
            tracing::warn!(error = %e, "leak webhook: could not read pending events");
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            () = hook.wake.notified() => {}
            () = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

async fn deliver_due(service: &Service, hook: &Webhook) -> Result<()> {
    let now = Timestamp::now();
    let due = {
        let mut conn = service.store.conn().await?;
        events::due(&mut conn, now, BATCH).await?
    };
    for ev in due {
        let now = Timestamp::now();
        let lease = now.saturating_add(LEASE);
        {
            let mut conn = service.store.conn().await?;
            if !events::claim(&mut conn, ev.id, ev.next_attempt_at, lease).await? {
                continue;
            }
        }
        let mut request = hook
            .client
            .post(&hook.url)
            .header("content-type", "application/json");
        if let Some(sig) = hook.signature(ev.payload.as_bytes()) {
            request = request.header("x-keyseal-signature", sig);
        }
        let outcome = request.body(ev.payload.clone()).send().await;
        let failure = match outcome {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => Some(format!("answered {}", r.status())),
            Err(e) => Some(format!("request failed: {e}")),
        };
        let mut conn = service.store.conn().await?;
        let attempts = ev.attempts.saturating_add(1);
        let (outcome, at) = match failure {
            None => (Attempt::Delivered, Timestamp::now()),
            Some(why) if attempts >= hook.attempts => {
                tracing::error!(event = ev.id, attempts, error = %why, "leak webhook: event given up");
                (Attempt::GaveUp, Timestamp::now())
            }
            Some(why) => {
                tracing::warn!(event = ev.id, attempts, error = %why, "leak webhook: delivery failed; will retry");
                (
                    Attempt::RetryAt,
                    Timestamp::now().saturating_add(hook.wait_after(attempts)),
                )
            }
        };
        events::record_attempt(&mut conn, ev.id, outcome, attempts, at).await?;
    }
    Ok(())
}
