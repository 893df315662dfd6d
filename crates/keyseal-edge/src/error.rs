//! The one error type of keyseal-edge.

use core::fmt;

/// Everything that can go wrong in keyseal-edge outside a request's verdict: configuration,
/// fetching a document, and refusing a fetched one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EdgeError {
    /// The configuration cannot work; the message says why.
    Config(&'static str),
    /// A source URL does not parse or is not `http`/`https`.
    InvalidUrl,
    /// The HTTP client could not be built (TLS backend).
    Client,
    /// Connecting, sending or receiving failed (including timeouts).
    Transport {
        /// Whether it was a timeout.
        timeout: bool,
    },
    /// The source answered with an HTTP status other than 200 or 304.
    HttpStatus(u16),
    /// The document is larger than the core's limit for it.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading a file (source or local copy) failed.
    Io(std::io::ErrorKind),
    /// The document was fetched but refused by keyseal (forged, rolled back, another
    /// issuer's, corrupt); the state in force stays.
    Refused(keyseal::Error),
    /// The keyring document is not UTF-8.
    NotUtf8,
    /// The local copy's revocation high-water mark file exists but holds no mark for a
    /// prefix. The edge does not start: it could not tell which older lists to refuse.
    CorruptHighWater,
}

impl EdgeError {
    /// A short stable identifier, used as the reason in refusal counts and logs:
    /// `config`, `transport`, `transport.timeout`, `http_status`, `too_large`, `io`,
    /// `not_utf8`, `corrupt_high_water`, or the keyseal [`Error::code`](keyseal::Error::code) of a refusal.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::Config(_) => "config",
            EdgeError::InvalidUrl => "invalid_url",
            EdgeError::Client => "client",
            EdgeError::Transport { timeout: false } => "transport",
            EdgeError::Transport { timeout: true } => "transport.timeout",
            EdgeError::HttpStatus(_) => "http_status",
            EdgeError::TooLarge { .. } => "too_large",
            EdgeError::Io(_) => "io",
            EdgeError::Refused(e) => e.code(),
            EdgeError::NotUtf8 => "not_utf8",
            EdgeError::CorruptHighWater => "corrupt_high_water",
        }
    }

    /// Whether this is a refusal of a fetched document (as opposed to failing to fetch it).
    #[must_use]
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            EdgeError::Refused(_) | EdgeError::NotUtf8 | EdgeError::TooLarge { .. }
        )
    }
}

impl fmt::Display for EdgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeError::Config(why) => write!(f, "invalid edge configuration: {why}"),
            EdgeError::InvalidUrl => f.write_str("the source URL is not a valid http(s) URL"),
            EdgeError::Client => f.write_str("the HTTP client could not be built"),
            EdgeError::Transport { timeout: true } => f.write_str("the source timed out"),
            EdgeError::Transport { timeout: false } => {
                f.write_str("the source could not be reached or the transfer broke off")
            }
            EdgeError::HttpStatus(s) => write!(f, "the source answered HTTP {s}"),
            EdgeError::TooLarge { limit } => {
                write!(f, "the document is larger than the limit of {limit} bytes")
            }
            EdgeError::Io(kind) => write!(f, "reading the document failed: {kind}"),
            EdgeError::Refused(e) => write!(f, "the document was refused: {e}"),
            EdgeError::NotUtf8 => f.write_str("the keyring document is not UTF-8"),
            EdgeError::CorruptHighWater => {
                f.write_str("the local copy's revocation high-water mark file is not a valid mark")
            }
        }
    }
}

impl std::error::Error for EdgeError {}

impl From<keyseal::Error> for EdgeError {
    fn from(e: keyseal::Error) -> Self {
        EdgeError::Refused(e)
    }
}

impl From<reqwest::Error> for EdgeError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_builder() {
            return EdgeError::InvalidUrl;
        }
        EdgeError::Transport {
            timeout: e.is_timeout(),
        }
    }
}
