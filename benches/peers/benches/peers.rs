//! keyseal against its peers on the standard workload, in one run: bare ed25519-dalek
//! (`sign` / `verify_strict` over keyseal's signed message), keyseal, PASETO v4.public
//! (pasetors), JWT EdDSA (jsonwebtoken, RustCrypto backend) and Biscuit (biscuit-auth,
//! verify + authorize one scope). Same claims everywhere: app id, three scopes, issued now,
//! expiring in 90 days, a 16-byte token id, the signing key's id where the format has a
//! place for it.
//!
//! ```text
//! cargo bench --manifest-path benches/peers/Cargo.toml              # criterion + tables
//! cargo bench --manifest-path benches/peers/Cargo.toml -- ratios    # tables alone
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use base64ct::{Base64UrlUnpadded, Encoding};
use criterion::Criterion;
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[path = "../../support/ratio.rs"]
mod ratio;

use ratio::{Clock, print_header, print_row, ratio};

const PREFIX: &str = "acme_live";
const APP_ID: &str = "app_7f3k9x2m";
const SCOPES: [&str; 3] = ["orders:read", "orders:write", "customers:read"];
const LIFETIME: Duration = Duration::from_secs(90 * 86_400);
const SEED: [u8; 32] = [0x5e; 32];
const TOKEN_ID: [u8; 16] = [0xa7; 16];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 3339 to the second, as the other formats carry times.
fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap()
}

/// Flips the lowest bit of `bytes[i]` in a base64url (unpadded) string.
fn flip_b64(text: &str, i: usize) -> String {
    let mut bytes = Base64UrlUnpadded::decode_vec(text).unwrap();
    bytes[i] ^= 1;
    Base64UrlUnpadded::encode_string(&bytes)
}

/// One token system: issue a token, verify one (including the `orders:read` check).
trait Peer {
    fn name(&self) -> &'static str;
    fn issue(&self) -> String;
    fn verify(&self, token: &str) -> bool;
    /// A token of the standard workload, and the same with one signature byte flipped.
    fn tokens(&self) -> (String, String);
}

// ---- bare ed25519-dalek over keyseal's signed message ----

struct Bare {
    signing: ed25519_dalek::SigningKey,
    verifying: ed25519_dalek::VerifyingKey,
    message: Vec<u8>,
}

impl Bare {
    /// The message keyseal signs for `key` (FORMAT.md: `"keyseal/key" 0x00 len(prefix)
    /// prefix` followed by the key bytes without signature and checksum).
    fn new(key: &str) -> Bare {
        let body = key.strip_prefix("acme_live_").unwrap();
        let bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
        let mut message = b"keyseal/key\0".to_vec();
        message.push(PREFIX.len() as u8);
        message.extend_from_slice(PREFIX.as_bytes());
        message.extend_from_slice(&bytes[..bytes.len() - 68]);
        let signing = ed25519_dalek::SigningKey::from_bytes(&SEED);
        Bare {
            verifying: signing.verifying_key(),
            signing,
            message,
        }
    }

    fn sign(&self) -> ed25519_dalek::Signature {
        self.signing.sign(&self.message)
    }

    fn verify(&self, signature: &ed25519_dalek::Signature) -> bool {
        self.verifying
            .verify_strict(&self.message, signature)
            .is_ok()
    }
}

// ---- keyseal ----

struct Keyseal {
    issuer: keyseal::Issuer,
    verifier: keyseal::Verifier,
    now: keyseal::Timestamp,
}

impl Keyseal {
    fn new() -> Keyseal {
        let key = keyseal::SigningKey::from_seed(&SEED).unwrap();
        let mut keyring = keyseal::Keyring::new();
        keyring
            .add(key.public_key(), keyseal::KeyState::Active)
            .unwrap();
        let prefix = keyseal::Prefix::new(PREFIX).unwrap();
        Keyseal {
            issuer: keyseal::Issuer::new(prefix.clone(), key),
            verifier: keyseal::Verifier::new(prefix, keyring),
            now: keyseal::Timestamp::now(),
        }
    }

    fn request(&self) -> keyseal::NewKey {
        keyseal::NewKey::for_app(APP_ID)
            .scopes(SCOPES)
            .expires_in(LIFETIME)
    }
}

impl Peer for Keyseal {
    fn name(&self) -> &'static str {
        "keyseal"
    }

    /// With a fresh random token id, as in production.
    fn issue(&self) -> String {
        self.issuer
            .issue_at(self.request(), self.now)
            .unwrap()
            .into_string()
    }

    fn verify(&self, token: &str) -> bool {
        self.verifier
            .verify_at(token, self.now)
            .and_then(|k| k.require_scope("orders:read"))
            .is_ok()
    }

    fn tokens(&self) -> (String, String) {
        let key = self
            .issuer
            .issue_at(
                self.request()
                    .token_id(keyseal::TokenId::from_bytes(TOKEN_ID)),
                self.now,
            )
            .unwrap()
            .into_string();
        // Flip the low byte of s and fix the CRC-32 so the change reaches the signature.
        let body = key.strip_prefix("acme_live_").unwrap();
        let mut bytes = Base64UrlUnpadded::decode_vec(body).unwrap();
        let n = bytes.len();
        bytes[n - 68 + 32] ^= 1;
        let mut crc = crc32fast::Hasher::new();
        crc.update(b"acme_live_");
        crc.update(&bytes[..n - 4]);
        bytes[n - 4..].copy_from_slice(&crc.finalize().to_be_bytes());
        let tampered = format!("acme_live_{}", Base64UrlUnpadded::encode_string(&bytes));
        (key, tampered)
    }
}

// ---- PASETO v4.public (pasetors) ----

struct Paseto {
    keys: pasetors::keys::AsymmetricKeyPair<pasetors::version4::V4>,
    rules: pasetors::claims::ClaimsValidationRules,
}

impl Paseto {
    fn new() -> Paseto {
        use pasetors::keys::Generate;
        Paseto {
            keys: pasetors::keys::AsymmetricKeyPair::<pasetors::version4::V4>::generate().unwrap(),
            rules: pasetors::claims::ClaimsValidationRules::new(),
        }
    }

    fn issue_with(&self, token_id: &[u8; 16]) -> String {
        // `Claims::new` sets iat, nbf (now) and exp; exp is then moved to 90 days.
        let mut claims = pasetors::claims::Claims::new().unwrap();
        claims
            .expiration(&rfc3339(OffsetDateTime::now_utc() + LIFETIME))
            .unwrap();
        claims.subject(APP_ID).unwrap();
        claims.token_identifier(&hex(token_id)).unwrap();
        claims.add_additional("scopes", SCOPES.to_vec()).unwrap();
        pasetors::public::sign(&self.keys.secret, &claims, None, None).unwrap()
    }
}

impl Peer for Paseto {
    fn name(&self) -> &'static str {
        "pasetors v4.public"
    }

    fn issue(&self) -> String {
        self.issue_with(&rand_token_id())
    }

    fn verify(&self, token: &str) -> bool {
        use pasetors::token::UntrustedToken;
        let Ok(untrusted) =
            UntrustedToken::<pasetors::Public, pasetors::version4::V4>::try_from(token)
        else {
            return false;
        };
        let Ok(trusted) =
            pasetors::public::verify(&self.keys.public, &untrusted, &self.rules, None, None)
        else {
            return false;
        };
        trusted
            .payload_claims()
            .and_then(|c| c.get_claim("scopes"))
            .and_then(|s| s.as_array())
            .is_some_and(|s| s.iter().any(|v| v == "orders:read"))
    }

    fn tokens(&self) -> (String, String) {
        let token = self.issue_with(&TOKEN_ID);
        // v4.public.base64url(payload || signature(64))
        let body = token.strip_prefix("v4.public.").unwrap();
        let n = Base64UrlUnpadded::decode_vec(body).unwrap().len();
        let tampered = format!("v4.public.{}", flip_b64(body, n - 32));
        (token, tampered)
    }
}

// ---- JWT EdDSA (jsonwebtoken, RustCrypto backend) ----

#[derive(Serialize, Deserialize)]
struct JwtClaims {
    sub: String,
    scopes: Vec<String>,
    iat: u64,
    exp: u64,
    jti: String,
}

struct Jwt {
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
    header: jsonwebtoken::Header,
    validation: jsonwebtoken::Validation,
}

impl Jwt {
    fn new() -> Jwt {
        let signing = ed25519_dalek::SigningKey::from_bytes(&SEED);
        // PKCS#8 v1 for an Ed25519 seed (RFC 8410): fixed 16-byte header, then the seed.
        let mut pkcs8 = hex_literal_pkcs8_prefix();
        pkcs8.extend_from_slice(&SEED);
        let x = Base64UrlUnpadded::encode_string(signing.verifying_key().as_bytes());
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        let key_id = keyseal::SigningKey::from_seed(&SEED).unwrap().key_id();
        header.kid = Some(key_id.to_string());
        Jwt {
            encoding: jsonwebtoken::EncodingKey::from_ed_der(&pkcs8),
            decoding: jsonwebtoken::DecodingKey::from_ed_components(&x).unwrap(),
            header,
            validation: jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA),
        }
    }

    fn issue_with(&self, token_id: &[u8; 16]) -> String {
        let iat = OffsetDateTime::now_utc().unix_timestamp() as u64;
        let claims = JwtClaims {
            sub: APP_ID.into(),
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            iat,
            exp: iat + LIFETIME.as_secs(),
            jti: hex(token_id),
        };
        jsonwebtoken::encode(&self.header, &claims, &self.encoding).unwrap()
    }
}

fn hex_literal_pkcs8_prefix() -> Vec<u8> {
    vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ]
}

impl Peer for Jwt {
    fn name(&self) -> &'static str {
        "jsonwebtoken EdDSA"
    }

    fn issue(&self) -> String {
        self.issue_with(&rand_token_id())
    }

    fn verify(&self, token: &str) -> bool {
        jsonwebtoken::decode::<JwtClaims>(token, &self.decoding, &self.validation)
            .is_ok_and(|t| t.claims.scopes.iter().any(|s| s == "orders:read"))
    }

    fn tokens(&self) -> (String, String) {
        let token = self.issue_with(&TOKEN_ID);
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let tampered = format!("{signed}.{}", flip_b64(signature, 32));
        (token, tampered)
    }
}

// ---- Biscuit (biscuit-auth) ----

struct Biscuit {
    root: biscuit_auth::KeyPair,
}

impl Biscuit {
    fn new() -> Biscuit {
        Biscuit {
            root: biscuit_auth::KeyPair::new(),
        }
    }

    fn issue_with(&self, token_id: &[u8; 16]) -> String {
        let expires = rfc3339(OffsetDateTime::now_utc() + LIFETIME);
        let mut code = format!("app(\"{APP_ID}\");\ntoken_id(hex:{});\n", hex(token_id));
        for scope in SCOPES {
            code.push_str(&format!("right(\"{scope}\");\n"));
        }
        code.push_str(&format!("check if time($t), $t <= {expires};\n"));
        biscuit_auth::Biscuit::builder()
            .code(&code)
            .unwrap()
            .root_key_id(1)
            .build(&self.root)
            .unwrap()
            .to_base64()
            .unwrap()
    }
}

impl Peer for Biscuit {
    fn name(&self) -> &'static str {
        "biscuit-auth"
    }

    fn issue(&self) -> String {
        self.issue_with(&rand_token_id())
    }

    fn verify(&self, token: &str) -> bool {
        let Ok(token) = biscuit_auth::Biscuit::from_base64(token, self.root.public()) else {
            return false;
        };
        biscuit_auth::AuthorizerBuilder::new()
            .time()
            .code(r#"allow if right("orders:read");"#)
            .and_then(|a| a.build(&token))
            .and_then(|mut a| a.authorize())
            .is_ok()
    }

    /// Biscuit's signature sits inside a protobuf; the tampered token changes one byte of
    /// the signed block instead (the app id), which fails the same signature check.
    fn tokens(&self) -> (String, String) {
        let token = self.issue_with(&TOKEN_ID);
        let mut bytes = Base64UrlUnpadded::decode_vec(&token.replace('=', "")).unwrap();
        let at = bytes
            .windows(APP_ID.len())
            .position(|w| w == APP_ID.as_bytes())
            .unwrap();
        bytes[at + APP_ID.len() - 1] ^= 1;
        let tampered = base64_padded_url(&bytes);
        (token, tampered)
    }
}

fn base64_padded_url(bytes: &[u8]) -> String {
    base64ct::Base64Url::encode_string(bytes)
}

fn rand_token_id() -> [u8; 16] {
    keyseal::TokenId::random().to_bytes()
}

// ---------------------------------------------------------------------------------------

struct Setup {
    bare: Bare,
    bare_signature: ed25519_dalek::Signature,
    bare_tampered: ed25519_dalek::Signature,
    peers: Vec<(Box<dyn Peer>, String, String)>,
}

fn setup() -> Setup {
    let ks = Keyseal::new();
    let (key, _) = ks.tokens();
    let bare = Bare::new(&key);
    let bare_signature = bare.sign();
    let mut tampered = bare_signature.to_bytes();
    tampered[32] ^= 1;
    let peers: Vec<Box<dyn Peer>> = vec![
        Box::new(ks),
        Box::new(Paseto::new()),
        Box::new(Jwt::new()),
        Box::new(Biscuit::new()),
    ];
    let peers = peers
        .into_iter()
        .map(|p| {
            let (good, bad) = p.tokens();
            assert!(p.verify(&good), "{} refuses its own token", p.name());
            assert!(!p.verify(&bad), "{} accepts a tampered token", p.name());
            assert!(p.verify(&p.issue()), "{} refuses a fresh token", p.name());
            (p, good, bad)
        })
        .collect();
    assert!(bare.verify(&bare_signature));
    let bare_tampered = ed25519_dalek::Signature::from_bytes(&tampered);
    assert!(!bare.verify(&bare_tampered));
    Setup {
        bare,
        bare_signature,
        bare_tampered,
        peers,
    }
}

fn criterion_benches(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("issue");
    g.bench_function("bare_sign", |b| b.iter(|| s.bare.sign()));
    for (p, _, _) in &s.peers {
        g.bench_function(p.name(), |b| b.iter(|| p.issue()));
    }
    g.finish();

    let mut g = c.benchmark_group("verify");
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| s.bare.verify(black_box(&s.bare_signature)))
    });
    for (p, good, _) in &s.peers {
        g.bench_function(p.name(), |b| b.iter(|| p.verify(black_box(good))));
    }
    g.finish();

    let mut g = c.benchmark_group("reject_tampered");
    g.bench_function("bare_verify_strict", |b| {
        b.iter(|| s.bare.verify(black_box(&s.bare_tampered)))
    });
    for (p, _, bad) in &s.peers {
        g.bench_function(p.name(), |b| b.iter(|| p.verify(black_box(bad))));
    }
    g.finish();
}

fn tables(s: &Setup) {
    println!();
    print_header();
    let mut rows = Vec::new();
    for (p, good, bad) in &s.peers {
        let v = ratio(
            Clock::ThreadCpu,
            &mut || {
                black_box(p.verify(black_box(good)));
            },
            &mut || {
                black_box(s.bare.verify(black_box(&s.bare_signature)));
            },
        );
        print_row(&format!("verify: {} / verify_strict", p.name()), "", &v);
        let r = ratio(
            Clock::ThreadCpu,
            &mut || {
                black_box(p.verify(black_box(bad)));
            },
            &mut || {
                black_box(s.bare.verify(black_box(&s.bare_tampered)));
            },
        );
        print_row(&format!("reject: {} / verify_strict", p.name()), "", &r);
        let i = ratio(
            Clock::ThreadCpu,
            &mut || {
                black_box(p.issue());
            },
            &mut || {
                black_box(s.bare.sign());
            },
        );
        print_row(&format!("issue: {} / sign", p.name()), "", &i);
        rows.push((p.name(), v.median, r.median, i.median, good.len()));
    }
    let mut raw = s.bare.message[12 + 1 + PREFIX.len()..].to_vec();
    raw.extend_from_slice(&s.bare_signature.to_bytes());
    let bare_chars = Base64UrlUnpadded::encoded_len(&raw);
    println!();
    println!("| token | verify | reject tampered | issue | characters |");
    println!("|---|---|---|---|---|");
    println!("| bare Ed25519 (`verify_strict` / `sign`) | 1.00× | 1.00× | 1.00× | {bare_chars} |");
    for (name, v, r, i, chars) in rows {
        println!("| {name} | {v:.2}× | {r:.2}× | {i:.2}× | {chars} |");
    }
    println!(
        "\nbare characters: base64url of keyseal's key bytes without prefix, separator and \
         checksum, i.e. what a raw payload + signature takes."
    );
}

fn main() {
    let mode = ratio::mode();
    let s = setup();
    for (p, good, _) in &s.peers {
        println!("{:<20} {:>4} characters: {good}", p.name(), good.len());
    }
    if mode.criterion {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_benches(&mut c, &s);
        c.final_summary();
    }
    if mode.table {
        tables(&s);
    }
}
