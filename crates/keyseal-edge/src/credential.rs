//! Reading the key text from a request's headers.

use http::{HeaderMap, header};

use crate::config::CredentialHeader;
use crate::refusal::Refusal;

/// The only whitespace a verifier may trim around a key text (FORMAT.md): space, tab, LF,
/// CR.
fn trim_key(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r'])
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
    let value = value
        .to_str()
        .map_err(|_| Refusal::InvalidCredentialHeader)?;
    let key = match from {
        CredentialHeader::Header(_) => value,
        CredentialHeader::Bearer => {
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("bearer") {
                // Another scheme (Basic, …) carries no bearer credential (RFC 6750 §3).
                return Ok(None);
            }
            rest
        }
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
        assert_eq!(read(&HeaderMap::new(), &CredentialHeader::Bearer), Ok(None));
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
