//! Published lists, fetched and checked with the core library's verifier as an edge would.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use super::{PREFIX, Server};

/// A verified published list.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub seq: u64,
    /// The key id that signed it.
    pub signer: String,
    pub bytes: Vec<u8>,
    pub tokens: BTreeSet<String>,
}

/// The server's keyring document.
pub async fn keyring(c: &reqwest::Client, s: &Server) -> keyseal::Keyring {
    let r = c.get(s.url("/v1/keyring.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    keyseal::Keyring::from_json(&r.text().await.unwrap()).unwrap()
}

/// Verifies list bytes against `ring` (signature, prefix, freshness).
pub fn verify(bytes: &[u8], ring: &keyseal::Keyring) -> Fetched {
    let prefix = keyseal::Prefix::new(PREFIX).unwrap();
    let list = keyseal::RevocationList::verify(bytes, &prefix, ring, keyseal::Timestamp::now())
        .expect("the published list verifies with the published keyring");
    Fetched {
        seq: list.sequence(),
        signer: list.signer().to_string(),
        bytes: bytes.to_vec(),
        tokens: list
            .tokens()
            .iter()
            .map(|t| t.token_id.to_string())
            .collect(),
    }
}

/// `GET /v1/revocations.bin`, verified against the server's keyring.
pub async fn current(c: &reqwest::Client, s: &Server) -> Fetched {
    let ring = keyring(c, s).await;
    let r = c.get(s.url("/v1/revocations.bin")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fetched = verify(&r.bytes().await.unwrap(), &ring);
    assert_eq!(
        etag.as_deref(),
        Some(format!("\"{}\"", fetched.seq).as_str()),
        "the ETag names the list's sequence"
    );
    fetched
}
