#![allow(unreachable_pub, clippy::indexing_slicing)]
//! The baseline: a minimal JWT EdDSA layer written the same way as keyseal's (bearer token
//! in, claims as an `Arc` in the extensions, header removed, 401 on failure), with
//! `jsonwebtoken`, on the same handler and the same claims. The cached variant remembers
//! verified tokens in the same cache crate keyseal uses (`quick_cache`, keyed by the whole
//! token) and re-checks only the expiry on a hit: what a JWT layer with a cache does.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, Response, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use keyseal::{Claims, Issuer, SigningKey};

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub struct JwtClaims {
    sub: String,
    scope: String,
    iat: u64,
    exp: u64,
    jti: String,
    kid: String,
}

pub struct Fixture {
    pub token: String,
    decoding: Arc<(DecodingKey, Validation)>,
}

/// Verified tokens, keyed by their text.
pub type TokenCache = quick_cache::sync::Cache<Box<str>, Arc<JwtClaims>>;

impl Fixture {
    pub fn new(signing: &SigningKey, claims: &Claims) -> Fixture {
        let der = signing.to_pkcs8_der();
        let encoding = EncodingKey::from_ed_der(&der[..]);
        let body = JwtClaims {
            sub: claims.app_id().to_owned(),
            scope: claims.scopes().collect::<Vec<_>>().join(" "),
            iat: unix(claims.issued_at()),
            exp: unix(claims.expires_at()),
            jti: claims.token_id().to_string(),
            kid: signing.key_id().to_string(),
        };
        let mut head = jsonwebtoken::Header::new(Algorithm::EdDSA);
        head.kid = Some(signing.key_id().to_string());
        let token = jsonwebtoken::encode(&head, &body, &encoding).unwrap();
        use base64ct::{Base64UrlUnpadded, Encoding};
        let x = Base64UrlUnpadded::encode_string(&signing.public_key().to_bytes());
        let decoding = DecodingKey::from_ed_components(&x).unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 60;
        validation.validate_aud = false;
        Fixture {
            token,
            decoding: Arc::new((decoding, validation)),
        }
    }

    /// The handler behind the JWT layer, uncached or with a cache of `capacity` tokens,
    /// finalised as `axum::serve` finalises a router (`with_state`).
    pub fn router(&self, cache_capacity: Option<usize>) -> Router {
        Router::new()
            .route("/orders", get(|| async { "ok" }))
            .layer(JwtLayer {
                keys: Arc::clone(&self.decoding),
                cache: cache_capacity.map(|n| Arc::new(TokenCache::new(n))),
            })
            .with_state(())
    }
}

fn unix(t: keyseal::Timestamp) -> u64 {
    t.as_unix()
}

#[derive(Clone)]
pub struct JwtLayer {
    keys: Arc<(DecodingKey, Validation)>,
    cache: Option<Arc<TokenCache>>,
}

impl<S> tower::Layer<S> for JwtLayer {
    type Service = JwtService<S>;
    fn layer(&self, inner: S) -> JwtService<S> {
        JwtService {
            inner,
            keys: Arc::clone(&self.keys),
            cache: self.cache.clone(),
        }
    }
}

#[derive(Clone)]
pub struct JwtService<S> {
    inner: S,
    keys: Arc<(DecodingKey, Validation)>,
    cache: Option<Arc<TokenCache>>,
}

impl<S> JwtService<S> {
    fn verify(&self, token: &str) -> Option<Arc<JwtClaims>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        if let Some(cache) = &self.cache {
            if let Some(claims) = cache.get(token) {
                if claims.exp + self.keys.1.leeway > now {
                    return Some(claims);
                }
                cache.remove(token);
                return None;
            }
        }
        let data = jsonwebtoken::decode::<JwtClaims>(token, &self.keys.0, &self.keys.1).ok()?;
        let claims = Arc::new(data.claims);
        if let Some(cache) = &self.cache {
            cache.insert(Box::from(token), Arc::clone(&claims));
        }
        Some(claims)
    }
}

impl<S> tower::Service<Request<Body>> for JwtService<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future =
        futures_lite::Either<S::Future, std::future::Ready<Result<Response<Body>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let token = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token.and_then(|t| self.verify(t)) {
            Some(claims) => {
                request.headers_mut().remove(header::AUTHORIZATION);
                request.extensions_mut().insert(claims);
                futures_lite::Left(self.inner.call(request))
            }
            None => {
                let mut response = Response::new(Body::from("{\"code\":\"invalid_token\"}"));
                *response.status_mut() = StatusCode::UNAUTHORIZED;
                futures_lite::Right(std::future::ready(Ok(response)))
            }
        }
    }
}

/// The message and signature of a keyseal key's signature check, for the bare
/// `verify_strict` baseline (the same size of message as the key's signed bytes).
pub fn signed_message(
    _issuer: &Issuer,
    signing: &SigningKey,
    key_text: &str,
) -> (
    Vec<u8>,
    ed25519_dalek::Signature,
    ed25519_dalek::VerifyingKey,
) {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let body = key_text.strip_prefix("acme_live_").unwrap();
    let decoded = Base64UrlUnpadded::decode_vec(body).unwrap();
    // Everything before the signature and checksum: the bytes keyseal signs.
    let message = decoded[..decoded.len() - 64 - 4].to_vec();
    let signature = ed25519_dalek::Signature::from_bytes(&signing.sign_raw(&message));
    let public = ed25519_dalek::VerifyingKey::from_bytes(&signing.public_key().to_bytes()).unwrap();
    (message, signature, public)
}

/// Minimal `Either` future, to avoid boxing in the baseline as keyseal's layer avoids it.
mod futures_lite {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pin_project_lite::pin_project! {
        #[project = EitherProj]
        pub enum Either<A, B> {
            Left { #[pin] a: A },
            Right { #[pin] b: B },
        }
    }

    #[allow(non_snake_case)]
    pub fn Left<A, B>(a: A) -> Either<A, B> {
        Either::Left { a }
    }
    #[allow(non_snake_case)]
    pub fn Right<A, B>(b: B) -> Either<A, B> {
        Either::Right { b }
    }

    impl<A: Future, B: Future<Output = A::Output>> Future for Either<A, B> {
        type Output = A::Output;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A::Output> {
            match self.project() {
                EitherProj::Left { a } => a.poll(cx),
                EitherProj::Right { b } => b.poll(cx),
            }
        }
    }
}
