//! GitHub's secret scanning partner protocol: who may report a leaked key, what a report
//! says, and what the answer says back.
//!
//! GitHub signs each report with ECDSA P-256 / SHA-256 over the **raw body bytes** and names
//! the signing key in `Github-Public-Key-Identifier`; the signature (base64 of the DER
//! encoding) is in `Github-Public-Key-Signature`. The public keys come from a JSON document
//! (`{"public_keys":[{"key_identifier","key","is_current"}]}`, each `key` a
//! SubjectPublicKeyInfo PEM) at a configurable URL. [`GitHubKeys`] caches them; an
//! identifier it does not know causes one refetch, and fetches are throttled (one per
//! `refetch_interval`) however many unknown identifiers arrive, so forged reports cannot turn
//! the service into a load generator against GitHub.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use serde::{Deserialize, Serialize};

/// The header naming GitHub's signing key.
pub(crate) const KEY_IDENTIFIER_HEADER: &str = "github-public-key-identifier";
/// The header carrying the base64 DER signature over the raw body.
pub(crate) const SIGNATURE_HEADER: &str = "github-public-key-signature";
/// GitHub's public keys document for secret scanning.
pub(crate) const DEFAULT_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";
/// The largest public keys document read (GitHub's is about 1 KiB).
const MAX_KEYS_DOCUMENT_LEN: usize = 64 * 1024;
/// The longest header value looked at (an identifier is 64 hex digits; a DER signature in
/// base64 is at most 96 characters).
const MAX_HEADER_LEN: usize = 512;
/// Keys older than this are refetched on the next report (throttled like any fetch), so a
/// key GitHub withdraws stops being accepted; if that fetch fails the old keys stay.
const KEYS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Why a report was not accepted as GitHub's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReportRefused {
    /// A signature header is missing or empty.
    MissingSignature,
    /// The signature header is not base64 of a DER ECDSA signature, or a header is too long.
    MalformedSignature,
    /// No public key with this identifier is known, even after a refetch.
    UnknownKey,
    /// The signature does not verify over the body with the named key.
    BadSignature,
    /// No public keys could be had (the document could not be fetched or read).
    KeysUnavailable(String),
}

impl ReportRefused {
    /// The HTTP status of the refusal.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::MissingSignature | Self::MalformedSignature => 400,
            Self::UnknownKey | Self::BadSignature => 403,
            Self::KeysUnavailable(_) => 503,
        }
    }

    /// The stable problem code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::MissingSignature => "leak_report.missing_signature",
            Self::MalformedSignature => "leak_report.malformed_signature",
            Self::UnknownKey => "leak_report.unknown_key",
            Self::BadSignature => "leak_report.bad_signature",
            Self::KeysUnavailable(_) => "leak_report.keys_unavailable",
        }
    }

    /// One sentence for the caller (the fetch failure itself goes to the log only).
    pub(crate) fn public_detail(&self) -> String {
        match self {
            Self::MissingSignature => format!(
                "the report needs the {KEY_IDENTIFIER_HEADER} and {SIGNATURE_HEADER} headers"
            ),
            Self::MalformedSignature => {
                "the signature header is not base64 of a DER ECDSA signature".to_owned()
            }
            Self::UnknownKey => "the signing key identifier is not one of GitHub's keys".into(),
            Self::BadSignature => "the signature does not verify over the request body".into(),
            Self::KeysUnavailable(_) => {
                "GitHub's public keys cannot be had right now; retry later".to_owned()
            }
        }
    }
}

impl std::fmt::Display for ReportRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::KeysUnavailable(why) => write!(f, "GitHub's public keys are unavailable: {why}"),
            other => f.write_str(&other.public_detail()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct KeysDocument {
    public_keys: Vec<KeyEntry>,
}

#[derive(Debug, Deserialize)]
struct KeyEntry {
    key_identifier: String,
    key: String,
    // Every listed key is accepted, current or not: GitHub signs with older keys for a
    // while after rotating. (Defaulted: a document without it is still GitHub's keys.)
    #[allow(dead_code)]
    #[serde(default)]
    is_current: bool,
}

/// The keys held and when they were fetched.
#[derive(Debug, Default)]
struct Cached {
    keys: HashMap<String, VerifyingKey>,
    fetched_at: Option<Instant>,
}

/// The cached public keys and the fetcher behind them.
#[derive(Debug)]
pub(crate) struct GitHubKeys {
    url: String,
    client: reqwest::Client,
    cached: RwLock<Arc<Cached>>,
    /// Held while fetching, so one fetch runs at a time; holds when the last one started.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    refetch_interval: Duration,
    fetches: AtomicU64,
}

impl GitHubKeys {
    /// Keys fetched from `url` with `client` (whose timeouts bound each fetch), at most one
    /// fetch per `refetch_interval`.
    pub(crate) fn new(url: String, client: reqwest::Client, refetch_interval: Duration) -> Self {
        GitHubKeys {
            url,
            client,
            cached: RwLock::new(Arc::new(Cached::default())),
            last_fetch: tokio::sync::Mutex::new(None),
            refetch_interval,
            fetches: AtomicU64::new(0),
        }
    }

    /// Checks that `body` was signed by GitHub, given the two header values.
    pub(crate) async fn verify(
        &self,
        key_identifier: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), ReportRefused> {
        let (Some(id), Some(sig)) = (key_identifier, signature) else {
            return Err(ReportRefused::MissingSignature);
        };
        let (id, sig) = (id.trim(), sig.trim());
        if id.is_empty() || sig.is_empty() {
            return Err(ReportRefused::MissingSignature);
        }
        if id.len() > MAX_HEADER_LEN || sig.len() > MAX_HEADER_LEN {
            return Err(ReportRefused::MalformedSignature);
        }
        let der = Base64::decode_vec(sig).map_err(|_| ReportRefused::MalformedSignature)?;
        let signature = Signature::from_der(&der).map_err(|_| ReportRefused::MalformedSignature)?;
        let key = self.key(id).await?;
        key.verify(body, &signature)
            .map_err(|_| ReportRefused::BadSignature)
    }

    fn snapshot(&self) -> Arc<Cached> {
        Arc::clone(&self.cached.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The key named `id`: from the cache, or after one (throttled) fetch.
    async fn key(&self, id: &str) -> Result<VerifyingKey, ReportRefused> {
        let fresh = |c: &Cached| c.fetched_at.is_some_and(|t| t.elapsed() < KEYS_MAX_AGE);
        let snap = self.snapshot();
        if let (Some(key), true) = (snap.keys.get(id), fresh(&snap)) {
            return Ok(*key);
        }
        let mut last = self.last_fetch.lock().await;
        // Another request may have fetched while this one waited for the lock.
        let snap = self.snapshot();
        if let (Some(key), true) = (snap.keys.get(id), fresh(&snap)) {
            return Ok(*key);
        }
        let throttled = last.is_some_and(|at| at.elapsed() < self.refetch_interval);
        let mut failure = None;
        if !throttled {
            *last = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    *self.cached.write().unwrap_or_else(PoisonError::into_inner) =
                        Arc::new(Cached {
                            keys,
                            fetched_at: Some(Instant::now()),
                        });
                }
                Err(why) => {
                    tracing::warn!(url = %self.url, error = %why, "could not fetch GitHub's secret scanning public keys");
                    failure = Some(why);
                }
            }
        }
        drop(last);
        let snap = self.snapshot();
        match snap.keys.get(id) {
            Some(key) => Ok(*key),
            None if snap.keys.is_empty() => Err(ReportRefused::KeysUnavailable(
                failure.unwrap_or_else(|| "no public keys have been fetched yet".to_owned()),
            )),
            None => Err(ReportRefused::UnknownKey),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, VerifyingKey>, String> {
        let n = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(url = %self.url, fetch = n, "fetching GitHub's secret scanning public keys");
        let mut response = self
            .client
            .get(&self.url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("fetching the public keys failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "the public keys document answered {}",
                response.status()
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the public keys document failed: {e}"))?
        {
            if body.len() + chunk.len() > MAX_KEYS_DOCUMENT_LEN {
                return Err(format!(
                    "the public keys document is longer than {MAX_KEYS_DOCUMENT_LEN} bytes"
                ));
            }
            body.extend_from_slice(&chunk);
        }
        parse_keys_document(&body)
    }
}

/// Parses GitHub's public keys document; every key must be a P-256 SPKI PEM.
fn parse_keys_document(body: &[u8]) -> Result<HashMap<String, VerifyingKey>, String> {
    let document: KeysDocument = serde_json::from_slice(body)
        .map_err(|e| format!("the public keys document is not valid: {e}"))?;
    let mut keys = HashMap::with_capacity(document.public_keys.len());
    for (i, entry) in document.public_keys.into_iter().enumerate() {
        let key = VerifyingKey::from_public_key_pem(&entry.key)
            .map_err(|_| format!("public_keys[{i}].key is not a P-256 public key in PEM"))?;
        keys.insert(entry.key_identifier, key);
    }
    if keys.is_empty() {
        return Err("the public keys document lists no keys".into());
    }
    Ok(keys)
}

/// One token in a report. GitHub may add members; unknown ones are ignored here (unlike the
/// rest of the API), so a report is never refused for a field GitHub adds.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ReportedToken {
    /// The matched text.
    pub(crate) token: String,
    /// The secret type the partner registered.
    #[serde(rename = "type")]
    pub(crate) token_type: String,
    /// Where GitHub found it.
    #[serde(default)]
    pub(crate) url: Option<String>,
    /// What kind of place (`content`, `commit`, `pull_request_description`, `npm`, …).
    #[serde(default)]
    pub(crate) source: Option<String>,
}

/// The verdict on one reported token, as GitHub's protocol wants it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TokenVerdict {
    /// SHA-256 of the token text, lowercase hex: the token itself is never echoed.
    pub(crate) token_hash: String,
    /// The type as reported.
    pub(crate) token_type: String,
    /// `true_positive` or `false_positive`.
    pub(crate) label: Label,
}

/// Whether a reported token is one of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Label {
    /// A key this service signed (live, expired or already revoked).
    TruePositive,
    /// Anything else: forged, foreign, random.
    FalsePositive,
}
