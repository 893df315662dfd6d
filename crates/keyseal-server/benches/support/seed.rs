//! Seeding a store directly through sqlx (bulk multi-row inserts in one transaction), so
//! that a benchmark starts with thousands of keys or a million list entries without as many
//! HTTP calls.

use std::time::Duration;

use keyseal::{Issuer, Prefix, RevocationListBuilder, SigningKey, Timestamp, TokenId};
use sqlx::{AnyConnection, AssertSqlSafe, Connection, Row};

use super::{PREFIX, Store};

/// Rows per INSERT statement (PostgreSQL takes at most 65,535 bind parameters per
/// statement, SQLite 32,766).
const CHUNK: usize = 1000;

/// The settings the server runs with by default (`--list-validity 1d`,
/// `--max-key-lifetime 400d`), for the seeded list.
const LIST_VALIDITY: Duration = Duration::from_secs(86_400);
const MAX_KEY_LIFETIME: Duration = Duration::from_secs(400 * 86_400);

pub async fn connect(store: &Store) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&store.url())
        .await
        .expect("open the store");
    if store.database.is_none() {
        sqlx::raw_sql("PRAGMA busy_timeout = 30000")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn
}

fn unix(t: Timestamp) -> i64 {
    i64::try_from(t.as_unix()).unwrap()
}

/// The active signing key's id, as the store spells it.
pub async fn active_key_id(conn: &mut AnyConnection) -> String {
    sqlx::query("SELECT key_id FROM signing_keys WHERE state = 'active'")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get("key_id")
        .unwrap()
}

/// `VALUES` groups for `rows` rows of `per_row` fresh parameters each, numbered after
/// `first`; `row` formats one group from its parameter numbers.
fn values(rows: usize, per_row: usize, first: usize, row: impl Fn(&[usize]) -> String) -> String {
    (0..rows)
        .map(|r| {
            let params: Vec<usize> = (0..per_row).map(|i| first + r * per_row + i + 1).collect();
            row(&params)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Inserts `n` unrevoked app keys (as if issued by the server a moment ago, valid a day)
/// and returns their token ids, ready to be revoked over HTTP.
pub async fn app_keys(store: &Store, n: usize) -> Vec<String> {
    let mut conn = connect(store).await;
    let signer = active_key_id(&mut conn).await;
    let now = Timestamp::now();
    let issued = unix(now);
    let expires = unix(now.saturating_add(Duration::from_secs(86_400)));
    let ids: Vec<String> = (0..n).map(|_| TokenId::random().to_string()).collect();
    let mut tx = conn.begin().await.unwrap();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO keys (token_id, kind, app_id, scopes, issued_at, expires_at, signing_key_id, key_sha256) VALUES {}",
            values(chunk.len(), 2, 1, |p| format!(
                "(${}, 'app', '{}', '[\"orders:read\"]', {issued}, {expires}, $1, ${})",
                p[0],
                super::APP,
                p[1]
            ))
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(signer.clone());
        for id in chunk {
            // Any 64 hex digits: these keys have no text, so no digest to look up.
            q = q.bind(id.clone()).bind(format!("{id:0>64}"));
        }
        q.execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
    ids
}

/// Seeds a store that has never been served with `n` committed token revocations and the
/// signed list of sequence 1 that holds them (what `n` earlier revocations would have left),
/// so the server starts on a list of `n` entries. Returns how long the seeding took.
pub async fn revocations(store: &Store, n: usize) -> Duration {
    let started = std::time::Instant::now();
    let mut conn = connect(store).await;
    let signer = active_key_id(&mut conn).await;
    let now = Timestamp::now();
    let expires_at = now.saturating_add(Duration::from_secs(300 * 86_400));
    let expires = unix(expires_at);
    let mut builder = RevocationListBuilder::new();
    builder
        .valid_for(LIST_VALIDITY)
        .max_key_lifetime(MAX_KEY_LIFETIME);
    let mut tx = conn.begin().await.unwrap();
    let mut ids = Vec::with_capacity(CHUNK);
    for start in (0..n).step_by(CHUNK) {
        ids.clear();
        ids.extend((start..n.min(start + CHUNK)).map(|_| TokenId::random()));
        let sql = format!(
            "INSERT INTO revocation_entries (seq, kind, subject, expires_at) VALUES {}",
            values(ids.len(), 1, 0, |p| format!(
                "(1, 'token', ${}, {expires})",
                p[0]
            ))
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in &ids {
            builder.revoke_token(*id, expires_at);
            q = q.bind(id.to_string());
        }
        q.execute(&mut *tx).await.unwrap();
    }
    let key = SigningKey::load_file(store.data.path().join("keys").join(format!("{signer}.pem")))
        .expect("load the signing key file");
    let issuer = Issuer::new(Prefix::new(PREFIX).unwrap(), key);
    let bytes = issuer.sign_revocation_list(&builder, now).unwrap();
    sqlx::query(
        "INSERT INTO revocation_lists (seq, bytes, issued_at, entries) VALUES (1, $1, $2, $3)",
    )
    .bind(bytes)
    .bind(unix(now))
    .bind(i64::try_from(n).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE revocation_counter SET seq = 1 WHERE id = 1")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
    started.elapsed()
}
