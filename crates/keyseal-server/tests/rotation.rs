//! Scheduled rotation (`--rotate-every`): the server creates and publishes a new signing
//! key on its own, promotes it only after the propagation delay, and from then on signs
//! keys and the list with it. An edge polling the keyring knows the new key before any key
//! is signed with it: every key is accepted the moment it is issued.
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
use std::time::{Duration, Instant};

use common::edge::{self, ListSource, status_through_layer};
use common::{Server, client, data_dir, get, init, lists, post};

/// Every key id in the published keyring document.
async fn keyring_ids(c: &reqwest::Client, s: &Server) -> Vec<String> {
    lists::keyring(c, s)
        .await
        .iter()
        .map(|e| e.key_id().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_every_publishes_then_promotes_a_new_key_that_edges_already_know() {
    let started = Instant::now();
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(
        dir.path(),
        None,
        &[
            "--rotate-every",
            "2s",
            "--propagation-delay",
            "2s",
            "--max-age",
            "1s",
        ],
    );
    let c = client();
    let (_, first_key) = common::issue(&c, &s, &admin, "app_rot", 600).await;
    let (_, body) = get(&c, &s, &admin, "/v1/signing-keys").await;
    let first = body["items"][0]["key_id"].as_str().unwrap().to_owned();
    let edge = edge::ready(edge::config(&s, ListSource::LongPoll)).await;

    // Watch the keyring and issue keys until two keys signed by a successor were seen.
    let mut first_published: BTreeMap<String, Instant> = BTreeMap::new();
    let mut first_signed: BTreeMap<String, Instant> = BTreeMap::new();
    let mut issued = 0;
    let bound = Instant::now() + Duration::from_secs(20);
    let successor = loop {
        assert!(
            Instant::now() < bound,
            "no key signed by a new signing key within 20 s"
        );
        for id in keyring_ids(&c, &s).await {
            first_published.entry(id).or_insert_with(Instant::now);
        }
        let (status, v) = post(
            &c,
            &s,
            &admin,
            "/v1/keys",
            serde_json::json!({"app_id": "app_rot", "scopes": ["orders:read"], "lifetime_seconds": 600}),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        issued += 1;
        let signer = v["signing_key_id"].as_str().unwrap().to_owned();
        let key = v["key"].as_str().unwrap();
        // The edge knows the signer already: accepted at once, no early refresh needed.
        assert_eq!(
            status_through_layer(&edge, key).await,
            200,
            "a key signed by {signer} is refused by the edge when issued"
        );
        first_signed
            .entry(signer.clone())
            .or_insert_with(Instant::now);
        if signer != first {
            break signer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let published = first_published[&successor];
    let signed = first_signed[&successor];
    let lead = signed - published;
    eprintln!(
        "rotation: {successor} in the keyring {lead:?} before the first key it signed ({issued} keys issued, {:?})",
        started.elapsed()
    );
    // Seen in the published keyring (by this test and so by the edge's poller) well before
    // it signed anything: the promotion waited for the propagation delay.
    assert!(
        lead >= Duration::from_millis(500),
        "promoted {lead:?} after publication"
    );

    let (_, body) = get(&c, &s, &admin, "/v1/signing-keys").await;
    let record = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key_id"] == successor.as_str())
        .unwrap();
    let at = |field: &str| {
        time::OffsetDateTime::parse(
            record[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    // The service's own record: promoted at least the propagation delay after publication.
    assert!(
        at("promoted_at") - at("published_at") >= time::Duration::seconds(2),
        "{record}"
    );
    let states: BTreeMap<String, String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key_id"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(states[&successor], "active");
    assert_eq!(
        states[&first], "verify_only",
        "the old key keeps verifying what it signed"
    );
    // Keys signed by the old key still work; the list is re-signed by the new key.
    assert_eq!(status_through_layer(&edge, &first_key).await, 200);
    common::eventually(
        Duration::from_secs(3),
        "the list is signed by the new key",
        || {
            let (c, s, first) = (c.clone(), &s, first.clone());
            async move { lists::current(&c, s).await.signer != first }
        },
    )
    .await;
    let list = lists::current(&c, &s).await;
    assert!(list.seq >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promoting_or_retiring_an_unknown_signing_key_is_not_found() {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &[]);
    let c = client();
    for action in ["promote", "retire"] {
        let r = c
            .post(s.url(&format!("/v1/signing-keys/0123456789abcdef/{action}")))
            .bearer_auth(&admin)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{action}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(p["code"], "not_found");
    }
    // Still a conflict for a known key in the wrong state: the active key.
    let (_, body) = get(&c, &s, &admin, "/v1/signing-keys").await;
    let active = body["items"][0]["key_id"].as_str().unwrap();
    let (status, p) = post(
        &c,
        &s,
        &admin,
        &format!("/v1/signing-keys/{active}/promote"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("not_verify_only")));
}
