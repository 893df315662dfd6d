//! What the edge reads from where, and how often.

use std::path::PathBuf;
use std::time::Duration;

use keyseal::{Prefix, VerifierOptions};

use crate::error::EdgeError;

/// Where a document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A local file, reloaded when its modification time or length changes.
    File(PathBuf),
    /// An `http://` or `https://` URL, polled with `If-None-Match` / `If-Modified-Since`.
    Http(String),
    /// A keyseal-server revocation list URL (`…/v1/revocations.bin`) polled with
    /// `?after=<sequence>&wait=<seconds>`: the server holds the request until a newer list
    /// is committed, so a revocation reaches the edge within moments. Revocation lists only.
    LongPoll(String),
}

impl Source {
    /// A file source.
    #[must_use]
    pub fn file(path: impl Into<PathBuf>) -> Source {
        Source::File(path.into())
    }

    /// An HTTP(S) source.
    #[must_use]
    pub fn url(url: impl Into<String>) -> Source {
        Source::Http(url.into())
    }

    /// A keyseal-server long-poll revocation list source.
    #[must_use]
    pub fn long_poll(url: impl Into<String>) -> Source {
        Source::LongPoll(url.into())
    }

    fn check(&self) -> Result<(), EdgeError> {
        match self {
            Source::File(_) => Ok(()),
            Source::Http(url) | Source::LongPoll(url) => {
                let parsed = reqwest::Url::parse(url).map_err(|_| EdgeError::InvalidUrl)?;
                match parsed.scheme() {
                    "http" | "https" => Ok(()),
                    _ => Err(EdgeError::InvalidUrl),
                }
            }
        }
    }
}

/// Where the API key is read from in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialHeader {
    /// `Authorization: Bearer <key>` (RFC 6750).
    Bearer,
    /// The whole value of this header is the key (for example `x-api-key`).
    Header(http::HeaderName),
}

/// Everything the edge is configured with. Build one with [`EdgeConfig::new`] and the
/// setters; the defaults are the production ones.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EdgeConfig {
    /// The key prefix this edge accepts.
    pub prefix: Prefix,
    /// Where the keyring document comes from.
    pub keyring: Source,
    /// Where the revocation list comes from, if one is published.
    pub revocations: Option<Source>,
    /// Time rules and staleness policy (the core's): past `max_list_age` or the list's own
    /// stale-after time, keys are refused with 503 by default (fail closed).
    pub options: VerifierOptions,
    /// Capacity of the verified-key cache (feature `cache`); 0 turns it off.
    pub cache_capacity: usize,
    /// Poll interval when the source gives no `Cache-Control: max-age`.
    pub default_interval: Duration,
    /// Lower bound on the poll interval, whatever `max-age` says.
    pub min_interval: Duration,
    /// Upper bound on the poll interval, whatever `max-age` says.
    pub max_interval: Duration,
    /// Each interval is shortened by a random fraction of up to this much (0.0–0.5), so
    /// that a fleet of edges does not poll in step.
    pub jitter: f64,
    /// First delay after a failure; doubled on each further failure up to `backoff_cap`.
    pub backoff_start: Duration,
    /// Longest delay between retries after failures.
    pub backoff_cap: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for a whole request, body included (long polls get their wait on top).
    pub request_timeout: Duration,
    /// How long a long poll asks the server to hold the request (`wait=`).
    pub long_poll_wait: Duration,
    /// At most one early keyring refresh (triggered by an unknown key id) per window.
    pub unknown_key_refresh_window: Duration,
    /// Directory keeping the last good keyring document and list, to start from when the
    /// sources are down.
    pub local_copy: Option<PathBuf>,
    /// Where the middleware reads the key.
    pub credential: CredentialHeader,
    /// Whether the middleware passes the credential header on to the inner service.
    pub keep_credential_header: bool,
}

impl EdgeConfig {
    /// A configuration with production defaults: 60 s default interval within 5 s–15 min,
    /// 10 % jitter, backoff from 1 s to 60 s, 5 s connect and 30 s request timeouts, 25 s
    /// long polls, one early keyring refresh per 30 s, a 10,000-key cache, `Authorization:
    /// Bearer`.
    #[must_use]
    pub fn new(prefix: Prefix, keyring: Source) -> EdgeConfig {
        EdgeConfig {
            prefix,
            keyring,
            revocations: None,
            options: VerifierOptions::default(),
            cache_capacity: 10_000,
            default_interval: Duration::from_secs(60),
            min_interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(15 * 60),
            jitter: 0.1,
            backoff_start: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            long_poll_wait: Duration::from_secs(25),
            unknown_key_refresh_window: Duration::from_secs(30),
            local_copy: None,
            credential: CredentialHeader::Bearer,
            keep_credential_header: false,
        }
    }

    /// Sets the revocation list source.
    #[must_use]
    pub fn revocations(mut self, source: Source) -> Self {
        self.revocations = Some(source);
        self
    }

    /// Sets the verifier options (time rules, staleness).
    #[must_use]
    pub fn options(mut self, options: VerifierOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the cache capacity (0: no cache).
    #[must_use]
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Sets the default, minimum and maximum poll intervals.
    #[must_use]
    pub fn intervals(mut self, default: Duration, min: Duration, max: Duration) -> Self {
        self.default_interval = default;
        self.min_interval = min;
        self.max_interval = max;
        self
    }

    /// Sets the jitter fraction.
    #[must_use]
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = fraction;
        self
    }

    /// Sets the retry backoff's first delay and cap.
    #[must_use]
    pub fn backoff(mut self, start: Duration, cap: Duration) -> Self {
        self.backoff_start = start;
        self.backoff_cap = cap;
        self
    }

    /// Sets the connect and whole-request timeouts.
    #[must_use]
    pub fn timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Sets how long a long poll asks the server to wait.
    #[must_use]
    pub fn long_poll_wait(mut self, wait: Duration) -> Self {
        self.long_poll_wait = wait;
        self
    }

    /// Sets the window allowing one early keyring refresh.
    #[must_use]
    pub fn unknown_key_refresh_window(mut self, window: Duration) -> Self {
        self.unknown_key_refresh_window = window;
        self
    }

    /// Keeps the last good documents in `dir` (created if missing).
    #[must_use]
    pub fn local_copy(mut self, dir: impl Into<PathBuf>) -> Self {
        self.local_copy = Some(dir.into());
        self
    }

    /// Reads the key from the whole value of `header` instead of `Authorization: Bearer`.
    #[must_use]
    pub fn credential_header(mut self, header: http::HeaderName) -> Self {
        self.credential = CredentialHeader::Header(header);
        self
    }

    /// Passes the credential header on to the inner service (it is removed by default).
    #[must_use]
    pub fn keep_credential_header(mut self, keep: bool) -> Self {
        self.keep_credential_header = keep;
        self
    }

    /// Checks that the configuration can work.
    ///
    /// # Errors
    /// [`EdgeError::Config`] or [`EdgeError::InvalidUrl`].
    pub fn check(&self) -> Result<(), EdgeError> {
        self.keyring.check()?;
        if matches!(self.keyring, Source::LongPoll(_)) {
            return Err(EdgeError::Config(
                "a long-poll source serves revocation lists only",
            ));
        }
        if let Some(list) = &self.revocations {
            list.check()?;
        }
        if self.min_interval.is_zero() || self.min_interval > self.max_interval {
            return Err(EdgeError::Config("need 0 < min_interval <= max_interval"));
        }
        if self.backoff_start.is_zero() || self.backoff_start > self.backoff_cap {
            return Err(EdgeError::Config("need 0 < backoff_start <= backoff_cap"));
        }
        if !(0.0..=0.5).contains(&self.jitter) {
            return Err(EdgeError::Config("jitter must be within 0.0..=0.5"));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(EdgeError::Config("timeouts must not be zero"));
        }
        Ok(())
    }
}
