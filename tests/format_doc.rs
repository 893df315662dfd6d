//! FORMAT.md's claims that code can check: the scanner regex and the worked example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod fixture;
mod forge;

use keyseal::{SCANNER_REGEX, UntrustedKey};
use serde_json::Value;

fn format_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FORMAT.md")).unwrap()
}

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_spec_publishes_the_librarys_regex() {
    assert!(format_md().contains(SCANNER_REGEX));
}

#[test]
fn the_regex_finds_every_well_formed_key_and_only_the_key() {
    let re = regex::Regex::new(SCANNER_REGEX).unwrap();
    let doc = vectors();
    let cases = doc["cases"].as_array().unwrap();
    let well_formed_keys: std::collections::BTreeSet<&str> = cases
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .filter(|k| UntrustedKey::parse(k).is_ok())
        .collect();
    for case in cases {
        let key = case["key"].as_str().unwrap();
        let well_formed = well_formed_keys.contains(key);
        for text in [
            key.to_string(),
            format!("API_KEY={key}\n"),
            format!("curl -H 'Authorization: Bearer {key}' https://x"),
            format!("\"{key}\","),
        ] {
            let found: Vec<&str> = re
                .captures_iter(&text)
                .map(|c| c.get(1).unwrap().as_str())
                .collect();
            if well_formed {
                assert_eq!(found, [key], "{}", case["name"]);
            }
            // Whatever the regex finds, only real (checksummed) keys survive confirmation:
            // a padded or garbled vector may contain a real key, never a new one.
            for f in found {
                assert_eq!(
                    UntrustedKey::parse(f).is_ok(),
                    well_formed_keys.contains(f),
                    "{f}"
                );
            }
        }
    }
}

#[test]
fn look_alikes_are_found_by_the_regex_but_fail_the_checksum() {
    let re = regex::Regex::new(SCANNER_REGEX).unwrap();
    let doc = vectors();
    let standard = doc["cases"][0]["key"].as_str().unwrap();
    let mut chars: Vec<char> = standard.chars().collect();
    let i = chars.len() - 10;
    chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
    let look_alike: String = chars.into_iter().collect();
    let m = re.captures(&look_alike).unwrap().get(1).unwrap().as_str();
    assert_eq!(m, look_alike);
    assert!(UntrustedKey::parse(m).is_err());
}

#[test]
fn the_worked_example_is_the_standard_vector() {
    let doc = vectors();
    let standard = &doc["cases"][0];
    assert_eq!(standard["name"], "standard");
    let key = standard["key"].as_str().unwrap();
    let spec = format_md();
    let start = spec.find("acme_live_AcN").unwrap();
    let wrapped: String = spec[start..]
        .lines()
        .take(3)
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(wrapped, key);
    assert!(spec.contains(&format!("({} characters)", key.len())));
}

/// The repetition counts `{m}`, `{m,}` and `{m,n}` of a regular expression.
fn repetition_counts(re: &str) -> Vec<u64> {
    let mut counts = Vec::new();
    for (i, _) in re.match_indices('{') {
        let rest = &re[i + 1..];
        let end = rest.find('}').expect("a closed repetition");
        for n in rest[..end].split(',').filter(|n| !n.is_empty()) {
            counts.push(n.parse().expect("a number"));
        }
    }
    counts
}

#[test]
fn the_regex_is_accepted_by_re2_and_go_and_keeps_the_length_bounds() {
    // RE2 and Go's regexp refuse any repetition count above 1000.
    let counts = repetition_counts(SCANNER_REGEX);
    assert!(!counts.is_empty());
    assert!(counts.iter().all(|&n| n <= 1000), "{counts:?}");
    // Still 134 to 1366 body characters: the shortest and the longest body match whole, one
    // character less is no match, one more is left out of the match.
    let re = regex::Regex::new(SCANNER_REGEX).unwrap();
    let found = |body_len: usize| -> Option<usize> {
        let text = format!("acme_live_A{}", "b".repeat(body_len - 1));
        re.captures(&text)
            .map(|c| c.get(1).unwrap().as_str().len() - "acme_live_".len())
    };
    assert_eq!(found(133), None);
    assert_eq!(found(134), Some(134));
    assert_eq!(found(1366), Some(1366));
    assert_eq!(found(1367), Some(1366));
    // And the published text is the constant, in FORMAT.md's code block.
    assert!(format_md().contains(&format!("```\n{SCANNER_REGEX}\n```")));
}

#[test]
fn the_regex_finds_the_longest_and_the_shortest_keys_whole() {
    let sk = fixture::signing_key(&fixture::ACTIVE_SEED);
    let longest = fixture::issue_at(
        fixture::PREFIX,
        &fixture::ACTIVE_SEED,
        fixture::max_size_request(fixture::PREFIX),
        fixture::now(),
    )
    .into_string();
    // 23 payload bytes, the fewest a key can carry: 100 bytes, 134 body characters.
    let payload = forge::payload_bytes("a", &[], (1, 2, None), [0; 16], &[]);
    let shortest = forge::signed(fixture::PREFIX, &sk, &payload);
    let re = regex::Regex::new(SCANNER_REGEX).unwrap();
    for (key, body_len) in [(&longest, 1366), (&shortest, 134)] {
        assert!(UntrustedKey::parse(key).is_ok());
        assert_eq!(key.len(), fixture::PREFIX.len() + 1 + body_len);
        let m = re.captures(key).unwrap().get(1).unwrap().as_str();
        assert_eq!(m, key.as_str());
        // One more body character is not part of the match.
        let longer = format!("{key}A");
        let m = re.captures(&longer).unwrap().get(1).unwrap().as_str();
        assert_eq!(m.len(), key.len() + usize::from(body_len < 1366));
    }
}
