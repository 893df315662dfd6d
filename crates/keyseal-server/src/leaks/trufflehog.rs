//! The verify endpoint of the trufflehog custom detector that `keyseal scan --rules
//! trufflehog` prints. trufflehog POSTs `{"<detector>": {"<regex name>": ["<match>", …]}}`
//! (the whole match first, then any capture groups) and counts a `200` as verified. The
//! rule's expression asks nothing of the characters after a key, so a match may run past
//! its end: the keys in it are found by their checksum ([`keyseal::find_keys`], as
//! `keyseal scan` does) and the signature decides.

use std::collections::BTreeMap;

use keyseal::{Timestamp, TokenId, Verifier};

/// Most match texts looked at in one request.
pub(crate) const MAX_MATCHES: usize = 64;
/// Longest match text looked at (a key is at most 1,400 characters or so).
pub(crate) const MAX_MATCH_LEN: usize = 4096;

/// The body trufflehog sends: detector name → regex name → texts.
pub(crate) type Matches = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The token ids of the keys in `text` that `verifier` accepts at `now`.
pub(crate) fn verified_keys(verifier: &Verifier, text: &str, now: Timestamp) -> Vec<TokenId> {
    keyseal::find_keys(text.as_bytes())
        .into_iter()
        .filter_map(|range| text.get(range))
        .filter_map(|candidate| verifier.verify_at(candidate, now).ok())
        .map(|key| key.token_id())
        .collect()
}
