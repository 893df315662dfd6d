//! Revalidation with `Last-Modified` / `If-Modified-Since` alone (a source that sends no
//! `ETag`): the edge sends the date back, and a `304` costs no parsing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::time::Duration;

use support::server::TestServer;
use support::{Signer, eventually, fast_config, ready_edge};

const BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn if_modified_since_is_sent_and_a_304_costs_no_parsing() {
    let mut signer = Signer::new();
    let server = TestServer::start().await;
    server.set_last_modified_only(true);
    server.publish_keyring(signer.keyring_json());
    let (list, sequence) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    let key = signer.issue(&["orders:read"]);

    let edge = ready_edge(fast_config(&server)).await;
    edge.verify(key.as_str()).unwrap();
    let first = edge.status();
    let (revalidated, answered_304) = (server.if_modified_since(), server.not_modified());

    // Every later poll of both documents carries If-Modified-Since and is answered 304.
    eventually(BOUND, "six conditional polls answered 304", || {
        server.if_modified_since() >= revalidated + 6 && server.not_modified() >= answered_304 + 6
    })
    .await;
    let later = edge.status();
    assert!(later.keyring.not_modified >= 2 && later.revocation_list.not_modified >= 2);
    // Nothing was parsed or applied again: the documents in force are the first ones.
    assert_eq!(later.keyring.applied_at, first.keyring.applied_at);
    assert_eq!(
        later.revocation_list.applied_at,
        first.revocation_list.applied_at
    );
    assert!(later.keyring.last_success > first.keyring.last_success);

    // A new version (a later Last-Modified) is fetched in full and applied.
    let revoked = signer.issue(&["orders:read"]);
    let (list, sequence) = signer.next_list(&[&revoked], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    eventually(BOUND, "the newer list applied", || {
        edge.status().list_sequence == Some(2)
    })
    .await;
    assert!(edge.verify(revoked.as_str()).is_err());
    assert!(edge.status().revocation_list.applied_at > first.revocation_list.applied_at);
}
