//! The router: every route, the scope it needs (see each handler), one place to scan.

mod admin;
mod keys;
mod leaks;
mod ops;
mod publish;
pub(crate) mod revoke;
mod signing_keys;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};

use crate::error::Error;
use crate::http::request_context;
use crate::service::Service;

/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Every route of the service.
pub(crate) fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/v1/keys", post(keys::issue).get(keys::list))
        .route("/v1/keys/verify", post(keys::verify))
        .route("/v1/keys/{token_id}", get(keys::get))
        .route("/v1/keys/{token_id}/revoke", post(revoke::key))
        .route("/v1/keys/{token_id}/reroll", post(keys::reroll))
        .route("/v1/apps/{app_id}/revoke", post(revoke::app))
        .route(
            "/v1/signing-keys",
            get(signing_keys::list).post(signing_keys::create),
        )
        .route(
            "/v1/signing-keys/{key_id}/promote",
            post(signing_keys::promote),
        )
        .route(
            "/v1/signing-keys/{key_id}/retire",
            post(signing_keys::retire),
        )
        .route("/v1/signing-keys/{key_id}/revoke", post(revoke::signer))
        .route("/v1/admin-keys", post(admin::issue).get(admin::list))
        .route("/v1/admin-keys/{token_id}", get(admin::get))
        .route("/v1/admin-keys/{token_id}/revoke", post(revoke::admin_key))
        .route("/v1/audit", get(admin::audit))
        .route("/v1/leaks/github", post(leaks::github))
        .route("/v1/leaks/trufflehog", post(leaks::trufflehog))
        .route("/v1/keyring.json", get(publish::keyring))
        .route("/v1/revocations.bin", get(publish::revocations))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(|| async { Error::NotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&service),
            request_context,
        ))
        .with_state(service)
}
