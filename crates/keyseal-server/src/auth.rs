//! Who may call: admin keys are keyseal keys under the admin prefix, verified offline against
//! the service's keyring, then checked against the store (not revoked) and for the scope the
//! route needs. Every refusal is the same 401 whatever the reason, so an unauthenticated
//! caller learns nothing.

use std::time::Duration;

use axum::http::{HeaderMap, header};
use keyseal::{Timestamp, Verifier, VerifierOptions};

use crate::error::{Error, Result};
use crate::model::{Actor, KeyKind};
use crate::service::Service;
use crate::store::read;

/// Issue app keys.
pub(crate) const KEYS_ISSUE: &str = "keys:issue";
/// Read app keys.
pub(crate) const KEYS_READ: &str = "keys:read";
/// Revoke app keys, apps, and what a signing key signed.
pub(crate) const KEYS_REVOKE: &str = "keys:revoke";
/// Introspect keys (`POST /v1/keys/verify`).
pub(crate) const KEYS_VERIFY: &str = "keys:verify";
/// List, create, promote and retire signing keys.
pub(crate) const SIGNING_KEYS_MANAGE: &str = "signing-keys:manage";
/// Read the audit log.
pub(crate) const AUDIT_READ: &str = "audit:read";
/// Issue, list and revoke admin keys.
pub(crate) const ADMIN_KEYS_MANAGE: &str = "admin-keys:manage";

/// The app id every admin key carries.
pub(crate) const ADMIN_APP_ID: &str = "keyseal-admin";

/// Every admin scope (the first admin key gets them all).
pub(crate) const ALL_SCOPES: [&str; 7] = [
    KEYS_ISSUE,
    KEYS_READ,
    KEYS_REVOKE,
    KEYS_VERIFY,
    SIGNING_KEYS_MANAGE,
    AUDIT_READ,
    ADMIN_KEYS_MANAGE,
];

/// The bearer credential of a request, if any.
fn bearer(headers: &HeaderMap) -> Result<&str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(Error::MissingCredential)?
        .to_str()
        .map_err(|_| Error::InvalidCredential)?;
    let (scheme, token) = value.split_once(' ').ok_or(Error::InvalidCredential)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::InvalidCredential);
    }
    Ok(token.trim_matches([' ', '\t']))
}

/// Checks the request's admin key and that it grants every scope in `scopes`.
pub(crate) async fn require(
    service: &Service,
    headers: &HeaderMap,
    request_id: &str,
    scopes: &[&'static str],
) -> Result<Actor> {
    let text = bearer(headers)?;
    let options = VerifierOptions::default()
        .expiry_leeway(Duration::ZERO)
        .not_before_leeway(Duration::ZERO);
    let verifier = Verifier::new(service.admin_prefix.clone(), (*service.keyring()).clone())
        .with_options(options);
    let verified = verifier
        .verify(text)
        .map_err(|_| Error::InvalidCredential)?;
    let mut conn = service.store.conn().await?;
    let record = read::key(&mut conn, verified.token_id())
        .await?
        .filter(|r| r.kind == KeyKind::Admin)
        .ok_or(Error::InvalidCredential)?;
    if record.revoked_at.is_some_and(|t| t <= Timestamp::now()) {
        return Err(Error::InvalidCredential);
    }
    if let Some(missing) = scopes.iter().find(|s| !verified.has_scope(s)) {
        return Err(Error::MissingScope(missing));
    }
    Ok(Actor {
        name: verified.token_id().to_string(),
        token_id: Some(verified.token_id()),
        request_id: request_id.to_owned(),
    })
}
