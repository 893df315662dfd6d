//! Time to publish the list after one more revocation, with 10k, 100k and 1M entries already
//! stored: the wall time of one `POST /v1/keys/{id}/revoke` (its `200` waits for the commit
//! of the next signed list) and the server's own publish time from `/metrics`.
//!
//! Baseline in the same run: rebuilding the list from every stored row (read all entries,
//! build, sign), which is what the server avoids by building the next list from the last
//! one it holds in memory.
//!
//! The store is seeded directly (bulk inserts through sqlx and a list signed with the
//! service's key file), not through a million HTTP calls. Sizes: `KEYSEAL_BENCH_SIZES`
//! (comma-separated, default `10000,100000,1000000`).
//!
//! `cargo bench -p keyseal-server --bench publish`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss
)]

mod support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use keyseal::{Issuer, Prefix, RevocationListBuilder, SigningKey, Timestamp, TokenId};
use sqlx::Row;

use support::{Store, seed};

fn sizes() -> Vec<usize> {
    std::env::var("KEYSEAL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}

/// Reads every stored entry and builds and signs the list from them alone.
async fn rebuild_from_rows(store: &Store) -> usize {
    let mut conn = seed::connect(store).await;
    let signer = seed::active_key_id(&mut conn).await;
    let rows = sqlx::query("SELECT kind, subject, expires_at FROM revocation_entries")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let mut builder = RevocationListBuilder::new();
    for r in &rows {
        let subject: String = r.try_get("subject").unwrap();
        let expires: i64 = r.try_get("expires_at").unwrap();
        let id: TokenId = subject.parse().unwrap();
        builder.revoke_token(
            id,
            Timestamp::from_unix(u64::try_from(expires).unwrap()).unwrap(),
        );
    }
    let key = SigningKey::load_file(store.data.path().join("keys").join(format!("{signer}.pem")))
        .unwrap();
    let bytes = Issuer::new(Prefix::new(support::PREFIX).unwrap(), key)
        .sign_revocation_list(&builder, Timestamp::now())
        .unwrap();
    bytes.len()
}

fn publish(c: &mut Criterion) {
    let rt = support::runtime();
    let client = support::client();
    for backend in support::backends() {
        for n in sizes() {
            let store = rt.block_on(Store::init(backend));
            let seeded = rt.block_on(seed::revocations(&store, n));
            let started = Instant::now();
            let server = store.serve(&[]);
            let start_up = started.elapsed();
            let m = rt.block_on(support::metrics(&client, &server));
            eprintln!(
                "publish/{}/{n}: seeded in {seeded:.1?}; server start-up (check of the latest list against every row) {start_up:.1?}; list {} entries, {} bytes",
                backend.name(),
                m.list_entries,
                m.list_bytes
            );
            let mut g = c.benchmark_group(format!("publish/{}", backend.name()));
            g.sampling_mode(SamplingMode::Flat);
            let server_side = Mutex::new((0.0f64, 0.0f64));
            g.bench_with_input(BenchmarkId::new("one_more_revocation", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let ids = seed::app_keys(&store, usize::try_from(iters).unwrap()).await;
                        let before = support::metrics(&client, &server).await;
                        let mut took = Duration::ZERO;
                        for id in ids {
                            let started = Instant::now();
                            support::revoke(&client, &server, &store.admin, &id).await;
                            took += started.elapsed();
                        }
                        let after = support::metrics(&client, &server).await;
                        let mut s = server_side.lock().unwrap();
                        s.0 += after.publish_seconds_sum - before.publish_seconds_sum;
                        s.1 += after.publishes - before.publishes;
                        took
                    })
                });
            });
            let (seconds, publishes) = *server_side.lock().unwrap();
            let m = rt.block_on(support::metrics(&client, &server));
            eprintln!(
                "publish/{}/{n}: server-side publish time {:.1} ms mean over {publishes} publications; list now {} entries, {} bytes; load average {}",
                backend.name(),
                1000.0 * seconds / publishes.max(1.0),
                m.list_entries,
                m.list_bytes,
                support::load_average()
            );
            g.bench_with_input(BenchmarkId::new("rebuild_from_rows", n), &n, |b, _| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let started = Instant::now();
                        for _ in 0..iters {
                            rebuild_from_rows(&store).await;
                        }
                        started.elapsed()
                    })
                });
            });
            g.finish();
        }
    }
}

fn config() -> Criterion {
    // Few, single-iteration samples: one sample at 1M entries takes about a second.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = publish
}
criterion_main!(benches);
