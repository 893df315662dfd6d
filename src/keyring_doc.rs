//! The keyring document: the JSON a signing service publishes and edges load.
//!
//! ```json
//! {
//!   "version": 1,
//!   "keys": [
//!     {
//!       "kid": "8c1f5a6e0b9d2c47",
//!       "public_key": "<43 characters of unpadded base64url>",
//!       "state": "active",
//!       "not_before": "2026-01-01T00:00:00Z",
//!       "not_after": null
//!     }
//!   ]
//! }
//! ```
//!
//! Loading checks everything and names the offending entry: the version (newer ones are
//! refused), members (a duplicate is refused; an unknown one is refused unless its name
//! starts with `x-`, which marks an annotation that readers ignore), each key (canonical,
//! not weak, `kid` equal to the derived key id), the state, the times (`YYYY-MM-DDTHH:MM:SSZ`
//! or `null`), the window (`not_after` after `not_before`), no key twice, at most one
//! active key, and at least one key. `FORMAT.md` §4.5 specifies it.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::{DocumentProblem, Error, JsonProblem, printable};
use crate::json::{Node, Object};
use crate::key_id::KeyId;
use crate::key_text::decode_bare;
use crate::keyring::{KeyState, Keyring};
use crate::keys::PublicKey;
use crate::limits::MAX_KEYRING_DOCUMENT_LEN;
use crate::timestamp::Timestamp;
use crate::timestamp::parse_utc;

/// The keyring document format version this library writes and reads.
pub const KEYRING_DOCUMENT_VERSION: u64 = 1;

/// Members whose names start with this are annotations: kept out of the format, ignored by
/// readers.
const ANNOTATION_PREFIX: &str = "x-";

#[derive(Serialize)]
struct DocumentOut {
    version: u64,
    keys: Vec<EntryOut>,
}

#[derive(Serialize)]
struct EntryOut {
    kid: String,
    public_key: String,
    state: &'static str,
    not_before: Option<String>,
    not_after: Option<String>,
}

/// The error for a document of `len` bytes, over [`MAX_KEYRING_DOCUMENT_LEN`].
pub(crate) fn too_large(len: usize) -> Error {
    doc_error(None, None, DocumentProblem::TooLarge { len })
}

fn doc_error(entry: Option<usize>, kid: Option<KeyId>, problem: DocumentProblem) -> Error {
    Error::KeyringDocument {
        entry,
        kid,
        problem,
    }
}

/// Refuses members that are neither taken yet nor annotations.
fn check_unknown(object: &Object) -> Result<(), DocumentProblem> {
    match object
        .remaining()
        .find(|name| !name.starts_with(ANNOTATION_PREFIX))
    {
        Some(name) => Err(DocumentProblem::Json(JsonProblem::UnknownMember(
            printable(name),
        ))),
        None => Ok(()),
    }
}

/// Reads `not_before` or `not_after`: absent, `null` or a UTC time.
fn time_member(
    object: &mut Object,
    member: &'static str,
) -> Result<Option<Timestamp>, DocumentProblem> {
    match object.take(member) {
        None | Some(Node::Null) => Ok(None),
        Some(Node::String(s)) => parse_utc(&s)
            .map(Some)
            .ok_or(DocumentProblem::InvalidTime(member)),
        Some(_) => Err(DocumentProblem::Json(JsonProblem::WrongType {
            member,
            expected: "null or a string",
        })),
    }
}

/// One entry, checked on its own.
struct Entry {
    key: PublicKey,
    state: KeyState,
    not_before: Option<Timestamp>,
    not_after: Option<Timestamp>,
}

/// Checks one entry; on failure, also returns the stated key id if it is well-formed, so
/// the error can name it.
fn read_entry(node: Node) -> Result<Entry, (Option<KeyId>, DocumentProblem)> {
    let json = |p| (None, DocumentProblem::Json(p));
    let Node::Object(mut object) = node else {
        return Err(json(JsonProblem::NotAnObject));
    };
    object.check_no_duplicates().map_err(json)?;
    let kid = object
        .take_required("kid")
        .and_then(|n| n.into_string("kid"))
        .map_err(json)?;
    let kid: KeyId = kid
        .parse()
        .map_err(|_| (None, DocumentProblem::InvalidKid))?;
    let with_kid = |problem| (Some(kid), problem);
    let public_key = object
        .take_required("public_key")
        .and_then(|n| n.into_string("public_key"))
        .map_err(|p| with_kid(DocumentProblem::Json(p)))?;
    let bytes =
        decode_bare(&public_key).ok_or_else(|| with_kid(DocumentProblem::PublicKeyEncoding))?;
    let key = PublicKey::from_bytes(&bytes).map_err(|e| {
        with_kid(match e {
            Error::InvalidPublicKey(p) => DocumentProblem::InvalidPublicKey(p),
            _ => DocumentProblem::PublicKeyEncoding,
        })
    })?;
    if key.key_id() != kid {
        return Err(with_kid(DocumentProblem::KidMismatch {
            derived: key.key_id(),
        }));
    }
    let state = object
        .take_required("state")
        .and_then(|n| n.into_string("state"))
        .map_err(|p| with_kid(DocumentProblem::Json(p)))?;
    let state: KeyState = state
        .parse()
        .map_err(|_| with_kid(DocumentProblem::InvalidState))?;
    let not_before = time_member(&mut object, "not_before").map_err(with_kid)?;
    let not_after = time_member(&mut object, "not_after").map_err(with_kid)?;
    if let (Some(nb), Some(na)) = (not_before, not_after) {
        if na <= nb {
            return Err(with_kid(DocumentProblem::EmptyValidity));
        }
    }
    check_unknown(&object).map_err(with_kid)?;
    Ok(Entry {
        key,
        state,
        not_before,
        not_after,
    })
}

impl Keyring {
    /// Loads a keyring document (format version 1), checking every rule; see the module
    /// documentation and `FORMAT.md`.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use keyseal::{KeyState, Keyring, SigningKey};
    ///
    /// let mut keyring = Keyring::new();
    /// keyring.add(SigningKey::generate()?.public_key(), KeyState::Active)?;
    /// let json = keyring.to_json();
    /// assert_eq!(Keyring::from_json(&json)?, keyring);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::KeyringDocument`], naming the entry (`keys[i]`, and its key id when that is
    /// well-formed) and the rule it breaks.
    pub fn from_json(json: &str) -> Result<Keyring, Error> {
        let top = |p| doc_error(None, None, p);
        if json.len() > MAX_KEYRING_DOCUMENT_LEN {
            return Err(too_large(json.len()));
        }
        let Node::Object(mut doc) = Node::parse(json).map_err(|p| top(DocumentProblem::Json(p)))?
        else {
            return Err(top(DocumentProblem::Json(JsonProblem::NotAnObject)));
        };
        doc.check_no_duplicates()
            .map_err(|p| top(DocumentProblem::Json(p)))?;
        match doc
            .take_required("version")
            .map_err(|p| top(DocumentProblem::Json(p)))?
        {
            Node::Unsigned(KEYRING_DOCUMENT_VERSION) => {}
            Node::Unsigned(v) if v > KEYRING_DOCUMENT_VERSION => {
                return Err(top(DocumentProblem::UnsupportedVersion(v)));
            }
            _ => return Err(top(DocumentProblem::InvalidVersion)),
        }
        let Node::Array(entries) = doc
            .take_required("keys")
            .map_err(|p| top(DocumentProblem::Json(p)))?
        else {
            return Err(top(DocumentProblem::Json(JsonProblem::WrongType {
                member: "keys",
                expected: "an array",
            })));
        };
        check_unknown(&doc).map_err(top)?;
        if entries.is_empty() {
            return Err(top(DocumentProblem::NoKeys));
        }
        let mut keyring = Keyring::new();
        let mut seen: BTreeMap<KeyId, usize> = BTreeMap::new();
        let mut active: Option<usize> = None;
        for (i, node) in entries.into_iter().enumerate() {
            let entry = read_entry(node).map_err(|(kid, p)| doc_error(Some(i), kid, p))?;
            let id = entry.key.key_id();
            let err = |p| doc_error(Some(i), Some(id), p);
            if let Some(&first) = seen.get(&id) {
                return Err(err(DocumentProblem::DuplicateKey { first }));
            }
            seen.insert(id, i);
            if entry.state == KeyState::Active {
                if let Some(first) = active {
                    return Err(err(DocumentProblem::SecondActive { first }));
                }
                active = Some(i);
            }
            // Neither can fail after the checks above; the mapping keeps that honest.
            keyring
                .add(entry.key, entry.state)
                .map_err(|_| err(DocumentProblem::DuplicateKey { first: i }))?;
            keyring
                .set_validity(id, entry.not_before, entry.not_after)
                .map_err(|_| err(DocumentProblem::EmptyValidity))?;
        }
        Ok(keyring)
    }

    /// The keyring as a keyring document: pretty-printed JSON, keys ordered by key id, every
    /// member written (`null` for an open end of the validity window), ending in a newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let doc = DocumentOut {
            version: KEYRING_DOCUMENT_VERSION,
            keys: self
                .iter()
                .map(|e| EntryOut {
                    kid: alloc::format!("{}", e.key_id()),
                    public_key: alloc::format!("{}", e.public_key()),
                    state: e.state().as_str(),
                    not_before: e.not_before().map(|t| alloc::format!("{t}")),
                    not_after: e.not_after().map(|t| alloc::format!("{t}")),
                })
                .collect(),
        };
        // Serializing strings and integers cannot fail.
        let mut json = serde_json::to_string_pretty(&doc).unwrap_or_default();
        json.push('\n');
        json
    }
}
