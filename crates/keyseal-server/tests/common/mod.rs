//! Shared by every test file: real `keyseal-server` processes on loopback, an HTTP client,
//! PostgreSQL databases, and the OpenAPI document.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod schema;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
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
}

impl Server {
    /// `keyseal-server serve` on 127.0.0.1:0 with `extra` arguments; waits (bounded) for it
    /// to listen.
    pub fn start(data: &Path, database: Option<&str>, extra: &[&str]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--propagation-delay", "0s"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(db) = database {
            cmd.args(["--database", db]);
        }
        let mut child = cmd.spawn().expect("spawn serve");
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
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY-free: libc::kill on our own child's pid.
        unsafe_kill(pid, libc::SIGTERM);
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
        false
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
