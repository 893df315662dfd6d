//! HTTP plumbing shared by every route: the request id and its log span, request metrics,
//! and bodies and queries parsed into problem+json errors naming the field (never axum's
//! plain-text rejections).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, MatchedPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyseal::TokenId;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::service::Service;

/// The request's id: the caller's `X-Request-Id` when it is short and plain, else a new one.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub(crate) String);

fn acceptable_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Middleware: request id, span, access log line, request counter.
pub(crate) async fn request_context(
    State(service): State<Arc<Service>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_id(v))
        .map_or_else(|| TokenId::random().to_string(), str::to_owned);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    service.metrics.count_request(&route, status);
    span.in_scope(|| {
        tracing::info!(status, micros = started.elapsed().as_micros(), "request");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// A JSON request body, read under the body cap; parsed by [`JsonBody::parse`].
#[derive(Debug)]
pub(crate) struct JsonBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::BodyTooLarge
            } else {
                Error::BadBody("the request body could not be read".to_owned())
            }
        })?;
        if !json && !bytes.is_empty() {
            return Err(Error::UnsupportedMediaType);
        }
        Ok(JsonBody(bytes))
    }
}

impl JsonBody {
    /// Parses the body (an empty body reads as `{}`), naming the field at fault.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        let bytes: &[u8] = if self.0.is_empty() { b"{}" } else { &self.0 };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            field_error(&path, &message)
        })?;
        de.end()
            .map_err(|_| Error::BadBody("trailing data after the JSON body".to_owned()))?;
        Ok(value)
    }
}

/// The error for a serde message at `path`: the field named by an unknown/missing-field
/// message, else the path itself.
fn field_error(path: &str, message: &str) -> Error {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    let detail = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    match (named, path) {
        (Some(name), "." | "") => Error::field(name, detail),
        (Some(name), p) if p == name || p.ends_with(&format!(".{name}")) => Error::field(p, detail),
        (Some(name), p) => Error::field(format!("{p}.{name}"), detail),
        (None, "." | "") => Error::BadBody(format!("the body is not the expected JSON: {detail}")),
        (None, p) => Error::field(p, detail),
    }
}

/// A query string parsed into `T`, or a problem naming the parameter.
pub(crate) fn query<T>(q: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    match q {
        Ok(Query(v)) => Ok(v),
        Err(e) => {
            let text = e.body_text();
            let message = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, m)| m)
                .to_owned();
            Err(match field_error(".", &message) {
                Error::BadBody(d) => Error::field("query", d),
                other => other,
            })
        }
    }
}

/// A token id from a path or body field.
pub(crate) fn token_id(field: &str, s: &str) -> Result<TokenId> {
    s.parse()
        .map_err(|_| Error::field(field, "a token id is 32 lowercase hex digits"))
}

/// A timestamp from a body field (RFC 3339, UTC, whole seconds).
pub(crate) fn timestamp(field: &str, s: &str) -> Result<keyseal::Timestamp> {
    s.parse().map_err(|_| {
        Error::field(
            field,
            "a time is RFC 3339 in UTC with whole seconds, e.g. 2026-01-31T12:00:00Z",
        )
    })
}

/// A JSON answer with a status.
pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
