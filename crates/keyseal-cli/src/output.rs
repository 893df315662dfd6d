//! Writing results: data to standard output (never panicking on a closed pipe), notes to
//! standard error, JSON, and keys redacted for display.

use std::fmt::Display;
use std::io::{self, Write};

use keyseal::{Claims, SECRET_TEXT_PREFIX, Timestamp};
use serde_json::{Value, json};

use crate::exit::Failure;

/// Writes one line of data to standard output. A closed pipe is an I/O failure, not a
/// panic (`println!` would panic).
pub(crate) fn line(text: impl Display) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::io("write", "standard output", &e))
}

/// Writes a JSON value, pretty-printed, to standard output.
pub(crate) fn json(value: &Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| {
        Failure::io(
            "write",
            "standard output",
            &io::Error::new(io::ErrorKind::InvalidData, e),
        )
    })?;
    line(text)
}

/// Writes a note to standard error. Failing to write a note is not worth failing for.
pub(crate) fn note(text: impl Display) {
    let _ = writeln!(io::stderr().lock(), "keyseal: {text}");
}

/// A file name for display: control characters (which could carry terminal escape
/// sequences) are shown escaped, as `\x1b` or `\u{85}`; a backslash is shown as `\\`.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => match u8::try_from(u32::from(c)) {
                Ok(b) if b < 0x80 => out.push_str(&format!("\\x{b:02x}")),
                _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            },
            c => out.push(c),
        }
    }
    out
}

/// A path for display, escaped as [`escape`] does.
pub(crate) fn path(p: &std::path::Path) -> String {
    escape(&p.display().to_string())
}

/// `n` and a noun, plural unless `n` is 1: `1 key`, `3 keys`.
pub(crate) fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A time, or `-` when absent.
pub(crate) fn time_or_dash(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "-".to_string(), |t| t.to_string())
}

/// A time as JSON: its RFC 3339 text, or `null`.
pub(crate) fn time_json(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_string()))
}

/// Lowercase hex of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims as JSON members.
pub(crate) fn claims_json(claims: &Claims) -> Value {
    let extensions: serde_json::Map<String, Value> = claims
        .extensions()
        .map(|(name, value)| (name.to_string(), Value::String(hex(value))))
        .collect();
    json!({
        "app_id": claims.app_id(),
        "scopes": claims.scopes().collect::<Vec<_>>(),
        "issued_at": claims.issued_at().to_string(),
        "expires_at": claims.expires_at().to_string(),
        "not_before": time_json(claims.not_before()),
        "token_id": claims.token_id().to_string(),
        "extensions": extensions,
    })
}

/// Claims as aligned `name: value` lines.
pub(crate) fn claims_lines(claims: &Claims) -> Vec<String> {
    let scopes: Vec<&str> = claims.scopes().collect();
    let mut lines = vec![
        format!("app:         {}", claims.app_id()),
        format!(
            "scopes:      {}",
            if scopes.is_empty() {
                "(none)".to_string()
            } else {
                scopes.join(" ")
            }
        ),
        format!("issued:      {}", claims.issued_at()),
        format!("expires:     {}", claims.expires_at()),
        format!("not before:  {}", time_or_dash(claims.not_before())),
        format!("token id:    {}", claims.token_id()),
    ];
    for (name, value) in claims.extensions() {
        lines.push(format!("extension:   {name} = {}", hex(value)));
    }
    lines
}

/// Characters of a key body shown on each side when a key is redacted.
const SHOWN: usize = 4;

/// An API key with all but its prefix, the first and the last few characters hidden:
/// `acme_live_AcN-…x2Qz`. Enough to tell keys apart, far too little to use one.
pub(crate) fn redact_key(text: &str) -> String {
    let Some((prefix, body)) = split_prefix(text) else {
        return "…".to_string();
    };
    let head: String = body.chars().take(SHOWN).collect();
    let count = body.chars().count();
    let tail: String = body.chars().skip(count.saturating_sub(SHOWN)).collect();
    format!("{prefix}_{head}…{tail}")
}

/// Splits key text at the `_` that starts its body: the first `_` followed by an
/// uppercase letter (the body of a version 1 key starts with `A`-`Z`).
fn split_prefix(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let at = bytes
        .windows(2)
        .position(|w| matches!(w, [b'_', c] if c.is_ascii_uppercase()))?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// A secret key in compact text form with everything but its prefix and last characters
/// hidden. The last five characters encode only the checksum, so nothing of the secret
/// is shown.
pub(crate) fn redact_secret(text: &str) -> String {
    let count = text.chars().count();
    let tail: String = text.chars().skip(count.saturating_sub(SHOWN)).collect();
    format!("{SECRET_TEXT_PREFIX}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_few_characters() {
        let key = format!("acme_live_A{}", "b".repeat(150) + "WXYZ");
        assert_eq!(redact_key(&key), "acme_live_Abbb…WXYZ");
        assert_eq!(redact_key("no key here"), "…");
        let secret = format!("{SECRET_TEXT_PREFIX}{}", "s".repeat(44) + "CRC4");
        assert_eq!(redact_secret(&secret), "keyseal-secret-v1_…CRC4");
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        assert_eq!(
            escape("a\x1b[31mb\nc\u{85}\\d é"),
            "a\\x1b[31mb\\x0ac\\u{85}\\\\d é"
        );
    }
}
