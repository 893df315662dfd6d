//! The tower middleware: verify the key on every request, synchronously, and hand the
//! verified key to the inner service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, header};
use keyseal::VerifiedKey;

use crate::config::CredentialHeader;
use crate::edge::Edge;
use crate::refusal::Refusal;

/// The verified key of a request, in its extensions. Cheap to clone: a [`VerifiedKey`]
/// holds its claims in an `Arc`, so a clone is one reference count and a few words (no
/// second `Arc` around it: that would cost an allocation per request). Derefs to
/// [`VerifiedKey`] (app id, scopes, token id, …).
#[derive(Debug, Clone)]
pub struct AuthenticatedKey(pub VerifiedKey);

impl core::ops::Deref for AuthenticatedKey {
    type Target = VerifiedKey;
    fn deref(&self) -> &VerifiedKey {
        &self.0
    }
}

/// Verifies the key of every request with an [`Edge`]; see [`Edge::layer`].
#[derive(Debug, Clone)]
pub struct KeysealLayer {
    edge: Edge,
    optional: bool,
}

impl Edge {
    /// Middleware requiring a valid key on every request.
    #[must_use]
    pub fn layer(&self) -> KeysealLayer {
        KeysealLayer {
            edge: self.clone(),
            optional: false,
        }
    }

    /// Middleware for routes where a key is optional: a request without a credential passes
    /// with no [`AuthenticatedKey`]; one with a credential must still carry a valid key.
    #[must_use]
    pub fn optional_layer(&self) -> KeysealLayer {
        KeysealLayer {
            edge: self.clone(),
            optional: true,
        }
    }
}

impl<S> tower::Layer<S> for KeysealLayer {
    type Service = Keyseal<S>;

    fn layer(&self, inner: S) -> Keyseal<S> {
        Keyseal {
            inner,
            edge: self.edge.clone(),
            optional: self.optional,
        }
    }
}

/// The service [`KeysealLayer`] makes.
#[derive(Debug, Clone)]
pub struct Keyseal<S> {
    inner: S,
    edge: Edge,
    optional: bool,
}

impl<S> Keyseal<S> {
    /// Decides a request: the verified key to attach, `None` for an optional route without
    /// credential, or the refusal. Removes the credential header unless configured to keep
    /// it.
    fn authenticate<B>(
        &self,
        request: &mut Request<B>,
    ) -> Result<Option<AuthenticatedKey>, Refusal> {
        let config = self.edge.config();
        let key = match crate::credential::read(request.headers(), &config.credential)? {
            Some(text) => self.edge.verify(text),
            None if self.optional => return Ok(None),
            None => return Err(Refusal::MissingCredential),
        };
        if !config.keep_credential_header {
            let name = match &config.credential {
                CredentialHeader::Bearer => &header::AUTHORIZATION,
                CredentialHeader::Header(name) => name,
            };
            request.headers_mut().remove(name);
        }
        key.map(|k| Some(AuthenticatedKey(k)))
    }
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for Keyseal<S>
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

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        match self.authenticate(&mut request) {
            Ok(key) => {
                if let Some(key) = key {
                    tracing::trace!(app_id = key.app_id(), token_id = %key.token_id(), "key verified");
                    request.extensions_mut().insert(key);
                }
                ResponseFuture::Inner {
                    future: self.inner.call(request),
                }
            }
            Err(refusal) => {
                tracing::debug!(
                    code = refusal.code(),
                    status = refusal.status().as_u16(),
                    "request refused"
                );
                ResponseFuture::Refused {
                    response: Some(refusal.to_response()),
                }
            }
        }
    }
}

use response_future::Projection;
pub use response_future::ResponseFuture;

mod response_future {
    // The fields (the inner future, the ready refusal) are internal; pin-project-lite
    // cannot carry doc comments on them.
    #![allow(missing_docs)]
    use http::Response;

    pin_project_lite::pin_project! {
        /// The response future of [`Keyseal`]: the inner service's, or a refusal at once.
        #[project = Projection]
        pub enum ResponseFuture<F, B> {
            /// The key verified; the inner service answers.
            Inner {
                #[pin]
                future: F,
            },
            /// Refused without calling the inner service.
            Refused {
                response: Option<Response<B>>,
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projection::Inner { future } => future.poll(cx),
            Projection::Refused { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled again after completion: a contract violation by the caller, which
                // stays pending rather than panicking.
                None => Poll::Pending,
            },
        }
    }
}
