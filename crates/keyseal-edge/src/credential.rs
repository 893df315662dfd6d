//! Reading the key text from a request's headers.

use http::{HeaderMap, header};

use crate::config::CredentialHeader;
use crate::refusal::Refusal;

/// The only whitespace a verifier may trim around a key text (FORMAT.md): space, tab, LF,
/// CR.
fn is_trimmable(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// `text` without the trimmable whitespace at either end. On bytes: the usual key has
/// none, and this costs two comparisons then.
fn trim_key(text: &str) -> &str {
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !is_trimmable(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_trimmable(b))
        .map_or(start, |i| i + 1);
    // Both ends sit next to ASCII bytes, so on character boundaries: `get` cannot fail.
    text.get(start..end).unwrap_or_default()
}

/// The token of a `Bearer` credential (scheme case-insensitive, RFC 7235), untrimmed; `None`
/// for another scheme.
fn bearer_token(value: &str) -> Option<&str> {
    // The spelling nearly every client sends, without the general split.
    if let Some(rest) = value.strip_prefix("Bearer ") {
        return Some(rest);
    }
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then_some(rest)
}

/// The key text in `headers`, or why there is none. `Ok(None)`: no credential at all.
pub(crate) fn read<'h>(
    headers: &'h HeaderMap,
    from: &CredentialHeader,
) -> Result<Option<&'h str>, Refusal> {
    let name = match from {
        CredentialHeader::Bearer => &header::AUTHORIZATION,
        CredentialHeader::Header(name) => name,
    };
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Refusal::InvalidCredentialHeader);
    }
    // `HeaderValue::to_str` tests every byte on its own; checking ASCII a word at a time
    // and then UTF-8 (whose ASCII path is as fast) costs a fraction of that on a 220-byte
    // key. Control characters cannot arrive over HTTP (hyper refuses them), and any that
    // a caller builds in are refused by the verifier as malformed.
    let bytes = value.as_bytes();
    let value = match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => text,
        _ => return Err(Refusal::InvalidCredentialHeader),
    };
    let key = match from {
        CredentialHeader::Header(_) => value,
        CredentialHeader::Bearer => match bearer_token(value) {
            Some(token) => token,
            // Another scheme (Basic, …) carries no bearer credential (RFC 6750 §3).
            None => return Ok(None),
        },
    };
    match trim_key(key) {
        "" => Err(Refusal::InvalidCredentialHeader),
        key => Ok(Some(key)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::HeaderValue;

    fn bearer(value: &'static str) -> Result<Option<String>, Refusal> {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        read(&h, &CredentialHeader::Bearer).map(|k| k.map(str::to_owned))
    }

    #[test]
    fn reads_bearer_tokens_case_insensitively_and_trims_only_ascii_whitespace() {
        assert_eq!(bearer("Bearer abc").unwrap().as_deref(), Some("abc"));
        assert_eq!(bearer("bearer   abc\t").unwrap().as_deref(), Some("abc"));
        assert_eq!(bearer("Basic abc").unwrap(), None);
        assert_eq!(bearer("Bearer "), Err(Refusal::InvalidCredentialHeader));
        assert_eq!(bearer("Bearer"), Err(Refusal::InvalidCredentialHeader));
        assert_eq!(bearer("BEARER \t abc \t").unwrap().as_deref(), Some("abc"));
        assert_eq!(bearer("Bearer a b").unwrap().as_deref(), Some("a b"));
        assert_eq!(
            bearer("Bearer \t \t"),
            Err(Refusal::InvalidCredentialHeader)
        );
        assert_eq!(bearer("Bearerabc").unwrap(), None);
        assert_eq!(read(&HeaderMap::new(), &CredentialHeader::Bearer), Ok(None));
    }

    #[test]
    fn trims_exactly_space_tab_lf_and_cr() {
        assert_eq!(trim_key(" \t\r\nabc\n\r\t "), "abc");
        assert_eq!(trim_key("a b"), "a b");
        assert_eq!(trim_key("\u{a0}abc\u{b}"), "\u{a0}abc\u{b}");
        assert_eq!(trim_key(" \n "), "");
        assert_eq!(trim_key(""), "");
    }

    #[test]
    fn refuses_repeated_and_non_ascii_headers() {
        let mut h = HeaderMap::new();
        h.append("x-api-key", HeaderValue::from_static("a"));
        h.append("x-api-key", HeaderValue::from_static("b"));
        let from = CredentialHeader::Header(http::HeaderName::from_static("x-api-key"));
        assert_eq!(read(&h, &from), Err(Refusal::InvalidCredentialHeader));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_bytes(b"k\xa0").unwrap());
        assert_eq!(read(&h, &from), Err(Refusal::InvalidCredentialHeader));
    }
}
