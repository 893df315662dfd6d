//! Two replicas on one PostgreSQL database, sharing the signing key files, with clients
//! revoking concurrently on both: every sequence number is published once (the same bytes
//! from either replica), each published list holds every token of the one before, and no
//! acknowledged revocation is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Server, client, data_dir, init, lists};
use sqlx::{Connection, Row};

const CLIENTS_PER_REPLICA: usize = 4;
const KEYS: usize = 160;

/// Lists one replica served, by sequence.
type Observed = Arc<Mutex<BTreeMap<u64, Vec<u8>>>>;

/// Follows one replica's list with the long poll, as an edge does, checking that every
/// list it serves verifies, is newer than the last and holds every token of the last.
async fn observe(
    c: reqwest::Client,
    base: String,
    ring: keyseal::Keyring,
    seen: Observed,
    stop: Arc<AtomicBool>,
) {
    let mut last: Option<lists::Fetched> = None;
    while !stop.load(Ordering::Relaxed) {
        let after = last.as_ref().map_or(0, |l| l.seq);
        let r = c
            .get(format!("{base}/v1/revocations.bin?after={after}&wait=1"))
            .send()
            .await
            .unwrap();
        if r.status() == 304 {
            continue;
        }
        assert_eq!(r.status(), 200);
        let list = lists::verify(&r.bytes().await.unwrap(), &ring);
        if let Some(prev) = &last {
            assert!(
                list.seq > prev.seq,
                "a long poll after {} answered {}",
                prev.seq,
                list.seq
            );
            assert!(
                list.tokens.is_superset(&prev.tokens),
                "list {} lacks tokens of list {}",
                list.seq,
                prev.seq
            );
        }
        let mut seen = seen.lock().unwrap();
        if let Some(bytes) = seen.get(&list.seq) {
            assert_eq!(
                bytes, &list.bytes,
                "one replica served two lists under {}",
                list.seq
            );
        }
        seen.insert(list.seq, list.bytes.clone());
        drop(seen);
        last = Some(list);
    }
}

/// Revokes keys from the shared pool through one replica until the pool is empty.
async fn revoke_all(
    c: reqwest::Client,
    base: String,
    admin: String,
    pool: Arc<Mutex<Vec<String>>>,
    acked: Arc<Mutex<Vec<(String, u64)>>>,
) {
    loop {
        let Some(tid) = pool.lock().unwrap().pop() else {
            return;
        };
        let r = c
            .post(format!("{base}/v1/keys/{tid}/revoke"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"reason": "replicas"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        acked
            .lock()
            .unwrap()
            .push((tid, v["sequence"].as_u64().unwrap()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_publish_one_list_per_sequence() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let started = Instant::now();
    let db = common::fresh_postgres_database(&url).await;
    let dir = data_dir();
    let admin = init(dir.path(), Some(&db));
    // Same database, same key files (one data directory), two processes.
    let a = Server::start(dir.path(), Some(&db), &[]);
    let b = Server::start(dir.path(), Some(&db), &[]);
    let c = client();
    let ring = lists::keyring(&c, &a).await;
    assert_eq!(ring.to_json(), lists::keyring(&c, &b).await.to_json());

    let pool = Arc::new(Mutex::new(Vec::new()));
    for i in 0..KEYS {
        let s = if i % 2 == 0 { &a } else { &b };
        let (tid, _) = common::issue(&c, s, &admin, "app_replicas", 3600).await;
        pool.lock().unwrap().push(tid);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let observed: Vec<Observed> = vec![Arc::default(), Arc::default()];
    let observers: Vec<_> = [&a, &b]
        .iter()
        .zip(&observed)
        .map(|(s, seen)| {
            tokio::spawn(observe(
                c.clone(),
                s.url(""),
                ring.clone(),
                Arc::clone(seen),
                Arc::clone(&stop),
            ))
        })
        .collect();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..2 * CLIENTS_PER_REPLICA)
        .map(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            tokio::spawn(revoke_all(
                c.clone(),
                s.url(""),
                admin.clone(),
                Arc::clone(&pool),
                Arc::clone(&acked),
            ))
        })
        .collect();
    for t in clients {
        tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("revocations done within 60 s")
            .unwrap();
    }

    // Both replicas catch up with the store's latest list.
    let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
    let counter: i64 = sqlx::query("SELECT seq FROM revocation_counter")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    let counter = u64::try_from(counter).unwrap();
    for s in [&a, &b] {
        common::eventually(
            Duration::from_secs(5),
            "a replica serves the latest list",
            || {
                let c = c.clone();
                let url = s.url("/v1/revocations.bin");
                async move {
                    let r = c.get(url).send().await.unwrap();
                    r.headers()["etag"].to_str().unwrap() == format!("\"{counter}\"")
                }
            },
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for t in observers {
        tokio::time::timeout(Duration::from_secs(5), t)
            .await
            .expect("observers stop")
            .expect("observers saw only newer, superset lists");
    }

    // The store: exactly one list per sequence 1..=counter, each a superset of the one before.
    let rows = sqlx::query("SELECT seq, bytes FROM revocation_lists ORDER BY seq")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let stored: BTreeMap<u64, Vec<u8>> = rows
        .iter()
        .map(|r| {
            (
                u64::try_from(r.get::<i64, _>(0)).unwrap(),
                r.get::<Vec<u8>, _>(1),
            )
        })
        .collect();
    assert_eq!(stored.len(), rows.len());
    assert_eq!(
        stored.keys().copied().collect::<Vec<_>>(),
        (1..=counter).collect::<Vec<_>>(),
        "every allocated sequence has exactly one stored list"
    );
    let mut previous: Option<lists::Fetched> = None;
    let mut by_seq = BTreeMap::new();
    for (seq, bytes) in &stored {
        let list = lists::verify(bytes, &ring);
        assert_eq!(
            list.seq, *seq,
            "the list stored under {seq} carries its sequence"
        );
        if let Some(prev) = &previous {
            assert!(
                list.tokens.is_superset(&prev.tokens),
                "list {seq} lacks tokens of {}",
                prev.seq
            );
        }
        by_seq.insert(*seq, list.clone());
        previous = Some(list);
    }
    // What each replica served is what the store holds under that sequence.
    let mut served_by_both = 0;
    for seq in stored.keys() {
        let from: Vec<_> = observed
            .iter()
            .filter_map(|o| o.lock().unwrap().get(seq).cloned())
            .collect();
        for bytes in &from {
            assert_eq!(
                bytes, &stored[seq],
                "a replica served other bytes under {seq}"
            );
        }
        if from.len() == 2 {
            served_by_both += 1;
        }
    }
    // No acknowledged revocation is missing: from the list its 200 named, and every later one.
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), KEYS);
    for (tid, seq) in &acked {
        assert!(
            by_seq[seq].tokens.contains(tid),
            "{tid} missing from the list {seq} its 200 named"
        );
        assert!(by_seq[&counter].tokens.contains(tid));
    }
    let per_replica: Vec<usize> = observed.iter().map(|o| o.lock().unwrap().len()).collect();
    eprintln!(
        "two replicas: {} acknowledged revocations, {counter} sequences, each stored once; lists observed per replica {per_replica:?}, {served_by_both} seen from both with equal bytes; {:?}",
        acked.len(),
        started.elapsed()
    );
    assert!(counter >= 2, "the revocations published more than one list");
    assert!(started.elapsed() < Duration::from_secs(90));
}
