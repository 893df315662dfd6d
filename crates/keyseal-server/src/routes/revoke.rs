//! Revocations: one key, every key of an app, everything a signing key signed. Each answers
//! `200` only once the revocation and the list that carries it are committed; repeating one
//! changes nothing more (idempotent).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyseal::{KeyId, Timestamp};
use serde::Deserialize;

use crate::auth::{self, ADMIN_KEYS_MANAGE, KEYS_REVOKE, SIGNING_KEYS_MANAGE};
use crate::error::{Error, Result};
use crate::http::{JsonBody, RequestId, json, timestamp, token_id};
use crate::model::KeyKind;
use crate::publisher::{self, Change, Outcome};
use crate::service::Service;

/// Longest revocation reason, in bytes.
const MAX_REASON_LEN: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    reason: Option<String>,
}

fn check_reason(reason: Option<&str>) -> Result<()> {
    if reason.is_some_and(|r| r.len() > MAX_REASON_LEN) {
        return Err(Error::field(
            "reason",
            format!("at most {MAX_REASON_LEN} bytes"),
        ));
    }
    Ok(())
}

/// `POST /v1/keys/{token_id}/revoke`
pub(crate) async fn key(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[KEYS_REVOKE]).await?;
    revoke_token(&service, actor, &id, body, KeyKind::App).await
}

/// `POST /v1/admin-keys/{token_id}/revoke`
pub(crate) async fn admin_key(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[ADMIN_KEYS_MANAGE]).await?;
    revoke_token(&service, actor, &id, body, KeyKind::Admin).await
}

async fn revoke_token(
    service: &Service,
    actor: crate::model::Actor,
    id: &str,
    body: JsonBody,
    kind: KeyKind,
) -> Result<Response> {
    let id = token_id("token_id", id)?;
    let req: RevokeRequest = body.parse()?;
    check_reason(req.reason.as_deref())?;
    let change = Change::Token {
        token_id: id,
        kind,
        reason: req.reason,
    };
    let (outcome, seq) = publisher::submit(service, change, actor).await?;
    service.metrics.count_revocation();
    let Outcome::Token(record) = outcome else {
        return Err(Error::NotFound);
    };
    let mut out = record.to_json(Timestamp::now());
    if let Some(map) = out.as_object_mut() {
        map.insert("sequence".to_owned(), seq.into());
    }
    Ok(json(StatusCode::OK, out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppRevokeRequest {
    issued_before: Option<String>,
    effective: Option<String>,
    reason: Option<String>,
}

/// `POST /v1/apps/{app_id}/revoke`: every key of the app issued before a time (default now).
pub(crate) async fn app(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[KEYS_REVOKE]).await?;
    keyseal::check_app_id(&app_id).map_err(|e| Error::field("app_id", e.to_string()))?;
    let req: AppRevokeRequest = body.parse()?;
    check_reason(req.reason.as_deref())?;
    let now = Timestamp::now();
    // "Before now" must cover a key issued in this very second.
    let issued_before = match &req.issued_before {
        Some(t) => timestamp("issued_before", t)?,
        None => now.saturating_add(std::time::Duration::from_secs(1)),
    };
    let effective = req
        .effective
        .as_deref()
        .map(|t| timestamp("effective", t))
        .transpose()?;
    let change = Change::App {
        app_id: app_id.clone(),
        issued_before,
        effective,
        reason: req.reason,
    };
    let (outcome, seq) = publisher::submit(&service, change, actor).await?;
    service.metrics.count_revocation();
    let covered = match outcome {
        Outcome::Covered(n) => n,
        _ => 0,
    };
    Ok(json(
        StatusCode::OK,
        serde_json::json!({
            "app_id": app_id,
            "issued_before": issued_before.to_string(),
            "effective": effective.map(|t| t.to_string()),
            "keys_covered": covered,
            "sequence": seq,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignerRevokeRequest {
    effective: Option<String>,
}

/// `POST /v1/signing-keys/{key_id}/revoke`: every key the signing key signed.
pub(crate) async fn signer(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(key_id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(
        &service,
        &headers,
        &rid.0,
        &[SIGNING_KEYS_MANAGE, KEYS_REVOKE],
    )
    .await?;
    let key_id = parse_key_id(&key_id)?;
    let req: SignerRevokeRequest = body.parse()?;
    let effective = req
        .effective
        .as_deref()
        .map(|t| timestamp("effective", t))
        .transpose()?;
    let (outcome, seq) =
        publisher::submit(&service, Change::Signer { key_id, effective }, actor).await?;
    service.metrics.count_revocation();
    let covered = match outcome {
        Outcome::Covered(n) => n,
        _ => 0,
    };
    Ok(json(
        StatusCode::OK,
        serde_json::json!({
            "key_id": key_id.to_string(),
            "effective": effective.map(|t| t.to_string()),
            "keys_covered": covered,
            "sequence": seq,
        }),
    ))
}

/// A signing key id from the path.
pub(crate) fn parse_key_id(s: &str) -> Result<KeyId> {
    s.parse()
        .map_err(|_| Error::field("key_id", "not a signing key id"))
}
