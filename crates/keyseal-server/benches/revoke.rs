//! Revocations committed per second over HTTP: one client against 16 concurrent clients,
//! SQLite and PostgreSQL. Each `200` comes only after the revocation, the next list
//! sequence and the signed list that carries it are committed (SQLite: `synchronous=FULL`).
//! The publisher groups revocations that arrive together into one transaction and one list
//! publication; the server's own counters give revocations per publication.
//!
//! The keys to revoke are inserted straight into the store before each measurement, so only
//! the revocations are timed.
//!
//! `cargo bench -p keyseal-server --bench revoke`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use support::{Server, Store};

const CLIENTS: [usize; 2] = [1, 16];

/// Revokes `ids` from `clients` concurrent tasks; the wall time of all of them.
async fn revoke_all(
    client: &reqwest::Client,
    server: &Arc<Server>,
    admin: &Arc<str>,
    ids: Vec<String>,
    clients: usize,
) -> Duration {
    let per = ids.len().div_ceil(clients).max(1);
    let chunks: Vec<Vec<String>> = ids.chunks(per).map(<[String]>::to_vec).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (client, server, admin) = (client.clone(), Arc::clone(server), Arc::clone(admin));
        tasks.push(tokio::spawn(async move {
            for id in chunk {
                support::revoke(&client, &server, &admin, &id).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn revocations(c: &mut Criterion) {
    let rt = support::runtime();
    let client = support::client();
    for backend in support::backends() {
        let store = rt.block_on(Store::init(backend));
        let server = Arc::new(store.serve(&[]));
        let admin: Arc<str> = Arc::from(store.admin.as_str());
        let mut g = c.benchmark_group("revoke");
        g.throughput(Throughput::Elements(1));
        for clients in CLIENTS {
            // (revocations, publications) the server counted while this case ran.
            let counted = Mutex::new((0.0f64, 0.0f64));
            g.bench_with_input(
                BenchmarkId::new(backend.name(), format!("{clients}_clients")),
                &clients,
                |b, &clients| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let n = usize::try_from(iters).unwrap();
                            let ids = support::seed::app_keys(&store, n).await;
                            let before = support::metrics(&client, &server).await;
                            let took = revoke_all(&client, &server, &admin, ids, clients).await;
                            let after = support::metrics(&client, &server).await;
                            let mut counted = counted.lock().unwrap();
                            counted.0 += after.revocations - before.revocations;
                            counted.1 += after.publishes - before.publishes;
                            took
                        })
                    });
                },
            );
            let (revoked, published) = *counted.lock().unwrap();
            eprintln!(
                "revoke/{}/{clients}_clients: {revoked} revocations in {published} list publications ({:.2} per publication); load average {}",
                backend.name(),
                revoked / published.max(1.0),
                support::load_average()
            );
        }
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = revocations
}
criterion_main!(benches);
