//! Per-request cost of the keyseal layer on an axum handler, driven in-process with tower
//! `oneshot` (no network): against the same handler without a layer, against one bare
//! Ed25519 `verify_strict`, and against a minimal JWT EdDSA layer (jsonwebtoken) written
//! the same way on the same handler and claims.
//!
//! `cargo bench -p keyseal-edge --features axum --bench layer`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod jwt;

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use keyseal::{IssuedKey, Issuer, KeyState, Keyring, NewKey, Prefix, SaveMode, SigningKey};
use keyseal_edge::{AuthenticatedKey, Edge, EdgeConfig, Source};
use tower::ServiceExt;

/// Drives a future that completes without waiting (everything here does) on this thread.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn handler_router() -> Router {
    Router::new().route("/orders", get(|| async { "ok" }))
}

fn protected(edge: &Edge) -> Router {
    Router::new()
        .route(
            "/orders",
            get(|key: AuthenticatedKey| async move {
                black_box(key);
                "ok"
            }),
        )
        .layer(edge.layer())
}

fn request(auth: Option<&str>) -> Request<Body> {
    let mut r = Request::get("/orders");
    if let Some(auth) = auth {
        r = r.header("authorization", auth);
    }
    r.body(Body::empty()).unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
    cached: Edge,
    uncached: Edge,
    key: IssuedKey,
    issuer: Issuer,
    signing: SigningKey,
}

fn setup() -> Setup {
    let prefix = Prefix::new("acme_live").unwrap();
    let signing = SigningKey::generate().unwrap();
    let issuer = Issuer::new(
        prefix.clone(),
        SigningKey::from_seed(&signing.to_seed()).unwrap(),
    );
    let mut keyring = Keyring::new();
    keyring.add(issuer.public_key(), KeyState::Active).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.json");
    keyring.save_json_file(&path, SaveMode::CreateNew).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let start = |capacity| {
        runtime.block_on(async {
            let edge = Edge::start(
                EdgeConfig::new(prefix.clone(), Source::file(&path)).cache_capacity(capacity),
            )
            .unwrap();
            tokio::time::timeout(Duration::from_secs(10), edge.ready())
                .await
                .unwrap();
            edge
        })
    };
    let (cached, uncached) = (start(10_000), start(0));
    let key = issuer
        .issue(
            NewKey::for_app("app_7f3k9x2m")
                .scopes(["orders:read", "orders:write"])
                .expires_in(Duration::from_secs(86_400)),
        )
        .unwrap();
    Setup {
        _dir: dir,
        _runtime: runtime,
        cached,
        uncached,
        key,
        issuer,
        signing,
    }
}

fn layer_overhead(c: &mut Criterion) {
    let s = setup();
    let bearer = format!("Bearer {}", s.key.as_str());
    let bare = handler_router();
    let cached = protected(&s.cached);
    let uncached = protected(&s.uncached);
    let jwt = jwt::Fixture::new(&s.signing, s.key.claims());
    let jwt_router = jwt.router();
    let jwt_bearer = format!("Bearer {}", jwt.token);
    // The same request through each router must succeed before anything is measured.
    for (router, auth) in [
        (&bare, None),
        (&cached, Some(&bearer)),
        (&uncached, Some(&bearer)),
        (&jwt_router, Some(&jwt_bearer)),
    ] {
        let response = run(router.clone().oneshot(request(auth.map(String::as_str)))).unwrap();
        assert_eq!(response.status(), 200);
    }
    let (message, signature, public) = jwt::signed_message(&s.issuer, &s.signing, s.key.as_str());

    let mut g = c.benchmark_group("layer");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    g.bench_function("no_layer", |b| {
        b.iter(|| run(bare.clone().oneshot(request(None))))
    });
    g.bench_function("keyseal_cached", |b| {
        b.iter(|| run(cached.clone().oneshot(request(Some(&bearer)))))
    });
    g.bench_function("keyseal_uncached", |b| {
        b.iter(|| run(uncached.clone().oneshot(request(Some(&bearer)))))
    });
    g.bench_function("jwt_eddsa", |b| {
        b.iter(|| run(jwt_router.clone().oneshot(request(Some(&jwt_bearer)))))
    });
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| {
            public
                .verify_strict(black_box(&message), black_box(&signature))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, layer_overhead);
criterion_main!(benches);
