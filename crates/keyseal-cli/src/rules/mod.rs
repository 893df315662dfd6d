//! `keyseal scan --rules`: rules for third-party secret scanners that find one issuer's keys
//! with the expression of FORMAT.md §1.11, anchored on the issuer's prefix and on nothing
//! around the key (keys leak glued to word characters; the checksum tells keys from noise).

mod gitleaks;
mod trufflehog;
mod trufflehog3;

use std::io::Write;

use clap::ValueEnum;
use keyseal::Prefix;

use crate::exit::{Exit, Failure};

/// The scanners `--rules` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RuleFormat {
    /// A gitleaks (v8) configuration with one `[[rules]]` entry (TOML).
    Gitleaks,
    /// A trufflehog (v3) custom detector that posts findings to --verify-url (YAML).
    Trufflehog,
    /// A trufflehog3 (the Python scanner) pattern rule (YAML), for `trufflehog3 -r FILE`.
    Trufflehog3,
}

/// The characters a key body may hold after its first (FORMAT.md §1.1).
const BODY_CHARS: &str = "[A-Za-z0-9_-]";
/// The body's first character (it encodes the top bits of the version byte, §1.1).
const BODY_FIRST: &str = "[A-Z]";
/// A body is 134 to 1366 characters (§1.11), its first included.
const BODY_REST_MIN: usize = 133;
const BODY_REST_MAX: usize = 1365;
/// The largest repetition count Go's `regexp` (gitleaks, trufflehog) and RE2 accept.
const RE2_MAX_REPEAT: usize = 1000;

/// The expression that finds keys with this prefix: `prefix_[A-Z][A-Za-z0-9_-]{133,1365}`
/// (FORMAT.md §1.11), with the count split into repetitions of at most 1000 (as in
/// `keyseal::SCANNER_REGEX`) so that RE2 and Go accept it as well as Rust's `regex` and
/// Python's `re`. It asks nothing of the characters around the key; a match may run past the key's end into word characters, and
/// the scanner's verification (or `keyseal scan`) retries shorter ends.
pub(crate) fn key_regex(prefix: &Prefix) -> String {
    let mut re = regex_escape(prefix.as_str());
    re.push('_');
    re.push_str(BODY_FIRST);
    let first_max = BODY_REST_MAX.min(RE2_MAX_REPEAT);
    re.push_str(&format!("{BODY_CHARS}{{{BODY_REST_MIN},{first_max}}}"));
    if BODY_REST_MAX > first_max {
        re.push_str(&format!("{BODY_CHARS}{{0,{}}}", BODY_REST_MAX - first_max));
    }
    re
}

/// The literal every key with this prefix contains, for the scanners' keyword prefilters.
pub(crate) fn keyword(prefix: &Prefix) -> String {
    format!("{}_", prefix.as_str())
}

/// A rule id / detector name for this prefix.
pub(crate) fn rule_id(prefix: &Prefix) -> String {
    format!("keyseal-{}", prefix.as_str().replace('_', "-"))
}

/// Escapes every character that is not a letter, digit or `_`, so that the text matches
/// itself in RE2, Go, Rust and Python syntax. (A validated prefix holds none, but the rule
/// must stay right whatever §1.1 allows later.)
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Parses `--verify-url`: an absolute `http://` or `https://` URL with a host, made of
/// printable ASCII characters that URLs may hold (so it needs no quoting in a rule file).
pub(crate) fn parse_verify_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| "the URL must start with https:// or http://".to_string())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err("the URL has no host".to_string());
    }
    if let Some(bad) = s
        .chars()
        .find(|c| !c.is_ascii_graphic() || "\"'<>\\^`{|}".contains(*c))
    {
        return Err(format!(
            "the URL holds {:?}, which URLs must percent-encode",
            bad
        ));
    }
    Ok(s.to_string())
}

/// Writes the rule for `prefix` in `format` to standard output.
pub(crate) fn run(
    format: RuleFormat,
    prefix: &Prefix,
    verify_url: Option<&str>,
) -> Result<Exit, Failure> {
    let text = match (format, verify_url) {
        (RuleFormat::Trufflehog, Some(url)) => trufflehog::detector(prefix, url),
        (RuleFormat::Trufflehog, None) => {
            return Err(Failure::other(
                Exit::Usage,
                "usage",
                "--rules trufflehog needs --verify-url: the endpoint that checks findings",
            ));
        }
        (RuleFormat::Gitleaks | RuleFormat::Trufflehog3, Some(_)) => {
            return Err(Failure::other(
                Exit::Usage,
                "usage",
                "--verify-url is only for --rules trufflehog: gitleaks and trufflehog3 rules \
                 cannot verify findings (run keyseal scan on what they report)",
            ));
        }
        (RuleFormat::Gitleaks, None) => gitleaks::config(prefix),
        (RuleFormat::Trufflehog3, None) => trufflehog3::rules(prefix),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::io("write", "standard output", &e))?;
    Ok(Exit::Ok)
}

/// `text` as a YAML single-quoted scalar (the only escape is `''` for `'`).
fn yaml_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_expression_is_the_published_one_anchored_on_the_prefix() {
        let prefix = Prefix::new("acme_live").unwrap();
        let re = key_regex(&prefix);
        assert_eq!(
            re,
            "acme_live_[A-Z][A-Za-z0-9_-]{133,1000}[A-Za-z0-9_-]{0,365}"
        );
        // The generic expression of §1.11 (`keyseal::SCANNER_REGEX`) ends with the same body,
        // split the same way.
        let body = format!("{})", re.trim_start_matches("acme_live"));
        assert!(keyseal::SCANNER_REGEX.ends_with(&body), "{body}");
    }

    #[test]
    fn escaping_leaves_word_characters_and_escapes_the_rest() {
        assert_eq!(regex_escape("acme_live2"), "acme_live2");
        assert_eq!(regex_escape("a.b-c"), r"a\.b\-c");
    }

    #[test]
    fn verify_urls() {
        assert!(parse_verify_url("https://keys.acme.example/scan/verify").is_ok());
        assert!(parse_verify_url("http://127.0.0.1:8080/v").is_ok());
        for bad in [
            "keys.acme.example/verify",
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://:80/",
            "https://a b/",
            "https://a/'x",
            "https://a/\"x",
            "https://a/\nx",
        ] {
            assert!(parse_verify_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn yaml_quoting() {
        assert_eq!(yaml_quoted("it's"), "'it''s'");
    }
}
