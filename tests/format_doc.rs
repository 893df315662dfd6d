//! FORMAT.md's claims that code can check: the scanner regex and the worked example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

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
