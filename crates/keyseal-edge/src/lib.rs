//! # keyseal-edge: keyseal API keys verified on every request of a tower/axum service
//!
//! - [`Edge`] runs the **refresher**: background tokio tasks keep a keyseal
//!   [`LiveVerifier`](keyseal::LiveVerifier) (and [`CachedVerifier`](keyseal::CachedVerifier)
//!   with feature `cache`) up to date from a keyring document and a revocation list, each
//!   read from a file, an HTTP(S) URL (one `reqwest` client, `ETag`/`If-None-Match`,
//!   `If-Modified-Since`, `Cache-Control: max-age` within bounds, jitter, exponential
//!   backoff, size caps and timeouts) or a keyseal-server long poll. Only documents that
//!   verify are applied; refusals are logged and counted. An optional local directory keeps
//!   the last good documents for restarts while the sources are down. Staleness is the
//!   core's policy: by default the edge fails closed (503) once its list is too old.
//! - [`Edge::layer`] is the **middleware**: it reads `Authorization: Bearer <key>` (or a
//!   configured header), verifies synchronously (no await, no lock), attaches an
//!   [`AuthenticatedKey`] to the request, strips the credential header, and refuses with
//!   401/403/503 and an `application/problem+json` body carrying keyseal's stable
//!   [`Error::code`](keyseal::Error::code).
//! - [`RequireScope`] checks scopes per route; with feature `axum`, [`AuthenticatedKey`] is
//!   an extractor (`AuthenticatedKey` or `Option<AuthenticatedKey>`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use keyseal::Prefix;
//! use keyseal_edge::{Edge, EdgeConfig, Source};
//!
//! let edge = Edge::start(
//!     EdgeConfig::new(Prefix::new("acme_live")?, Source::url("https://keys.example/v1/keyring.json"))
//!         .revocations(Source::long_poll("https://keys.example/v1/revocations.bin"))
//!         .local_copy("/var/lib/my-api/keyseal"),
//! )?;
//! tokio::time::timeout(Duration::from_secs(30), edge.ready()).await?;
//! let service = tower::ServiceBuilder::new()
//!     .layer(edge.layer())
//!     .service(tower::service_fn(|_req: http::Request<()>| async {
//!         Ok::<_, std::convert::Infallible>(http::Response::new(bytes::Bytes::from("hello")))
//!     }));
//! # drop(service); Ok(()) }
//! ```

mod cache_control;
mod config;
mod credential;
mod early;
mod edge;
mod error;
#[cfg(feature = "axum")]
mod extract;
mod fetch;
mod layer;
mod local_copy;
mod refresher;
mod refusal;
mod scope;
mod status;

pub use config::{CredentialHeader, EdgeConfig, Source};
pub use edge::Edge;
pub use error::EdgeError;
pub use layer::{AuthenticatedKey, Keyseal, KeysealLayer, ResponseFuture};
pub use refusal::Refusal;
pub use scope::{RequireScope, RequireScopeService, ScopeRule, require_scope};
pub use status::{DocumentStatus, Origin, Status};
