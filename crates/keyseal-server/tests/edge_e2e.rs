//! End to end with the real edge crate: a key issued over HTTP is accepted by a
//! keyseal-edge (refresher + tower layer), refused within a second of its revocation with
//! the long poll (and within the poll interval without it), and a rerolled key keeps
//! working exactly until its grace period ends, across a server restart too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::time::{Duration, Instant, SystemTime};

use common::edge::{self, ListSource, status_through_layer};
use common::{Server, client, data_dir, init, issue, post};
use keyseal_edge::{Edge, Refusal};

/// The issue's bound for a long-poll edge to learn of a revocation.
const LONG_POLL_BOUND: Duration = Duration::from_secs(1);

fn is_revoked(edge: &Edge, key: &str) -> bool {
    matches!(
        edge.verify(key),
        Err(Refusal::Key(keyseal::Error::Revoked { .. }))
    )
}

/// Lets the edge's list refresher park in its next long poll (or poll round).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_accepts_an_issued_key_and_refuses_it_within_a_second_of_its_revocation() {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &["--max-age", "1s"]);
    let c = client();
    let long_poll = edge::ready(edge::config(&s, ListSource::LongPoll)).await;
    let polling = edge::ready(edge::config(&s, ListSource::Poll)).await;

    let mut latencies = Vec::new();
    for round in 0..5 {
        let (tid, key) = issue(&c, &s, &admin, "app_e2e", 600).await;
        assert_eq!(status_through_layer(&long_poll, &key).await, 200);
        assert_eq!(status_through_layer(&polling, &key).await, 200);
        let other = issue(&c, &s, &admin, "app_e2e", 600).await.1;
        settle().await;

        let (status, body) = post(
            &c,
            &s,
            &admin,
            &format!("/v1/keys/{tid}/revoke"),
            serde_json::json!({"reason": "e2e"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let acknowledged = Instant::now();
        let started = Instant::now();
        while !is_revoked(&long_poll, &key) {
            assert!(
                started.elapsed() < LONG_POLL_BOUND,
                "round {round}: the long-poll edge still accepts the key 1 s after the revoke's 200"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let latency = acknowledged.elapsed();
        latencies.push(latency);
        // Through the middleware as a caller sees it: 401, and the other key still works.
        assert_eq!(status_through_layer(&long_poll, &key).await, 401);
        assert_eq!(status_through_layer(&long_poll, &other).await, 200);

        // The plain-polling edge gets there within its poll interval (300 ms at most here).
        common::eventually(Duration::from_secs(3), "the polling edge refuses", || {
            let refused = is_revoked(&polling, &key);
            async move { refused }
        })
        .await;
        assert_eq!(status_through_layer(&polling, &key).await, 401);
        assert_eq!(status_through_layer(&polling, &other).await, 200);
    }
    latencies.sort();
    eprintln!(
        "E2E revocation latency (revoke 200 -> long-poll edge refuses), 5 rounds: min {:?}, median {:?}, max {:?}",
        latencies[0], latencies[2], latencies[4]
    );
}

/// Unix seconds now.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn unix_of(rfc3339: &str) -> f64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap();
    #[allow(clippy::cast_precision_loss)]
    let secs = t.unix_timestamp() as f64;
    secs
}

/// Rerolls `tid` with `grace` seconds; returns (new key, when the old one stops, unix s).
async fn reroll(
    c: &reqwest::Client,
    s: &Server,
    admin: &str,
    tid: &str,
    grace: u64,
) -> (String, String, f64) {
    let (status, body) = post(
        c,
        s,
        admin,
        &format!("/v1/keys/{tid}/reroll"),
        serde_json::json!({"grace_seconds": grace}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["old_token_id"], tid);
    (
        body["key"].as_str().unwrap().to_owned(),
        body["token_id"].as_str().unwrap().to_owned(),
        unix_of(body["old_stops_at"].as_str().unwrap()),
    )
}

/// Checks the old key through the edge until `due`: accepted while more than `margin`
/// remains; then refused within `bound` after `due`. Returns (checks while accepted, how
/// long after `due` the refusal came).
async fn old_key_until_due(edge: &Edge, old: &str, due: f64, bound: f64) -> (u32, f64) {
    let margin = 0.25;
    let mut accepted_checks = 0;
    while unix_now() < due - margin {
        assert_eq!(
            status_through_layer(edge, old).await,
            200,
            "the old key is refused {:.2} s before its grace ends",
            due - unix_now()
        );
        accepted_checks += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        if is_revoked(edge, old) {
            break;
        }
        assert!(
            unix_now() < due + bound,
            "the old key is still accepted {bound} s after its grace ended"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status_through_layer(edge, old).await, 401);
    (accepted_checks, unix_now() - due)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerolled_key_works_at_an_edge_until_its_grace_ends_and_not_after() {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &[]);
    let c = client();
    let edge = edge::ready(edge::config(&s, ListSource::LongPoll)).await;
    let (tid, old) = issue(&c, &s, &admin, "app_reroll", 600).await;
    assert_eq!(status_through_layer(&edge, &old).await, 200);

    let before = unix_now();
    let (new, new_tid, due) = reroll(&c, &s, &admin, &tid, 2).await;
    assert_ne!(new_tid, tid);
    // The old key stops at now + grace (whole seconds).
    assert!(
        (before.floor() + 2.0..=unix_now().ceil() + 2.0).contains(&due),
        "old_stops_at is now + 2 s"
    );
    assert_eq!(status_through_layer(&edge, &new).await, 200);
    // Design: a durable scheduled token revocation, published by the scheduler (1 s tick)
    // once due; the edge's long poll then brings it within moments.
    let (checks, late) = old_key_until_due(&edge, &old, due, 2.5).await;
    assert!(checks >= 10, "the old key was checked during its grace");
    eprintln!(
        "reroll grace 2 s: old key accepted in {checks} checks, refused {late:.2} s after the grace ended"
    );
    assert_eq!(status_through_layer(&edge, &new).await, 200);
    // The new key carries the same claims.
    let (status, body) = post(
        &c,
        &s,
        &admin,
        "/v1/keys/verify",
        serde_json::json!({"key": new}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["valid"], true);
    assert_eq!(body["app_id"], "app_reroll");
    assert_eq!(body["scopes"], serde_json::json!(["orders:read"]));
    // Rerolling the old key again is refused; the new one may be rerolled.
    let (status, _) = post(
        &c,
        &s,
        &admin,
        &format!("/v1/keys/{tid}/reroll"),
        serde_json::json!({"grace_seconds": 0}),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reroll_grace_end_survives_a_server_crash_and_restart() {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let mut s = Server::start(dir.path(), None, &[]);
    let c = client();
    let (tid, old) = issue(&c, &s, &admin, "app_reroll", 600).await;
    let (new, _, due) = reroll(&c, &s, &admin, &tid, 4).await;
    // The scheduled revocation is committed with the new key: a crash right after the
    // reroll's 201 must not lose it.
    s.kill();
    let s = Server::start(dir.path(), None, &[]);
    let edge = edge::ready(edge::config(&s, ListSource::LongPoll)).await;
    assert_eq!(status_through_layer(&edge, &new).await, 200);
    let (checks, late) = old_key_until_due(&edge, &old, due, 2.5).await;
    eprintln!(
        "reroll grace 4 s across a SIGKILL and restart: old key accepted in {checks} checks, refused {late:.2} s after the grace ended"
    );
    assert_eq!(status_through_layer(&edge, &new).await, 200);
    // And the revocation is in the list every edge fetches.
    let list = common::lists::current(&c, &s).await;
    assert!(list.tokens.contains(&tid));
}
