//! Operations: `GET /healthz` and `GET /metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyseal::Timestamp;

use crate::http::json;
use crate::service::Service;
use crate::signing;
use crate::store::read;

/// `GET /healthz`: store reachable, active signing key loaded, list current.
pub(crate) async fn healthz(State(service): State<Arc<Service>>) -> Response {
    let store = service.store.ping().await;
    let signing_key = match service.store.conn().await {
        Ok(mut conn) => match read::signing_keys(&mut conn).await {
            Ok(records) => signing::active(&records)
                .and_then(|a| service.keys.get(a.key_id))
                .is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    };
    let list = service.list_current(Timestamp::now());
    let ok = store && signing_key && list;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "store": store,
        "signing_key": signing_key,
        "list_current": list,
        "list_sequence": service.current().seq,
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, body)
}

/// `GET /metrics`
pub(crate) async fn metrics(State(service): State<Arc<Service>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        service.metrics.render(),
    )
        .into_response()
}
