//! The same service on PostgreSQL: init, issue, revoke, and the published list holds it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

#[tokio::test]
async fn postgres_store_issues_revokes_and_publishes() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    let db = common::fresh_postgres_database(&url).await;
    let dir = common::data_dir();
    let admin = common::init(dir.path(), Some(&db));
    let s = common::Server::start(dir.path(), Some(&db), &[]);
    let c = common::client();
    let (tid, key) = common::issue(&c, &s, &admin, "app_pg", 600).await;
    assert!(common::edge_verifier(&c, &s).await.verify(&key).is_ok());
    let r = c
        .post(s.url(&format!("/v1/keys/{tid}/revoke")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(common::edge_verifier(&c, &s).await.verify(&key).is_err());
}
