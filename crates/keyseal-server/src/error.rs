//! The crate's one error type, and how each variant answers over HTTP (RFC 9457
//! problem+json, with a stable `code`).

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Everything that can go wrong in the service, each variant with one status and one code.
#[derive(Debug)]
pub(crate) enum Error {
    /// No `Authorization: Bearer` credential.
    MissingCredential,
    /// A credential that is not a valid, unrevoked admin key of this service.
    InvalidCredential,
    /// A valid admin key without the scope the route needs.
    MissingScope(&'static str),
    /// The route or the named resource does not exist.
    NotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// A field of the request is wrong (named).
    BadField { field: String, detail: String },
    /// The body is not the JSON the route takes, with no field to blame.
    BadBody(String),
    /// The body is larger than the cap.
    BodyTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The request is well formed but conflicts with the current state.
    Conflict { code: &'static str, detail: String },
    /// The store failed (unreachable, or a transaction that could not commit).
    Store(sqlx::Error),
    /// A migration failed at start.
    Migrate(sqlx::migrate::MigrateError),
    /// The core library refused something the service built (a bug or a bad key file).
    Core(keyseal::Error),
    /// Start-up or CLI problem, described.
    Setup(String),
    /// A leak report that is not GitHub's (signature) or cannot be checked now.
    LeakReport(crate::leaks::github::ReportRefused),
    /// No live key of this service among the texts to check.
    NotLive,
}

impl Error {
    pub(crate) fn field(field: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::BadField {
            field: field.into(),
            detail: detail.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Error::MissingCredential | Error::InvalidCredential => StatusCode::UNAUTHORIZED,
            Error::MissingScope(_) => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::BadField { .. } | Error::BadBody(_) => StatusCode::BAD_REQUEST,
            Error::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::Store(_) | Error::Migrate(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Core(_) | Error::Setup(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::LeakReport(r) => {
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            Error::NotLive => StatusCode::NOT_FOUND,
        }
    }

    /// The stable problem code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::MissingCredential => "missing_credential",
            Error::InvalidCredential => "invalid_token",
            Error::MissingScope(_) => "missing_scope",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::BadField { .. } => "bad_request.field",
            Error::BadBody(_) => "bad_request.body",
            Error::BodyTooLarge => "bad_request.too_large",
            Error::UnsupportedMediaType => "bad_request.media_type",
            Error::Conflict { code, .. } => code,
            Error::Store(_) | Error::Migrate(_) => "store_unavailable",
            Error::Core(_) => "internal",
            Error::Setup(_) => "setup",
            Error::LeakReport(r) => r.code(),
            Error::NotLive => "not_live",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Error::MissingCredential => "Missing credential",
            Error::InvalidCredential => "Invalid credential",
            Error::MissingScope(_) => "Insufficient scope",
            Error::NotFound => "Not found",
            Error::MethodNotAllowed => "Method not allowed",
            Error::BadField { .. } => "Bad request field",
            Error::BadBody(_) => "Bad request body",
            Error::BodyTooLarge => "Request body too large",
            Error::UnsupportedMediaType => "Unsupported media type",
            Error::Conflict { .. } => "Conflict",
            Error::Store(_) | Error::Migrate(_) => "Store unavailable",
            Error::Core(_) | Error::Setup(_) => "Internal error",
            Error::LeakReport(_) => "Leak report refused",
            Error::NotLive => "No live key",
        }
    }

    /// One sentence for the caller: never a key text, never store internals.
    fn public_detail(&self) -> String {
        match self {
            Error::MissingCredential => {
                "send an admin key as `Authorization: Bearer <key>`".to_owned()
            }
            Error::InvalidCredential => "the credential is not a valid admin key".to_owned(),
            Error::MissingScope(s) => format!("this route needs the scope `{s}`"),
            Error::NotFound => "no such resource".to_owned(),
            Error::MethodNotAllowed => "this route does not take that method".to_owned(),
            Error::BadField { field, detail } => format!("`{field}`: {detail}"),
            Error::BadBody(d) => d.clone(),
            Error::BodyTooLarge => "the request body is larger than the server accepts".into(),
            Error::UnsupportedMediaType => "send the body as `application/json`".to_owned(),
            Error::Conflict { detail, .. } => detail.clone(),
            Error::Store(_) | Error::Migrate(_) => {
                "the store is unavailable; nothing was changed by this request".to_owned()
            }
            Error::Core(_) | Error::Setup(_) => "an internal error; see the server log".into(),
            Error::LeakReport(r) => r.public_detail(),
            Error::NotLive => "no match is a live key of this service".to_owned(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => write!(f, "store error: {e}"),
            Error::Migrate(e) => write!(f, "migration failed: {e}"),
            Error::Core(e) => write!(f, "keyseal error: {e}"),
            Error::Setup(s) => f.write_str(s),
            Error::LeakReport(r) => write!(f, "{r}"),
            other => f.write_str(&other.public_detail()),
        }
    }
}

impl std::error::Error for Error {}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        Error::Store(e)
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Error {
        Error::Migrate(e)
    }
}

impl From<keyseal::Error> for Error {
    fn from(e: keyseal::Error) -> Error {
        Error::Core(e)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, code = self.code(), "request failed");
        }
        let mut body = serde_json::json!({
            "type": format!("urn:keyseal:problem:{}", self.code()),
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.public_detail(),
            "code": self.code(),
        });
        if let (Error::BadField { field, .. }, Some(map)) = (&self, body.as_object_mut()) {
            map.insert("field".to_owned(), serde_json::Value::String(field.clone()));
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        let challenge = match &self {
            Error::MissingCredential => Some("Bearer".to_owned()),
            Error::InvalidCredential => Some("Bearer error=\"invalid_token\"".to_owned()),
            Error::MissingScope(s) => Some(format!(
                "Bearer error=\"insufficient_scope\", scope=\"{s}\""
            )),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Handler results.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
