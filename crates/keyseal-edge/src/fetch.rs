//! Fetching one document from its source: conditional HTTP requests, file change
//! detection, and a size cap enforced before anything is buffered past it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};

use crate::cache_control::max_age;
use crate::config::Source;
use crate::error::EdgeError;

/// What the source said about the document it holds.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// Unchanged since the validators last committed (a `304`, or the same file stamp): no
    /// body was read.
    NotModified { max_age: Option<Duration> },
    /// A new body to verify; commit `validators` once it has been applied.
    Body {
        body: Bytes,
        max_age: Option<Duration>,
        validators: Validators,
    },
}

/// What identifies the version of a document the edge holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Validators {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
    file_stamp: Option<(SystemTime, u64)>,
}

/// Fetches one document from one source with the shared HTTP client.
#[derive(Debug)]
pub(crate) struct Fetcher {
    source: Source,
    client: reqwest::Client,
    limit: usize,
    request_timeout: Duration,
    committed: Validators,
}

impl Fetcher {
    pub(crate) fn new(
        source: Source,
        client: reqwest::Client,
        limit: usize,
        request_timeout: Duration,
    ) -> Fetcher {
        Fetcher {
            source,
            client,
            limit,
            request_timeout,
            committed: Validators::default(),
        }
    }

    pub(crate) fn is_long_poll(&self) -> bool {
        matches!(self.source, Source::LongPoll(_))
    }

    /// Remembers the validators of the document now in force, for the next conditional
    /// request.
    pub(crate) fn commit(&mut self, validators: Validators) {
        self.committed = validators;
    }

    /// Forgets the validators, so that the next fetch downloads the document again.
    pub(crate) fn forget(&mut self) {
        self.committed = Validators::default();
    }

    /// Fetches the document if it changed. For a long-poll source, `after` is the sequence
    /// of the list in force and `wait` how long the server may hold the request.
    pub(crate) async fn fetch(&self, after: u64, wait: Duration) -> Result<Fetched, EdgeError> {
        match &self.source {
            Source::File(path) => self.fetch_file(path.clone()).await,
            Source::Http(url) => self.fetch_http(url, None).await,
            Source::LongPoll(url) => self.fetch_http(url, Some((after, wait))).await,
        }
    }

    async fn fetch_http(
        &self,
        url: &str,
        long_poll: Option<(u64, Duration)>,
    ) -> Result<Fetched, EdgeError> {
        let mut timeout = self.request_timeout;
        let mut request = self.client.get(url);
        if let Some((after, wait)) = long_poll {
            // The client waits longer than the server may hold the request.
            timeout = timeout.saturating_add(wait);
            request = request.query(&[("after", after), ("wait", wait.as_secs())]);
        }
        request = request.timeout(timeout);
        if let Some(etag) = &self.committed.etag {
            request = request.header(header::IF_NONE_MATCH, etag.clone());
        }
        if let Some(date) = &self.committed.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date.clone());
        }
        let response = request.send().await?;
        let age = response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        match response.status() {
            StatusCode::NOT_MODIFIED => Ok(Fetched::NotModified { max_age: age }),
            StatusCode::OK => {
                let validators = Validators {
                    etag: response.headers().get(header::ETAG).cloned(),
                    last_modified: response.headers().get(header::LAST_MODIFIED).cloned(),
                    file_stamp: None,
                };
                let body = read_capped(response, self.limit).await?;
                Ok(Fetched::Body {
                    body,
                    max_age: age,
                    validators,
                })
            }
            status => Err(EdgeError::HttpStatus(status.as_u16())),
        }
    }

    async fn fetch_file(&self, path: PathBuf) -> Result<Fetched, EdgeError> {
        let seen = self.committed.file_stamp;
        let limit = self.limit;
        tokio::task::spawn_blocking(move || read_file_if_changed(&path, seen, limit))
            .await
            .map_err(|_| EdgeError::Io(std::io::ErrorKind::Interrupted))?
    }
}

/// Reads the body, refusing it as soon as it exceeds `limit`: a declared length over the
/// limit is refused before any byte is read, and an undeclared one is streamed and cut off.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Bytes, EdgeError> {
    let declared = response.content_length();
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(EdgeError::TooLarge { limit });
    }
    let initial = declared.map_or(16 * 1024, |len| usize::try_from(len).unwrap_or(limit));
    let mut body = BytesMut::with_capacity(initial.min(limit));
    while let Some(chunk) = response.chunk().await? {
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(EdgeError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads a file if its modification time or length differs from `seen`, with the same cap.
pub(crate) fn read_file_if_changed(
    path: &Path,
    seen: Option<(SystemTime, u64)>,
    limit: usize,
) -> Result<Fetched, EdgeError> {
    let io = |e: std::io::Error| EdgeError::Io(e.kind());
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let stamp = (meta.modified().map_err(io)?, meta.len());
    if seen == Some(stamp) {
        return Ok(Fetched::NotModified { max_age: None });
    }
    if meta.len() > limit as u64 {
        return Err(EdgeError::TooLarge { limit });
    }
    let mut body = Vec::new();
    (&mut file)
        .take(limit as u64 + 1)
        .read_to_end(&mut body)
        .map_err(io)?;
    if body.len() > limit {
        return Err(EdgeError::TooLarge { limit });
    }
    Ok(Fetched::Body {
        body: Bytes::from(body),
        max_age: None,
        validators: Validators {
            file_stamp: Some(stamp),
            ..Validators::default()
        },
    })
}
