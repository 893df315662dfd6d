//! Instruction counts per request of each benchmark case (benches/layer.rs), for a steady
//! comparison on a busy machine where wall-clock times wander. Run under callgrind, which
//! counts only inside `measure`:
//!
//! ```sh
//! cargo build --profile bench -p keyseal-edge --features axum --example layer_instructions
//! for case in no_layer keyseal_cached keyseal_uncached jwt_eddsa bare_verify_strict; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*layer_instructions::measure*' \
//!     target/release/examples/layer_instructions $case 2000 2>&1 | grep Collected
//! done
//! ```
//!
//! Divide by the count given (2000) for instructions per request. Without valgrind it
//! prints the case names. A name prefixed `loopback_` (`loopback_no_layer`, …) sends the
//! requests over HTTP/1.1 on 127.0.0.1 instead (client and server on one thread): its
//! count is user space only, the kernel's share of a loopback request is not in it, so
//! the layer's share it shows is an upper bound.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/fixture/mod.rs"]
mod fixture;

use std::hint::black_box;

use bytes::Bytes;
use fixture::{Case, Fixture, request, run};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tower::ServiceExt;

#[inline(never)]
fn measure(case: &Case, n: usize) {
    for _ in 0..n {
        let response = run(case.router.clone().oneshot(request(case.auth.as_deref())));
        black_box(response.unwrap());
    }
}

/// `n` bare `ed25519_dalek::VerifyingKey::verify_strict` calls on the bytes the key signs:
/// the baseline of the uncached cases.
#[inline(never)]
fn measure_bare_verify_strict(fixture: &Fixture, n: usize) {
    let (message, signature, public) =
        fixture::jwt::signed_message(&fixture.issuer, &fixture.signing, fixture.key.as_str());
    for _ in 0..n {
        public
            .verify_strict(black_box(&message), black_box(&signature))
            .unwrap();
    }
}

/// `n` requests over one connection (not counted by itself: its name does not match).
fn send_requests(
    runtime: &tokio::runtime::Runtime,
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    auth: &str,
    n: usize,
) {
    runtime.block_on(async {
        for _ in 0..n {
            let request = http::Request::get("/orders")
                .header("host", "127.0.0.1")
                .header("authorization", auth)
                .body(Empty::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            assert_eq!(response.status(), 200);
            black_box(response.into_body().collect().await.unwrap().to_bytes());
        }
    });
}

#[inline(never)]
fn measure_loopback(
    runtime: &tokio::runtime::Runtime,
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    auth: &str,
    n: usize,
) {
    send_requests(runtime, sender, auth, n);
}

fn loopback(fixture: &Fixture, case: &Case, n: usize) {
    let router = case.router.clone();
    let mut sender = fixture.runtime.block_on(async move {
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
    });
    let auth = case.auth.clone().unwrap_or_default();
    // Connection setup and the first request are not counted.
    send_requests(&fixture.runtime, &mut sender, &auth, 1);
    measure_loopback(&fixture.runtime, &mut sender, &auth, n);
}

fn main() {
    let fixture = Fixture::new();
    let cases = fixture.cases();
    let Some(name) = std::env::args().nth(1) else {
        for case in &cases {
            println!("{}", case.name);
        }
        println!("bare_verify_strict");
        return;
    };
    let n = std::env::args()
        .nth(2)
        .map_or(2000, |s| s.parse().expect("a request count"));
    if name == "bare_verify_strict" {
        measure_bare_verify_strict(&fixture, n);
        return;
    }
    let (over_loopback, wanted) = match name.strip_prefix("loopback_") {
        Some(rest) => (true, rest),
        None => (false, name.as_str()),
    };
    let case = cases
        .iter()
        .find(|c| c.name == wanted)
        .expect("a case name (run without arguments for the list)");
    if over_loopback {
        loopback(&fixture, case, n);
    } else {
        measure(case, n);
    }
}
