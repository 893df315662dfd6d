//! The revocation high-water mark kept beside the local copy: a restarted edge refuses a
//! rolled-back list even when its copy of the list is gone or older than the mark.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::path::Path;
use std::time::Duration;

use keyseal::{Error, Prefix};
use keyseal_edge::{Edge, EdgeError, Origin, Refusal};
use support::server::TestServer;
use support::{PREFIX, Signer, eventually, fast_config, ready_edge};

const BOUND: Duration = Duration::from_secs(5);
const MARK: &str = "revocations.high_water.json";

fn saved_mark(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join(MARK)).ok()?;
    serde_json::from_str(&text).ok()
}

fn is_revoked(edge: &Edge, key: &str) -> bool {
    matches!(edge.verify(key), Err(Refusal::Key(Error::Revoked { .. })))
}

#[tokio::test]
async fn a_restarted_edge_refuses_a_rolled_back_list_with_its_list_copy_gone_or_older() {
    let mut signer = Signer::new();
    let server = TestServer::start().await;
    server.publish_keyring(signer.keyring_json());
    let (list1, seq1) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list1.clone(), seq1);
    let revoked = signer.issue(&["orders:read"]);
    let dir = tempfile::tempdir().unwrap();
    {
        let edge = ready_edge(fast_config(&server).local_copy(dir.path())).await;
        let (list2, seq2) = signer.next_list(&[&revoked], Duration::from_secs(3600));
        server.publish_list(list2.clone(), seq2);
        eventually(BOUND, "list 2 applied", || {
            is_revoked(&edge, revoked.as_str())
        })
        .await;
        eventually(BOUND, "list 2 and its mark saved", || {
            std::fs::read(dir.path().join("revocations.bin")).is_ok_and(|b| b == list2)
                && saved_mark(dir.path()).is_some_and(|m| m["revocation_high_water"] == 2)
        })
        .await;
        assert_eq!(saved_mark(dir.path()).unwrap()["prefix"], PREFIX);
        assert_eq!(edge.live().revocation_high_water(), Some(2));
    }

    // The source rolls back to list 1 (a restored backup, or a replay), which does not
    // revoke the key.
    server.publish_list(list1.clone(), seq1);

    // 1. The local list copy is gone: the mark alone refuses list 1.
    std::fs::remove_file(dir.path().join("revocations.bin")).unwrap();
    let edge = Edge::start(fast_config(&server).local_copy(dir.path())).unwrap();
    assert_eq!(edge.live().revocation_high_water(), Some(2));
    eventually(BOUND, "the rolled-back list refused", || {
        edge.status()
            .revocation_list
            .refusals
            .get("revocation_list.rollback")
            .is_some_and(|n| *n >= 2)
    })
    .await;
    let status = edge.status();
    assert!(!status.ready, "no list in force, so not ready");
    assert_eq!(status.list_sequence, None);
    assert_eq!(edge.verify(revoked.as_str()), Err(Refusal::NotReady));
    drop(edge);

    // 2. The local list copy is older than the mark, and the source is down.
    std::fs::write(dir.path().join("revocations.bin"), &list1).unwrap();
    server.set_down(true);
    let edge = Edge::start(fast_config(&server).local_copy(dir.path())).unwrap();
    eventually(BOUND, "the down source is retried", || {
        edge.status().revocation_list.consecutive_failures >= 2
    })
    .await;
    let status = edge.status();
    assert!(!status.ready, "the older local copy is not applied");
    assert_eq!(status.keyring.origin, Some(Origin::LocalCopy));
    assert_eq!(status.list_sequence, None);
    assert_eq!(edge.verify(revoked.as_str()), Err(Refusal::NotReady));

    // A newer list from the source is taken, and raises the saved mark.
    let (list3, seq3) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list3, seq3);
    server.set_down(false);
    tokio::time::timeout(BOUND, edge.ready()).await.unwrap();
    assert_eq!(edge.status().list_sequence, Some(3));
    assert!(is_revoked(&edge, revoked.as_str()));
    eventually(BOUND, "mark 3 saved", || {
        saved_mark(dir.path()).is_some_and(|m| m["revocation_high_water"] == 3)
    })
    .await;
}

#[tokio::test]
async fn a_corrupt_mark_stops_the_start_and_another_prefixs_mark_is_ignored() {
    let mut signer = Signer::new();
    let server = TestServer::start().await;
    server.publish_keyring(signer.keyring_json());
    let (list, sequence) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    let dir = tempfile::tempdir().unwrap();

    std::fs::write(
        dir.path().join(MARK),
        b"{\"revocation_high_water\": \"seven\"}",
    )
    .unwrap();
    let refused = Edge::start(fast_config(&server).local_copy(dir.path())).unwrap_err();
    assert_eq!(refused, EdgeError::CorruptHighWater);
    assert_eq!(refused.code(), "corrupt_high_water");

    // Another issuer's sequences are its own: its mark does not hold this edge back.
    let other = Prefix::new("other_live").unwrap();
    std::fs::write(
        dir.path().join(MARK),
        format!(
            "{{\"prefix\": \"{}\", \"revocation_high_water\": 99}}",
            other.as_str()
        ),
    )
    .unwrap();
    let edge = ready_edge(fast_config(&server).local_copy(dir.path())).await;
    assert_eq!(edge.status().list_sequence, Some(1));
    eventually(BOUND, "this prefix's mark written over it", || {
        saved_mark(dir.path())
            .is_some_and(|m| m["prefix"] == PREFIX && m["revocation_high_water"] == 1)
    })
    .await;
}
