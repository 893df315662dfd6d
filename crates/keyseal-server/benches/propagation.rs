//! Revocation propagation: the time from a revoke's `200` until 50 edges on loopback (the
//! real `keyseal-edge` refresher, 50 `Edge`s in this process, each with its own client)
//! all refuse the key as revoked. Long poll (`Source::long_poll`, the server holds
//! `?after=N` until a newer list is committed) against plain polling (`Source::url` every
//! second, the server's `Cache-Control: max-age=1`). p50 and p99 of every revocation
//! measured are printed at the end of each case: 11 revocations per case (criterion's 10
//! one-revocation samples and its warm-up), so p99 is the slowest of them.
//!
//! `cargo bench -p keyseal-server --bench propagation`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use keyseal::Prefix;
use keyseal_edge::{Edge, EdgeConfig, Refusal, Source};

use support::{Backend, Server, Store};

const EDGES: usize = 50;
/// The plain-polling interval (and the server's `max-age`).
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Longest wait for all edges to refuse one key.
const BOUND: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy)]
enum Mode {
    LongPoll,
    Polling,
}

fn edges(server: &Server, mode: Mode) -> Vec<Edge> {
    (0..EDGES)
        .map(|_| {
            let list = match mode {
                Mode::LongPoll => Source::long_poll(server.url("/v1/revocations.bin")),
                Mode::Polling => Source::url(server.url("/v1/revocations.bin")),
            };
            Edge::start(
                EdgeConfig::new(
                    Prefix::new(support::PREFIX).unwrap(),
                    Source::url(server.url("/v1/keyring.json")),
                )
                .revocations(list)
                .intervals(POLL_EVERY, POLL_EVERY, POLL_EVERY)
                .long_poll_wait(Duration::from_secs(20)),
            )
            .unwrap()
        })
        .collect()
}

fn revoked(edge: &Edge, key: &str) -> bool {
    matches!(edge.verify(key), Err(Refusal::Key(e)) if e.code() == "revoked")
}

/// Issues a key, waits until every edge accepts it, revokes it, and returns the time from
/// the `200` until every edge refuses it.
async fn one(client: &reqwest::Client, server: &Server, admin: &str, edges: &[Edge]) -> Duration {
    let (id, key) = support::issue(client, server, admin).await;
    let deadline = Instant::now() + BOUND;
    while !edges.iter().all(|e| e.verify(&key).is_ok()) {
        assert!(
            Instant::now() < deadline,
            "the edges never accepted a fresh key"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    support::revoke(client, server, admin, &id).await;
    let acknowledged = Instant::now();
    let mut pending: Vec<&Edge> = edges.iter().collect();
    loop {
        pending.retain(|e| !revoked(e, &key));
        if pending.is_empty() {
            return acknowledged.elapsed();
        }
        assert!(
            acknowledged.elapsed() < BOUND,
            "{} edges still accept a revoked key after {BOUND:?}",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn propagation(c: &mut Criterion) {
    let rt = support::runtime();
    let client = support::client();
    let store = rt.block_on(Store::init(Backend::Sqlite));
    let server = store.serve(&["--max-age", "1s"]);
    let mut g = c.benchmark_group("propagation_50_edges");
    g.sampling_mode(SamplingMode::Flat);
    for (mode, name) in [(Mode::LongPoll, "long_poll"), (Mode::Polling, "polling_1s")] {
        let _guard = rt.enter();
        let edges = edges(&server, mode);
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), async {
                for e in &edges {
                    e.ready().await;
                }
            })
            .await
            .expect("the edges were not ready within 30 s");
        });
        let samples = Mutex::new(Vec::new());
        g.bench_function(BenchmarkId::new("revoke_to_all_refuse", name), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let took = one(&client, &server, &store.admin, &edges).await;
                        samples.lock().unwrap().push(took);
                        total += took;
                    }
                    total
                })
            });
        });
        let samples = samples.into_inner().unwrap();
        eprintln!(
            "propagation/{name}: {} revocations, p50 {:.1?}, p99 {:.1?}, max {:.1?}; load average {}",
            samples.len(),
            support::percentile(&samples, 50.0),
            support::percentile(&samples, 99.0),
            support::percentile(&samples, 100.0),
            support::load_average()
        );
        drop(edges);
    }
    g.finish();
}

fn config() -> Criterion {
    // Flat sampling with a tiny target: one revocation per sample, 10 samples plus warm-up.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = propagation
}
criterion_main!(benches);
