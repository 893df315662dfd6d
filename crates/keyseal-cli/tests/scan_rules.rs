//! `keyseal scan --rules`, run as the real binary: the gitleaks, trufflehog and trufflehog3
//! rules it prints parse, carry the expression of FORMAT.md §1.11 for the prefix, find keys
//! issued with the library (also glued to word characters) and nothing else; and a real
//! scanner (trufflehog3) finds planted keys with the rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use keyseal::{Issuer, NewKey, Prefix, Timestamp};
use regex::Regex;
use support::*;

const VERIFY_URL: &str = "https://keys.acme.example/scanner/verify";

/// Runs `keyseal scan --rules ... --prefix acme_live` and returns what it printed.
fn rule(format: &str, extra: &[&str]) -> String {
    let f = Fixture::new();
    let mut args = vec!["scan", "--rules", format, "--prefix", PREFIX];
    args.extend_from_slice(extra);
    stdout(&f.run(&args).success())
}

fn gitleaks_rule() -> toml::Table {
    let doc: toml::Table = toml::from_str(&rule("gitleaks", &[])).expect("gitleaks TOML");
    let rules = doc["rules"].as_array().expect("[[rules]]");
    assert_eq!(rules.len(), 1);
    rules[0].as_table().unwrap().clone()
}

fn trufflehog_detector(url: &str) -> serde_norway::Value {
    let text = rule("trufflehog", &["--verify-url", url]);
    let doc: serde_norway::Value = serde_norway::from_str(&text).expect("trufflehog YAML");
    let detectors = doc["detectors"].as_sequence().expect("detectors:");
    assert_eq!(detectors.len(), 1);
    detectors[0].clone()
}

fn trufflehog3_rule() -> serde_norway::Value {
    let doc: serde_norway::Value =
        serde_norway::from_str(&rule("trufflehog3", &[])).expect("trufflehog3 YAML");
    let rules = doc.as_sequence().expect("a list of rules");
    assert_eq!(rules.len(), 1);
    rules[0].clone()
}

fn key_with(prefix: &str, seed: u8, scopes: usize) -> String {
    let mut new = NewKey::for_app(format!("app_{seed:02}x{scopes:03}")).expires_in(30 * DAY);
    for i in 0..scopes {
        new = new.scope(format!("resource{i}:read"));
    }
    Issuer::new(Prefix::new(prefix).unwrap(), signing(seed))
        .issue_at(new, Timestamp::now())
        .unwrap()
        .into_string()
}

/// Keys of every size the CLI issues: no scope up to many.
fn true_keys() -> Vec<String> {
    (0..6u8)
        .map(|i| key_with(PREFIX, i + 1, [0, 1, 2, 4, 8, 16][usize::from(i)]))
        .collect()
}

/// How keys leak (FORMAT.md §1.11): the key, then the text it sits in.
fn contexts(key: &str) -> Vec<String> {
    vec![
        key.to_string(),
        format!("{{\"token\": \"\\n{key}\"}}"),
        format!("curl -d token%3D{key}%20"),
        format!("url=%22{key}%22"),
        format!("\\u0022{key}\\u0022"),
        format!("API_KEY_{key}"),
        format!("x-{key}"),
        format!("{key}-rest"),
        format!("{key}abc"),
        format!("export ACME={key}\n"),
    ]
}

/// Asserts that `re` finds `key` in every context: a match that starts where the key starts
/// and covers it (it may run on into word characters after it, as §1.11 says).
fn assert_finds(re: &Regex, key: &str) {
    for text in contexts(key) {
        let at = text.find(key).unwrap();
        let m = re
            .find_iter(&text)
            .find(|m| m.start() == at)
            .unwrap_or_else(|| panic!("no match at the key in {text:?}"));
        assert!(m.as_str().starts_with(key), "{:?} in {text:?}", m.as_str());
        if text == key {
            assert_eq!(m.as_str(), key);
        }
    }
}

/// Things that must not match: keys of another issuer, a key cut too short, and a body
/// that starts with a lowercase letter (or a digit or `-`: no version byte encodes so).
fn assert_misses(re: &Regex) {
    let other = key_with("acme_test", 1, 1);
    assert!(!re.is_match(&other), "{other}");
    let other = key_with("globex_live", 1, 1);
    assert!(!re.is_match(&other), "{other}");
    let key = key_with(PREFIX, 1, 1);
    let body = &key[PREFIX.len() + 1..];
    // 133 body characters: one short of the shortest key.
    let short = format!("{PREFIX}_{}", &body[..133]);
    assert!(!re.is_match(&short), "{short}");
    assert!(re.is_match(&format!("{PREFIX}_{}", &body[..134])));
    for lead in ["a", "z", "0", "-", "_"] {
        let bad = format!("{PREFIX}_{lead}{}", &body[1..]);
        assert!(!re.is_match(&bad), "{bad}");
    }
    // The prefix with other separators, or cut short.
    for bad in [
        format!("acme-live_{body}"),
        format!("acmelive_{body}"),
        format!("acme_liv_{body}"),
        format!("ACME_LIVE_{body}"),
    ] {
        assert!(!re.is_match(&bad), "{bad}");
    }
}

fn check_regex(regex: &str) -> Regex {
    let re = Regex::new(regex).expect("the rule's expression compiles");
    // RE2 and Go's regexp (gitleaks, trufflehog) refuse repetition counts over 1000.
    let counts = Regex::new(r"\{(\d+)(?:,(\d*))?\}").unwrap();
    for c in counts.captures_iter(regex) {
        for n in [c.get(1), c.get(2)].into_iter().flatten() {
            if !n.as_str().is_empty() {
                assert!(n.as_str().parse::<u32>().unwrap() <= 1000, "{regex}");
            }
        }
    }
    for key in true_keys() {
        assert_finds(&re, &key);
    }
    assert_misses(&re);
    re
}

/// Shannon entropy in bits per character, as gitleaks computes it on a match.
fn entropy(text: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = text.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[test]
fn the_gitleaks_rule_parses_and_finds_exactly_the_prefix_keys() {
    let rule = gitleaks_rule();
    assert_eq!(rule["id"].as_str(), Some("keyseal-acme-live"));
    assert!(rule["description"].as_str().unwrap().contains(PREFIX));
    let keywords: Vec<_> = rule["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keywords, ["acme_live_"]);
    let re = check_regex(rule["regex"].as_str().unwrap());
    // Every key clears the entropy floor, with room; a look-alike of one repeated letter
    // that the expression matches does not.
    let floor = rule["entropy"].as_float().unwrap();
    for key in true_keys() {
        assert!(entropy(&key) > floor + 0.5, "{} for {key}", entropy(&key));
    }
    let fake = format!("{PREFIX}_{}", "A".repeat(200));
    assert!(re.is_match(&fake));
    assert!(entropy(&fake) < floor, "{}", entropy(&fake));
    // A keyword that is not in the key would make gitleaks skip it.
    for key in true_keys() {
        assert!(keywords.iter().all(|k| key.contains(k)));
    }
}

#[test]
fn the_trufflehog_detector_parses_finds_the_keys_and_verifies_at_the_url() {
    let d = trufflehog_detector(VERIFY_URL);
    assert_eq!(d["name"].as_str(), Some("keyseal-acme-live"));
    let keywords = d["keywords"].as_sequence().unwrap();
    assert_eq!(keywords.len(), 1);
    assert_eq!(keywords[0].as_str(), Some("acme_live_"));
    let regexes = d["regex"].as_mapping().unwrap();
    assert_eq!(regexes.len(), 1);
    check_regex(d["regex"]["key"].as_str().unwrap());
    let verify = d["verify"].as_sequence().unwrap();
    assert_eq!(verify.len(), 1);
    assert_eq!(verify[0]["endpoint"].as_str(), Some(VERIFY_URL));
    assert_eq!(verify[0]["unsafe"].as_bool(), Some(false));

    // trufflehog refuses a plain-http endpoint unless it is marked unsafe.
    let d = trufflehog_detector("http://127.0.0.1:8080/verify");
    assert_eq!(
        d["verify"][0]["endpoint"].as_str(),
        Some("http://127.0.0.1:8080/verify")
    );
    assert_eq!(d["verify"][0]["unsafe"].as_bool(), Some(true));
}

#[test]
fn the_trufflehog3_rule_parses_and_finds_the_keys() {
    let r = trufflehog3_rule();
    assert_eq!(r["id"].as_str(), Some("keyseal-acme-live"));
    assert!(r["message"].as_str().unwrap().contains(PREFIX));
    assert_eq!(r["severity"].as_str(), Some("HIGH"));
    check_regex(r["pattern"].as_str().unwrap());
}

#[test]
fn every_scanner_gets_the_same_expression_for_the_prefix() {
    let gitleaks = gitleaks_rule()["regex"].as_str().unwrap().to_string();
    let trufflehog = trufflehog_detector(VERIFY_URL)["regex"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let trufflehog3 = trufflehog3_rule()["pattern"].as_str().unwrap().to_string();
    assert_eq!(gitleaks, trufflehog);
    assert_eq!(gitleaks, trufflehog3);
    // It is §1.11's prefix-anchored expression, the body part of keyseal::SCANNER_REGEX.
    let body = keyseal::SCANNER_REGEX
        .rsplit_once("*_")
        .map(|(_, b)| b.trim_end_matches(')'))
        .unwrap();
    assert_eq!(body, "[A-Z][A-Za-z0-9_-]{133,1000}[A-Za-z0-9_-]{0,365}");
    assert_eq!(
        gitleaks,
        "acme_live_[A-Z][A-Za-z0-9_-]{133,1000}[A-Za-z0-9_-]{0,365}"
    );
    // And another prefix gets its own.
    let f = Fixture::new();
    let other = stdout(
        &f.run(&["scan", "--rules", "gitleaks", "--prefix", "globex2_test"])
            .success(),
    );
    assert!(other.contains("'''globex2_test_[A-Z]"), "{other}");
}

#[test]
fn bad_rule_requests_are_usage_errors_that_print_no_rule() {
    let f = Fixture::new();
    for args in [
        &["scan", "--rules", "gitleaks", "--prefix", "Acme_live"][..],
        &["scan", "--rules", "gitleaks", "--prefix", "acme__live"],
        &["scan", "--rules", "gitleaks"],
        &["scan", "--rules", "semgrep", "--prefix", PREFIX],
        &["scan", "--rules", "trufflehog", "--prefix", PREFIX],
        &[
            "scan",
            "--rules",
            "trufflehog",
            "--prefix",
            PREFIX,
            "--verify-url",
            "keys.acme.example",
        ],
        &[
            "scan",
            "--rules",
            "trufflehog",
            "--prefix",
            PREFIX,
            "--verify-url",
            "https://a/'x",
        ],
        &[
            "scan",
            "--rules",
            "gitleaks",
            "--prefix",
            PREFIX,
            "--verify-url",
            VERIFY_URL,
        ],
        &[
            "scan",
            "--rules",
            "trufflehog3",
            "--prefix",
            PREFIX,
            "--verify-url",
            VERIFY_URL,
        ],
        &["scan", "--rules", "gitleaks", "--prefix", PREFIX, "."],
        &[
            "scan",
            "--rules",
            "gitleaks",
            "--prefix",
            PREFIX,
            "--keyring",
            "keyring.json",
        ],
        &["scan", "--rules", "gitleaks", "--prefix", PREFIX, "--json"],
        &["scan", "--verify-url", VERIFY_URL, "."],
        &["scan", "--prefix", PREFIX, "."],
    ] {
        let out = f.run(args).code(2);
        assert!(stdout(&out).is_empty(), "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

/// The trufflehog3 executable: `KEYSEAL_TRUFFLEHOG3`, or `trufflehog3` on the PATH.
fn trufflehog3() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KEYSEAL_TRUFFLEHOG3") {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("trufflehog3"))
        .find(|p| p.is_file())
}

fn plant(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn trufflehog3_finds_planted_keys_with_the_rule() {
    let Some(scanner) = trufflehog3() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "trufflehog3 is not installed (.ci/setup/trufflehog3.sh installs it)"
        );
        eprintln!(
            "NOTICE: trufflehog3 not found (set KEYSEAL_TRUFFLEHOG3 or put it on PATH): skipped"
        );
        return;
    };
    let f = Fixture::new();
    let rules = f.path("keyseal-rules.yaml");
    std::fs::write(&rules, rule("trufflehog3", &[])).unwrap();
    let tree = f.path("tree");
    let keys = true_keys();
    let planted = [
        ("config/app.env", format!("ACME_API_KEY={}\n", keys[0])),
        (
            "src/client.json",
            format!("{{\"headers\": \"\\n{}\"}}\n", keys[1]),
        ),
        (
            "logs/access.log",
            format!("GET /x?token=%22{}%22 200\n", keys[2]),
        ),
        (
            "deep/a/b/c.rs",
            format!("const API_KEY_{}: &str = \"\";\n", keys[3]),
        ),
        ("big.txt", format!("{}\n", keys[5])),
    ];
    for (name, text) in &planted {
        plant(&tree, name, text);
    }
    plant(
        &tree,
        "other.env",
        &format!("KEY={}\n", key_with("acme_test", 1, 1)),
    );
    plant(
        &tree,
        "short.env",
        &format!("KEY={}\n", &keys[4][..PREFIX.len() + 1 + 133]),
    );

    let out = assert_cmd::Command::new(&scanner)
        .args(["--no-history", "--format", "JSON", "--rules"])
        .arg(&rules)
        .arg(&tree)
        .timeout(RUN_LIMIT)
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "trufflehog3 printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let found: Vec<(String, String)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["rule"]["id"].as_str(), Some("keyseal-acme-live"));
            (
                f["path"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // trufflehog3 exits 2 when it found something.
    assert_eq!(out.status.code(), Some(2), "{found:?}");
    for (name, text) in &planted {
        let key = keys.iter().find(|k| text.contains(k.as_str())).unwrap();
        assert!(
            found
                .iter()
                .any(|(path, secret)| path.ends_with(name) && secret.starts_with(key.as_str())),
            "{name} not found in {found:?}"
        );
    }
    assert_eq!(found.len(), planted.len(), "{found:?}");
}
