//! The owner webhook of leaked keys, over real HTTP against a real server process: each
//! revoked key's event reaches a local receiver, a failing receiver is retried and never
//! delays GitHub's answer, and pending events survive a restart.
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

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Server, client, data_dir, init, issue};
use leaks_support::{
    KeysServer, Receiver, entry, github_key, keys_document, post_signed, wait_until,
};
use serde_json::{Value, json};

fn start(dir: &std::path::Path, keys_url: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--github-keys-url", keys_url];
    args.extend_from_slice(extra);
    Server::start(dir, None, &args)
}

#[tokio::test]
async fn the_owner_webhook_gets_each_revoked_key_without_delaying_github_and_survives_a_restart() {
    let k1 = github_key(7);
    let keys = KeysServer::start(keys_document(&[("k1", &k1)])).await;
    // The first delivery hangs 10 s, then fails; later ones fail until switched on.
    let receiver = Receiver::start(Duration::from_secs(10)).await;
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let secret_file = dir.path().join("webhook.secret");
    std::fs::write(&secret_file, "a-shared-webhook-secret\n").unwrap();
    let secret_arg = secret_file.to_str().unwrap().to_owned();
    let hook_args = [
        "--leak-webhook",
        receiver.url.as_str(),
        "--leak-webhook-backoff",
        "1s",
        "--leak-webhook-secret-file",
        secret_arg.as_str(),
    ];
    let mut s = start(dir.path(), &keys.url, &hook_args);
    let c = client();
    let (id1, key1) = issue(&c, &s, &admin, "app_1", 600).await;
    let (id2, key2) = issue(&c, &s, &admin, "app_2", 600).await;
    let body = serde_json::to_vec(&json!([
        entry(&key1, "https://github.com/octo/repo/blob/abc/a.env"),
        entry(&key2, "https://github.com/octo/repo/blob/abc/b.env"),
    ]))
    .unwrap();
    let started = Instant::now();
    let (st, _) = post_signed(&c, &s.url("/v1/leaks/github"), "k1", &k1, &body).await;
    let answered = started.elapsed();
    assert_eq!(st, 200);
    let calls = &receiver.calls;
    wait_until(Duration::from_secs(20), "the first delivery", || {
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 1
    })
    .await;
    assert!(
        answered < Duration::from_secs(8),
        "GitHub's answer does not wait for the webhook ({answered:?}; the receiver hangs 10 s)"
    );
    // Failures are retried (backoff 1 s, 2 s, …).
    wait_until(Duration::from_secs(40), "retries", || {
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 4
    })
    .await;
    assert!(receiver.delivered.lock().unwrap().is_empty());
    // Killed with both events pending; the receiver recovers; a restart delivers them.
    s.kill();
    receiver
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let s = start(dir.path(), &keys.url, &hook_args);
    let delivered = &receiver.delivered;
    wait_until(
        Duration::from_secs(40),
        "delivery after the restart",
        || delivered.lock().unwrap().len() >= 2,
    )
    .await;
    let events = receiver.delivered.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "each event delivered once: {events:?}");
    let by_token: std::collections::BTreeMap<&str, &Value> = events
        .iter()
        .map(|e| (e["token_id"].as_str().unwrap(), e))
        .collect();
    let e1 = by_token[id1.as_str()];
    assert_eq!(e1["type"], "keyseal.key.leaked");
    assert_eq!(e1["app_id"], "app_1");
    assert_eq!(e1["found"]["source"], "content");
    assert_eq!(
        e1["found"]["url"],
        "https://github.com/octo/repo/blob/abc/a.env"
    );
    assert_eq!(by_token[id2.as_str()]["app_id"], "app_2");
    // Retries carry the same event id (the receiver can drop repeats).
    let received = receiver.received.lock().unwrap().clone();
    let ids: BTreeSet<&str> = received
        .iter()
        .filter(|e| e["token_id"] == id1.as_str())
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    assert!(!received.iter().any(|e| e.to_string().contains(&key1)));
    // Every request carries the HMAC-SHA256 of its body under the shared secret.
    for (sig, body) in receiver.signed.lock().unwrap().iter() {
        use hmac::{KeyInit as _, Mac as _};
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(b"a-shared-webhook-secret").unwrap();
        mac.update(body.as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sig.as_deref(), Some(format!("sha256={hex}").as_str()));
    }
    // A repeated report revokes nothing and sends nothing.
    let (st, _) = post_signed(&c, &s.url("/v1/leaks/github"), "k1", &k1, &body).await;
    assert_eq!(st, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.delivered.lock().unwrap().len(), 2);
}
