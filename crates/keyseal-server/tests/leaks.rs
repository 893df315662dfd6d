//! Leak reports over real HTTP against a real server process: GitHub's signature and key
//! cache (a local stand-in for GitHub's keys document), a mixed report revoking exactly the
//! live keys once, an edge refusing them, the trufflehog verify endpoint. The owner webhook
//! is in `leaks_webhook.rs`.
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
use std::time::Duration;

use common::{Server, client, data_dir, init, issue};
use leaks_support::{KeysServer, entry, github_key, keys_document, post_report, post_signed, sign};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The throttle window the tests run with (the default is a minute).
const WINDOW: Duration = Duration::from_secs(3);

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn start(dir: &std::path::Path, keys_url: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--github-keys-url", keys_url, "--github-keys-refetch", "3s"];
    args.extend_from_slice(extra);
    Server::start(dir, None, &args)
}

#[tokio::test]
async fn only_reports_signed_by_github_over_the_raw_body_are_accepted() {
    let k1 = github_key(7);
    let keys = KeysServer::start(keys_document(&[("k1", &k1)])).await;
    let dir = data_dir();
    init(dir.path(), None);
    let s = start(dir.path(), &keys.url, &[]);
    let c = client();
    let url = s.url("/v1/leaks/github");
    let body = serde_json::to_vec(&json!([entry(
        "acme_live_nothing",
        "https://github.com/o/r/blob/1/a"
    )]))
    .unwrap();

    // Missing headers: 400 before anything is fetched.
    let (st, p) = post_report(&c, &url, None, None, body.clone()).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (400, Some("leak_report.missing_signature"))
    );
    let (st, _) = post_report(&c, &url, Some("k1"), None, body.clone()).await;
    assert_eq!(st, 400);
    let (st, p) = post_report(&c, &url, Some("k1"), Some("!!notbase64"), body.clone()).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (400, Some("leak_report.malformed_signature"))
    );
    assert_eq!(
        keys.fetches(),
        0,
        "nothing is fetched for an unsigned request"
    );

    // Signed: accepted (first fetch).
    let (st, v) = post_signed(&c, &url, "k1", &k1, &body).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v[0]["label"], "false_positive");
    assert_eq!(keys.fetches(), 1);
    // The same signature over one byte changed, or over the same JSON with other whitespace.
    let sig = sign(&k1, &body);
    let mut altered = body.clone();
    let at = altered.iter().position(|&b| b == b'n').unwrap();
    altered[at] = b'm';
    let (st, p) = post_report(&c, &url, Some("k1"), Some(&sig), altered).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (403, Some("leak_report.bad_signature"))
    );
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    assert_ne!(pretty, body);
    let (st, _) = post_report(&c, &url, Some("k1"), Some(&sig), pretty).await;
    assert_eq!(st, 403);
    // Another key's signature under k1's identifier.
    let (st, _) = post_signed(&c, &url, "k1", &github_key(9), &body).await;
    assert_eq!(st, 403);
    // A signed body that is not a report: 400, never 500.
    let (st, _) = post_signed(&c, &url, "k1", &k1, b"{\"token\":1}").await;
    assert_eq!(st, 400);
    assert_eq!(
        keys.fetches(),
        1,
        "known identifiers are served from the cache"
    );

    // Unknown identifier inside the window: no fetch (the first fetch was just now).
    let (st, p) = post_signed(&c, &url, "nope", &k1, &body).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (403, Some("leak_report.unknown_key"))
    );
    assert_eq!(keys.fetches(), 1);
    // After the window: GitHub rotated in k2; a report signed with it causes exactly one
    // refetch and is accepted.
    let k2 = github_key(8);
    *keys.document.lock().unwrap() = keys_document(&[("k2", &k2), ("k1", &k1)]);
    tokio::time::sleep(WINDOW).await;
    let (st, _) = post_signed(&c, &url, "k2", &k2, &body).await;
    assert_eq!(st, 200);
    assert_eq!(keys.fetches(), 2, "one refetch for the new identifier");
    // A flood of unknown identifiers: refused, and no more fetches in this window.
    let flood: Vec<_> = (0..40)
        .map(|i| {
            let (c, url, body, k1) = (c.clone(), url.clone(), body.clone(), k1.clone());
            tokio::spawn(async move {
                post_signed(&c, &url, &format!("unknown-{i}"), &k1, &body)
                    .await
                    .0
            })
        })
        .collect();
    for f in flood {
        assert_eq!(f.await.unwrap(), 403);
    }
    assert_eq!(
        keys.fetches(),
        2,
        "a flood inside one window fetches nothing"
    );
    // The next window: the flood again causes exactly one fetch.
    tokio::time::sleep(WINDOW).await;
    for i in 0..40 {
        let (st, _) = post_signed(&c, &url, &format!("again-{i}"), &k1, &body).await;
        assert_eq!(st, 403);
    }
    assert_eq!(
        keys.fetches(),
        3,
        "one fetch per window however many unknown identifiers"
    );
    // Known keys still work; a body over the cap is refused before it is read.
    let (st, _) = post_signed(&c, &url, "k1", &k1, &body).await;
    assert_eq!(st, 200);
    // (Raw HTTP: the server answers and closes without reading the announced body.)
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /v1/leaks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Github-Public-Key-Identifier: k1\r\nGithub-Public-Key-Signature: {sig}\r\n\
         Content-Length: {}\r\n\r\n",
        4 * 1024 * 1024 + 1
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // No keys obtainable: 503 (and again after the window; nothing is cached).
    let dir2 = data_dir();
    init(dir2.path(), None);
    let down = start(dir2.path(), &keys.down_url, &[]);
    let (st, p) = post_signed(&c, &down.url("/v1/leaks/github"), "k1", &k1, &body).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (503, Some("leak_report.keys_unavailable"))
    );
    assert!(
        !p.to_string().contains("127.0.0.1"),
        "the fetch error stays in the log: {p}"
    );
}

/// Issues an admin key with `scopes`; returns (token id, key).
async fn admin_key(
    c: &reqwest::Client,
    s: &Server,
    admin: &str,
    scopes: &[&str],
) -> (String, String) {
    let r = c
        .post(s.url("/v1/admin-keys"))
        .bearer_auth(admin)
        .json(&json!({"scopes": scopes, "lifetime_seconds": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    (
        v["token_id"].as_str().unwrap().to_owned(),
        v["key"].as_str().unwrap().to_owned(),
    )
}

async fn key_record(c: &reqwest::Client, s: &Server, admin: &str, path: &str) -> Value {
    c.get(s.url(path))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn list_sequence(c: &reqwest::Client, s: &Server) -> u64 {
    let r = c.get(s.url("/v1/revocations.bin")).send().await.unwrap();
    r.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap()
}

async fn audit_rows(c: &reqwest::Client, s: &Server, admin: &str) -> Vec<Value> {
    let v: Value = c
        .get(s.url("/v1/audit?limit=200"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

/// A key of another issuer under `prefix`.
fn foreign_key(prefix: &str) -> String {
    let issuer = keyseal::Issuer::new(
        keyseal::Prefix::new(prefix).unwrap(),
        keyseal::SigningKey::generate().unwrap(),
    );
    issuer
        .issue(keyseal::NewKey::for_app("app_1").expires_in(Duration::from_secs(600)))
        .unwrap()
        .into_string()
}

#[tokio::test]
async fn a_report_revokes_exactly_the_live_keys_once_and_edges_refuse_them() {
    let k1 = github_key(7);
    let keys = KeysServer::start(keys_document(&[("k1", &k1)])).await;
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = start(dir.path(), &keys.url, &[]);
    let c = client();
    let (live1_id, live1) = issue(&c, &s, &admin, "app_1", 600).await;
    let (live2_id, live2) = issue(&c, &s, &admin, "app_2", 600).await;
    let (untouched_id, untouched) = issue(&c, &s, &admin, "app_1", 600).await;
    let (leaked_admin_id, leaked_admin) = admin_key(&c, &s, &admin, &["audit:read"]).await;
    let (expired_id, expired) = issue(&c, &s, &admin, "app_3", 1).await;
    let (revoked_id, revoked) = issue(&c, &s, &admin, "app_3", 600).await;
    let r = c
        .post(s.url(&format!("/v1/keys/{revoked_id}/revoke")))
        .bearer_auth(&admin)
        .json(&json!({"reason": "rotated"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let foreign = foreign_key("other_live");
    let forged = foreign_key("acme_live");
    let mut corrupted = live2.clone().into_bytes();
    let mid = corrupted.len() / 2;
    corrupted[mid] = if corrupted[mid] == b'A' { b'B' } else { b'A' };
    let corrupted = String::from_utf8(corrupted).unwrap();
    let random = "acme_live_Q".to_owned() + &"x".repeat(150);
    let tokens: Vec<(&str, &str)> = vec![
        (&live1, "true_positive"),
        (&live2, "true_positive"),
        (&leaked_admin, "true_positive"),
        (&expired, "true_positive"),
        (&revoked, "true_positive"),
        (&foreign, "false_positive"),
        (&forged, "false_positive"),
        (&corrupted, "false_positive"),
        (&random, "false_positive"),
        ("ghp_notakeysealkeyatall", "false_positive"),
        (&live1, "true_positive"),
    ];
    let report: Vec<Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, (t, _))| {
            entry(
                t,
                &format!("https://github.com/octo/repo/blob/abc/f{i}.env"),
            )
        })
        .collect();
    let body = serde_json::to_vec(&report).unwrap();
    let seq_before = list_sequence(&c, &s).await;
    let url = s.url("/v1/leaks/github");
    let (st, verdicts) = post_signed(&c, &url, "k1", &k1, &body).await;
    assert_eq!(st, 200, "{verdicts}");
    let text = verdicts.to_string();
    for (t, label) in &tokens {
        assert!(!text.contains(t), "the answer never echoes a token");
        let _ = label;
    }
    let verdicts = verdicts.as_array().unwrap();
    assert_eq!(verdicts.len(), tokens.len());
    for (v, (t, label)) in verdicts.iter().zip(&tokens) {
        assert_eq!(v["token_hash"], sha256_hex(t));
        assert_eq!(v["token_type"], "keyseal_acme_live_api_key");
        assert_eq!(v["label"], *label, "{t:.24}");
    }
    // Exactly the live ones are revoked, as leaked; in one new list.
    for id in [&live1_id, &live2_id] {
        let k = key_record(&c, &s, &admin, &format!("/v1/keys/{id}")).await;
        assert_eq!(
            (k["status"].as_str(), k["revoke_reason"].as_str()),
            (Some("revoked"), Some("leaked"))
        );
    }
    let a = key_record(&c, &s, &admin, &format!("/v1/admin-keys/{leaked_admin_id}")).await;
    assert_eq!(a["revoke_reason"], "leaked");
    let e = key_record(&c, &s, &admin, &format!("/v1/keys/{expired_id}")).await;
    assert_eq!(
        (e["status"].as_str(), &e["revoked_at"]),
        (Some("expired"), &Value::Null)
    );
    let r = key_record(&c, &s, &admin, &format!("/v1/keys/{revoked_id}")).await;
    assert_eq!(
        r["revoke_reason"], "rotated",
        "an earlier revocation stands"
    );
    let u = key_record(&c, &s, &admin, &format!("/v1/keys/{untouched_id}")).await;
    assert_eq!(u["status"], "active");
    let seq = list_sequence(&c, &s).await;
    assert_eq!(
        seq,
        seq_before + 1,
        "one list publication for the whole report"
    );
    // The audit rows say where GitHub found each key.
    let rows = audit_rows(&c, &s, &admin).await;
    let leaked_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["detail"]["reason"] == "leaked")
        .collect();
    assert_eq!(leaked_rows.len(), 3);
    let subjects: BTreeSet<&str> = leaked_rows
        .iter()
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        BTreeSet::from([
            live1_id.as_str(),
            live2_id.as_str(),
            leaked_admin_id.as_str()
        ])
    );
    let row = leaked_rows
        .iter()
        .find(|r| r["subject"] == live1_id.as_str())
        .unwrap();
    assert_eq!(row["actor"], "github-secret-scanning");
    assert_eq!(row["detail"]["found"]["source"], "content");
    assert_eq!(
        row["detail"]["found"]["url"],
        "https://github.com/octo/repo/blob/abc/f0.env"
    );
    assert!(!Value::Array(rows.clone()).to_string().contains(&live1));

    // The same report again: the same answer, nothing new.
    let (st, again) = post_signed(&c, &url, "k1", &k1, &body).await;
    assert_eq!((st, &Value::Array(verdicts.clone())), (200, &again));
    assert_eq!(list_sequence(&c, &s).await, seq);
    assert_eq!(audit_rows(&c, &s, &admin).await.len(), rows.len());

    // An edge with the published keyring and list refuses the revoked keys.
    let edge = common::edge_verifier(&c, &s).await;
    for k in [&live1, &live2] {
        assert_eq!(edge.verify(k).unwrap_err().code(), "revoked");
    }
    assert!(edge.verify(&untouched).is_ok());
    // The leaked admin key no longer authenticates.
    let r = c
        .get(s.url("/v1/audit"))
        .bearer_auth(&leaked_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // trufflehog's verify endpoint: a live key (with text run on past its end) is verified,
    // a revoked or random one is not; an admin key with keys:verify is needed.
    let th = s.url("/v1/leaks/trufflehog");
    let doc = common::schema::openapi();
    let check = |body: Value, key: Option<String>| {
        let (c, th, doc) = (c.clone(), th.clone(), doc.clone());
        async move {
            let mut r = c.post(&th).json(&body);
            if let Some(k) = key {
                r = r.bearer_auth(k);
            }
            let resp = r.send().await.unwrap();
            let st = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap();
            common::schema::check_response(&doc, "post", "/v1/leaks/trufflehog", st, &bytes);
            (st, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let glued = format!("{untouched}Zq9_trailing");
    let (st, v) = check(
        json!({"keyseal-acme-live": {"key": [glued]}}),
        Some(admin.clone()),
    )
    .await;
    assert_eq!((st, &v["token_ids"]), (200, &json!([untouched_id])));
    assert!(!v.to_string().contains(&untouched));
    for dead in [&live1, &expired, &random, &foreign] {
        let (st, p) = check(
            json!({"keyseal-acme-live": {"key": [dead]}}),
            Some(admin.clone()),
        )
        .await;
        assert_eq!(
            (st, p["code"].as_str()),
            (404, Some("not_live")),
            "{dead:.20}"
        );
    }
    let (st, _) = check(json!({"keyseal-acme-live": {"key": [&untouched]}}), None).await;
    assert_eq!(st, 401);
    let (_, only_audit) = admin_key(&c, &s, &admin, &["audit:read"]).await;
    let (st, _) = check(
        json!({"keyseal-acme-live": {"key": [&untouched]}}),
        Some(only_audit),
    )
    .await;
    assert_eq!(st, 403);
    let (st, _) = check(json!({"keyseal-acme-live": {}}), Some(admin.clone())).await;
    assert_eq!(st, 400);
    let (st, _) = check(json!(["not", "trufflehog"]), Some(admin.clone())).await;
    assert_eq!(st, 400);
}
