//! A leak report on the PostgreSQL store: the key is revoked once, the owner event (table
//! `leak_events`) is delivered, a repeated report changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;
#[allow(unreachable_pub)]
mod leaks_support;

use std::time::Duration;

use leaks_support::{
    KeysServer, Receiver, entry, github_key, keys_document, post_signed, wait_until,
};
use serde_json::json;

#[tokio::test]
async fn postgres_store_revokes_leaked_keys_and_delivers_their_events() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let k1 = github_key(7);
    let keys = KeysServer::start(keys_document(&[("k1", &k1)])).await;
    let receiver = Receiver::start(Duration::ZERO).await;
    receiver
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let db = common::fresh_postgres_database(&url).await;
    let dir = common::data_dir();
    let admin = common::init(dir.path(), Some(&db));
    let s = common::Server::start(
        dir.path(),
        Some(&db),
        &[
            "--github-keys-url",
            &keys.url,
            "--leak-webhook",
            &receiver.url,
        ],
    );
    let c = common::client();
    let (tid, key) = common::issue(&c, &s, &admin, "app_pg", 600).await;
    let body =
        serde_json::to_vec(&json!([entry(&key, "https://github.com/o/r/blob/a/x")])).unwrap();
    let (st, v) = post_signed(&c, &s.url("/v1/leaks/github"), "k1", &k1, &body).await;
    assert_eq!((st, v[0]["label"].as_str()), (200, Some("true_positive")));
    assert_eq!(
        common::edge_verifier(&c, &s)
            .await
            .verify(&key)
            .unwrap_err()
            .code(),
        "revoked"
    );
    let delivered = &receiver.delivered;
    wait_until(Duration::from_secs(20), "the owner event", || {
        !delivered.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        receiver.delivered.lock().unwrap()[0]["token_id"],
        tid.as_str()
    );
    let (st, _) = post_signed(&c, &s.url("/v1/leaks/github"), "k1", &k1, &body).await;
    assert_eq!(st, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.delivered.lock().unwrap().len(), 1);
}
