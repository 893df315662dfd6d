//! The gitleaks (v8) rule: a configuration file with one `[[rules]]` table, usable as is
//! (`gitleaks dir --config FILE`) or pasted into an existing configuration.

use keyseal::Prefix;

use super::{key_regex, keyword, rule_id};

/// The Shannon entropy (bits per character) below which gitleaks drops a match. A key
/// body is mostly signature and random token id, well above 5 bits per character; text
/// that only looks like a key (`acme_live_AAAA…`, words) falls far below.
pub(crate) const MIN_ENTROPY: f64 = 4.0;

/// The configuration text.
pub(crate) fn config(prefix: &Prefix) -> String {
    let id = rule_id(prefix);
    let p = prefix.as_str();
    // Every value is made of the prefix's characters ([a-z0-9_]), so basic strings need no
    // escapes; the expression goes in a literal string, where backslashes stay as they are.
    format!(
        "\
# gitleaks rule for keyseal API keys with the prefix {p} (written by keyseal {version}).
# The expression asks nothing of the characters around a key (FORMAT.md §1.11): keys leak
# glued to word characters. A match may run past the key's end; confirm findings with
# `keyseal scan` (it checks the CRC-32 and retries shorter ends) before revoking.
#
# Use: gitleaks dir --config this.toml PATH, or add `[extend] useDefault = true` to keep
# gitleaks' own rules.

[[rules]]
id = \"{id}\"
description = \"keyseal API key ({p})\"
regex = '''{regex}'''
keywords = [\"{keyword}\"]
entropy = {MIN_ENTROPY:.1}
",
        version = env!("CARGO_PKG_VERSION"),
        regex = key_regex(prefix),
        keyword = keyword(prefix),
    )
}
