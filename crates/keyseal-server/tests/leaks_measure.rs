//! The leak-report figures in the README, measured once on demand (`cargo test -p
//! keyseal-server --release --test leaks_measure -- --ignored --nocapture`): the time to
//! answer a 1,000-key report against a 1-key report and against 1,000 introspections, and
//! the time from the report's answer to an edge on loopback refusing a reported key. It
//! prints figures and asserts only correctness (every key revoked, the edge refuses).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

#[allow(unreachable_pub, clippy::collapsible_if)]
mod common;
#[allow(unreachable_pub)]
mod leaks_support;

use std::time::{Duration, Instant};

use common::{Server, client, data_dir, init, issue};
use leaks_support::{KeysServer, entry, github_key, keys_document, post_signed};
use serde_json::json;

#[tokio::test]
#[ignore = "a measurement: run once with --ignored --nocapture"]
async fn measure_leak_report_figures() {
    let k1 = github_key(7);
    let keys = KeysServer::start(keys_document(&[("k1", &k1)])).await;
    let dir = data_dir();
    let admin = init(dir.path(), None);
    let s = Server::start(dir.path(), None, &["--github-keys-url", keys.url.as_str()]);
    let c = client();
    // 1,001 live keys (one for the 1-key report), issued 25 at a time.
    let mut keys_issued = Vec::new();
    for chunk in 0..41 {
        let batch: Vec<_> = (0..25)
            .map(|i| {
                let (c, admin) = (c.clone(), admin.clone());
                let s_url = s.url("");
                let _ = (chunk, i);
                tokio::spawn(async move {
                    let r = c
                        .post(format!("{s_url}/v1/keys"))
                        .bearer_auth(&admin)
                        .json(&json!({"app_id": "app_1", "scopes": ["orders:read"], "lifetime_seconds": 3600}))
                        .send()
                        .await
                        .unwrap();
                    let v: serde_json::Value = r.json().await.unwrap();
                    v["key"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        for b in batch {
            keys_issued.push(b.await.unwrap());
        }
    }
    keys_issued.truncate(1001);
    let (single, big) = keys_issued.split_at(1);
    let url = s.url("/v1/leaks/github");
    // Warm the key cache (the first report fetches GitHub's keys).
    let warm = serde_json::to_vec(&json!([entry("acme_live_nothing", "https://x.test/")])).unwrap();
    post_signed(&c, &url, "k1", &k1, &warm).await;

    // Baseline: 1,000 introspections, one after another.
    let started = Instant::now();
    for k in big {
        let r = c
            .post(s.url("/v1/keys/verify"))
            .bearer_auth(&admin)
            .json(&json!({"key": k}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let verify_1000 = started.elapsed();

    // A 1-key report.
    let body = serde_json::to_vec(&json!([entry(
        &single[0],
        "https://github.com/o/r/blob/a/x"
    )]))
    .unwrap();
    let started = Instant::now();
    let (st, _) = post_signed(&c, &url, "k1", &k1, &body).await;
    let report_1 = started.elapsed();
    assert_eq!(st, 200);

    // An edge long-polling for the next list, holding the keyring already.
    let ring = keyseal::Keyring::from_json(
        &c.get(s.url("/v1/keyring.json"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let seq: u64 = c
        .get(s.url("/v1/revocations.bin"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap();
    let probe = big[500].clone();
    let edge = {
        let (c, poll) = (
            c.clone(),
            s.url(&format!("/v1/revocations.bin?after={seq}&wait=30")),
        );
        tokio::spawn(async move {
            let bytes = c.get(poll).send().await.unwrap().bytes().await.unwrap();
            let prefix = keyseal::Prefix::new(common::PREFIX).unwrap();
            let v = keyseal::Verifier::new(prefix, ring)
                .update_revocations(&bytes, keyseal::Timestamp::now())
                .unwrap();
            assert_eq!(v.verify(&probe).unwrap_err().code(), "revoked");
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The 1,000-key report.
    let report: Vec<_> = big
        .iter()
        .enumerate()
        .map(|(i, k)| {
            entry(
                k,
                &format!("https://github.com/octo/repo/blob/abc/f{i}.env"),
            )
        })
        .collect();
    let body = serde_json::to_vec(&report).unwrap();
    let started = Instant::now();
    let (st, verdicts) = post_signed(&c, &url, "k1", &k1, &body).await;
    let answered = Instant::now();
    let report_1000 = answered - started;
    assert_eq!(st, 200);
    assert!(
        verdicts
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["label"] == "true_positive")
    );
    let refused = edge.await.unwrap();
    let edge_ms = if refused >= answered {
        (refused - answered).as_secs_f64() * 1e3
    } else {
        -((answered - refused).as_secs_f64() * 1e3)
    };
    let page: serde_json::Value = c
        .get(s.url("/v1/keys?status=revoked&limit=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let _ = issue;
    println!(
        "leak report figures: 1000-key report {:.0} ms; 1-key report {:.1} ms; 1000 sequential POST /v1/keys/verify {:.0} ms; \
         ratio 1000-key report / 1000 verifies = {:.3}; ratio 1000-key / 1-key report = {:.1}; \
         edge (long poll, loopback) refused a reported key {:.1} ms after the answer (negative: before it)",
        report_1000.as_secs_f64() * 1e3,
        report_1.as_secs_f64() * 1e3,
        verify_1000.as_secs_f64() * 1e3,
        report_1000.as_secs_f64() / verify_1000.as_secs_f64(),
        report_1000.as_secs_f64() / report_1.as_secs_f64(),
        edge_ms,
    );
}
