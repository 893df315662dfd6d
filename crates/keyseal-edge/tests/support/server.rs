//! The publishing server: `GET /v1/keyring.json` and `GET /v1/revocations.bin[?after=N&wait=S]`
//! as SHARED-CONTRACTS.md describes, on 127.0.0.1, with request counters and a switch that
//! makes it answer 503 (the signing service "down"). Every 200 carries `Last-Modified`;
//! with `last_modified_only` it sends no `ETag`, so a client can only revalidate with
//! `If-Modified-Since`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::sync::watch;

#[derive(Default)]
struct Published {
    keyring: Option<(Bytes, u64)>,
    /// Bytes, sequence claimed for the long poll, version for the ETag.
    list: Option<(Bytes, u64, u64)>,
    /// Serve the keyring as a chunked stream without Content-Length.
    keyring_chunked: bool,
}

pub struct ServerState {
    published: Mutex<Published>,
    list_changed: watch::Sender<u64>,
    pub keyring_requests: AtomicU64,
    pub list_requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub down: AtomicBool,
    pub max_age: AtomicU64,
    /// Send `Last-Modified` without an `ETag`.
    pub last_modified_only: AtomicBool,
    /// Requests that carried `If-Modified-Since`.
    pub if_modified_since: AtomicU64,
    versions: AtomicU64,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        let state = Arc::new(ServerState {
            published: Mutex::new(Published::default()),
            list_changed: watch::Sender::new(0),
            keyring_requests: AtomicU64::new(0),
            list_requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            down: AtomicBool::new(false),
            max_age: AtomicU64::new(0),
            last_modified_only: AtomicBool::new(false),
            if_modified_since: AtomicU64::new(0),
            versions: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/v1/keyring.json", get(keyring))
            .route("/v1/revocations.bin", get(revocations))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { addr, state, task }
    }

    pub fn keyring_url(&self) -> String {
        format!("http://{}/v1/keyring.json", self.addr)
    }

    pub fn list_url(&self) -> String {
        format!("http://{}/v1/revocations.bin", self.addr)
    }

    pub fn publish_keyring(&self, bytes: impl Into<Bytes>) {
        let version = self.state.versions.fetch_add(1, Ordering::SeqCst) + 1;
        self.state.published.lock().unwrap().keyring = Some((bytes.into(), version));
    }

    pub fn keyring_chunked(&self, chunked: bool) {
        self.state.published.lock().unwrap().keyring_chunked = chunked;
    }

    /// Publishes list bytes (valid or not) under the sequence the long poll compares.
    pub fn publish_list(&self, bytes: impl Into<Bytes>, sequence: u64) {
        let version = self.state.versions.fetch_add(1, Ordering::SeqCst) + 1;
        self.state.published.lock().unwrap().list = Some((bytes.into(), sequence, version));
        self.state.list_changed.send_replace(version);
    }

    pub fn keyring_requests(&self) -> u64 {
        self.state.keyring_requests.load(Ordering::SeqCst)
    }

    pub fn list_requests(&self) -> u64 {
        self.state.list_requests.load(Ordering::SeqCst)
    }

    pub fn not_modified(&self) -> u64 {
        self.state.not_modified.load(Ordering::SeqCst)
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn if_modified_since(&self) -> u64 {
        self.state.if_modified_since.load(Ordering::SeqCst)
    }

    pub fn set_last_modified_only(&self, only: bool) {
        self.state.last_modified_only.store(only, Ordering::SeqCst);
    }

    pub fn set_max_age(&self, seconds: u64) {
        self.state.max_age.store(seconds, Ordering::SeqCst);
    }
}

fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap()
}

/// When version `version` was published, to the second: one second apart per version, so
/// that every version has its own `Last-Modified`.
fn modified(version: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + version)
}

/// Whether the request's validators match `version` (RFC 9110 §13.1: `If-None-Match`
/// when present, else `If-Modified-Since` compared as a date).
fn not_modified(state: &ServerState, request: &HeaderMap, version: u64) -> bool {
    if let Some(since) = request.get(header::IF_MODIFIED_SINCE) {
        state.if_modified_since.fetch_add(1, Ordering::SeqCst);
        if request.get(header::IF_NONE_MATCH).is_none() {
            return since
                .to_str()
                .ok()
                .and_then(|s| httpdate::parse_http_date(s).ok())
                .is_some_and(|since| since >= modified(version));
        }
    }
    request.get(header::IF_NONE_MATCH) == Some(&etag(version))
}

fn answer(
    state: &ServerState,
    request: &HeaderMap,
    body: Bytes,
    version: u64,
    chunked: bool,
) -> Response {
    let cache = HeaderValue::from_str(&format!("max-age={}", state.max_age.load(Ordering::SeqCst)))
        .unwrap();
    let last_modified = HeaderValue::from_str(&httpdate::fmt_http_date(modified(version))).unwrap();
    let mut validators = HeaderMap::new();
    validators.insert(header::LAST_MODIFIED, last_modified);
    if !state.last_modified_only.load(Ordering::SeqCst) {
        validators.insert(header::ETAG, etag(version));
    }
    validators.insert(header::CACHE_CONTROL, cache);
    if not_modified(state, request, version) {
        state.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    let body = if chunked {
        Body::new(Chunks(
            body.chunks(16 * 1024).map(Bytes::copy_from_slice).collect(),
        ))
    } else {
        Body::from(body)
    };
    (StatusCode::OK, validators, body).into_response()
}

/// A body of ready chunks with no declared length (sent chunked).
struct Chunks(std::collections::VecDeque<Bytes>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

async fn keyring(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    state.keyring_requests.fetch_add(1, Ordering::SeqCst);
    if state.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let (published, chunked) = {
        let p = state.published.lock().unwrap();
        (p.keyring.clone(), p.keyring_chunked)
    };
    match published {
        Some((body, version)) => answer(&state, &headers, body, version, chunked),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Poll {
    after: Option<u64>,
    wait: Option<u64>,
}

async fn revocations(
    State(state): State<Arc<ServerState>>,
    Query(poll): Query<Poll>,
    headers: HeaderMap,
) -> Response {
    state.list_requests.fetch_add(1, Ordering::SeqCst);
    if state.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let current = || state.published.lock().unwrap().list.clone();
    let Some(after) = poll.after else {
        return match current() {
            Some((body, _, version)) => answer(&state, &headers, body, version, false),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    };
    let wait = Duration::from_secs(poll.wait.unwrap_or(25).min(55));
    let mut changed = state.list_changed.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match current() {
            Some((body, sequence, version)) if sequence > after => {
                return answer(&state, &HeaderMap::new(), body, version, false);
            }
            Some((_, _, version)) => {
                if tokio::time::timeout_at(deadline, changed.changed())
                    .await
                    .is_err()
                {
                    state.not_modified.fetch_add(1, Ordering::SeqCst);
                    return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag(version))])
                        .into_response();
                }
            }
            None => {
                if tokio::time::timeout_at(deadline, changed.changed())
                    .await
                    .is_err()
                {
                    return StatusCode::NOT_FOUND.into_response();
                }
            }
        }
    }
}
