//! App keys: issue, read, list, reroll, introspect.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyseal::{Timestamp, Verifier};
use serde::Deserialize;

use crate::auth::{self, KEYS_ISSUE, KEYS_READ, KEYS_REVOKE, KEYS_VERIFY};
use crate::error::{Error, Result};
use crate::http::{JsonBody, RequestId, json, query, token_id};
use crate::issuing::{self, Plan};
use crate::model::{KeyKind, KeyStatus};
use crate::publisher::{self, Change};
use crate::service::Service;
use crate::store::read::{self, KeyFilter};

/// Longest reroll grace period.
const MAX_GRACE: Duration = Duration::from_secs(30 * 86_400);
/// Largest page of a listing.
pub(crate) const MAX_PAGE: u32 = 200;
const DEFAULT_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    app_id: String,
    #[serde(default)]
    scopes: Vec<String>,
    lifetime_seconds: Option<u64>,
    expires_at: Option<String>,
    not_before: Option<String>,
    name: Option<String>,
    metadata: Option<serde_json::Value>,
}

/// `POST /v1/keys`
pub(crate) async fn issue(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[KEYS_ISSUE]).await?;
    let req: IssueRequest = body.parse()?;
    let now = Timestamp::now();
    issuing::check_claims(&req.app_id, &req.scopes)?;
    let expires_at = issuing::expiry(
        req.lifetime_seconds,
        req.expires_at.as_deref(),
        service.settings.max_key_lifetime,
        now,
    )?;
    let not_before = req
        .not_before
        .as_deref()
        .map(|t| crate::http::timestamp("not_before", t))
        .transpose()?;
    issuing::check_extras(req.name.as_deref(), req.metadata.as_ref())?;
    let plan = Plan {
        kind: KeyKind::App,
        app_id: req.app_id,
        scopes: req.scopes,
        expires_at,
        not_before,
        name: req.name,
        metadata: req.metadata,
    };
    let (issued, record) = issuing::issue_for(&service, &plan, &actor).await?;
    let mut out = record.to_json(now);
    if let Some(map) = out.as_object_mut() {
        map.insert("key".to_owned(), issued.into_string().into());
    }
    Ok(json(StatusCode::CREATED, out))
}

/// `GET /v1/keys/{token_id}`
pub(crate) async fn get(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[KEYS_READ]).await?;
    get_kind(&service, &id, KeyKind::App).await
}

pub(crate) async fn get_kind(service: &Service, id: &str, kind: KeyKind) -> Result<Response> {
    let id = token_id("token_id", id)?;
    let mut conn = service.store.conn().await?;
    let rec = read::key(&mut conn, id)
        .await?
        .filter(|r| r.kind == kind)
        .ok_or(Error::NotFound)?;
    Ok(json(StatusCode::OK, rec.to_json(Timestamp::now())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    app_id: Option<String>,
    status: Option<String>,
    key_sha256: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/keys`
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[KEYS_READ]).await?;
    list_kind(&service, query(q)?, KeyKind::App).await
}

pub(crate) async fn list_kind(service: &Service, q: ListQuery, kind: KeyKind) -> Result<Response> {
    let status = match q.status.as_deref() {
        None => None,
        Some("active") => Some(KeyStatus::Active),
        Some("revoked") => Some(KeyStatus::Revoked),
        Some("expired") => Some(KeyStatus::Expired),
        Some(_) => {
            return Err(Error::field("status", "one of active, revoked, expired"));
        }
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::field("limit", format!("from 1 to {MAX_PAGE}")));
    }
    if let Some(app) = &q.app_id {
        keyseal::check_app_id(app).map_err(|e| Error::field("app_id", e.to_string()))?;
    }
    if q.key_sha256
        .as_ref()
        .is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Error::field("key_sha256", "64 hex digits"));
    }
    let filter = KeyFilter {
        app_id: q.app_id,
        status,
        key_sha256: q.key_sha256.map(|h| h.to_ascii_lowercase()),
        after: q
            .cursor
            .as_deref()
            .map(|c| token_id("cursor", c))
            .transpose()?,
    };
    let now = Timestamp::now();
    let mut conn = service.store.conn().await?;
    let mut rows = read::page_keys(&mut conn, kind, &filter, now, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = more
        .then(|| rows.last().map(|r| r.token_id.to_string()))
        .flatten();
    let items: Vec<_> = rows.iter().map(|r| r.to_json(now)).collect();
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "items": items, "next_cursor": next }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RerollRequest {
    #[serde(default)]
    grace_seconds: u64,
}

/// `POST /v1/keys/{token_id}/reroll`
pub(crate) async fn reroll(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[KEYS_ISSUE, KEYS_REVOKE]).await?;
    let id = token_id("token_id", &id)?;
    let req: RerollRequest = body.parse()?;
    let grace = Duration::from_secs(req.grace_seconds);
    if grace > MAX_GRACE {
        return Err(Error::field(
            "grace_seconds",
            format!("at most {} s", MAX_GRACE.as_secs()),
        ));
    }
    let now = Timestamp::now();
    let old = {
        let mut conn = service.store.conn().await?;
        read::key(&mut conn, id)
            .await?
            .filter(|r| r.kind == KeyKind::App)
            .ok_or(Error::NotFound)?
    };
    if old.status(now) != KeyStatus::Active || old.rerolled_to.is_some() {
        return Err(Error::Conflict {
            code: "not_active",
            detail: "only an active key that was not rerolled yet can be rerolled".to_owned(),
        });
    }
    let plan = Plan {
        kind: KeyKind::App,
        app_id: old.app_id.clone(),
        scopes: old.scopes.clone(),
        expires_at: old.expires_at,
        not_before: old.not_before.filter(|&n| n > now),
        name: old.name.clone(),
        metadata: old.metadata.clone(),
    };
    let due = now.saturating_add(grace);
    let (issued, record) = issuing::issue(
        &service.store,
        &service.keys,
        &plan,
        &actor,
        now,
        Some((id, due)),
    )
    .await?;
    service.metrics.count_issue();
    if grace.is_zero() {
        publisher::submit(&service, Change::Due, actor).await?;
    }
    let mut out = record.to_json(now);
    if let Some(map) = out.as_object_mut() {
        map.insert("key".to_owned(), issued.into_string().into());
        map.insert("old_token_id".to_owned(), id.to_string().into());
        map.insert("old_stops_at".to_owned(), due.to_string().into());
    }
    Ok(json(StatusCode::CREATED, out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    key: String,
}

/// `POST /v1/keys/verify`: the verdict and claims, never the key.
pub(crate) async fn verify(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[KEYS_VERIFY]).await?;
    let req: VerifyRequest = body.parse()?;
    let now = Timestamp::now();
    let verifier = Verifier::new(service.prefix.clone(), (*service.keyring()).clone());
    let verdict = match verifier.verify_at(&req.key, now) {
        Err(e) => Err(e.code()),
        Ok(v) => {
            let mut conn = service.store.conn().await?;
            let listed = service
                .decoded()
                .and_then(|l| l.check(v.claims(), v.key_id(), now))
                .is_some();
            match read::key(&mut conn, v.token_id()).await? {
                Some(r) if r.status(now) == KeyStatus::Revoked || listed => Err("revoked"),
                _ if listed => Err("revoked"),
                _ => Ok(v),
            }
        }
    };
    let body = match verdict {
        Err(code) => serde_json::json!({ "valid": false, "code": code }),
        Ok(v) => {
            let c = v.claims();
            serde_json::json!({
                "valid": true,
                "token_id": c.token_id().to_string(),
                "app_id": c.app_id(),
                "scopes": c.scopes().collect::<Vec<_>>(),
                "issued_at": c.issued_at().to_string(),
                "expires_at": c.expires_at().to_string(),
                "not_before": c.not_before().map(|t| t.to_string()),
                "signing_key_id": v.key_id().to_string(),
            })
        }
    };
    Ok(json(StatusCode::OK, body))
}
