//! For the leak tests: a P-256 key pair standing in for GitHub's, a local server for its
//! public keys document that counts fetches, signed reports, and an owner-webhook receiver.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use base64ct::{Base64, Encoding};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};

/// A fixed test key (`seed` repeated is a valid P-256 scalar for small seeds).
pub fn github_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// The base64 DER signature over `body`.
pub fn sign(key: &SigningKey, body: &[u8]) -> String {
    let sig: Signature = key.sign(body);
    Base64::encode_string(sig.to_der().as_bytes())
}

/// GitHub's public keys document listing `keys`.
pub fn keys_document(keys: &[(&str, &SigningKey)]) -> String {
    let entries: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, (id, k))| {
            serde_json::json!({
                "key_identifier": id,
                "key": k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                "is_current": i == 0,
            })
        })
        .collect();
    serde_json::json!({ "public_keys": entries }).to_string()
}

/// The stand-in for api.github.com: `/keys` serves the current document and counts
/// fetches; `/down` always answers 503.
pub struct KeysServer {
    pub url: String,
    pub down_url: String,
    pub document: Arc<Mutex<String>>,
    fetches: Arc<AtomicU64>,
}

impl KeysServer {
    pub async fn start(document: String) -> KeysServer {
        let document = Arc::new(Mutex::new(document));
        let fetches = Arc::new(AtomicU64::new(0));
        let (doc, hits) = (Arc::clone(&document), Arc::clone(&fetches));
        let app = Router::new()
            .route(
                "/keys",
                get(move || {
                    let doc = doc.lock().unwrap().clone();
                    hits.fetch_add(1, Ordering::SeqCst);
                    async move { ([("content-type", "application/json")], doc) }
                }),
            )
            .route(
                "/down",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
            );
        let addr = serve(app).await;
        KeysServer {
            url: format!("http://{addr}/keys"),
            down_url: format!("http://{addr}/down"),
            document,
            fetches,
        }
    }

    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A webhook call's signature header (if any) and raw body.
pub type SignedCall = (Option<String>, String);

/// The owner's webhook receiver. While `failing`, it answers 500; the very first call also
/// waits `first_delay` before answering. Records every body it receives and whether it
/// answered 200.
pub struct Receiver {
    pub url: String,
    pub failing: Arc<std::sync::atomic::AtomicBool>,
    pub calls: Arc<AtomicUsize>,
    pub delivered: Arc<Mutex<Vec<serde_json::Value>>>,
    pub received: Arc<Mutex<Vec<serde_json::Value>>>,
    /// (`X-Keyseal-Signature`, raw body) of each call.
    pub signed: Arc<Mutex<Vec<SignedCall>>>,
}

impl Receiver {
    pub async fn start(first_delay: Duration) -> Receiver {
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let calls = Arc::new(AtomicUsize::new(0));
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let signed = Arc::new(Mutex::new(Vec::new()));
        let (f, c, d, r, sg) = (
            Arc::clone(&failing),
            Arc::clone(&calls),
            Arc::clone(&delivered),
            Arc::clone(&received),
            Arc::clone(&signed),
        );
        let app = Router::new().route(
            "/hook",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let (f, c, d, r) = (f.clone(), c.clone(), d.clone(), r.clone());
                let sig = headers
                    .get("x-keyseal-signature")
                    .map(|v| v.to_str().unwrap().to_owned());
                sg.lock().unwrap().push((sig, body.clone()));
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst);
                    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
                    r.lock().unwrap().push(value.clone());
                    if n == 0 {
                        tokio::time::sleep(first_delay).await;
                    }
                    if f.load(Ordering::SeqCst) {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    d.lock().unwrap().push(value);
                    StatusCode::OK
                }
            }),
        );
        let addr = serve(app).await;
        Receiver {
            url: format!("http://{addr}/hook"),
            failing,
            calls,
            delivered,
            received,
            signed,
        }
    }
}

/// Waits (bounded) until `done` holds; panics with `what` after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A report entry as GitHub sends it.
pub fn entry(token: &str, url: &str) -> serde_json::Value {
    serde_json::json!({
        "token": token,
        "type": "keyseal_acme_live_api_key",
        "url": url,
        "source": "content",
    })
}

/// POSTs `body` to `/v1/leaks/github` with the given headers (None leaves one out).
pub async fn post_report(
    c: &reqwest::Client,
    url: &str,
    key_id: Option<&str>,
    signature: Option<&str>,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let mut r = c
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(id) = key_id {
        r = r.header("Github-Public-Key-Identifier", id);
    }
    if let Some(sig) = signature {
        r = r.header("Github-Public-Key-Signature", sig);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    if status >= 400 {
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{status}"
        );
    }
    let bytes = resp.bytes().await.unwrap();
    crate::common::schema::check_response(
        &crate::common::schema::openapi(),
        "post",
        "/v1/leaks/github",
        status,
        &bytes,
    );
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Signs `body` with `key` under `key_id` and posts it.
pub async fn post_signed(
    c: &reqwest::Client,
    url: &str,
    key_id: &str,
    key: &SigningKey,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let sig = sign(key, body);
    post_report(c, url, Some(key_id), Some(&sig), body.to_vec()).await
}
