//! Per-request cost of the keyseal layer on an axum handler returning a short body.
//!
//! - `layer/*`: driven in-process with tower `oneshot` (no network, no HTTP parsing), the
//!   harshest baseline: the whole unauthenticated request is about a microsecond. Against
//!   the same handler without a layer (with and without the `Authorization` header),
//!   against one bare Ed25519 `verify_strict`, and against a minimal JWT EdDSA layer
//!   (jsonwebtoken) written the same way on the same handler and claims, uncached and with
//!   the same cache crate.
//! - `loopback/*`: the same routers served by `axum::serve` on 127.0.0.1, one keep-alive
//!   HTTP/1.1 connection from a hyper client, client and server on one thread.
//!
//! `cargo bench -p keyseal-edge --features axum --bench layer`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod fixture;

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use fixture::{Fixture, request, run};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tower::ServiceExt;

fn in_process(c: &mut Criterion, f: &Fixture) {
    let cases = f.cases();
    let (message, signature, public) =
        fixture::jwt::signed_message(&f.issuer, &f.signing, f.key.as_str());
    let mut g = c.benchmark_group("layer");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for case in &cases {
        g.bench_function(case.name, |b| {
            b.iter(|| run(case.router.clone().oneshot(request(case.auth.as_deref()))))
        });
    }
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| {
            public
                .verify_strict(black_box(&message), black_box(&signature))
                .unwrap()
        })
    });
    g.finish();
}

/// Serves `router` on 127.0.0.1 and opens one HTTP/1.1 connection to it.
fn connect(f: &Fixture, router: axum::Router) -> SendRequest<Empty<Bytes>> {
    f.runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender
    })
}

fn loopback(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("loopback");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    let wanted = [
        "no_layer",
        "keyseal_cached",
        "keyseal_uncached",
        "jwt_eddsa_cached",
    ];
    for case in f.cases().into_iter().filter(|c| wanted.contains(&c.name)) {
        let mut sender = connect(f, case.router.clone());
        let auth = case.auth.clone().unwrap();
        g.bench_function(case.name, |b| {
            b.iter(|| {
                f.runtime.block_on(async {
                    let request = http::Request::get("/orders")
                        .header("host", "127.0.0.1")
                        .header("authorization", &auth)
                        .body(Empty::new())
                        .unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    assert_eq!(response.status(), 200);
                    black_box(response.into_body().collect().await.unwrap().to_bytes())
                })
            })
        });
    }
    g.finish();
}

fn layer_overhead(c: &mut Criterion) {
    let fixture = Fixture::new();
    in_process(c, &fixture);
    loopback(c, &fixture);
}

criterion_group!(benches, layer_overhead);
criterion_main!(benches);
