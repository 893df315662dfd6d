//! Every endpoint over real HTTP against a real server process, each response held to the
//! OpenAPI document; the authorization matrix for every route; graceful shutdown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;

use std::collections::BTreeSet;

use common::schema::{check_response, openapi};
use common::{Server, client, data_dir, init, issue};
use serde_json::{Value, json};

/// (method, route) pairs the router serves, read from the router's source.
fn router_routes() -> BTreeSet<(String, String)> {
    let src = include_str!("../src/routes/mod.rs");
    let mut out = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_owned();
        // The call's text up to the matching parenthesis.
        let mut depth = 1;
        let mut end = 0;
        for (i, ch) in chunk.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = i;
                break;
            }
        }
        let call = &chunk[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let starts =
                call.starts_with(&format!("{method}(")) || call.contains(&format!(" {method}("));
            if starts
                || call.contains(&format!(".{method}("))
                || call.contains(&format!("\n{method}("))
                || call.contains(&format!(", {method}("))
                || call.contains(&format!(",{method}("))
            {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_served() {
    let doc = openapi();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    let served = router_routes();
    assert_eq!(served.len(), 23, "router parse found {served:?}");
    assert_eq!(served, documented);
}

struct Api {
    c: reqwest::Client,
    s: Server,
    doc: Value,
}

impl Api {
    /// Calls `method path`, checks the answer against the document's `route`; returns
    /// (status, JSON body or Null).
    async fn call(
        &self,
        method: &str,
        route: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = match method {
            "get" => self.c.get(self.s.url(path)),
            _ => self.c.post(self.s.url(path)),
        };
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if status >= 400 {
            assert_eq!(
                ctype, "application/problem+json",
                "{method} {path} {status}"
            );
        }
        let www = resp
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.bytes().await.unwrap();
        check_response(&self.doc, method, route, status, &bytes);
        if status == 401 {
            assert!(www.as_deref().unwrap().starts_with("Bearer"));
        }
        if status == 403 {
            assert!(www.as_deref().unwrap().contains("insufficient_scope"));
        }
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }
}

async fn start() -> (Api, String, tempfile::TempDir) {
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &[]);
    (
        Api {
            c: client(),
            s,
            doc: openapi(),
        },
        admin,
        dir,
    )
}

#[tokio::test]
async fn endpoints_succeed_and_fail_as_documented() {
    let (api, admin, _dir) = start().await;
    let a = Some(admin.as_str());
    // Issue, with every field; then failures naming the field.
    let (st, key) = api
        .call("post", "/v1/keys", "/v1/keys", a, Some(json!({"app_id": "app_1", "scopes": ["orders:read", "orders:write"], "lifetime_seconds": 3600, "name": "ci", "metadata": {"team": "x"}})))
        .await;
    assert_eq!(st, 201);
    let tid = key["token_id"].as_str().unwrap().to_owned();
    let text = key["key"].as_str().unwrap().to_owned();
    for (body, field) in [
        (
            json!({"app_id": "app_1", "lifetime_seconds": 60, "extra": 1}),
            "extra",
        ),
        (json!({"scopes": [], "lifetime_seconds": 60}), "app_id"),
        (
            json!({"app_id": "bad app", "lifetime_seconds": 60}),
            "app_id",
        ),
        (
            json!({"app_id": "a", "scopes": ["ok:read", "Bad Scope"], "lifetime_seconds": 60}),
            "scopes[1]",
        ),
        (json!({"app_id": "a"}), "lifetime_seconds"),
        (
            json!({"app_id": "a", "lifetime_seconds": 999_999_999u64}),
            "lifetime_seconds",
        ),
        (
            json!({"app_id": "a", "expires_at": "tomorrow"}),
            "expires_at",
        ),
        (
            json!({"app_id": "a", "lifetime_seconds": "60"}),
            "lifetime_seconds",
        ),
        (
            json!({"app_id": "a", "lifetime_seconds": 60, "metadata": [1]}),
            "metadata",
        ),
    ] {
        let (st, p) = api
            .call("post", "/v1/keys", "/v1/keys", a, Some(body.clone()))
            .await;
        assert_eq!(st, 400, "{body}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    // Not JSON, too large: 4xx problem, never 500.
    let r = api
        .c
        .post(api.s.url("/v1/keys"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = api
        .c
        .post(api.s.url("/v1/keys"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = api
        .c
        .post(api.s.url("/v1/keys"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Read, list with pagination and filters.
    let (st, got) = api
        .call(
            "get",
            "/v1/keys/{token_id}",
            &format!("/v1/keys/{tid}"),
            a,
            None,
        )
        .await;
    assert_eq!((st, got["status"].as_str()), (200, Some("active")));
    assert_eq!(got.get("key"), None, "the key text is never returned again");
    let (st, p) = api
        .call("get", "/v1/keys/{token_id}", "/v1/keys/nothex", a, None)
        .await;
    assert_eq!((st, p["field"].as_str()), (400, Some("token_id")));
    let (st, _) = api
        .call(
            "get",
            "/v1/keys/{token_id}",
            &format!("/v1/keys/{}", "0".repeat(32)),
            a,
            None,
        )
        .await;
    assert_eq!(st, 404);
    for _ in 0..4 {
        issue(&api.c, &api.s, &admin, "app_2", 600).await;
    }
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/keys?app_id=app_2&limit=3&cursor={c}"),
            None => "/v1/keys?app_id=app_2&limit=3".to_owned(),
        };
        let (st, page) = api.call("get", "/v1/keys", &path, a, None).await;
        assert_eq!(st, 200);
        for it in page["items"].as_array().unwrap() {
            assert!(seen.insert(it["token_id"].as_str().unwrap().to_owned()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    let sha = key["key_sha256"].as_str().unwrap();
    let (_, page) = api
        .call(
            "get",
            "/v1/keys",
            &format!("/v1/keys?key_sha256={sha}"),
            a,
            None,
        )
        .await;
    assert_eq!(page["items"][0]["token_id"], tid.as_str());
    for q in [
        "status=bogus",
        "limit=0",
        "limit=1000",
        "cursor=zz",
        "nope=1",
    ] {
        let (st, p) = api
            .call("get", "/v1/keys", &format!("/v1/keys?{q}"), a, None)
            .await;
        assert_eq!(st, 400, "{q}: {p}");
        assert!(p["field"].is_string(), "{q}: {p}");
    }
    // Introspect, revoke (idempotent), introspect again.
    let (st, v) = api
        .call(
            "post",
            "/v1/keys/verify",
            "/v1/keys/verify",
            a,
            Some(json!({"key": text})),
        )
        .await;
    assert_eq!((st, &v["valid"]), (200, &json!(true)));
    assert!(
        !v.to_string().contains(&text),
        "the verdict never echoes the key"
    );
    let (st, v) = api
        .call(
            "post",
            "/v1/keys/verify",
            "/v1/keys/verify",
            a,
            Some(json!({"key": "acme_live_garbage"})),
        )
        .await;
    assert_eq!((st, &v["valid"]), (200, &json!(false)));
    let (st, r1) = api
        .call(
            "post",
            "/v1/keys/{token_id}/revoke",
            &format!("/v1/keys/{tid}/revoke"),
            a,
            Some(json!({"reason": "leaked"})),
        )
        .await;
    assert_eq!((st, r1["status"].as_str()), (200, Some("revoked")));
    let (st, r2) = api
        .call(
            "post",
            "/v1/keys/{token_id}/revoke",
            &format!("/v1/keys/{tid}/revoke"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        r1["sequence"], r2["sequence"],
        "a repeated revoke publishes nothing new"
    );
    let (_, v) = api
        .call(
            "post",
            "/v1/keys/verify",
            "/v1/keys/verify",
            a,
            Some(json!({"key": text})),
        )
        .await;
    assert_eq!(v["code"], "revoked");
    let (st, _) = api
        .call(
            "post",
            "/v1/keys/{token_id}/revoke",
            &format!("/v1/keys/{}/revoke", "0".repeat(32)),
            a,
            None,
        )
        .await;
    assert_eq!(st, 404);
    let (_, page) = api
        .call("get", "/v1/keys", "/v1/keys?status=revoked", a, None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // App revocation, reroll.
    let (st, app) = api
        .call(
            "post",
            "/v1/apps/{app_id}/revoke",
            "/v1/apps/app_2/revoke",
            a,
            Some(json!({"reason": "offboarded"})),
        )
        .await;
    assert_eq!((st, app["keys_covered"].as_u64()), (200, Some(4)));
    let (st, _) = api
        .call(
            "post",
            "/v1/apps/{app_id}/revoke",
            "/v1/apps/bad%20app/revoke",
            a,
            None,
        )
        .await;
    assert_eq!(st, 400);
    let (old, _) = issue(&api.c, &api.s, &admin, "app_3", 600).await;
    let (st, rr) = api
        .call(
            "post",
            "/v1/keys/{token_id}/reroll",
            &format!("/v1/keys/{old}/reroll"),
            a,
            Some(json!({"grace_seconds": 600})),
        )
        .await;
    assert_eq!(st, 201);
    assert_ne!(rr["token_id"], old.as_str());
    let (st, _) = api
        .call(
            "post",
            "/v1/keys/{token_id}/reroll",
            &format!("/v1/keys/{old}/reroll"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 409, "a rerolled key cannot be rerolled again");
    let (st, _) = api
        .call(
            "post",
            "/v1/keys/{token_id}/reroll",
            &format!("/v1/keys/{old}/reroll"),
            a,
            Some(json!({"grace_seconds": 99_999_999})),
        )
        .await;
    assert_eq!(st, 400);
    // Signing keys: create, promote (delay 0 here), retire, revoke what one signed.
    let (st, list) = api
        .call("get", "/v1/signing-keys", "/v1/signing-keys", a, None)
        .await;
    assert_eq!(st, 200);
    let first = list["items"][0]["key_id"].as_str().unwrap().to_owned();
    let (st, new) = api
        .call(
            "post",
            "/v1/signing-keys",
            "/v1/signing-keys",
            a,
            Some(json!({})),
        )
        .await;
    assert_eq!((st, new["state"].as_str()), (201, Some("verify_only")));
    let nid = new["key_id"].as_str().unwrap().to_owned();
    let (st, _) = api
        .call(
            "post",
            "/v1/signing-keys/{key_id}/retire",
            &format!("/v1/signing-keys/{first}/retire"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 409, "the active key cannot be retired");
    let (st, p) = api
        .call(
            "post",
            "/v1/signing-keys/{key_id}/promote",
            &format!("/v1/signing-keys/{nid}/promote"),
            a,
            None,
        )
        .await;
    assert_eq!((st, p["state"].as_str()), (200, Some("active")));
    let (st, _) = api
        .call(
            "post",
            "/v1/signing-keys/{key_id}/promote",
            &format!("/v1/signing-keys/{nid}/promote"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 409);
    // Revoking what the new key signed (nothing yet) works; retiring or revoking the first
    // key would also end the admin key it signed, so it is not done here.
    let (st, _) = api
        .call(
            "post",
            "/v1/signing-keys/{key_id}/revoke",
            &format!("/v1/signing-keys/{nid}/revoke"),
            a,
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = api
        .call(
            "post",
            "/v1/signing-keys/{key_id}/promote",
            "/v1/signing-keys/0000000000000000/promote",
            a,
            None,
        )
        .await;
    assert_eq!(
        st, 409,
        "no key file for an unknown id (checked before the store)"
    );
    // The admin key of init was signed by the now-revoked first key's keys... admin keys
    // are checked against the store, and the keyring still verifies retired keys' keys as
    // retired: issue a new admin key before relying on it.
    // Publishing.
    let r = api
        .c
        .get(api.s.url("/v1/revocations.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let r = api
        .c
        .get(api.s.url("/v1/revocations.bin"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let seq: u64 = etag.trim_matches('"').parse().unwrap();
    let r = api
        .c
        .get(
            api.s
                .url(&format!("/v1/revocations.bin?after={seq}&wait=1")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = api
        .c
        .get(api.s.url(&format!("/v1/revocations.bin?after={}", seq - 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, _) = api
        .call(
            "get",
            "/v1/revocations.bin",
            "/v1/revocations.bin?after=x",
            None,
            None,
        )
        .await;
    assert_eq!(st, 400);
    let r = api
        .c
        .get(api.s.url("/v1/keyring.json"))
        .send()
        .await
        .unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    keyseal::Keyring::from_json(&r.text().await.unwrap()).unwrap();
    let r = api
        .c
        .get(api.s.url("/v1/keyring.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Ops.
    let (st, h) = api.call("get", "/healthz", "/healthz", None, None).await;
    assert_eq!((st, h["status"].as_str()), (200, Some("ok")));
    let m = api
        .c
        .get(api.s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("keyseal_http_requests_total{route=\"/v1/keys\",status=\"201\"}"));
    assert!(m.contains("keyseal_list_sequence "));
    // Unknown route and method: problem+json.
    let r = api.c.get(api.s.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = api.c.delete(api.s.url("/v1/keys")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    // Audit: every change, with request ids, never a key text.
    let (st, audit) = api
        .call("get", "/v1/audit", "/v1/audit?limit=200", a, None)
        .await;
    assert_eq!(st, 200);
    let all = audit.to_string();
    assert!(!all.contains(&text) && !all.contains(&admin));
    let actions: BTreeSet<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    for a in [
        "service.init",
        "admin_key.issue",
        "key.issue",
        "key.revoke",
        "app.revoke",
        "key.reroll",
        "signing_key.create",
        "signing_key.promote",
        "signing_key.revoke_signed",
    ] {
        assert!(actions.contains(a), "audit lacks {a}: {actions:?}");
    }
    let (st, _) = api
        .call("get", "/v1/audit", "/v1/audit?cursor=-1", a, None)
        .await;
    assert_eq!(st, 400);
}

/// Example path for each documented route.
fn example(route: &str) -> String {
    route
        .replace("{token_id}", &"0".repeat(32))
        .replace("{key_id}", "0000000000000000")
        .replace("{app_id}", "app_1")
}

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

#[tokio::test]
async fn sigterm_exits_cleanly_with_everything_committed() {
    let (mut api, admin, dir) = start().await;
    let (tid, _) = issue(&api.c, &api.s, &admin, "app_1", 600).await;
    assert!(api.s.terminate(), "serve exits 0 on SIGTERM");
    assert_eq!(common::sqlite_integrity(dir.path()).await, "ok");
    let s = Server::start(dir.path(), None, &[]);
    let r = api
        .c
        .get(s.url(&format!("/v1/keys/{tid}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
