//! The one part of `Cache-Control` an edge needs: how long the document stays fresh.

use std::time::Duration;

/// The freshness lifetime a `Cache-Control` value gives: `max-age=N` seconds, or zero for
/// `no-cache` / `no-store`. `None` when it says neither (the edge then uses its default).
pub(crate) fn max_age(value: &str) -> Option<Duration> {
    let mut found = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, argument) = match directive.split_once('=') {
            Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            let seconds = argument?;
            if seconds.is_empty() || !seconds.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Over-large values saturate (RFC 9111 §1.2.2).
            found = Some(Duration::from_secs(seconds.parse().unwrap_or(u64::MAX)));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_max_age_and_refusals_to_cache() {
        assert_eq!(max_age("max-age=30"), Some(Duration::from_secs(30)));
        assert_eq!(
            max_age("public, MAX-AGE=\"7\""),
            Some(Duration::from_secs(7))
        );
        assert_eq!(max_age("public, max-age=1, no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=-1"), None);
        assert_eq!(max_age("max-age="), None);
        assert_eq!(
            max_age("max-age=99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}
