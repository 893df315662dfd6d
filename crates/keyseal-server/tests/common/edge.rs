//! A real keyseal-edge (refresher + tower layer) pointed at a real server process: keyring
//! over plain HTTP polling, revocation list over the keyseal-server long poll.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::time::Duration;

use keyseal::Prefix;
use keyseal_edge::{Edge, EdgeConfig, Source};
use tower::ServiceExt as _;

use super::{PREFIX, Server};

/// How the edge gets its revocation list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// `?after=N&wait=S` held requests.
    LongPoll,
    /// Plain polling with `If-None-Match`.
    Poll,
}

/// An edge configuration for tests: short intervals (the keyring is re-polled every
/// 100–300 ms), 5 s long polls, quick backoff.
pub fn config(s: &Server, list: ListSource) -> EdgeConfig {
    let prefix = Prefix::new(PREFIX).unwrap();
    let list_url = s.url("/v1/revocations.bin");
    let list = match list {
        ListSource::LongPoll => Source::long_poll(list_url),
        ListSource::Poll => Source::url(list_url),
    };
    EdgeConfig::new(prefix, Source::url(s.url("/v1/keyring.json")))
        .revocations(list)
        .intervals(
            Duration::from_millis(200),
            Duration::from_millis(100),
            Duration::from_millis(300),
        )
        .jitter(0.0)
        .backoff(Duration::from_millis(100), Duration::from_millis(500))
        .timeouts(Duration::from_secs(2), Duration::from_secs(5))
        .long_poll_wait(Duration::from_secs(5))
        .unknown_key_refresh_window(Duration::from_millis(200))
}

/// Starts an edge and waits (bounded) until it has loaded both documents.
pub async fn ready(config: EdgeConfig) -> Edge {
    let edge = Edge::start(config).unwrap();
    tokio::time::timeout(Duration::from_secs(10), edge.ready())
        .await
        .expect("the edge loaded the keyring and the list within 10 s");
    edge
}

/// Sends one request carrying `key` through the edge's tower layer to an inner service that
/// answers 200; returns the status the caller sees (200, or the layer's 401/403/503).
pub async fn status_through_layer(edge: &Edge, key: &str) -> u16 {
    let service = tower::ServiceBuilder::new()
        .layer(edge.layer())
        .service(tower::service_fn(|_req: http::Request<()>| async {
            Ok::<_, Infallible>(http::Response::new(axum::body::Body::empty()))
        }));
    let request = http::Request::builder()
        .uri("/orders")
        .header(http::header::AUTHORIZATION, format!("Bearer {key}"))
        .body(())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    response.status().as_u16()
}
