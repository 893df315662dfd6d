//! Loopback load test: requests per second of an axum handler with the keyseal layer
//! (cached key) and without, over real HTTP on 127.0.0.1, phases interleaved. Bounded in
//! time: four phases of `LOAD_SECONDS` (default 3, at most 30) each, then it exits.
//!
//! The load comes from `wrk` (Debian package `wrk`) when it is on the `PATH`, with the
//! header in a Lua script readable only by this user (not on wrk's command line); else
//! from an in-process reqwest client. `LOAD_CLIENT=reqwest` forces the latter.
//!
//! `cargo run --release -p keyseal-edge --features axum --example load_test`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use keyseal::{Issuer, KeyState, Keyring, NewKey, Prefix, SaveMode, SigningKey};
use keyseal_edge::{AuthenticatedKey, Edge, EdgeConfig, Source};

const CONNECTIONS: usize = 32;

async fn serve(app: Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/orders", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

/// Sends requests on `CONNECTIONS` concurrent tasks for `seconds`; returns requests/s.
async fn phase(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    seconds: Duration,
) -> Result<f64, String> {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, auth) = (client.clone(), url.to_owned(), auth.to_owned());
            let (done, failed, stop) = (Arc::clone(&done), Arc::clone(&failed), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let ok = match client.get(&url).header("authorization", &auth).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    (if ok { &done } else { &failed }).fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(seconds).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(format!(
            "{} requests failed",
            failed.load(Ordering::Relaxed)
        ));
    }
    Ok(done.load(Ordering::Relaxed) as f64 / elapsed)
}

/// Runs wrk against `url` for `seconds` with `CONNECTIONS` connections on one thread;
/// returns requests/s.
async fn phase_wrk(script: &std::path::Path, url: &str, seconds: Duration) -> Result<f64, String> {
    let args = [
        "-t1".to_owned(),
        format!("-c{CONNECTIONS}"),
        format!("-d{}s", seconds.as_secs()),
        "--timeout".to_owned(),
        "5s".to_owned(),
        "-s".to_owned(),
        script.display().to_string(),
        url.to_owned(),
    ];
    let run =
        tokio::task::spawn_blocking(move || std::process::Command::new("wrk").args(args).output());
    let output = tokio::time::timeout(seconds + Duration::from_secs(15), run)
        .await
        .map_err(|_| "wrk did not stop in time".to_owned())?
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return Err(format!("wrk saw failures:\n{text}"));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))
}

fn wrk_available() -> bool {
    std::env::var("LOAD_CLIENT").as_deref() != Ok("reqwest")
        && std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(3)
        .clamp(1, 30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let prefix = Prefix::new("load_live")?;
        let issuer = Issuer::new(prefix.clone(), SigningKey::generate()?);
        let mut keyring = Keyring::new();
        keyring.add(issuer.public_key(), KeyState::Active)?;
        let dir = std::env::temp_dir().join(format!("keyseal-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("keyring.json");
        keyring.save_json_file(&path, SaveMode::Replace)?;
        let edge = Edge::start(EdgeConfig::new(prefix, Source::file(&path)))?;
        tokio::time::timeout(Duration::from_secs(10), edge.ready()).await?;
        let key = issuer.issue(NewKey::for_app("app_load").scope("orders:read").expires_in(Duration::from_secs(3600)))?;
        let auth = format!("Bearer {}", key.as_str());

        let bare = serve(Router::new().route("/orders", get(|| async { "ok" }))).await?;
        let protected = serve(
            Router::new()
                .route("/orders", get(|_key: AuthenticatedKey| async { "ok" }))
                .layer(edge.layer()),
        )
        .await?;
        let client = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build()?;
        let d = Duration::from_secs(seconds);
        let wrk = wrk_available();
        let script = dir.join("auth.lua");
        if wrk {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&script)?;
            writeln!(file, "wrk.headers[\"Authorization\"] = \"{auth}\"")?;
        }
        let mut without = Vec::new();
        let mut with = Vec::new();
        for _ in 0..2 {
            if wrk {
                without.push(phase_wrk(&script, &bare, d).await?);
                with.push(phase_wrk(&script, &protected, d).await?);
            } else {
                without.push(phase(&client, &bare, &auth, d).await?);
                with.push(phase(&client, &protected, &auth, d).await?);
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let client = if wrk { "wrk -t1 (a separate process)" } else { "reqwest in the same process" };
        println!("loopback, {CONNECTIONS} concurrent connections, 2 server worker threads, client: {client}, same 2 cores");
        println!("without layer: {:.0} req/s (phases: {:.0?})", mean(&without), without);
        println!("with layer:    {:.0} req/s (phases: {:.0?})", mean(&with), with);
        println!("ratio with/without: {:.3}", mean(&with) / mean(&without));
        std::fs::remove_dir_all(&dir)?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
