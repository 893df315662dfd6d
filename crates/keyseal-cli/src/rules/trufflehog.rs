//! The trufflehog (v3) custom detector: trufflehog finds candidates with the expression and
//! posts each to the verify endpoint, which answers 200 for a key that is live (the signing
//! service checks it with its keyring and revocation list), so findings are verified.

use keyseal::Prefix;

use super::{key_regex, keyword, rule_id, yaml_quoted};

/// The name of the expression in the detector: trufflehog posts
/// `{"<detector>": {"key": ["<match>"]}}` to the endpoint.
pub(crate) const REGEX_NAME: &str = "key";

/// The configuration text (`trufflehog filesystem --config FILE PATH`).
pub(crate) fn detector(prefix: &Prefix, verify_url: &str) -> String {
    // trufflehog refuses a plain-http endpoint unless it is marked unsafe.
    let unsafe_http = verify_url.starts_with("http://");
    format!(
        "\
# trufflehog custom detector for keyseal API keys with the prefix {p} (written by keyseal
# {version}). Each match is posted to the endpoint as {{\"{name}\": {{\"{REGEX_NAME}\": [KEY]}}}};
# a 200 answer marks it verified. The expression asks nothing of the characters around a
# key (FORMAT.md §1.11); a match may run past the key's end, so the endpoint should retry
# shorter ends (the checksum decides) as `keyseal scan` does.
#
# Use: trufflehog filesystem --config this.yaml PATH
detectors:
  - name: {name_q}
    keywords:
      - {keyword}
    regex:
      {REGEX_NAME}: {regex}
    verify:
      - endpoint: {url}
        unsafe: {unsafe_http}
        # keyseal-server's POST /v1/leaks/trufflehog needs an admin key with keys:verify:
        # headers:
        #   - \"Authorization: Bearer <admin key>\"
",
        p = prefix.as_str(),
        version = env!("CARGO_PKG_VERSION"),
        name = rule_id(prefix),
        name_q = yaml_quoted(&rule_id(prefix)),
        keyword = yaml_quoted(&keyword(prefix)),
        regex = yaml_quoted(&key_regex(prefix)),
        url = yaml_quoted(verify_url),
    )
}
