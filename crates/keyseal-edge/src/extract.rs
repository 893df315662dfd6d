//! axum extractors for the verified key (feature `axum`).

use std::convert::Infallible;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::layer::AuthenticatedKey;
use crate::refusal::Refusal;

/// `AuthenticatedKey` as a handler argument: the key the [`KeysealLayer`](crate::KeysealLayer)
/// verified. Without one (the layer missing, or an optional route without credential) the
/// request is refused with 401.
impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedKey {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Refusal> {
        parts
            .extensions
            .get::<AuthenticatedKey>()
            .cloned()
            .ok_or(Refusal::MissingCredential)
    }
}

/// `Option<AuthenticatedKey>` as a handler argument, for routes behind
/// [`Edge::optional_layer`](crate::Edge::optional_layer).
impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedKey {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Infallible> {
        Ok(parts.extensions.get::<AuthenticatedKey>().cloned())
    }
}
