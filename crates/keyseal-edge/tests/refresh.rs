//! The refresher against a real HTTP server on 127.0.0.1: loading, 304s, revocation and
//! rotation pick-up, refusals of bad documents, the source going down, the local copy,
//! the long poll, and the unknown-key-id flood.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::time::{Duration, Instant};

use keyseal::{
    Error, Issuer, Prefix, RevocationListBuilder, SigningKey, Timestamp, VerifierOptions,
};
use keyseal_edge::{Edge, Origin, Refusal, Source};
use support::server::TestServer;
use support::{Signer, eventually, fast_config, ready_edge};

const BOUND: Duration = Duration::from_secs(5);

async fn published(signer: &mut Signer) -> TestServer {
    let server = TestServer::start().await;
    server.publish_keyring(signer.keyring_json());
    let (list, sequence) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    server
}

fn is_revoked(edge: &Edge, key: &str) -> bool {
    matches!(edge.verify(key), Err(Refusal::Key(Error::Revoked { .. })))
}

#[tokio::test]
async fn loads_both_becomes_ready_and_304s_cost_no_parsing() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let edge = Edge::start(fast_config(&server)).unwrap();
    assert!(!edge.is_ready());
    assert_eq!(edge.verify(key.as_str()).unwrap_err(), Refusal::NotReady);
    tokio::time::timeout(BOUND, edge.ready()).await.unwrap();
    edge.verify(key.as_str()).unwrap();

    let first = edge.status();
    assert!(first.ready);
    assert_eq!(first.keyring_keys, 1);
    assert_eq!(first.list_sequence, Some(1));
    assert_eq!(first.keyring.origin, Some(Origin::Source));
    // Every further poll is answered 304: nothing is parsed or applied again.
    let before = server.not_modified();
    eventually(BOUND, "six 304s", || server.not_modified() >= before + 6).await;
    let later = edge.status();
    assert!(later.keyring.not_modified >= 2 && later.revocation_list.not_modified >= 2);
    assert_eq!(later.keyring.applied_at, first.keyring.applied_at);
    assert_eq!(
        later.revocation_list.applied_at,
        first.revocation_list.applied_at
    );
    assert!(later.keyring.last_success > first.keyring.last_success);
    assert!(later.keyring.refusals.is_empty() && later.revocation_list.refusals.is_empty());
}

#[tokio::test]
async fn picks_up_a_revocation_and_a_rotated_keyring() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let edge = ready_edge(fast_config(&server)).await;
    edge.verify(key.as_str()).unwrap();

    let (list, sequence) = signer.next_list(&[&key], Duration::from_secs(3600));
    let published_at = Instant::now();
    server.publish_list(list, sequence);
    eventually(BOUND, "the revoked key refused", || {
        is_revoked(&edge, key.as_str())
    })
    .await;
    // The refresher polls every 200 ms at most; allow scheduling slack on a loaded machine.
    assert!(
        published_at.elapsed() < Duration::from_secs(2),
        "{:?}",
        published_at.elapsed()
    );

    let next = signer.rotate();
    let new_key = signer.issue_with(next, &["orders:read"]);
    assert!(matches!(
        edge.verify(new_key.as_str()),
        Err(Refusal::Key(Error::UnknownKey(_)))
    ));
    server.publish_keyring(signer.keyring_json());
    eventually(BOUND, "the new signer's key verifies", || {
        edge.verify(new_key.as_str()).is_ok()
    })
    .await;
    assert_eq!(edge.status().keyring_keys, 2);
    assert!(
        is_revoked(&edge, key.as_str()),
        "the list stays in force across the keyring swap"
    );
}

#[tokio::test]
async fn refuses_bad_documents_and_keeps_the_last_good_state() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let first_bytes = signer.issuers[0]
        .sign_revocation_list(&RevocationListBuilder::new(), Timestamp::now())
        .unwrap();
    let key = signer.issue(&["orders:read"]);
    let other = signer.issue(&["orders:read"]);
    let edge = ready_edge(fast_config(&server)).await;
    let (list, sequence) = signer.next_list(&[&key], Duration::from_secs(3600));
    server.publish_list(list.clone(), sequence);
    eventually(BOUND, "revoked", || is_revoked(&edge, key.as_str())).await;

    let refusals = |edge: &Edge, reason: &str| {
        edge.status()
            .revocation_list
            .refusals
            .get(reason)
            .copied()
            .unwrap_or(0)
    };
    // Rolled back: a validly signed list with sequence 1.
    server.publish_list(first_bytes, 1);
    eventually(BOUND, "rollback refused", || {
        refusals(&edge, "revocation_list.rollback") > 0
    })
    .await;
    // Forged: signed by a key outside the keyring.
    let forger = Issuer::new(signer.prefix.clone(), SigningKey::generate().unwrap());
    let mut builder = RevocationListBuilder::from_previous(signer.last_list.as_ref().unwrap());
    builder.valid_for(Duration::from_secs(3600));
    let forged = forger
        .sign_revocation_list(&builder, Timestamp::now())
        .unwrap();
    server.publish_list(forged, sequence + 1);
    eventually(BOUND, "forgery refused", || {
        refusals(&edge, "revocation_list.unknown_signer") > 0
    })
    .await;
    // Tampered: one bit of a validly signed list flipped.
    let mut tampered = list.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    server.publish_list(tampered, sequence + 1);
    eventually(BOUND, "tampering refused", || {
        refusals(&edge, "revocation_list.bad_signature") > 0
    })
    .await;
    // Another issuer's list, signed with the right key.
    let foreign = Issuer::new(
        Prefix::new("acme_other").unwrap(),
        SigningKey::from_seed(&signer.seed(0)).unwrap(),
    );
    let foreign_list = foreign
        .sign_revocation_list(&RevocationListBuilder::new(), Timestamp::now())
        .unwrap();
    server.publish_list(foreign_list, sequence + 1);
    eventually(BOUND, "foreign list refused", || {
        refusals(&edge, "revocation_list.wrong_issuer") > 0
    })
    .await;
    // Truncated.
    server.publish_list(list[..list.len() / 2].to_vec(), sequence + 1);
    eventually(BOUND, "truncation refused", || {
        refusals(&edge, "revocation_list.malformed") > 0
    })
    .await;
    // A broken keyring document, an oversized one, and an oversized one without a length.
    server.publish_keyring(b"{\"keyseal_keyring\": 1, \"keys\": [".to_vec());
    let keyring_refusals = |edge: &Edge, reason: &str| {
        edge.status()
            .keyring
            .refusals
            .get(reason)
            .copied()
            .unwrap_or(0)
    };
    eventually(BOUND, "broken keyring refused", || {
        keyring_refusals(&edge, "keyring_document") > 0
    })
    .await;
    server.publish_keyring(vec![b' '; keyseal::MAX_KEYRING_DOCUMENT_LEN + 1]);
    eventually(BOUND, "oversized keyring refused", || {
        keyring_refusals(&edge, "too_large") > 0
    })
    .await;
    server.keyring_chunked(true);
    let seen = keyring_refusals(&edge, "too_large");
    eventually(BOUND, "oversized chunked keyring refused", || {
        keyring_refusals(&edge, "too_large") > seen
    })
    .await;

    // Through all of it, the last good state stayed in force.
    let status = edge.status();
    assert_eq!(status.list_sequence, Some(sequence));
    assert_eq!(status.keyring_keys, 1);
    assert!(is_revoked(&edge, key.as_str()));
    edge.verify(other.as_str()).unwrap();
    assert!(status.revocation_list.last_error.is_some());
}

#[tokio::test]
async fn serves_while_the_source_is_down_then_fails_closed_then_recovers() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let options = VerifierOptions::default().max_list_age(Duration::from_secs(2));
    let edge = ready_edge(fast_config(&server).options(options)).await;
    edge.verify(key.as_str()).unwrap();

    server.set_down(true);
    eventually(BOUND, "failures recorded", || {
        edge.status().revocation_list.consecutive_failures >= 2
    })
    .await;
    edge.verify(key.as_str())
        .expect("still serving with a fresh enough list");
    eventually(BOUND, "fail closed once the list is too old", || {
        matches!(
            edge.verify(key.as_str()),
            Err(Refusal::Key(Error::RevocationListStale { .. }))
        )
    })
    .await;
    let refusal = edge.verify(key.as_str()).unwrap_err();
    assert_eq!(refusal.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refusal.code(), "revocation_list_stale");
    let status = edge.status();
    assert!(
        status
            .revocation_list
            .last_error
            .as_deref()
            .unwrap()
            .contains("503")
    );

    let (list, sequence) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    server.set_down(false);
    eventually(BOUND, "recovered", || edge.verify(key.as_str()).is_ok()).await;
    assert_eq!(edge.status().revocation_list.consecutive_failures, 0);
}

#[tokio::test]
async fn starts_from_its_local_copy_with_the_source_down() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let revoked = signer.issue(&["orders:read"]);
    let (list, sequence) = signer.next_list(&[&revoked], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    let dir = tempfile::tempdir().unwrap();
    {
        let edge = ready_edge(fast_config(&server).local_copy(dir.path())).await;
        eventually(BOUND, "list 2 applied", || {
            edge.status().list_sequence == Some(2)
        })
        .await;
        eventually(BOUND, "local copy written", || {
            std::fs::read(dir.path().join("revocations.bin")).is_ok_and(|b| !b.is_empty())
                && dir.path().join("keyring.json").exists()
        })
        .await;
    }
    drop(server);

    let down = |options: VerifierOptions| {
        let keyring = support::closed_port_url("/v1/keyring.json");
        let list = support::closed_port_url("/v1/revocations.bin");
        let dir = dir.path().to_owned();
        async move {
            keyseal_edge::EdgeConfig::new(
                Prefix::new(support::PREFIX).unwrap(),
                Source::url(keyring.await),
            )
            .revocations(Source::url(list.await))
            .local_copy(dir)
            .backoff(Duration::from_millis(50), Duration::from_millis(200))
            .options(options)
        }
    };
    let edge = ready_edge(down(VerifierOptions::default()).await).await;
    let status = edge.status();
    assert_eq!(status.keyring.origin, Some(Origin::LocalCopy));
    assert_eq!(status.revocation_list.origin, Some(Origin::LocalCopy));
    assert_eq!(status.list_sequence, Some(2));
    edge.verify(key.as_str()).unwrap();
    assert!(is_revoked(&edge, revoked.as_str()));
    eventually(BOUND, "the down source is reported", || {
        edge.status()
            .keyring
            .last_error
            .is_some_and(|e| e.contains("reached"))
    })
    .await;

    // Subject to staleness: with a maximum list age of 1 s, the restored list goes stale.
    let strict =
        ready_edge(down(VerifierOptions::default().max_list_age(Duration::from_secs(1))).await)
            .await;
    eventually(BOUND, "the restored list goes stale", || {
        strict
            .verify(key.as_str())
            .is_err_and(|r| r.code() == "revocation_list_stale")
    })
    .await;
}

#[tokio::test]
async fn a_long_poll_source_delivers_a_revocation_at_once() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let config = fast_config(&server)
        .revocations(Source::long_poll(server.list_url()))
        .intervals(
            Duration::from_secs(30),
            Duration::from_secs(30),
            Duration::from_secs(30),
        )
        .long_poll_wait(Duration::from_secs(2));
    let edge = ready_edge(config).await;
    edge.verify(key.as_str()).unwrap();
    // Let the edge park a long poll, then revoke: only the held request can deliver it
    // before the 30 s interval.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (list, sequence) = signer.next_list(&[&key], Duration::from_secs(3600));
    let published_at = Instant::now();
    server.publish_list(list, sequence);
    eventually(BOUND, "revoked through the long poll", || {
        is_revoked(&edge, key.as_str())
    })
    .await;
    assert!(
        published_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        published_at.elapsed()
    );
    // After a wait with nothing new, the server answers 304 and the edge polls again.
    eventually(BOUND, "a 304 after an empty wait", || {
        server.not_modified() >= 1
    })
    .await;
    assert!(
        server.list_requests() <= 6,
        "{} list requests",
        server.list_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_key_id_flood_costs_at_most_one_keyring_fetch_per_window() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    // No regular polls during the test: only early refreshes can fetch the keyring.
    let config = fast_config(&server).intervals(
        Duration::from_secs(60),
        Duration::from_secs(60),
        Duration::from_secs(60),
    );
    let edge = ready_edge(config).await;
    let forged: Vec<String> = (0..50)
        .map(|_| support::key_from_unknown_signer().into_string())
        .collect();
    let before = server.keyring_requests();

    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let edge = edge.clone();
            let forged = forged.clone();
            tokio::spawn(async move {
                for i in 0..2_500 {
                    let refusal = edge.verify(&forged[(i + t) % forged.len()]).unwrap_err();
                    assert_eq!(refusal.code(), "unknown_key");
                    if i % 500 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(BOUND, task).await.unwrap().unwrap();
    }
    eventually(BOUND, "the early refresh", || {
        server.keyring_requests() > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.keyring_requests() - before,
        1,
        "10,000 unknown-key requests, one window"
    );
    assert_eq!(edge.status().early_refreshes, 1);

    // A short window: a second flood after it has passed gets exactly one more fetch.
    let short = ready_edge(
        fast_config(&server)
            .intervals(
                Duration::from_secs(60),
                Duration::from_secs(60),
                Duration::from_secs(60),
            )
            .unknown_key_refresh_window(Duration::from_millis(400)),
    )
    .await;
    let start = server.keyring_requests();
    let flood_started = Instant::now();
    for round in 0..3 {
        for key in &forged {
            let _refused = short.verify(key);
        }
        eventually(BOUND, "early refresh", || {
            server.keyring_requests() > start + round
        })
        .await;
        tokio::time::sleep(Duration::from_millis(450)).await;
    }
    let fetched = server.keyring_requests() - start;
    let windows = flood_started.elapsed().as_millis() / 400 + 1;
    assert!(
        u128::from(fetched) <= windows,
        "{fetched} fetches in {windows} windows"
    );
    assert_eq!(fetched, 3);
}
