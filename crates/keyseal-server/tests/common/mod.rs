//! Shared by every test file: real `keyseal-server` processes on loopback, an HTTP client,
//! PostgreSQL databases, and the OpenAPI document.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod api;
pub mod edge;
pub mod lists;
pub mod schema;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyseal-server");
pub const PREFIX: &str = "acme_live";

/// `keyseal-server init`; returns the admin key it prints.
pub fn init(data: &Path, database: Option<&str>) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["init", "--data"])
        .arg(data)
        .args(["--prefix", PREFIX]);
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let out = cmd.output().expect("run init");
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let key = text.trim().to_owned();
    assert!(
        key.starts_with("acme_live_admin_"),
        "admin key printed: {}",
        key.len()
    );
    key
}

/// A running server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
    /// Its standard error, line by line (also echoed to the test's standard error).
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `keyseal-server serve` on 127.0.0.1:0 with `extra` arguments; waits (bounded) for it
    /// to listen. Logs at `warn`.
    pub fn start(data: &Path, database: Option<&str>, extra: &[&str]) -> Server {
        Server::start_logging(data, database, extra, "warn")
    }

    /// [`Server::start`] with `RUST_LOG=log`; every line is kept in [`Server::logs`].
    pub fn start_logging(data: &Path, database: Option<&str>, extra: &[&str], log: &str) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"]);
        if !extra.contains(&"--propagation-delay") {
            cmd.args(["--propagation-delay", "0s"]);
        }
        cmd.args(extra)
            .env("RUST_LOG", log)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn().expect("spawn serve");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let kept = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[server] {line}");
                kept.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server did not start listening within 30 s");
        let addr = line
            .strip_prefix("listening on ")
            .expect("listening line")
            .parse()
            .unwrap();
        Server {
            child,
            addr,
            data: data.to_owned(),
            logs,
        }
    }

    /// Whether some log line so far contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.logs.lock().unwrap().iter().any(|l| l.contains(needle))
    }

    /// Waits (bounded) until a log line contains `needle`.
    pub fn wait_logged(&self, needle: &str, bound: Duration) -> bool {
        let until = std::time::Instant::now() + bound;
        while std::time::Instant::now() < until {
            if self.logged(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.logged(needle)
    }

    /// Sends SIGTERM without waiting.
    pub fn send_sigterm(&self) {
        unsafe_kill(i32::try_from(self.child.id()).unwrap(), libc::SIGTERM);
    }

    /// Waits (bounded) for the process to exit; its status, or `None` if still running.
    pub fn wait_exit(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if std::time::Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait (bounded) for a clean exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        self.send_sigterm();
        match self.wait_exit(Duration::from_secs(10)) {
            Some(status) => status.success(),
            None => {
                self.kill();
                false
            }
        }
    }
}

#[allow(unsafe_code)]
fn unsafe_kill(pid: i32, signal: i32) {
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    unsafe {
        libc::kill(pid, signal);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client that never goes through a proxy, with a bounded timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(70))
        .build()
        .unwrap()
}

/// A fresh data directory.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The test PostgreSQL server's URL: from `KEYSEAL_TEST_POSTGRES_URL`. Missing: a failure
/// under CI, a skip (with a notice) elsewhere.
pub fn postgres_url() -> Option<String> {
    match std::env::var("KEYSEAL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but KEYSEAL_TEST_POSTGRES_URL is not: .ci/run must export it")
        }
        _ => {
            eprintln!(
                "NOTICE: KEYSEAL_TEST_POSTGRES_URL is not set; skipping this PostgreSQL test"
            );
            None
        }
    }
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A new empty database on the test server; returns its URL.
pub async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "keyseal_t_{}_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
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

/// `PRAGMA integrity_check` of a data directory's SQLite store.
pub async fn sqlite_integrity(data: &Path) -> String {
    use sqlx::{Connection, Row};
    let url = format!("sqlite://{}", data.join("keyseal.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let row = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    row.try_get::<String, _>(0).unwrap()
}

/// Issues an app key; returns (token id, key text).
pub async fn issue(
    c: &reqwest::Client,
    s: &Server,
    admin: &str,
    app: &str,
    lifetime: u64,
) -> (String, String) {
    let r = c
        .post(s.url("/v1/keys"))
        .bearer_auth(admin)
        .json(&serde_json::json!({"app_id": app, "scopes": ["orders:read"], "lifetime_seconds": lifetime}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    (
        v["token_id"].as_str().unwrap().to_owned(),
        v["key"].as_str().unwrap().to_owned(),
    )
}

/// The published keyring and list, checked with the core library as an edge would.
pub async fn edge_verifier(c: &reqwest::Client, s: &Server) -> keyseal::Verifier {
    let ring = c
        .get(s.url("/v1/keyring.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ring = keyseal::Keyring::from_json(&ring).unwrap();
    let list = c
        .get(s.url("/v1/revocations.bin"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let prefix = keyseal::Prefix::new(PREFIX).unwrap();
    keyseal::Verifier::new(prefix, ring)
        .update_revocations(&list, keyseal::Timestamp::now())
        .unwrap()
}

/// Token ids in a published list.
pub fn list_tokens(
    bytes: &[u8],
    ring: &keyseal::Keyring,
) -> (u64, std::collections::BTreeSet<String>) {
    let prefix = keyseal::Prefix::new(PREFIX).unwrap();
    let list =
        keyseal::RevocationList::verify(bytes, &prefix, ring, keyseal::Timestamp::now()).unwrap();
    (
        list.sequence(),
        list.tokens()
            .iter()
            .map(|t| t.token_id.to_string())
            .collect(),
    )
}

/// A small deterministic PRNG (xorshift64*) for test schedules; the seed is printed so a
/// failing run can be repeated with `KEYSEAL_TEST_SEED`.
pub struct Rng(u64);

impl Rng {
    pub fn from_env_or_time(test: &str) -> Rng {
        let seed = std::env::var("KEYSEAL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos();
                u64::try_from(nanos % u128::from(u64::MAX)).unwrap()
            });
        eprintln!("{test}: seed {seed} (KEYSEAL_TEST_SEED={seed} repeats this run)");
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// Polls `check` every 10 ms until it holds or `bound` passes; returns the time it took.
pub async fn eventually<F, Fut>(bound: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < bound, "not within {bound:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// POSTs JSON with the admin key; returns (status, body).
pub async fn post(
    c: &reqwest::Client,
    s: &Server,
    admin: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = c
        .post(s.url(path))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, v)
}

/// GETs with the admin key; returns (status, body).
pub async fn get(
    c: &reqwest::Client,
    s: &Server,
    admin: &str,
    path: &str,
) -> (u16, serde_json::Value) {
    let r = c.get(s.url(path)).bearer_auth(admin).send().await.unwrap();
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, v)
}
