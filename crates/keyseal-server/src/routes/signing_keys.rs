//! Signing keys: list, create, promote, retire.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::{self, SIGNING_KEYS_MANAGE};
use crate::error::Result;
use crate::http::{JsonBody, RequestId, json};
use crate::rotation;
use crate::routes::revoke::parse_key_id;
use crate::service::Service;
use crate::store::read;

/// `GET /v1/signing-keys`
pub(crate) async fn list(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Response> {
    auth::require(&service, &headers, &rid.0, &[SIGNING_KEYS_MANAGE]).await?;
    let mut conn = service.store.conn().await?;
    let items: Vec<_> = read::signing_keys(&mut conn)
        .await?
        .iter()
        .map(crate::model::SigningKeyRecord::to_json)
        .collect();
    Ok(json(StatusCode::OK, serde_json::json!({ "items": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// `POST /v1/signing-keys`
pub(crate) async fn create(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[SIGNING_KEYS_MANAGE]).await?;
    let _: Empty = body.parse()?;
    let record = rotation::create(&service, &actor).await?;
    Ok(json(StatusCode::CREATED, record.to_json()))
}

/// `POST /v1/signing-keys/{key_id}/promote`
pub(crate) async fn promote(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[SIGNING_KEYS_MANAGE]).await?;
    let id = parse_key_id(&id)?;
    let _: Empty = body.parse()?;
    let record = rotation::promote(&service, id, &actor).await?;
    Ok(json(StatusCode::OK, record.to_json()))
}

/// `POST /v1/signing-keys/{key_id}/retire`
pub(crate) async fn retire(
    State(service): State<Arc<Service>>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response> {
    let actor = auth::require(&service, &headers, &rid.0, &[SIGNING_KEYS_MANAGE]).await?;
    let id = parse_key_id(&id)?;
    let _: Empty = body.parse()?;
    let record = rotation::retire(&service, id, &actor).await?;
    Ok(json(StatusCode::OK, record.to_json()))
}
