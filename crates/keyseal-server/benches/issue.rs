//! Issuing keys: over HTTP on loopback (a real `keyseal-server` process, one reused client;
//! each `201` comes after the key's record and audit row are committed) against the
//! in-process baseline, `Issuer::issue` (sign only, nothing stored). SQLite and PostgreSQL;
//! one client in flight, and 16.
//!
//! `cargo bench -p keyseal-server --bench issue`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyseal::{Issuer, NewKey, Prefix, SigningKey, Timestamp};

use support::{Server, Store};

const CLIENTS: [usize; 2] = [1, 16];

fn in_process(c: &mut Criterion) {
    let issuer = Issuer::new(
        Prefix::new(support::PREFIX).unwrap(),
        SigningKey::generate().unwrap(),
    );
    let expires = Timestamp::now().saturating_add(Duration::from_secs(86_400));
    let mut g = c.benchmark_group("issue");
    g.throughput(Throughput::Elements(1));
    g.bench_function("in_process", |b| {
        b.iter(|| {
            issuer
                .issue(
                    NewKey::for_app(support::APP)
                        .scopes(["orders:read"])
                        .expires_at(expires),
                )
                .unwrap()
        });
    });
    g.finish();
}

/// `iters` issues spread over `clients` concurrent tasks; the wall time of all of them.
async fn issue_many(
    client: &reqwest::Client,
    server: &Arc<Server>,
    admin: &Arc<str>,
    iters: u64,
    clients: usize,
) -> Duration {
    let per = iters.div_ceil(clients as u64);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..clients as u64 {
        let n = per.min(iters.saturating_sub(k * per));
        let (client, server, admin) = (client.clone(), Arc::clone(server), Arc::clone(admin));
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                support::issue(&client, &server, &admin).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn over_http(c: &mut Criterion) {
    let rt = support::runtime();
    let client = support::client();
    for backend in support::backends() {
        let store = rt.block_on(Store::init(backend));
        let server = Arc::new(store.serve(&[]));
        let admin: Arc<str> = Arc::from(store.admin.as_str());
        let mut g = c.benchmark_group("issue");
        g.throughput(Throughput::Elements(1));
        for clients in CLIENTS {
            g.bench_with_input(
                BenchmarkId::new(
                    format!("http_{}", backend.name()),
                    format!("{clients}_clients"),
                ),
                &clients,
                |b, &clients| {
                    b.iter_custom(|iters| {
                        rt.block_on(issue_many(&client, &server, &admin, iters, clients))
                    });
                },
            );
        }
        g.finish();
        eprintln!(
            "issue/{}: load average {}",
            backend.name(),
            support::load_average()
        );
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = in_process, over_http
}
criterion_main!(benches);
