//! The verify endpoint of the trufflehog custom detector that `keyseal scan --rules
//! trufflehog` prints. trufflehog POSTs `{"<detector>": {"<regex name>": ["<match>", …]}}`
//! (the whole match first, then any capture groups) and counts a `200` as verified. The
//! rule's expression asks nothing of the characters after a key, so a match may run past
//! its end: every end is tried from the longest down, and the checksum and the signature
//! decide (as `keyseal scan` does).

use std::collections::BTreeMap;

use keyseal::{Timestamp, TokenId, Verifier};

/// Most match texts looked at in one request.
pub(crate) const MAX_MATCHES: usize = 64;
/// Longest match text looked at (a key is at most 1,400 characters or so).
pub(crate) const MAX_MATCH_LEN: usize = 4096;

/// The body trufflehog sends: detector name → regex name → texts.
pub(crate) type Matches = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Whether `b` may appear in a key's body (base64url).
fn is_body(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The token ids of the keys in `text` that `verifier` accepts at `now`: at each
/// `<prefix>_`, the longest text that verifies.
pub(crate) fn verified_keys(verifier: &Verifier, text: &str, now: Timestamp) -> Vec<TokenId> {
    let marker = format!("{}_", verifier.prefix().as_str());
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut resume = 0;
    for (start, _) in text.match_indices(&marker) {
        if start < resume {
            continue;
        }
        let body_start = start + marker.len();
        let run = bytes
            .get(body_start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| is_body(b))
            .count();
        for end in (body_start + 1..=body_start + run).rev() {
            let Some(candidate) = text.get(start..end) else {
                continue;
            };
            if let Ok(key) = verifier.verify_at(candidate, now) {
                found.push(key.token_id());
                resume = end;
                break;
            }
        }
    }
    found
}
