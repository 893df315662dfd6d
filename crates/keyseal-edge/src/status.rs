//! What the refresher has done: a snapshot for health endpoints and metrics.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use keyseal::Timestamp;

/// Where the document in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Its configured source.
    Source,
    /// The local copy kept from an earlier run.
    LocalCopy,
}

/// The refresher's record of one document (keyring or revocation list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocumentStatus {
    /// Where the document in force came from; `None` while none is loaded.
    pub origin: Option<Origin>,
    /// When the document in force was applied.
    pub applied_at: Option<SystemTime>,
    /// Time since then, at the snapshot.
    pub age: Option<Duration>,
    /// When the source last answered with a document in force (200 applied or
    /// unchanged, or 304).
    pub last_success: Option<SystemTime>,
    /// The last failure or refusal, as a sentence (never key text).
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<SystemTime>,
    /// Failures since the last success (drives the backoff).
    pub consecutive_failures: u32,
    /// Requests sent to the source.
    pub fetches: u64,
    /// Answers that said "unchanged" (`304` or same file), which cost no parsing.
    pub not_modified: u64,
    /// Fetched documents refused, by reason (`revocation_list.rollback`,
    /// `revocation_list.bad_signature`, `keyring_document`, `too_large`, …).
    pub refusals: BTreeMap<&'static str, u64>,
}

/// A snapshot of the edge's state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Whether the first good load has happened (requests are verified).
    pub ready: bool,
    /// Number of keys in the keyring in force.
    pub keyring_keys: usize,
    /// Sequence of the revocation list in force.
    pub list_sequence: Option<u64>,
    /// When the list in force was issued.
    pub list_issued_at: Option<Timestamp>,
    /// The list's age since issue.
    pub list_age: Option<Duration>,
    /// Early keyring refreshes granted to unknown key ids.
    pub early_refreshes: u64,
    /// The keyring document's record.
    pub keyring: DocumentStatus,
    /// The revocation list's record.
    pub revocation_list: DocumentStatus,
}

impl Status {
    /// The snapshot as JSON, for a health endpoint. Times are Unix seconds.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "ready": self.ready,
            "keyring_keys": self.keyring_keys,
            "list_sequence": self.list_sequence,
            "list_issued_at": self.list_issued_at.map(|t| t.to_string()),
            "list_age_secs": self.list_age.map(|a| a.as_secs()),
            "early_refreshes": self.early_refreshes,
            "keyring": document_json(&self.keyring),
            "revocation_list": document_json(&self.revocation_list),
        })
    }
}

fn unix(t: Option<SystemTime>) -> Option<u64> {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

fn document_json(d: &DocumentStatus) -> serde_json::Value {
    serde_json::json!({
        "origin": d.origin.map(|o| match o { Origin::Source => "source", Origin::LocalCopy => "local_copy" }),
        "applied_at": unix(d.applied_at),
        "age_secs": d.age.map(|a| a.as_secs()),
        "last_success": unix(d.last_success),
        "last_error": d.last_error,
        "last_error_at": unix(d.last_error_at),
        "consecutive_failures": d.consecutive_failures,
        "fetches": d.fetches,
        "not_modified": d.not_modified,
        "refusals": d.refusals,
    })
}
