//! An axum API protected by keyseal, reading its keyring and revocation list from URLs.
//!
//! `cargo run -p keyseal-edge --features axum --example axum_api`
//!
//! With no arguments it makes a throwaway signing key, publishes the keyring document and
//! an empty revocation list from a small publisher on 127.0.0.1 (the keyseal-server
//! protocol), starts the API behind `keyseal-edge` reading them over HTTP, issues a key,
//! and calls the API: accepted, refused for a missing scope, then refused once the key is
//! revoked. It exits when done.
//!
//! Against a real keyseal-server, give the two URLs and the prefix; the API then serves on
//! 127.0.0.1:3000 until interrupted:
//! `cargo run -p keyseal-edge --features axum --example axum_api -- PREFIX KEYRING_URL LIST_URL`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use keyseal::{
    Issuer, KeyState, Keyring, NewKey, Prefix, RevocationList, RevocationListBuilder, SigningKey,
    Timestamp,
};
use keyseal_edge::{AuthenticatedKey, Edge, EdgeConfig, RequireScope, Source};

type Published = Arc<Mutex<(String, Vec<u8>)>>;

/// The API: a read route, a write route needing `orders:write`, and a health route.
fn api(edge: &Edge) -> Result<Router, keyseal_edge::EdgeError> {
    let health_edge = edge.clone();
    let write = Router::new()
        .route(
            "/orders",
            axum::routing::post(|key: AuthenticatedKey| async move {
                format!("order created for {}\n", key.app_id())
            }),
        )
        .layer(RequireScope::all_of(["orders:write"])?);
    let protected = Router::new()
        .route(
            "/orders",
            get(|key: AuthenticatedKey| async move {
                format!("orders of {} (token {})\n", key.app_id(), key.token_id())
            }),
        )
        .merge(write)
        .layer(edge.layer());
    Ok(Router::new()
        .route(
            "/health",
            get(move || {
                let status = health_edge.status();
                let code = if status.ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                async move { (code, axum::Json(status.to_json())) }
            }),
        )
        .merge(protected))
}

/// A minimal publisher for the demo: the keyring document and the current list.
async fn publisher(published: Published) -> std::io::Result<String> {
    async fn keyring(State(p): State<Published>) -> impl IntoResponse {
        let json = p.lock().map(|p| p.0.clone()).unwrap_or_default();
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "max-age=1"),
            ],
            json,
        )
    }
    async fn list(State(p): State<Published>) -> impl IntoResponse {
        let bytes = p.lock().map(|p| p.1.clone()).unwrap_or_default();
        (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "max-age=1"),
            ],
            bytes,
        )
    }
    let app = Router::new()
        .route("/v1/keyring.json", get(keyring))
        .route("/v1/revocations.bin", get(list))
        .with_state(published);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

async fn serve(
    edge: Edge,
    listen: &str,
) -> Result<(String, tokio::task::JoinHandle<()>), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = api(&edge)?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, task))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [prefix, keyring_url, list_url] = args.as_slice() {
        let config = EdgeConfig::new(
            Prefix::new(prefix.as_str())?,
            Source::url(keyring_url.as_str()),
        )
        .revocations(Source::url(list_url.as_str()));
        let edge = Edge::start(config)?;
        tokio::time::timeout(Duration::from_secs(30), edge.ready()).await?;
        let (base, task) = serve(edge, "127.0.0.1:3000").await?;
        println!("API on {base}; try: curl -H 'Authorization: Bearer <key>' {base}/orders");
        task.await?;
        return Ok(());
    }

    // Signing service side: a throwaway key, its keyring document, an empty list.
    let prefix = Prefix::new("demo_live")?;
    let issuer = Issuer::new(prefix.clone(), SigningKey::generate()?);
    let mut keyring = Keyring::new();
    keyring.add(issuer.public_key(), KeyState::Active)?;
    let first = issuer.sign_revocation_list(&RevocationListBuilder::new(), Timestamp::now())?;
    let published: Published = Arc::new(Mutex::new((keyring.to_json(), first.clone())));
    let base = publisher(Arc::clone(&published)).await?;

    // The edge: reads both documents over HTTP, polls every second.
    let config = EdgeConfig::new(
        prefix.clone(),
        Source::url(format!("{base}/v1/keyring.json")),
    )
    .revocations(Source::url(format!("{base}/v1/revocations.bin")))
    .intervals(
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(5),
    );
    let edge = Edge::start(config)?;
    tokio::time::timeout(Duration::from_secs(10), edge.ready()).await?;
    let (api_base, _task) = serve(edge.clone(), "127.0.0.1:0").await?;
    println!("publisher on {base}, API on {api_base}");

    let key = issuer.issue(
        NewKey::for_app("app_demo")
            .scope("orders:read")
            .expires_in(Duration::from_secs(3600)),
    )?;
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, auth: Option<String>| {
        let mut request = client.request(method, format!("{api_base}/orders"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move {
            let response = request.send().await?;
            let status = response.status();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>(format!("{status} {}", text.trim()))
        }
    };
    let bearer = format!("Bearer {}", key.as_str());
    println!(
        "GET  /orders without a key  -> {}",
        call(reqwest::Method::GET, None).await?
    );
    println!(
        "GET  /orders with the key   -> {}",
        call(reqwest::Method::GET, Some(bearer.clone())).await?
    );
    println!(
        "POST /orders (needs write)  -> {}",
        call(reqwest::Method::POST, Some(bearer.clone())).await?
    );

    // The key leaks: the signing service publishes a list revoking it.
    let current = RevocationList::verify(&first, &prefix, &keyring, Timestamp::now())?;
    let mut next = RevocationListBuilder::from_previous(&current);
    next.revoke_claims(key.claims());
    let second = issuer.sign_revocation_list(&next, Timestamp::now())?;
    if let Ok(mut p) = published.lock() {
        p.1 = second;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while edge.status().list_sequence != Some(2) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "GET  /orders after revoking -> {}",
        call(reqwest::Method::GET, Some(bearer)).await?
    );
    let health = client
        .get(format!("{api_base}/health"))
        .send()
        .await?
        .text()
        .await?;
    println!("GET  /health                -> {health}");
    Ok(())
}
