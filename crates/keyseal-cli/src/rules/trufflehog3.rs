//! The trufflehog3 rule (the Python scanner, `pip install trufflehog3`): a rules file with
//! one pattern rule, for `trufflehog3 --rules FILE`. trufflehog3 cannot verify findings.

use keyseal::Prefix;

use super::{key_regex, rule_id, yaml_quoted};

/// The rules file text.
pub(crate) fn rules(prefix: &Prefix) -> String {
    let p = prefix.as_str();
    format!(
        "\
# trufflehog3 rule for keyseal API keys with the prefix {p} (written by keyseal {version}).
# The expression asks nothing of the characters around a key (FORMAT.md §1.11). A match
# may run past the key's end; confirm findings with `keyseal scan` before revoking.
#
# Use: trufflehog3 --rules this.yaml PATH
- id: {id}
  message: {message}
  pattern: {regex}
  severity: HIGH
",
        version = env!("CARGO_PKG_VERSION"),
        id = yaml_quoted(&rule_id(prefix)),
        message = yaml_quoted(&format!("keyseal API key ({p})")),
        regex = yaml_quoted(&key_regex(prefix)),
    )
}
