//! Owner notifications of leaked keys waiting for delivery (`leak_events`).

use keyseal::Timestamp;
use sqlx::{AnyConnection, Row};

use super::rows::ts;
use crate::error::Result;

/// An event not yet delivered nor given up.
#[derive(Debug)]
pub(crate) struct PendingEvent {
    pub(crate) id: i64,
    pub(crate) payload: String,
    pub(crate) attempts: u32,
    /// As stored: the claim compares it, so two replicas never both take the event.
    pub(crate) next_attempt_at: i64,
}

/// Stores an event, due at once (call inside the transaction that revoked the key).
pub(crate) async fn insert(conn: &mut AnyConnection, payload: &str, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO leak_events (created_at, payload, attempts, next_attempt_at)
         VALUES ($1, $2, 0, $1)",
    )
    .bind(ts(now))
    .bind(payload.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Events due at `now`, oldest first.
pub(crate) async fn due(
    conn: &mut AnyConnection,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<PendingEvent>> {
    sqlx::query(
        "SELECT id, payload, attempts, next_attempt_at FROM leak_events
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         ORDER BY id LIMIT $2",
    )
    .bind(ts(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(PendingEvent {
            id: r.try_get("id")?,
            payload: r.try_get("payload")?,
            attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
            next_attempt_at: r.try_get("next_attempt_at")?,
        })
    })
    .collect()
}

/// Claims an event for one attempt, leasing it until `lease`; false if another took it.
pub(crate) async fn claim(
    conn: &mut AnyConnection,
    id: i64,
    seen_next_attempt_at: i64,
    lease: Timestamp,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE leak_events SET next_attempt_at = $3
         WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(seen_next_attempt_at)
    .bind(ts(lease))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What became of a delivery attempt, and the query that records it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attempt {
    /// The receiver took the event: `at` is when.
    Delivered,
    /// It failed and will be tried again at the given time.
    RetryAt,
    /// It failed for the last time: `at` is when the notifier gave up.
    GaveUp,
}

impl Attempt {
    fn query(self) -> &'static str {
        match self {
            Attempt::Delivered => {
                "UPDATE leak_events SET delivered_at = $2, attempts = $3 WHERE id = $1"
            }
            Attempt::RetryAt => {
                "UPDATE leak_events SET next_attempt_at = $2, attempts = $3 WHERE id = $1"
            }
            Attempt::GaveUp => "UPDATE leak_events SET failed_at = $2, attempts = $3 WHERE id = $1",
        }
    }
}

/// Records the outcome of an event's `attempts`-th delivery attempt.
pub(crate) async fn record_attempt(
    conn: &mut AnyConnection,
    id: i64,
    outcome: Attempt,
    attempts: u32,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(outcome.query())
        .bind(id)
        .bind(ts(at))
        .bind(i64::from(attempts))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
