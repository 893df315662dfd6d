//! Signed revocation lists: how a signing service withdraws keys from offline verifiers.
//!
//! The signing service builds each list from the previous one plus new entries
//! ([`RevocationListBuilder`]), signs it with a key from the keyring and publishes the bytes;
//! edges download them and hand them to [`Verifier::update_revocations`](crate::Verifier::update_revocations)
//! (or [`LiveVerifier`](crate::LiveVerifier) for hot swaps), which refuses forged lists,
//! other issuers' lists and rollbacks. `FORMAT.md` §3 specifies the bytes.
//!
//! - `entries`: what a list holds ([`RevokedToken`], [`RevokedApp`], [`RevokedSigner`]);
//! - `format`: its bytes, read and written (the only module that knows an offset);
//! - `index`: the token index that makes a lookup independent of the list's size;
//! - `list`: [`RevocationList`], verified on the way in, and its check of a key;
//! - `builder`: [`RevocationListBuilder`], which signs the next list.
//!
//! Why a list is refused ([`ListProblem`](crate::ListProblem)) and which entry revoked a key
//! ([`RevocationReason`](crate::RevocationReason)) are in `error`, below this module.

mod builder;
mod entries;
mod format;
mod index;
mod list;

pub use builder::RevocationListBuilder;
pub use entries::{RevokedApp, RevokedSigner, RevokedToken};
pub use format::LIST_VERSION;
#[cfg(feature = "fuzzing")]
pub(crate) use format::payload_roundtrip;
pub use list::RevocationList;
