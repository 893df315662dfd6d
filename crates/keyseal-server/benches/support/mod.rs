//! Shared by the benchmarks: real `keyseal-server` processes on 127.0.0.1, a reused HTTP
//! client, PostgreSQL databases from `KEYSEAL_TEST_POSTGRES_URL`, direct bulk seeding of
//! the store through sqlx, and the server's own `/metrics` figures.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

pub mod seed;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyseal-server");
pub const PREFIX: &str = "acme_live";
pub const APP: &str = "bench-app";

/// Which store a benchmark case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The backends to run: SQLite always; PostgreSQL when `KEYSEAL_TEST_POSTGRES_URL` is set
/// (otherwise a note says its cases are skipped).
pub fn backends() -> Vec<Backend> {
    if postgres_url().is_some() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!(
            "NOTE: KEYSEAL_TEST_POSTGRES_URL is not set; skipping the PostgreSQL cases of this benchmark"
        );
        vec![Backend::Sqlite]
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("KEYSEAL_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A tokio runtime for the client side of a benchmark.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A client that never goes through a proxy, with bounded timeouts, reused for every
/// request of a benchmark (keep-alive connections).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// A store of either backend, initialised (`keyseal-server init`), not yet served: its
/// data directory (key files; the SQLite file), its database URL for PostgreSQL, and the
/// admin key `init` printed.
pub struct Store {
    pub data: tempfile::TempDir,
    pub database: Option<String>,
    pub admin: String,
    pub backend: Backend,
}

impl Store {
    pub async fn init(backend: Backend) -> Store {
        let data = tempfile::tempdir().unwrap();
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres_database(&postgres_url().unwrap()).await),
        };
        let mut cmd = Command::new(BIN);
        cmd.args(["init", "--data"])
            .arg(data.path())
            .args(["--prefix", PREFIX]);
        if let Some(db) = &database {
            cmd.args(["--database", db]);
        }
        let out = cmd.output().expect("run keyseal-server init");
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(
            admin.starts_with("acme_live_admin_"),
            "init printed an admin key"
        );
        Store {
            data,
            database,
            admin,
            backend,
        }
    }

    /// The URL sqlx opens for direct access (seeding).
    pub fn url(&self) -> String {
        match &self.database {
            Some(db) => db.clone(),
            None => format!("sqlite://{}", self.data.path().join("keyseal.db").display()),
        }
    }

    /// `keyseal-server serve` on 127.0.0.1:0 with `extra` arguments.
    pub fn serve(&self, extra: &[&str]) -> Server {
        Server::start(self.data.path(), self.database.as_deref(), extra)
    }
}

impl Drop for Store {
    /// Drops the PostgreSQL database this store made (a 1M-entry one holds hundreds of MB);
    /// the temporary data directory goes with `data`.
    fn drop(&mut self) {
        let (Some(db), Some(url)) = (self.database.take(), postgres_url()) else {
            return;
        };
        let Some((_, name)) = db.rsplit_once('/') else {
            return;
        };
        let name = name.to_owned();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("NOTE: could not drop a benchmark database; drop it by hand");
        }
    }
}

/// A running server process, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    fn start(data: &Path, database: Option<&str>, extra: &[&str]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn().expect("spawn keyseal-server serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        // Start-up checks the latest list against every stored entry: minutes at 1M rows
        // on a loaded machine, so the bound is generous.
        let line = rx
            .recv_timeout(Duration::from_secs(600))
            .expect("server did not start listening within 600 s");
        let addr = line
            .strip_prefix("listening on ")
            .expect("listening line")
            .parse()
            .unwrap();
        Server { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A new empty database on the PostgreSQL server at `url`; returns its URL.
pub async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "keyseal_b_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// Issues an app key over HTTP; returns (token id, key text).
pub async fn issue(c: &reqwest::Client, s: &Server, admin: &str) -> (String, String) {
    let r = c
        .post(s.url("/v1/keys"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"app_id": APP, "scopes": ["orders:read"], "lifetime_seconds": 86_400}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "issue answered {}", r.status());
    let v: serde_json::Value = r.json().await.unwrap();
    (
        v["token_id"].as_str().unwrap().to_owned(),
        v["key"].as_str().unwrap().to_owned(),
    )
}

/// Revokes a key over HTTP; the `200` comes after the commit of the list that carries it.
pub async fn revoke(c: &reqwest::Client, s: &Server, admin: &str, token_id: &str) {
    let r = c
        .post(s.url(&format!("/v1/keys/{token_id}/revoke")))
        .bearer_auth(admin)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "revoke answered {}", r.status());
}

/// One sample of the server's `/metrics` (the figures the benchmarks read).
#[derive(Debug, Clone, Copy, Default)]
pub struct Metrics {
    pub revocations: f64,
    pub publishes: f64,
    pub publish_seconds_sum: f64,
    pub last_publish_seconds: f64,
    pub list_entries: f64,
    pub list_bytes: f64,
}

pub async fn metrics(c: &reqwest::Client, s: &Server) -> Metrics {
    let text = c
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    Metrics {
        revocations: value("keyseal_revocations_total"),
        publishes: value("keyseal_list_publishes_total"),
        publish_seconds_sum: value("keyseal_list_publish_seconds_sum"),
        last_publish_seconds: value("keyseal_list_last_publish_seconds"),
        list_entries: value("keyseal_list_entries"),
        list_bytes: value("keyseal_list_bytes"),
    }
}

/// The 1-minute load average, to print next to figures taken on a shared machine.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// `p` (0–100) percentile of `samples` by nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
