//! The durable store: SQLite (embedded, default) or PostgreSQL, through one sqlx `Any` pool.
//! All SQL lives in this module and in `migrations/`.
//!
//! Reads take any connection ([`read`]); every change goes through a [`WriteTx`], which on
//! SQLite starts with `BEGIN IMMEDIATE` (the write lock up front, so two writers never
//! deadlock on an upgrade) and on both backends can take the one-row revocation counter,
//! the lock that orders every publication.

pub(crate) mod leaks;
pub(crate) mod read;
mod rows;
mod write;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, SqlSafeStr};

use crate::error::{Error, Result};
pub(crate) use write::WriteTx;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The store: a connection pool and which backend it talks to.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: AnyPool,
    backend: Backend,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        14,
        "leak_events",
        include_str!("../../migrations/sqlite/0014_leak_events.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        14,
        "leak_events",
        include_str!("../../migrations/postgres/0014_leak_events.sql"),
    ),
];

impl Store {
    /// Opens the store: `database` if given (a `postgres://` URL), else `keyseal.db` in
    /// `data_dir`; runs the migrations.
    pub(crate) async fn open(data_dir: &Path, database: Option<&str>) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (url.to_owned(), Backend::Postgres)
            }
            Some(_) => {
                return Err(Error::Setup(
                    "--database takes a postgres:// URL (SQLite is the default, in --data)"
                        .to_owned(),
                ));
            }
            None => {
                let path = data_dir.join("keyseal.db");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // FULL: a commit is on disk before its `200` (survives power loss, not
                    // just a killed process). The busy timeout lets writers queue.
                    conn.execute("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;")
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        if backend == Backend::Sqlite {
            // Persistent in the database file: set once.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_all(&pool)
                .await?;
        }
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let files = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations = files
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations)
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// Which backend this is.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for reads (see [`read`]).
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction.
    pub(crate) async fn write(&self) -> Result<WriteTx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx::new(tx))
    }

    /// Whether the store answers a trivial query.
    pub(crate) async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await.is_ok()
    }

    /// Closes the pool: waits for connections in use, checkpoints nothing half-written.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}
