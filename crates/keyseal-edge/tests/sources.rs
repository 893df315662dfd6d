//! Sources beyond the basic HTTP poll: file sources reloaded when they change, and
//! `Cache-Control: max-age` setting the poll interval within the configured bounds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::time::Duration;

use keyseal::{Error, Prefix, SaveMode};
use keyseal_edge::{EdgeConfig, Refusal, Source};
use support::server::TestServer;
use support::{PREFIX, Signer, eventually, ready_edge};

const BOUND: Duration = Duration::from_secs(5);

fn write(path: &std::path::Path, bytes: &[u8]) {
    keyseal::write_file_atomically(path, bytes, SaveMode::Replace).unwrap();
}

#[tokio::test]
async fn file_sources_are_reloaded_when_they_change() {
    let mut signer = Signer::new();
    let dir = tempfile::tempdir().unwrap();
    let (keyring_path, list_path) = (dir.path().join("keyring.json"), dir.path().join("list.bin"));
    write(&keyring_path, &signer.keyring_json());
    let (list, _) = signer.next_list(&[], Duration::from_secs(3600));
    write(&list_path, &list);
    let key = signer.issue(&["orders:read"]);

    let edge = ready_edge(
        EdgeConfig::new(Prefix::new(PREFIX).unwrap(), Source::file(&keyring_path))
            .revocations(Source::file(&list_path))
            .intervals(
                Duration::from_millis(50),
                Duration::from_millis(50),
                Duration::from_millis(100),
            )
            .jitter(0.0),
    )
    .await;
    edge.verify(key.as_str()).unwrap();
    assert_eq!(edge.status().list_sequence, Some(1));

    let (list, _) = signer.next_list(&[&key], Duration::from_secs(3600));
    write(&list_path, &list);
    eventually(BOUND, "the rewritten list applied", || {
        matches!(
            edge.verify(key.as_str()),
            Err(Refusal::Key(Error::Revoked { .. }))
        )
    })
    .await;
    assert_eq!(edge.status().list_sequence, Some(2));

    let next = signer.rotate();
    let rotated = signer.issue_with(next, &["orders:read"]);
    write(&keyring_path, &signer.keyring_json());
    eventually(BOUND, "the rewritten keyring applied", || {
        edge.verify(rotated.as_str()).is_ok()
    })
    .await;
    assert_eq!(edge.status().keyring_keys, 2);
    // Unchanged files are not read again: nothing was refused along the way.
    assert!(edge.status().keyring.refusals.is_empty());
}

/// Keyring requests the server sees during `window`.
async fn requests_during(server: &TestServer, window: Duration) -> u64 {
    let before = server.keyring_requests();
    tokio::time::sleep(window).await;
    server.keyring_requests() - before
}

#[tokio::test]
async fn max_age_sets_the_interval_within_the_bounds() {
    let signer = Signer::new();
    let server = TestServer::start().await;
    server.publish_keyring(signer.keyring_json());
    let bounded = |server: &TestServer| {
        EdgeConfig::new(
            Prefix::new(PREFIX).unwrap(),
            Source::url(server.keyring_url()),
        )
        .intervals(
            Duration::from_millis(100),
            Duration::from_millis(50),
            Duration::from_millis(300),
        )
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .jitter(0.0)
    };

    // max-age=3600 is capped at the 300 ms maximum: the edge keeps polling.
    server.set_max_age(3600);
    let capped = ready_edge(bounded(&server)).await;
    let seen = requests_during(&server, Duration::from_millis(1500)).await;
    assert!(
        (2..=8).contains(&seen),
        "{seen} polls in 1.5 s at a 300 ms cap"
    );
    drop(capped);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // max-age=1 within 50 ms–5 s: the 1 s lifetime is honoured instead of the 100 ms
    // default.
    server.set_max_age(1);
    let honoured = ready_edge(bounded(&server).intervals(
        Duration::from_millis(100),
        Duration::from_millis(50),
        Duration::from_secs(5),
    ))
    .await;
    let seen = requests_during(&server, Duration::from_millis(1500)).await;
    assert!(
        seen <= 3,
        "{seen} polls in 1.5 s with max-age=1 (the default would be ~15)"
    );
    drop(honoured);

    // max-age=0 is raised to the 50 ms minimum, not a busy loop.
    server.set_max_age(0);
    let floored = ready_edge(bounded(&server)).await;
    let seen = requests_during(&server, Duration::from_millis(500)).await;
    assert!(
        (2..=12).contains(&seen),
        "{seen} polls in 0.5 s at a 50 ms minimum"
    );
    drop(floored);
}
