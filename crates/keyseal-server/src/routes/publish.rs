//! The public files edges fetch: the keyring document and the signed revocation list, with
//! strong ETags, `Cache-Control: max-age`, `304` on `If-None-Match`, and the list's long poll
//! (`?after=N&wait=S`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::http::query;
use crate::service::Service;

/// Default long-poll wait.
const DEFAULT_WAIT: Duration = Duration::from_secs(25);

fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn cached(
    service: &Service,
    status: StatusCode,
    etag: &str,
    kind: &str,
    body: axum::body::Bytes,
) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    if status != StatusCode::NOT_MODIFIED {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(kind)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
    }
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("max-age={}", service.settings.max_age.as_secs()))
    {
        h.insert(header::CACHE_CONTROL, v);
    }
    response
}

/// `GET /v1/keyring.json`
pub(crate) async fn keyring(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let json = service.keyring().to_json();
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{hex}\"");
    if matches(&headers, &etag) {
        return cached(
            &service,
            StatusCode::NOT_MODIFIED,
            &etag,
            "",
            axum::body::Bytes::new(),
        );
    }
    cached(
        &service,
        StatusCode::OK,
        &etag,
        "application/json",
        json.into(),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    after: Option<u64>,
    wait: Option<u64>,
}

/// `GET /v1/revocations.bin[?after=N[&wait=S]]`
pub(crate) async fn revocations(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    q: std::result::Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response> {
    let q = query(q)?;
    if q.wait.is_some() && q.after.is_none() {
        return Err(Error::field("wait", "`wait` goes with `after`"));
    }
    let mut rx = service.published.subscribe();
    let mut current = service.current();
    if current.seq == 0 {
        return Err(Error::Conflict {
            code: "not_ready",
            detail: "no revocation list has been published yet".to_owned(),
        });
    }
    if let Some(after) = q.after {
        let wait = q
            .wait
            .map_or(DEFAULT_WAIT, Duration::from_secs)
            .min(service.settings.max_wait);
        let deadline = tokio::time::Instant::now() + wait;
        let mut stopping = service.stopping.subscribe();
        while current.seq <= after {
            let newer = tokio::select! {
                changed = tokio::time::timeout_at(deadline, rx.changed()) => {
                    matches!(changed, Ok(Ok(())))
                }
                // Graceful shutdown must not wait for held polls: answer them now.
                _ = stopping.wait_for(|stopping| *stopping) => false,
            };
            if !newer {
                // Timed out, or shutting down: nothing newer.
                let etag = current.etag.clone();
                return Ok(cached(
                    &service,
                    StatusCode::NOT_MODIFIED,
                    &etag,
                    "",
                    axum::body::Bytes::new(),
                ));
            }
            current = Arc::clone(&rx.borrow_and_update());
        }
        return Ok(cached(
            &service,
            StatusCode::OK,
            &current.etag,
            "application/octet-stream",
            current.bytes.clone(),
        ));
    }
    if matches(&headers, &current.etag) {
        return Ok(cached(
            &service,
            StatusCode::NOT_MODIFIED,
            &current.etag,
            "",
            axum::body::Bytes::new(),
        ));
    }
    Ok(cached(
        &service,
        StatusCode::OK,
        &current.etag,
        "application/octet-stream",
        current.bytes.clone(),
    ))
}
