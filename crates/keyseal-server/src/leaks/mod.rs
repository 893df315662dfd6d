//! Leak response: a key reported as leaked (by GitHub's secret scanning, or checked by a
//! trufflehog detector) is verified offline with the service's own keyring and, when it is
//! one of ours and still usable, revoked at once with reason `leaked`, in one transaction
//! and one list publication per report. The owner can be told through a webhook.

pub(crate) mod github;
pub(crate) mod trufflehog;
pub(crate) mod webhook;

use std::time::Duration;

use keyseal::{Keyring, Timestamp, TokenId, Verifier, VerifierOptions};
use serde::Serialize;

use crate::cli::parse_duration;
use crate::error::{Error, Result};
use crate::model::{Actor, AuditEntry, Entry, KeyKind};
use crate::publisher::Outcome;
use crate::service::Service;
use crate::signing;
use crate::store::{WriteTx, leaks as events, read};

/// Longest `url` of a finding kept in the audit log and the event (longer ones are cut).
const MAX_URL_LEN: usize = 2048;
/// Longest `source` or `type` kept.
const MAX_LABEL_LEN: usize = 128;
/// Longest lifetime a genuine key may have and still be recognised (far beyond any setting).
const ANY_LIFETIME: Duration = Duration::from_secs(100 * 366 * 86_400);

/// `serve` options of the leak endpoints.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LeakArgs {
    /// GitHub's secret scanning public keys document (checks `POST /v1/leaks/github`).
    #[arg(long, default_value = github::DEFAULT_KEYS_URL)]
    pub(crate) github_keys_url: String,
    /// Least time between two fetches of that document (an unknown key identifier refetches).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub(crate) github_keys_refetch: Duration,
    /// POST a JSON event to this URL for every key revoked as leaked.
    #[arg(long)]
    pub(crate) leak_webhook: Option<String>,
    /// Delivery attempts per webhook event before it is given up (and logged).
    #[arg(long, default_value_t = 10)]
    pub(crate) leak_webhook_attempts: u32,
    /// Wait before the first webhook retry; doubles after each failure, up to 10 minutes.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) leak_webhook_backoff: Duration,
    /// A file holding a shared secret: each event then carries
    /// `X-Keyseal-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    #[arg(long)]
    pub(crate) leak_webhook_secret_file: Option<std::path::PathBuf>,
}

/// The leak endpoints' state.
#[derive(Debug)]
pub(crate) struct Leaks {
    pub(crate) github: github::GitHubKeys,
    pub(crate) webhook: Option<webhook::Webhook>,
}

impl Leaks {
    pub(crate) fn new(args: &LeakArgs) -> Result<Leaks> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("keyseal-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {e}")))?;
        let keys_url = checked_url(&args.github_keys_url, "--github-keys-url")?;
        let secret = args
            .leak_webhook_secret_file
            .as_deref()
            .map(read_secret)
            .transpose()?;
        if secret.is_some() && args.leak_webhook.is_none() {
            return Err(Error::Setup(
                "--leak-webhook-secret-file needs --leak-webhook".to_owned(),
            ));
        }
        let webhook = args
            .leak_webhook
            .as_deref()
            .map(|u| {
                Ok::<_, Error>(webhook::Webhook::new(
                    checked_url(u, "--leak-webhook")?,
                    client.clone(),
                    args.leak_webhook_attempts.max(1),
                    args.leak_webhook_backoff.max(Duration::from_secs(1)),
                    secret.clone(),
                ))
            })
            .transpose()?;
        Ok(Leaks {
            github: github::GitHubKeys::new(keys_url, client, args.github_keys_refetch),
            webhook,
        })
    }
}

/// The webhook secret: the file's text without surrounding whitespace, never empty.
fn read_secret(path: &std::path::Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Setup(format!(
            "--leak-webhook-secret-file {}: {e}",
            path.display()
        ))
    })?;
    let secret = text.trim();
    if secret.len() < 16 {
        return Err(Error::Setup(
            "--leak-webhook-secret-file: the secret needs at least 16 characters".to_owned(),
        ));
    }
    Ok(secret.as_bytes().to_vec())
}

fn checked_url(url: &str, flag: &str) -> Result<String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(url.into()),
        _ => Err(Error::Setup(format!("{flag}: not an http(s) URL"))),
    }
}

/// Where a leaked key was found, as the reporter said.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Found {
    /// Who reported it (`github`).
    pub(crate) reporter: &'static str,
    /// The kind of place (`content`, `commit`, …).
    pub(crate) source: Option<String>,
    /// The place itself.
    pub(crate) url: Option<String>,
    /// The secret type the reporter matched.
    #[serde(rename = "type")]
    pub(crate) token_type: String,
}

impl Found {
    pub(crate) fn new(
        reporter: &'static str,
        source: Option<&str>,
        url: Option<&str>,
        token_type: &str,
    ) -> Found {
        Found {
            reporter,
            source: source.map(|s| cut(s, MAX_LABEL_LEN)),
            url: url.map(|u| cut(u, MAX_URL_LEN)),
            token_type: cut(token_type, MAX_LABEL_LEN),
        }
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}

/// A key of this service reported as leaked, to revoke.
#[derive(Debug, Clone)]
pub(crate) struct LeakedKey {
    pub(crate) token_id: TokenId,
    pub(crate) kind: KeyKind,
    pub(crate) found: Found,
}

/// What a reported text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assessment {
    /// A key this service signed that has not expired: revoke it.
    Revocable { token_id: TokenId, kind: KeyKind },
    /// A key this service signed that has expired (nothing to revoke).
    Expired,
    /// Not a key of this service (another prefix, forged, corrupted, random).
    NotOurs,
}

/// Checks texts against every signing key the service ever had, under both prefixes.
#[derive(Debug, Clone)]
pub(crate) struct Checker {
    verifiers: Vec<(Verifier, KeyKind)>,
}

impl Checker {
    /// A checker over the store's signing keys as they are now.
    pub(crate) async fn new(service: &Service) -> Result<Checker> {
        let records = {
            let mut conn = service.store.conn().await?;
            read::signing_keys(&mut conn).await?
        };
        Ok(Checker::with_keyring(
            service,
            &signing::trusting_keyring(&records)?,
        ))
    }

    fn with_keyring(service: &Service, ring: &Keyring) -> Checker {
        let options = VerifierOptions::default()
            .expiry_leeway(Duration::ZERO)
            .not_before_leeway(Duration::ZERO)
            .max_lifetime(ANY_LIFETIME);
        let verifiers = [
            (service.prefix.clone(), KeyKind::App),
            (service.admin_prefix.clone(), KeyKind::Admin),
        ]
        .into_iter()
        .map(|(p, kind)| (Verifier::new(p, ring.clone()).with_options(options), kind))
        .collect();
        Checker { verifiers }
    }

    /// Whether `text` is one of ours (signature verified) and still to be revoked.
    pub(crate) fn assess(&self, text: &str, now: Timestamp) -> Assessment {
        let text = text.trim_matches([' ', '\t', '\n', '\r']);
        for (verifier, kind) in &self.verifiers {
            let kind = *kind;
            match verifier.verify_at(text, now) {
                Ok(k) => {
                    return Assessment::Revocable {
                        token_id: k.token_id(),
                        kind,
                    };
                }
                // Valid later: a leaked key must not become usable, so revoke it too.
                Err(keyseal::Error::NotYetValid { valid_from }) => {
                    return match verifier.verify_at(text, valid_from) {
                        Ok(k) => Assessment::Revocable {
                            token_id: k.token_id(),
                            kind,
                        },
                        Err(_) => Assessment::Expired,
                    };
                }
                // Times are checked after the signature: these are genuine keys.
                Err(keyseal::Error::Expired { .. } | keyseal::Error::LifetimeTooLong { .. }) => {
                    return Assessment::Expired;
                }
                Err(keyseal::Error::WrongPrefix) => {}
                Err(_) => return Assessment::NotOurs,
            }
        }
        Assessment::NotOurs
    }
}

/// Inside the publisher's transaction: revokes each key not yet revoked (reason `leaked`),
/// with an audit row naming where it was found and, with a webhook, an owner event.
/// Keys already revoked change nothing (no entry, no audit row, no event).
pub(crate) async fn apply(
    tx: &mut WriteTx,
    keys: &[LeakedKey],
    notify: bool,
    actor: &Actor,
    now: Timestamp,
    entries: &mut Vec<Entry>,
    audits: &mut Vec<AuditEntry>,
) -> Result<Result<Outcome>> {
    let mut revoked = Vec::new();
    for k in keys {
        let Some(rec) = read::key(tx.conn(), k.token_id)
            .await?
            .filter(|r| r.kind == k.kind)
        else {
            // Signed by this service's key yet not in its store: nothing to mark; said
            // loudly, since every issued key has a row.
            tracing::error!(token_id = %k.token_id, "a leaked key verified but is not in the store");
            continue;
        };
        if !tx
            .mark_revoked(k.token_id, now, Some("leaked"), None)
            .await?
        {
            continue;
        }
        let action = match k.kind {
            KeyKind::App => {
                entries.push(Entry::Token {
                    token_id: k.token_id,
                    expires_at: rec.expires_at,
                });
                "key.revoke"
            }
            KeyKind::Admin => "admin_key.revoke",
        };
        audits.push(AuditEntry::new(
            actor,
            action,
            k.token_id.to_string(),
            serde_json::json!({ "reason": "leaked", "found": k.found }),
        ));
        if notify {
            let event = webhook::event(&rec, &k.found, now);
            events::insert(tx.conn(), &event, now).await?;
        }
        revoked.push(k.token_id);
    }
    Ok(Ok(Outcome::Leaked(revoked)))
}
