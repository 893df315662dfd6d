//! The middleware through axum and a bare tower service: every refusal class's status,
//! challenge and problem code, the credential header kept from the inner service, the key
//! text kept out of responses and logs, scopes, extractors, and verdicts under concurrent
//! keyring and list swaps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use keyseal::{NewKey, Timestamp};
use keyseal_edge::{AuthenticatedKey, Edge, RequireScope};
use support::server::TestServer;
use support::{Signer, eventually, fast_config, ready_edge};
use tower::ServiceExt;

const BOUND: Duration = Duration::from_secs(5);

/// Everything any test in this binary logs, at every level.
fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let logs = LOGS.get_or_init(|| Mutex::new(Vec::new()));
    INSTALLED.get_or_init(|| {
        struct Sink;
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                captured_logs().lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Sink)
            .init();
    });
    logs
}

async fn published(signer: &mut Signer) -> TestServer {
    let server = TestServer::start().await;
    server.publish_keyring(signer.keyring_json());
    let (list, sequence) = signer.next_list(&[], Duration::from_secs(3600));
    server.publish_list(list, sequence);
    server
}

/// What the inner handler saw: the credential headers that reached it.
#[derive(Default, Clone)]
struct Seen(Arc<Mutex<Vec<(bool, bool)>>>);

fn app(edge: &Edge, seen: &Seen) -> Router {
    let seen = seen.clone();
    let write = Router::new()
        .route(
            "/orders/write",
            get(|key: AuthenticatedKey| async move { key.app_id().to_owned() }),
        )
        .layer(RequireScope::all_of(["orders:write"]).unwrap());
    let any = Router::new()
        .route(
            "/orders/any",
            get(|key: AuthenticatedKey| async move { key.app_id().to_owned() }),
        )
        .layer(RequireScope::any_of(["orders:write", "orders:read"]).unwrap());
    Router::new()
        .route(
            "/orders",
            get(move |headers: HeaderMap, key: AuthenticatedKey| {
                let seen = seen.clone();
                async move {
                    seen.0.lock().unwrap().push((
                        headers.contains_key(header::AUTHORIZATION),
                        headers.contains_key("x-api-key"),
                    ));
                    format!("hello {}", key.app_id())
                }
            }),
        )
        .merge(write)
        .merge(any)
        .layer(edge.layer())
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn problem(&self) -> serde_json::Value {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let problem: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        assert_eq!(problem["status"], self.status.as_u16());
        assert_eq!(
            problem["type"],
            format!("urn:keyseal:problem:{}", problem["code"].as_str().unwrap())
        );
        assert!(problem["title"].is_string() && problem["detail"].is_string());
        problem
    }

    fn code(&self) -> String {
        self.problem()["code"].as_str().unwrap().to_owned()
    }

    fn challenge(&self) -> Option<&str> {
        self.headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap())
    }
}

async fn call(app: &Router, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = tokio::time::timeout(BOUND, body.collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test]
async fn every_refusal_class_gets_its_status_challenge_and_code_and_no_key_leaks() {
    let logs = captured_logs();
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let good = signer.issue(&["orders:read"]);
    let revoked = signer.issue(&["orders:read"]);
    let expired = signer.issuers[0]
        .issue_at(
            NewKey::for_app("app_test")
                .scope("orders:read")
                .expires_in(Duration::from_secs(60)),
            Timestamp::now().saturating_sub(Duration::from_secs(3600)),
        )
        .unwrap();
    let early = signer.issuers[0]
        .issue(
            NewKey::for_app("app_test")
                .scope("orders:read")
                .not_before(Timestamp::now().saturating_add(Duration::from_secs(3600)))
                .expires_in(Duration::from_secs(7200)),
        )
        .unwrap();
    let unknown = support::key_from_unknown_signer();
    let forged = support::tamper_signature(good.as_str());
    let wrong_prefix = keyseal::Issuer::new(
        keyseal::Prefix::new("acme_live").unwrap(),
        keyseal::SigningKey::generate().unwrap(),
    )
    .issue(NewKey::for_app("app_test").expires_in(Duration::from_secs(60)))
    .unwrap();
    let (list, sequence) = signer.next_list(&[&revoked], Duration::from_secs(3600));
    server.publish_list(list, sequence);

    let edge = ready_edge(fast_config(&server)).await;
    eventually(BOUND, "list 2", || edge.status().list_sequence == Some(2)).await;
    let seen = Seen::default();
    let app = app(&edge, &seen);

    let ok = call(
        &app,
        "/orders",
        &[("authorization", &bearer(good.as_str()))],
    )
    .await;
    assert_eq!(
        (ok.status, ok.body.as_str()),
        (StatusCode::OK, "hello app_test")
    );
    assert_eq!(
        seen.0.lock().unwrap().last(),
        Some(&(false, false)),
        "credential stripped"
    );

    let invalid_token = Some(r#"Bearer error="invalid_token""#);
    let cases: Vec<(String, &str)> = vec![
        (
            bearer(&format!("acme_test_{}", "!".repeat(200))),
            "malformed.base64",
        ),
        (bearer(wrong_prefix.as_str()), "wrong_prefix"),
        (bearer(unknown.as_str()), "unknown_key"),
        (bearer(&forged), "bad_signature"),
        (bearer(expired.as_str()), "expired"),
        (bearer(early.as_str()), "not_yet_valid"),
        (bearer(revoked.as_str()), "revoked"),
        ("Bearer ".to_owned(), "invalid_credential_header"),
    ];
    for (value, code) in &cases {
        let answer = call(&app, "/orders", &[("authorization", value)]).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{code}");
        assert_eq!(answer.code(), *code);
        assert_eq!(answer.challenge(), invalid_token, "{code}");
    }
    for headers in [&[][..], &[("authorization", "Basic dXNlcjpwYXNz")][..]] {
        let missing = call(&app, "/orders", headers).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
        assert_eq!(missing.code(), "missing_credential");
        assert_eq!(missing.challenge(), Some("Bearer"));
    }

    let scope = call(
        &app,
        "/orders/write",
        &[("authorization", &bearer(good.as_str()))],
    )
    .await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);
    assert_eq!(scope.code(), "missing_scope");
    assert_eq!(
        scope.challenge(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:write""#)
    );
    let any = call(
        &app,
        "/orders/any",
        &[("authorization", &bearer(good.as_str()))],
    )
    .await;
    assert_eq!(any.status, StatusCode::OK);

    // Not ready (sources unreachable): 503, no challenge.
    let never = Edge::start(
        keyseal_edge::EdgeConfig::new(
            keyseal::Prefix::new(support::PREFIX).unwrap(),
            keyseal_edge::Source::url(support::closed_port_url("/v1/keyring.json").await),
        )
        .backoff(Duration::from_millis(50), Duration::from_millis(100)),
    )
    .unwrap();
    let not_ready = call(
        &self::app(&never, &seen),
        "/orders",
        &[("authorization", &bearer(good.as_str()))],
    )
    .await;
    assert_eq!(not_ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(not_ready.code(), "not_ready");
    assert_eq!(not_ready.challenge(), None);

    // A stale list: 503 revocation_list_stale.
    let (short, sequence) = signer.next_list(&[], Duration::from_secs(1));
    server.publish_list(short, sequence);
    eventually(BOUND, "list 3", || edge.status().list_sequence == Some(3)).await;
    server.set_down(true);
    let mut stale = None;
    for _ in 0..400 {
        let answer = call(
            &app,
            "/orders",
            &[("authorization", &bearer(good.as_str()))],
        )
        .await;
        if answer.status != StatusCode::OK {
            stale = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stale = stale.expect("the list went stale within 4 s");
    assert_eq!(stale.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stale.code(), "revocation_list_stale");

    // No key text in any response or log line.
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("request refused"), "the refusals were logged");
    for key in [
        good.as_str(),
        revoked.as_str(),
        expired.as_str(),
        early.as_str(),
        unknown.as_str(),
        &forged,
    ] {
        assert!(!logs.contains(key), "a key text reached the logs");
        let body_part = &key[support::PREFIX.len() + 1..][..40];
        assert!(
            !logs.contains(body_part),
            "part of a key text reached the logs"
        );
        for answer in [&ok, &scope, &any, &not_ready, &stale] {
            assert!(!answer.body.contains(body_part));
            assert!(
                answer
                    .headers
                    .values()
                    .all(|v| !v.to_str().unwrap_or("").contains(body_part))
            );
        }
    }
}

#[tokio::test]
async fn a_configured_header_is_read_stripped_or_kept() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let seen = Seen::default();
    let x_api_key = http::HeaderName::from_static("x-api-key");

    let strip = ready_edge(fast_config(&server).credential_header(x_api_key.clone())).await;
    let app = app(&strip, &seen);
    let answer = call(
        &app,
        "/orders",
        &[
            ("x-api-key", &format!(" {} ", key.as_str())),
            ("authorization", "Basic x"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        seen.0.lock().unwrap().last(),
        Some(&(true, false)),
        "x-api-key stripped, other headers kept"
    );
    let missing = call(&app, "/orders", &[("authorization", &bearer(key.as_str()))]).await;
    assert_eq!(missing.code(), "missing_credential");

    let keep = ready_edge(
        fast_config(&server)
            .credential_header(x_api_key)
            .keep_credential_header(true),
    )
    .await;
    let answer = call(
        &self::app(&keep, &seen),
        "/orders",
        &[("x-api-key", key.as_str())],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        seen.0.lock().unwrap().last(),
        Some(&(false, true)),
        "kept when configured"
    );
}

#[tokio::test]
async fn optional_routes_and_a_bare_tower_service() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let key = signer.issue(&["orders:read"]);
    let edge = ready_edge(fast_config(&server)).await;

    let optional = Router::new()
        .route(
            "/maybe",
            get(|key: Option<AuthenticatedKey>| async move {
                key.map_or_else(|| "anonymous".to_owned(), |k| k.app_id().to_owned())
            }),
        )
        .layer(edge.optional_layer());
    assert_eq!(call(&optional, "/maybe", &[]).await.body, "anonymous");
    assert_eq!(
        call(
            &optional,
            "/maybe",
            &[("authorization", &bearer(key.as_str()))]
        )
        .await
        .body,
        "app_test"
    );
    let bad = call(
        &optional,
        "/maybe",
        &[("authorization", "Bearer acme_test_garbage")],
    )
    .await;
    assert_eq!(
        bad.status,
        StatusCode::UNAUTHORIZED,
        "a credential present must be valid"
    );

    // The extractor without the layer refuses rather than letting the request through.
    let unprotected = Router::new().route(
        "/x",
        get(|key: AuthenticatedKey| async move { key.app_id().to_owned() }),
    );
    assert_eq!(
        call(&unprotected, "/x", &[]).await.code(),
        "missing_credential"
    );

    // A plain tower service, no axum: the key arrives in the extensions.
    let service = tower::ServiceBuilder::new()
        .layer(edge.layer())
        .service(tower::service_fn(|request: Request<()>| async move {
            let key = request
                .extensions()
                .get::<AuthenticatedKey>()
                .unwrap()
                .clone();
            Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                Bytes::from(key.app_id().to_owned()),
            )))
        }));
    let request = Request::get("/")
        .header("authorization", bearer(key.as_str()))
        .body(())
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refused = service
        .oneshot(Request::get("/").body(()).unwrap())
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

/// The verdicts a request may get while the refresher moves from one state to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Revoked,
    Unknown,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verdicts_under_concurrent_swaps_match_the_state_before_or_after() {
    let mut signer = Signer::new();
    let server = published(&mut signer).await;
    let keys: Vec<_> = (0..4).map(|_| signer.issue(&["orders:read"])).collect();
    let next = signer.rotate();
    let rotated = signer.issue_with(next, &["orders:read"]);
    let edge = ready_edge(fast_config(&server)).await;
    let app = app(&edge, &Seen::default());
    let texts: Arc<Vec<String>> = Arc::new(
        keys.iter()
            .map(|k| k.as_str().to_owned())
            .chain([rotated.as_str().to_owned()])
            .collect(),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let workers: Vec<_> = (0..3)
        .map(|w| {
            let (app, texts, stop) = (app.clone(), Arc::clone(&texts), Arc::clone(&stop));
            tokio::spawn(async move {
                // Per key, the verdicts this worker saw, in order.
                let mut seen: Vec<Vec<Verdict>> = vec![Vec::new(); texts.len()];
                let mut i = w;
                let mut answered = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let k = i % texts.len();
                    let answer =
                        call(&app, "/orders", &[("authorization", &bearer(&texts[k]))]).await;
                    let verdict = match (answer.status, answer.body.as_str()) {
                        (StatusCode::OK, "hello app_test") => Verdict::Ok,
                        (StatusCode::UNAUTHORIZED, _) if answer.code() == "revoked" => {
                            Verdict::Revoked
                        }
                        (StatusCode::UNAUTHORIZED, _) if answer.code() == "unknown_key" => {
                            Verdict::Unknown
                        }
                        other => panic!("unexpected answer {other:?}"),
                    };
                    if seen[k].last() != Some(&verdict) {
                        seen[k].push(verdict);
                    }
                    i += 1;
                    answered += 1;
                    // Let the refresher and the test's driver run on these workers too.
                    tokio::task::yield_now().await;
                }
                (seen, answered)
            })
        })
        .collect();

    // The refresher swaps: each list revokes one more key, then the keyring rotates.
    for (n, key) in keys.iter().enumerate() {
        let (list, sequence) = signer.next_list(&[key], Duration::from_secs(3600));
        server.publish_list(list, sequence);
        eventually(BOUND, "list applied", || {
            edge.status().list_sequence == Some(sequence)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(20 * (n as u64 + 1))).await;
    }
    server.publish_keyring(signer.keyring_json());
    eventually(BOUND, "keyring applied", || edge.status().keyring_keys == 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);

    let mut requests = 0;
    for worker in workers {
        let (seen, answered) = tokio::time::timeout(BOUND, worker).await.unwrap().unwrap();
        requests += answered;
        for (k, history) in seen.iter().enumerate() {
            // Each key moves once, from its state before the swap to its state after,
            // and never back: no answer from a mix of states or a state undone.
            let allowed: &[&[Verdict]] = if k < keys.len() {
                &[
                    &[Verdict::Ok],
                    &[Verdict::Ok, Verdict::Revoked],
                    &[Verdict::Revoked],
                ]
            } else {
                &[
                    &[Verdict::Unknown],
                    &[Verdict::Unknown, Verdict::Ok],
                    &[Verdict::Ok],
                ]
            };
            assert!(
                allowed.contains(&history.as_slice()),
                "key {k}: {history:?}"
            );
        }
    }
    assert!(requests > 100, "{requests} requests during the swaps");
    for key in &keys {
        assert!(
            edge.verify(key.as_str())
                .is_err_and(|r| r.code() == "revoked")
        );
    }
    edge.verify(rotated.as_str()).unwrap();
}
