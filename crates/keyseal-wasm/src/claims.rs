//! Claims as plain JavaScript objects, the unverified `inspect`, and the scope questions
//! (`hasScope`, `requireScope`) asked of a verified claims object.
//!
//! A verified claims object:
//! `{ verified: true, appId, scopes, issuedAt, expiresAt, notBefore, tokenId, keyId,
//! extensions, revocation }`, times in whole seconds since the Unix epoch (`notBefore` is
//! `null` when the key has none), ids in lowercase hex, `extensions` an object from name to
//! `Uint8Array`, `revocation` `{ sequence, stale }` or `null` without a revocation list.
//! The objects are built by `js/claims.js` in one call from here.

use js_sys::{Array, Object, Reflect, Uint8Array};
use keyseal::{Claims, Error, InvalidClaim, KeyId, UntrustedKey, VerifiedKey, check_scope};
use wasm_bindgen::prelude::*;

use crate::error::{from_core, invalid_argument};
use crate::input;

#[wasm_bindgen(raw_module = "../claims.js")]
extern "C" {
    /// `js/claims.js`: a verified claims object, built in one call.
    #[wasm_bindgen(js_name = "verifiedClaims")]
    #[allow(clippy::too_many_arguments)]
    fn verified_claims(
        app_id: &str,
        scopes: &str,
        issued_at: f64,
        expires_at: f64,
        not_before: Option<f64>,
        token_id: &str,
        key_id: &str,
        extensions: Option<Object>,
        list_sequence: Option<f64>,
        list_stale: bool,
    ) -> JsValue;

    /// `js/claims.js`: an inspected (unverified) claims object, built in one call.
    #[wasm_bindgen(js_name = "inspectedClaims")]
    #[allow(clippy::too_many_arguments)]
    fn inspected_claims(
        app_id: &str,
        scopes: &str,
        issued_at: f64,
        expires_at: f64,
        not_before: Option<f64>,
        token_id: &str,
        key_id: &str,
        extensions: Option<Object>,
        prefix: &str,
    ) -> JsValue;
}

/// Seconds as a JavaScript number: every valid timestamp (below 2^38) is exact.
#[allow(clippy::cast_precision_loss)]
fn number(n: u64) -> f64 {
    n as f64
}

/// The members shared by verified and inspected claims, as `js/claims.js` takes them.
struct Members {
    scopes: String,
    issued_at: f64,
    expires_at: f64,
    not_before: Option<f64>,
    token_id: String,
    key_id: String,
    extensions: Option<Object>,
}

impl Members {
    fn of(claims: &Claims, key_id: KeyId) -> Members {
        // Joined by spaces, split again in JavaScript: the scope grammar has no space, and
        // one string crosses faster than an array of them.
        let mut scopes = String::new();
        for (i, scope) in claims.scopes().enumerate() {
            if i > 0 {
                scopes.push(' ');
            }
            scopes.push_str(scope);
        }
        let extensions = (claims.extensions().len() > 0).then(|| {
            let object = Object::new();
            for (name, value) in claims.extensions() {
                // Setting a member of a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(name), &Uint8Array::from(value));
            }
            object
        });
        Members {
            scopes,
            issued_at: number(claims.issued_at().as_unix()),
            expires_at: number(claims.expires_at().as_unix()),
            not_before: claims.not_before().map(|t| number(t.as_unix())),
            token_id: claims.token_id().to_string(),
            key_id: key_id.to_string(),
            extensions,
        }
    }
}

/// The claims of a verified key as a plain object.
#[must_use]
pub fn verified(key: &VerifiedKey) -> JsValue {
    let claims = key.claims();
    let m = Members::of(claims, key.key_id());
    let status = key.revocation_status();
    verified_claims(
        claims.app_id(),
        &m.scopes,
        m.issued_at,
        m.expires_at,
        m.not_before,
        &m.token_id,
        &m.key_id,
        m.extensions,
        status.map(|s| number(s.sequence)),
        status.is_some_and(|s| s.stale),
    )
}

/// Reads a key **without verifying it**: its prefix, the key id it names and its claims,
/// all of which may be forged. For display and debugging only, never to authorize. The
/// object has `verified: false` and no `revocation`; `hasScope` and `requireScope` refuse
/// it.
///
/// # Errors
/// A `KeysealError`: `malformed.*` or `unsupported_version` when the text is not a
/// well-formed key, `invalid_argument` for a non-string.
#[wasm_bindgen(js_name = "inspect")]
pub fn inspect(key_text: JsValue) -> Result<JsValue, JsValue> {
    let text = input::key_text(&key_text)?;
    let key = UntrustedKey::parse(&text).map_err(|e| from_core(&e))?;
    let claims = key.untrusted_claims().map_err(|e| from_core(&e))?;
    let m = Members::of(&claims, key.untrusted_key_id());
    Ok(inspected_claims(
        claims.app_id(),
        &m.scopes,
        m.issued_at,
        m.expires_at,
        m.not_before,
        &m.token_id,
        &m.key_id,
        m.extensions,
        key.untrusted_prefix(),
    ))
}

/// Whether the verified `claims` grant `scope`: listed itself, or `resource:*` for the same
/// resource, as [`VerifiedKey::has_scope`]. An invalid scope is never granted.
///
/// # Errors
/// `invalid_argument` when `claims` is not a verified claims object or `scope` not a
/// string.
#[wasm_bindgen(js_name = "hasScope")]
pub fn has_scope(claims: JsValue, scope: JsValue) -> Result<bool, JsValue> {
    let (granted, scope) = read(&claims, &scope)?;
    Ok(check_scope(&scope).is_ok() && grants(&granted, &scope))
}

/// Like `hasScope`, throwing when the scope is not granted.
///
/// # Errors
/// `missing_scope`, `invalid_claim.scope` for a scope outside the grammar, or
/// `invalid_argument`.
#[wasm_bindgen(js_name = "requireScope")]
pub fn require_scope(claims: JsValue, scope: JsValue) -> Result<(), JsValue> {
    let (granted, scope) = read(&claims, &scope)?;
    check_scope(&scope).map_err(|e: InvalidClaim| from_core(&Error::InvalidClaim(e)))?;
    if grants(&granted, &scope) {
        Ok(())
    } else {
        Err(from_core(&Error::MissingScope { required: scope }))
    }
}

/// The scopes of a verified claims object, and the scope asked for.
fn read(claims: &JsValue, scope: &JsValue) -> Result<(Vec<String>, String), JsValue> {
    let not_claims = || invalid_argument("expected the claims object that verify() returned");
    if !claims.is_object() {
        return Err(not_claims());
    }
    let is_verified = Reflect::get(claims, &"verified".into()).map_err(|_| not_claims())?;
    if is_verified != JsValue::TRUE {
        return Err(invalid_argument(
            "these claims are not verified (inspect() output never grants a scope)",
        ));
    }
    let scopes = Reflect::get(claims, &"scopes".into()).map_err(|_| not_claims())?;
    let scopes = scopes.dyn_into::<Array>().map_err(|_| not_claims())?;
    let granted = scopes
        .iter()
        .map(|s| s.as_string().ok_or_else(not_claims))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((granted, input::short_string(scope, "the scope")?))
}

/// The core's grant rule: `required` itself, or `resource:*` for its resource.
fn grants(granted: &[String], required: &str) -> bool {
    let wildcard = match required.split_once(':') {
        Some((resource, action)) if action != "*" => Some(format!("{resource}:*")),
        _ => None,
    };
    granted
        .iter()
        .any(|g| g == required || wildcard.as_deref() == Some(g.as_str()))
}
