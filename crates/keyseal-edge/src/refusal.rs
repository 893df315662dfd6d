//! Why a request was refused, and the response that says so: status, `WWW-Authenticate`
//! (RFC 6750) and an `application/problem+json` body (RFC 9457) carrying a stable code.
//! Nothing here ever holds or prints the key text.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// No credential in the request (`401`, `WWW-Authenticate: Bearer`).
    MissingCredential,
    /// The credential header is present but unusable: not visible ASCII, an empty bearer
    /// token, or repeated (`401`, code `invalid_credential_header`).
    InvalidCredentialHeader,
    /// The key was refused by keyseal: `401` for a key that is not good (malformed,
    /// unknown signer, bad signature, expired, revoked, …), `503` when the edge fails closed
    /// (stale or missing revocation list).
    Key(keyseal::Error),
    /// The key lacks the scopes a route requires (`403`, `insufficient_scope`).
    MissingScope {
        /// The scopes the route asks for, space-separated.
        scopes: String,
    },
    /// The edge has not loaded its keyring and list yet (`503`).
    NotReady,
}

impl Refusal {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::MissingCredential | Refusal::InvalidCredentialHeader => {
                StatusCode::UNAUTHORIZED
            }
            Refusal::MissingScope { .. } => StatusCode::FORBIDDEN,
            Refusal::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Key(e) => match e {
                keyseal::Error::RevocationListStale { .. }
                | keyseal::Error::NoRevocationList
                | keyseal::Error::NoClock => StatusCode::SERVICE_UNAVAILABLE,
                keyseal::Error::MissingScope { .. } => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            },
        }
    }

    /// The stable problem code: keyseal's [`Error::code`](keyseal::Error::code) for a key
    /// refusal, else `missing_credential`, `invalid_credential_header`, `missing_scope` or
    /// `not_ready`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingCredential => "missing_credential",
            Refusal::InvalidCredentialHeader => "invalid_credential_header",
            Refusal::MissingScope { .. } => "missing_scope",
            Refusal::NotReady => "not_ready",
            Refusal::Key(e) => e.code(),
        }
    }

    fn title(&self) -> &'static str {
        match self.status() {
            StatusCode::FORBIDDEN => "Insufficient scope",
            StatusCode::SERVICE_UNAVAILABLE => "Authentication unavailable",
            _ => "Invalid API key",
        }
    }

    fn detail(&self) -> String {
        match self {
            Refusal::MissingCredential => "The request carries no API key.".to_owned(),
            Refusal::InvalidCredentialHeader => {
                "The credential header is not a single usable API key value.".to_owned()
            }
            Refusal::MissingScope { scopes } => {
                format!("The API key does not grant the scopes this route requires: {scopes}.")
            }
            Refusal::NotReady => {
                "The service has not loaded its keyring and revocation list yet.".to_owned()
            }
            // keyseal's messages name key ids, times and scopes, never the key text.
            Refusal::Key(e) => format!("The API key was refused: {e}."),
        }
    }

    fn www_authenticate(&self) -> Option<HeaderValue> {
        match self {
            Refusal::MissingCredential => Some(HeaderValue::from_static("Bearer")),
            Refusal::MissingScope { scopes } => insufficient_scope(scopes),
            Refusal::Key(keyseal::Error::MissingScope { required }) => insufficient_scope(required),
            _ if self.status() == StatusCode::UNAUTHORIZED => {
                Some(HeaderValue::from_static(r#"Bearer error="invalid_token""#))
            }
            _ => None,
        }
    }

    /// The problem+json body.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        let code = self.code();
        serde_json::json!({
            "type": format!("urn:keyseal:problem:{code}"),
            "title": self.title(),
            "status": self.status().as_u16(),
            "detail": self.detail(),
            "code": code,
        })
    }

    /// The response for this refusal, with any body type that can be made from bytes.
    #[must_use]
    pub fn to_response<B: From<Bytes>>(&self) -> Response<B> {
        let body = Bytes::from(self.body().to_string());
        let mut response = Response::new(B::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(challenge) = self.www_authenticate() {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

fn insufficient_scope(scopes: &str) -> Option<HeaderValue> {
    // Scopes follow keyseal's scope grammar (visible ASCII, no quotes or backslashes), so
    // they fit in a quoted string; anything else falls back to the bare challenge.
    let value = format!(r#"Bearer error="insufficient_scope", scope="{scopes}""#);
    HeaderValue::from_str(&value)
        .ok()
        .filter(|_| !scopes.contains(['"', '\\']))
        .or(Some(HeaderValue::from_static(
            r#"Bearer error="insufficient_scope""#,
        )))
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.detail())
    }
}

impl std::error::Error for Refusal {}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Refusal {
    fn into_response(self) -> axum::response::Response {
        self.to_response()
    }
}
