//! The authorization matrix: every protected route refuses no key, a wrong-prefix key, a
//! revoked admin key, garbage and a key lacking the scope, with 401/403 problem+json and
//! nothing that says whether the resource exists; the public routes need no key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use common::api::{example, start};
use common::issue;
use common::schema::openapi;
use serde_json::{Value, json};

#[tokio::test]
async fn every_protected_route_refuses_without_the_right_admin_key() {
    let (api, admin, _dir) = start().await;
    let a = Some(admin.as_str());
    // A wrong-prefix key: an app key of this very service.
    let (_, app_key) = issue(&api.c, &api.s, &admin, "app_1", 600).await;
    // An admin key with one scope, and a revoked admin key with every scope.
    let (_, only_audit) = api
        .call(
            "post",
            "/v1/admin-keys",
            "/v1/admin-keys",
            a,
            Some(json!({"scopes": ["audit:read"], "lifetime_seconds": 600})),
        )
        .await;
    let only_audit = only_audit["key"].as_str().unwrap().to_owned();
    let (_, only_read) = api
        .call(
            "post",
            "/v1/admin-keys",
            "/v1/admin-keys",
            a,
            Some(json!({"scopes": ["keys:read"], "lifetime_seconds": 600})),
        )
        .await;
    let only_read = only_read["key"].as_str().unwrap().to_owned();
    let all: Vec<&str> = vec![
        "keys:issue",
        "keys:read",
        "keys:revoke",
        "keys:verify",
        "signing-keys:manage",
        "audit:read",
        "admin-keys:manage",
    ];
    let (_, revoked) = api
        .call(
            "post",
            "/v1/admin-keys",
            "/v1/admin-keys",
            a,
            Some(json!({"scopes": all, "lifetime_seconds": 600})),
        )
        .await;
    let revoked_id = revoked["token_id"].as_str().unwrap().to_owned();
    let revoked = revoked["key"].as_str().unwrap().to_owned();
    let (st, _) = api
        .call(
            "post",
            "/v1/admin-keys/{token_id}/revoke",
            &format!("/v1/admin-keys/{revoked_id}/revoke"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = api
        .call(
            "get",
            "/v1/admin-keys/{token_id}",
            &format!("/v1/admin-keys/{revoked_id}"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, page) = api
        .call(
            "get",
            "/v1/admin-keys",
            "/v1/admin-keys?status=revoked",
            a,
            None,
        )
        .await;
    assert_eq!((st, page["items"].as_array().unwrap().len()), (200, 1));

    let doc = openapi();
    let mut checked = 0;
    for (route, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let Some(scopes) = op.get("x-scopes").and_then(Value::as_array) else {
                continue;
            };
            let path = example(route);
            for (key, expect) in [
                (None, 401),
                (Some(app_key.as_str()), 401),
                (Some(revoked.as_str()), 401),
                (Some("acme_live_admin_AAAA"), 401),
            ] {
                let (st, p) = api.call(method, route, &path, key, Some(json!({}))).await;
                assert_eq!(
                    st,
                    expect,
                    "{method} {route} with {:?}: {p}",
                    key.map(|k| &k[..12])
                );
            }
            let lacking = if scopes.iter().any(|s| s == "audit:read") {
                &only_read
            } else {
                &only_audit
            };
            let (st, p) = api
                .call(method, route, &path, Some(lacking), Some(json!({})))
                .await;
            assert_eq!(st, 403, "{method} {route}: {p}");
            checked += 1;
        }
    }
    assert_eq!(checked, 18, "protected operations checked");
    // Public routes need nothing.
    for path in [
        "/v1/keyring.json",
        "/v1/revocations.bin",
        "/healthz",
        "/metrics",
    ] {
        assert_eq!(
            api.c.get(api.s.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
}
