//! Admin keys (issued, listed and revoked like app keys, under the admin prefix) and the
//! audit log.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keyseal::Timestamp;
use serde::Deserialize;

use crate::auth::{self, ADMIN_APP_ID, ADMIN_KEYS_MANAGE, ALL_SCOPES, AUDIT_READ};
use crate::error::{Error, Result};
use crate::http::{JsonBody, RequestId, json, query};
use crate::issuing::{self, Plan};
use crate::model::KeyKind;
use crate::routes::keys::{ListQuery, MAX_PAGE, get_kind, list_kind};
use crate::service::Service;
use crate::store::read;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminIssueRequest {
    scopes: Vec<String>,
    lifetime_seconds: Option<u64>,
    expires_at: Option<String>,
    name: Option<String>,
    metadata: Option<serde_json::Value>,
}

/// `POST /v1/admin-keys`
pub(crate) async fn issue(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[ADMIN_KEYS_MANAGE]).await?;
    let req: AdminIssueRequest = body.parse()?;
    if req.scopes.is_empty() {
        return Err(Error::field(
            "scopes",
            "an admin key needs at least one scope",
        ));
    }
    for (i, s) in req.scopes.iter().enumerate() {
        if !ALL_SCOPES.contains(&s.as_str()) {
            return Err(Error::field(
                format!("scopes[{i}]"),
                format!("one of {}", ALL_SCOPES.join(", ")),
            ));
        }
    }
    let now = Timestamp::now();
    let expires_at = issuing::expiry(
        req.lifetime_seconds,
        req.expires_at.as_deref(),
        service.settings.max_key_lifetime,
        now,
    )?;
    issuing::check_extras(req.name.as_deref(), req.metadata.as_ref())?;
    let plan = Plan {
        kind: KeyKind::Admin,
        app_id: ADMIN_APP_ID.to_owned(),
        scopes: req.scopes,
        expires_at,
        not_before: None,
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

/// `GET /v1/admin-keys`
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[ADMIN_KEYS_MANAGE]).await?;
    list_kind(&service, query(q)?, KeyKind::Admin).await
}

/// `GET /v1/admin-keys/{token_id}`
pub(crate) async fn get(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[ADMIN_KEYS_MANAGE]).await?;
    get_kind(&service, &id, KeyKind::Admin).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/audit`
pub(crate) async fn audit(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    q: std::result::Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[AUDIT_READ]).await?;
    let q = query(q)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::field("limit", format!("from 1 to {MAX_PAGE}")));
    }
    let after = match q.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|&n| n >= 0)
            .ok_or_else(|| Error::field("cursor", "a cursor from a previous page"))?,
    };
    let mut conn = service.store.conn().await?;
    let mut rows = read::page_audit(&mut conn, after, limit + 1).await?;
    let max = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > max;
    rows.truncate(max);
    let next = more
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(json(
        StatusCode::OK,
        serde_json::json!({ "items": rows, "next_cursor": next }),
    ))
}
