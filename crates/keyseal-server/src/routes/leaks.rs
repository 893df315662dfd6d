//! Leak reports: `POST /v1/leaks/github` (GitHub's secret scanning partner protocol; the
//! signature over the raw body authenticates, no admin key) and `POST /v1/leaks/trufflehog`
//! (the trufflehog detector's verify endpoint; an admin key with `keys:verify`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use keyseal::{Timestamp, Verifier, VerifierOptions};

use crate::auth::{self, KEYS_VERIFY};
use crate::error::{Error, Result};
use crate::http::{JsonBody, RequestId, json};
use crate::leaks::github::{
    KEY_IDENTIFIER_HEADER, Label, ReportRefused, ReportedToken, SIGNATURE_HEADER, TokenVerdict,
};
use crate::leaks::trufflehog::{self, MAX_MATCH_LEN, MAX_MATCHES, Matches};
use crate::leaks::{Assessment, Checker, Found, LeakedKey};
use crate::model::Actor;
use crate::publisher::{self, Change, Outcome};
use crate::service::Service;
use crate::store::read;

/// Largest GitHub report accepted (a report of 1,000 keys with long URLs is under 1 MiB).
pub(crate) const MAX_REPORT_BYTES: usize = 4 * 1024 * 1024;
/// Most tokens in one report.
const MAX_REPORT_TOKENS: usize = 10_000;

fn header_value<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| Error::LeakReport(ReportRefused::MalformedSignature))
        })
        .transpose()
}

/// The body, read only up to the cap.
async fn capped_body(headers: &HeaderMap, body: Body) -> Result<Bytes> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REPORT_BYTES as u64) {
        return Err(Error::BodyTooLarge);
    }
    axum::body::to_bytes(body, MAX_REPORT_BYTES)
        .await
        .map_err(|e| {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return Error::BodyTooLarge;
                }
                source = s.source();
            }
            Error::BadBody("the request body could not be read".to_owned())
        })
}

/// `POST /v1/leaks/github`
pub(crate) async fn github(
    State(service): State<Arc<Service>>,
    request: Request,
) -> Result<Response> {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let key_id = header_value(&parts.headers, KEY_IDENTIFIER_HEADER)?;
    let signature = header_value(&parts.headers, SIGNATURE_HEADER)?;
    if key_id.is_none() || signature.is_none() {
        // Refused before a byte of the body is read.
        return Err(Error::LeakReport(ReportRefused::MissingSignature));
    }
    let body = capped_body(&parts.headers, body).await?;
    service
        .leaks
        .github
        .verify(key_id, signature, &body)
        .await
        .map_err(Error::LeakReport)?;
    // Only a signed body is parsed.
    let reported: Vec<ReportedToken> = serde_json::from_slice(&body).map_err(|e| {
        let detail = e.to_string();
        let detail = detail.split(" at line ").next().unwrap_or_default();
        Error::BadBody(format!(
            "the report is not a JSON array of {{token, type, url, source}}: {detail}"
        ))
    })?;
    if reported.len() > MAX_REPORT_TOKENS {
        return Err(Error::BadBody(format!(
            "at most {MAX_REPORT_TOKENS} tokens per report"
        )));
    }
    let checker = Checker::new(&service).await?;
    let now = Timestamp::now();
    let (verdicts, leaked) =
        tokio::task::spawn_blocking(move || assess_report(&checker, &reported, now))
            .await
            .map_err(|e| Error::Setup(format!("the report check stopped: {e}")))?;
    let mut revoked = 0;
    if !leaked.is_empty() {
        let actor = Actor {
            name: "github-secret-scanning".to_owned(),
            token_id: None,
            request_id,
        };
        let notify = service.leaks.webhook.is_some();
        let (outcome, _seq) = publisher::submit(
            &service,
            Change::Leaked {
                keys: leaked,
                notify,
            },
            actor,
        )
        .await?;
        if let Outcome::Leaked(ids) = outcome {
            revoked = ids.len();
            for _ in &ids {
                service.metrics.count_revocation();
            }
        }
        if let (Some(hook), true) = (&service.leaks.webhook, revoked > 0) {
            hook.wake.notify_one();
        }
    }
    tracing::info!(
        reported = verdicts.len(),
        revoked,
        "GitHub secret scanning report answered"
    );
    let body = serde_json::to_value(&verdicts)
        .map_err(|e| Error::Setup(format!("cannot write the answer: {e}")))?;
    Ok(json(StatusCode::OK, body))
}

/// Each token's verdict, in the report's order, and the keys to revoke.
fn assess_report(
    checker: &Checker,
    reported: &[ReportedToken],
    now: Timestamp,
) -> (Vec<TokenVerdict>, Vec<LeakedKey>) {
    let mut verdicts = Vec::with_capacity(reported.len());
    let mut leaked = Vec::new();
    for t in reported {
        let label = match checker.assess(&t.token, now) {
            Assessment::Revocable { token_id, kind } => {
                leaked.push(LeakedKey {
                    token_id,
                    kind,
                    found: Found::new(
                        "github",
                        t.source.as_deref(),
                        t.url.as_deref(),
                        &t.token_type,
                    ),
                });
                Label::TruePositive
            }
            Assessment::Expired => Label::TruePositive,
            Assessment::NotOurs => Label::FalsePositive,
        };
        verdicts.push(TokenVerdict {
            token_hash: crate::issuing::key_sha256(&t.token),
            token_type: t.token_type.clone(),
            label,
        });
    }
    (verdicts, leaked)
}

/// `POST /v1/leaks/trufflehog`: `200` when a match holds a live key of this service (valid
/// now, not revoked), `404` `not_live` otherwise. The answer never carries a key text.
pub(crate) async fn trufflehog(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[KEYS_VERIFY]).await?;
    let matches: Matches = body.parse()?;
    let texts: Vec<String> = matches
        .into_values()
        .flat_map(BTreeMap::into_values)
        .flatten()
        .collect();
    if texts.is_empty() {
        return Err(Error::BadBody("the body names no match".to_owned()));
    }
    if texts.len() > MAX_MATCHES || texts.iter().any(|t| t.len() > MAX_MATCH_LEN) {
        return Err(Error::BadBody(format!(
            "at most {MAX_MATCHES} matches of at most {MAX_MATCH_LEN} bytes each"
        )));
    }
    let options = VerifierOptions::default()
        .expiry_leeway(std::time::Duration::ZERO)
        .not_before_leeway(std::time::Duration::ZERO);
    let mut verifier =
        Verifier::new(service.prefix.clone(), (*service.keyring()).clone()).with_options(options);
    if let Some(list) = service.decoded() {
        verifier = verifier.with_revocation_list((*list).clone())?;
    }
    let now = Timestamp::now();
    let ids = tokio::task::spawn_blocking(move || {
        let mut ids: Vec<_> = texts
            .iter()
            .flat_map(|t| trufflehog::verified_keys(&verifier, t, now))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    })
    .await
    .map_err(|e| Error::Setup(format!("the check stopped: {e}")))?;
    // The store has the last word (a revocation this replica has not published yet).
    let mut live = Vec::new();
    let mut conn = service.store.conn().await?;
    for id in ids {
        if read::key(&mut conn, id)
            .await?
            .is_some_and(|r| r.revoked_at.is_none_or(|t| t > now))
        {
            live.push(id.to_string());
        }
    }
    if live.is_empty() {
        return Err(Error::NotLive);
    }
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "verified": true, "token_ids": live }),
    ))
}
