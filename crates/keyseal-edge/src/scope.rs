//! Per-route scope checks: all of a set of scopes, or any of them.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use keyseal::VerifiedKey;

use crate::error::EdgeError;
use crate::layer::{AuthenticatedKey, ResponseFuture};
use crate::refusal::Refusal;

/// A scope requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRule {
    /// The key must grant every one of these scopes.
    AllOf(Vec<String>),
    /// The key must grant at least one of these scopes.
    AnyOf(Vec<String>),
}

impl ScopeRule {
    fn new(
        all: bool,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<ScopeRule, EdgeError> {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if scopes.is_empty() {
            return Err(EdgeError::Config("a scope rule needs at least one scope"));
        }
        for scope in &scopes {
            keyseal::check_scope(scope)
                .map_err(|_| EdgeError::Config("a required scope breaks the scope grammar"))?;
        }
        Ok(if all {
            ScopeRule::AllOf(scopes)
        } else {
            ScopeRule::AnyOf(scopes)
        })
    }

    /// Whether `key` satisfies the rule (wildcards as [`VerifiedKey::has_scope`]).
    #[must_use]
    pub fn allows(&self, key: &VerifiedKey) -> bool {
        match self {
            ScopeRule::AllOf(scopes) => scopes.iter().all(|s| key.has_scope(s)),
            ScopeRule::AnyOf(scopes) => scopes.iter().any(|s| key.has_scope(s)),
        }
    }

    fn scopes(&self) -> String {
        match self {
            ScopeRule::AllOf(s) | ScopeRule::AnyOf(s) => s.join(" "),
        }
    }
}

/// Checks `rule` against a verified key: for handlers that decide scopes themselves.
///
/// # Errors
/// [`Refusal::MissingScope`] (403) naming the scopes.
pub fn require_scope(key: &VerifiedKey, rule: &ScopeRule) -> Result<(), Refusal> {
    if rule.allows(key) {
        Ok(())
    } else {
        Err(Refusal::MissingScope {
            scopes: rule.scopes(),
        })
    }
}

/// Middleware refusing requests whose verified key does not satisfy a [`ScopeRule`]. Goes
/// inside (after) the [`KeysealLayer`](crate::KeysealLayer); a request without a verified
/// key is refused with 401.
#[derive(Debug, Clone)]
pub struct RequireScope {
    rule: Arc<ScopeRule>,
}

impl RequireScope {
    /// Requires every one of `scopes`.
    ///
    /// # Errors
    /// [`EdgeError::Config`] for no scopes or one that breaks keyseal's scope grammar.
    pub fn all_of(scopes: impl IntoIterator<Item = impl Into<String>>) -> Result<Self, EdgeError> {
        Ok(RequireScope {
            rule: Arc::new(ScopeRule::new(true, scopes)?),
        })
    }

    /// Requires at least one of `scopes`.
    ///
    /// # Errors
    /// As [`RequireScope::all_of`].
    pub fn any_of(scopes: impl IntoIterator<Item = impl Into<String>>) -> Result<Self, EdgeError> {
        Ok(RequireScope {
            rule: Arc::new(ScopeRule::new(false, scopes)?),
        })
    }
}

impl<S> tower::Layer<S> for RequireScope {
    type Service = RequireScopeService<S>;

    fn layer(&self, inner: S) -> RequireScopeService<S> {
        RequireScopeService {
            inner,
            rule: Arc::clone(&self.rule),
        }
    }
}

/// The service [`RequireScope`] makes.
#[derive(Debug, Clone)]
pub struct RequireScopeService<S> {
    inner: S,
    rule: Arc<ScopeRule>,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for RequireScopeService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<Bytes>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let verdict = match request.extensions().get::<AuthenticatedKey>() {
            Some(key) => require_scope(key, &self.rule),
            None => Err(Refusal::MissingCredential),
        };
        match verdict {
            Ok(()) => ResponseFuture::Inner {
                future: self.inner.call(request),
            },
            Err(refusal) => {
                tracing::debug!(code = refusal.code(), "request refused");
                ResponseFuture::Refused {
                    response: Some(refusal.to_response()),
                }
            }
        }
    }
}
