//! Crash safety on SQLite: clients revoke keys as fast as they can while the server process
//! is killed with SIGKILL at random points, several times. After each kill the store passes
//! `PRAGMA integrity_check` and agrees with itself; after each restart the service's own
//! start-up check finds the latest list complete, every revocation that got a `200` is in
//! the published list (verified as an edge would), and the sequence never went down.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Rng, Server, data_dir, init, issue, lists};
use sqlx::{Connection, Row};

const KILLS: u32 = 5;
const CLIENTS: usize = 6;
const POOL: usize = 150;
const STARTUP_OK: &str = "start-up check: the latest list holds every committed entry";
const STARTUP_BAD: &str = "lacks committed entries";

/// What the clients saw: acknowledged revocations (token id → the sequence in the 200).
#[derive(Default)]
struct Seen {
    acked: Mutex<BTreeMap<String, u64>>,
    failed: AtomicU64,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// One client: revoke keys from the pool (or issue one to revoke when it is empty) until
/// told to stop. A request cut by the kill is a failure, not an acknowledgement.
async fn revoke_loop(
    c: reqwest::Client,
    base: String,
    admin: String,
    pool: Arc<Mutex<Vec<String>>>,
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let next = pool.lock().unwrap().pop();
        let tid = match next {
            Some(tid) => tid,
            None => {
                let r = c
                    .post(format!("{base}/v1/keys"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({"app_id": "app_crash", "scopes": ["orders:read"], "lifetime_seconds": 3600}))
                    .send()
                    .await;
                let Ok(r) = r else {
                    seen.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    seen.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let Some(tid) = v["token_id"].as_str() else {
                    continue;
                };
                tid.to_owned()
            }
        };
        let r = c
            .post(format!("{base}/v1/keys/{tid}/revoke"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"reason": "crash test"}))
            .send()
            .await;
        let acked = match r {
            Ok(r) if r.status() == 200 => r.json::<serde_json::Value>().await.ok(),
            Ok(r) => {
                // Anything but 200 or a cut connection is a server defect.
                panic!("revoke answered {}", r.status());
            }
            Err(_) => None,
        };
        match acked.and_then(|v| v["sequence"].as_u64()) {
            Some(seq) => {
                seen.acked.lock().unwrap().insert(tid, seq);
            }
            None => {
                seen.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Offline checks of the store the kill left behind, before anything reopens it.
async fn check_store(data: &Path, acked: &BTreeMap<String, u64>) -> u64 {
    assert_eq!(common::sqlite_integrity(data).await, "ok");
    let url = format!("sqlite://{}", data.join("keyseal.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let counter: i64 = sqlx::query("SELECT seq FROM revocation_counter")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    let latest: i64 = sqlx::query("SELECT MAX(seq) FROM revocation_lists")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    // A sequence is allocated in the transaction that stores its list: never one without
    // the other.
    assert_eq!(
        counter, latest,
        "the counter and the latest stored list agree"
    );
    let rows = sqlx::query(
        "SELECT e.subject, e.seq, k.revoked_at FROM revocation_entries e
         LEFT JOIN keys k ON k.token_id = e.subject WHERE e.kind = 'token'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut entries = BTreeMap::new();
    for row in rows {
        let subject: String = row.get(0);
        let seq: i64 = row.get(1);
        let revoked_at: Option<i64> = row.get(2);
        assert!(revoked_at.is_some(), "an entry's key is marked revoked");
        entries.insert(subject, seq);
    }
    for (tid, seq) in acked {
        let stored = entries
            .get(tid)
            .unwrap_or_else(|| panic!("acknowledged revocation {tid} is not in the store"));
        assert!(
            *stored <= i64::try_from(*seq).unwrap(),
            "{tid} was first published by the sequence its 200 named, or earlier"
        );
    }
    conn.close().await.unwrap();
    u64::try_from(counter).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_revocations_survive_sigkill_at_random_points() {
    let started = Instant::now();
    let mut rng = Rng::from_env_or_time("crash");
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let mut s = Server::start_logging(dir.path(), None, &[], "info");
    let c = client();

    // A pool of keys to revoke, issued concurrently.
    let pool = Arc::new(Mutex::new(Vec::new()));
    let mut issuing = Vec::new();
    for _ in 0..CLIENTS {
        let (c, s_url, admin, pool) = (c.clone(), s.url(""), admin.clone(), Arc::clone(&pool));
        issuing.push(tokio::spawn(async move {
            for _ in 0..POOL / CLIENTS {
                let r = c
                    .post(format!("{s_url}/v1/keys"))
                    .bearer_auth(&admin)
                    .json(&serde_json::json!({"app_id": "app_crash", "scopes": ["orders:read"], "lifetime_seconds": 3600}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let v: serde_json::Value = r.json().await.unwrap();
                pool.lock().unwrap().push(v["token_id"].as_str().unwrap().to_owned());
            }
        }));
    }
    for t in issuing {
        t.await.unwrap();
    }
    // One revocation before the first kill, so even the first restart has something to keep.
    let (first, _) = issue(&c, &s, &admin, "app_crash", 3600).await;
    let (status, v) = common::post(
        &c,
        &s,
        &admin,
        &format!("/v1/keys/{first}/revoke"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let seen = Arc::new(Seen::default());
    seen.acked
        .lock()
        .unwrap()
        .insert(first, v["sequence"].as_u64().unwrap());

    let mut highest = lists::current(&c, &s).await.seq;
    let mut kills = 0;
    for round in 0..KILLS {
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                tokio::spawn(revoke_loop(
                    c.clone(),
                    s.url(""),
                    admin.clone(),
                    Arc::clone(&pool),
                    Arc::clone(&seen),
                    Arc::clone(&stop),
                ))
            })
            .collect();
        let after = Duration::from_millis(rng.range(100, 600));
        tokio::time::sleep(after).await;
        s.kill();
        kills += 1;
        stop.store(true, Ordering::Relaxed);
        for t in clients {
            tokio::time::timeout(Duration::from_secs(10), t)
                .await
                .expect("clients stop within 10 s of the kill")
                .expect("no client saw an answer other than 200 or a cut connection");
        }
        let acked = seen.acked.lock().unwrap().clone();
        let stored_seq = check_store(dir.path(), &acked).await;
        assert!(stored_seq >= highest, "the stored sequence never goes down");

        s = Server::start_logging(dir.path(), None, &[], "info");
        assert!(
            s.wait_logged(STARTUP_OK, Duration::from_secs(10)),
            "round {round}: the start-up check did not report a complete list"
        );
        assert!(
            !s.logged(STARTUP_BAD),
            "round {round}: the latest list lacked entries"
        );
        let list = lists::current(&c, &s).await;
        assert!(
            list.seq >= highest,
            "round {round}: the sequence went down: {} after {highest}",
            list.seq
        );
        assert!(list.seq >= stored_seq);
        let max_acked = acked.values().copied().max().unwrap_or(0);
        assert!(
            list.seq >= max_acked,
            "the list is at least as new as every acknowledged one"
        );
        let missing: BTreeSet<_> = acked.keys().filter(|t| !list.tokens.contains(*t)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} acknowledged revocations missing from the published list",
            missing.len()
        );
        highest = list.seq;
        eprintln!(
            "round {round}: killed after {after:?}; {} acknowledged so far, all in list {}",
            acked.len(),
            list.seq
        );
    }
    let acked = seen.acked.lock().unwrap().len();
    eprintln!(
        "crash safety: {kills} SIGKILLs, {acked} acknowledged revocations checked after every restart ({} requests failed: cut by a kill or refused while it was down), final sequence {highest}, {:?} in all",
        seen.failed.load(Ordering::Relaxed),
        started.elapsed()
    );
    assert_eq!(kills, KILLS);
    assert!(
        acked > 20,
        "too few acknowledged revocations ({acked}) to mean anything"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
