//! Test support: a signing service (keys, keyring documents, signed lists) and a small
//! HTTP server on 127.0.0.1 publishing them with the keyseal-server protocol (strong ETag,
//! Cache-Control max-age, 304, long poll), counting requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

pub mod server;

use std::time::Duration;

use zeroize::Zeroizing;

use keyseal::{
    IssuedKey, Issuer, KeyState, Keyring, NewKey, Prefix, RevocationList, RevocationListBuilder,
    SigningKey, Timestamp,
};

pub const PREFIX: &str = "acme_test";

/// A signing service: its issuers (the first is active), keyring and list history.
pub struct Signer {
    pub prefix: Prefix,
    pub issuers: Vec<Issuer>,
    pub keyring: Keyring,
    pub builder: RevocationListBuilder,
    pub last_list: Option<RevocationList>,
    pub seeds: Vec<Zeroizing<[u8; 32]>>,
}

impl Signer {
    pub fn new() -> Signer {
        let prefix = Prefix::new(PREFIX).unwrap();
        let key = SigningKey::generate().unwrap();
        let seeds = vec![key.to_seed()];
        let issuer = Issuer::new(prefix.clone(), key);
        let mut keyring = Keyring::new();
        keyring.add(issuer.public_key(), KeyState::Active).unwrap();
        Signer {
            prefix,
            issuers: vec![issuer],
            keyring,
            builder: RevocationListBuilder::new(),
            last_list: None,
            seeds,
        }
    }

    pub fn keyring_json(&self) -> Vec<u8> {
        self.keyring.to_json().into_bytes()
    }

    /// Issues a key with the active issuer.
    pub fn issue(&self, scopes: &[&str]) -> IssuedKey {
        self.issue_with(0, scopes)
    }

    pub fn issue_with(&self, issuer: usize, scopes: &[&str]) -> IssuedKey {
        self.issuers[issuer]
            .issue(
                NewKey::for_app("app_test")
                    .scopes(scopes.iter().copied())
                    .expires_in(Duration::from_secs(3600)),
            )
            .unwrap()
    }

    /// Signs the next list (revoking `revoke` on top of the earlier ones), valid for
    /// `valid_for`.
    pub fn next_list(&mut self, revoke: &[&IssuedKey], valid_for: Duration) -> (Vec<u8>, u64) {
        let mut builder = match &self.last_list {
            Some(previous) => RevocationListBuilder::from_previous(previous),
            None => RevocationListBuilder::new(),
        };
        for key in revoke {
            builder.revoke_claims(key.claims());
        }
        builder.valid_for(valid_for);
        let bytes = self.issuers[0]
            .sign_revocation_list(&builder, Timestamp::now())
            .unwrap();
        let list =
            RevocationList::verify(&bytes, &self.prefix, &self.keyring, Timestamp::now()).unwrap();
        let sequence = list.sequence();
        self.last_list = Some(list);
        (bytes, sequence)
    }

    /// Adds a new signing key (verify-only) and returns its index.
    pub fn rotate(&mut self) -> usize {
        let key = SigningKey::generate().unwrap();
        self.seeds.push(key.to_seed());
        let issuer = Issuer::new(self.prefix.clone(), key);
        self.keyring
            .add(issuer.public_key(), KeyState::VerifyOnly)
            .unwrap();
        self.issuers.push(issuer);
        self.issuers.len() - 1
    }
}

/// A well-formed key signed by a key id the edge does not know.
pub fn key_from_unknown_signer() -> IssuedKey {
    Issuer::new(
        Prefix::new(PREFIX).unwrap(),
        SigningKey::generate().unwrap(),
    )
    .issue(
        NewKey::for_app("app_forged")
            .scope("orders:read")
            .expires_in(Duration::from_secs(3600)),
    )
    .unwrap()
}

/// Polls `check` every 10 ms until it holds, failing after `limit`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Flips one bit of the signature of `text` and fixes the checksum, so the change reaches
/// the signature check (a forged key).
pub fn tamper_signature(text: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let body = text
        .strip_prefix(PREFIX)
        .unwrap()
        .strip_prefix('_')
        .unwrap();
    let mut bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
    let n = bytes.len();
    bytes[n - 4 - 10] ^= 0x01;
    let mut h = crc32fast::Hasher::new();
    h.update(PREFIX.as_bytes());
    h.update(b"_");
    h.update(&bytes[..n - 4]);
    let crc = h.finalize().to_be_bytes();
    bytes[n - 4..].copy_from_slice(&crc);
    format!("{PREFIX}_{}", Base64UrlUnpadded::encode_string(&bytes))
}

/// A configuration with short intervals for tests: polls every 100 ms (max-age 0 is
/// clamped up to 50 ms... within 50–200 ms), backoff 50–200 ms, no jitter.
pub fn fast_config(server: &server::TestServer) -> keyseal_edge::EdgeConfig {
    keyseal_edge::EdgeConfig::new(
        Prefix::new(PREFIX).unwrap(),
        keyseal_edge::Source::url(server.keyring_url()),
    )
    .revocations(keyseal_edge::Source::url(server.list_url()))
    .intervals(
        Duration::from_millis(100),
        Duration::from_millis(50),
        Duration::from_millis(200),
    )
    .backoff(Duration::from_millis(50), Duration::from_millis(200))
    .timeouts(Duration::from_secs(1), Duration::from_secs(2))
    .jitter(0.0)
}

/// A URL on 127.0.0.1 where nothing listens.
pub async fn closed_port_url(path: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}{path}")
}

/// Starts an edge and waits (bounded) until it is ready.
pub async fn ready_edge(config: keyseal_edge::EdgeConfig) -> keyseal_edge::Edge {
    let edge = keyseal_edge::Edge::start(config).unwrap();
    tokio::time::timeout(Duration::from_secs(10), edge.ready())
        .await
        .expect("edge ready within 10 s");
    edge
}

impl Signer {
    /// The seed of issuer `i`'s signing key (tests only).
    pub fn seed(&self, i: usize) -> [u8; 32] {
        *self.seeds[i]
    }
}
