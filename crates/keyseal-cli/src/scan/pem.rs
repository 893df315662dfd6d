//! Finding PEM private key blocks: `-----BEGIN PRIVATE KEY-----` (PKCS#8, what `keyseal
//! keygen` and `openssl genpkey` write), `OPENSSH PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`,
//! `RSA`/`EC`/`DSA PRIVATE KEY` and any other `… PRIVATE KEY` armour.
//!
//! A block is followed line by line: its lines may carry a `git diff` marker (`+`, `-`,
//! ` `), indentation, or sit in one JSON string separated by `\n` escapes, or on one line
//! separated by spaces. A block is reported once its END line is seen and its body decodes
//! to what the armour promises (DER for PKCS#8 and the legacy forms, the
//! `openssh-key-v1` magic for OpenSSH), so the armour text alone (in documentation or
//! source code) is not a finding. A PKCS#8 Ed25519 key is decoded to name its key id.

use base64ct::{Base64, Encoding};
use keyseal::{KeyId, SigningKey};
use zeroize::Zeroizing;

/// Longest body followed (a 16384-bit RSA key is about 12 KB of base64).
const MAX_BODY: usize = 64 * 1024;

/// A private key block found.
pub(super) struct PemFinding {
    /// 1-based line and column of its BEGIN armour.
    pub(super) line: u64,
    pub(super) column: u64,
    /// The armour label, such as `PRIVATE KEY` or `OPENSSH PRIVATE KEY`.
    pub(super) label: String,
    /// The key id of a PKCS#8 Ed25519 key.
    pub(super) key_id: Option<KeyId>,
    /// What the block holds, in words.
    pub(super) what: &'static str,
}

struct Open {
    line: u64,
    column: u64,
    label: String,
    /// The diff marker in front of the BEGIN line, stripped from the body lines too.
    marker: Option<u8>,
    has_headers: bool,
    body: Zeroizing<String>,
}

/// Follows PEM blocks through the lines of one stream.
#[derive(Default)]
pub(super) struct PemTracker {
    open: Option<Open>,
}

impl PemTracker {
    /// Feeds one line (its newline may be included); returns the blocks it completes.
    pub(super) fn line(&mut self, text: &[u8], line: u64, column_base: usize) -> Vec<PemFinding> {
        let mut found = Vec::new();
        let text = String::from_utf8_lossy(text);
        let mut offset = 0;
        // JSON strings put a whole block on one line with `\n` escapes.
        for segment in text.split("\\n") {
            let column = column_base + offset;
            offset += segment.len() + 2;
            self.segment(segment, line, column, &mut found);
        }
        found
    }

    fn segment(&mut self, segment: &str, line: u64, column: usize, found: &mut Vec<PemFinding>) {
        let Some(open) = self.open.as_mut() else {
            self.begin(segment, line, column, found);
            return;
        };
        let (body_part, end) = match segment.find("-----END ") {
            Some(at) => (segment.get(..at).unwrap_or_default(), true),
            None => (segment, false),
        };
        let mut part = body_part.trim_matches([' ', '\t', '\r', '\n']);
        if let Some(m) = open.marker {
            part = part.strip_prefix(char::from(m)).unwrap_or(part);
        }
        let part = part.trim_matches([' ', '\t', '\r', '"', '\'', ',']);
        if !end && open.body.is_empty() && part.contains(':') {
            open.has_headers = true; // Proc-Type: / DEK-Info: of a legacy encrypted key
            return;
        }
        let chunk: String = part.split_ascii_whitespace().collect();
        let base64 = chunk
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        if !base64 || open.body.len() + chunk.len() > MAX_BODY {
            // Not a PEM body after all: look at this segment afresh.
            self.open = None;
            self.begin(segment, line, column, found);
            return;
        }
        open.body.push_str(&chunk);
        if end {
            if let Some(open) = self.open.take() {
                if let Some(f) = confirm(open) {
                    found.push(f);
                }
            }
        }
    }

    fn begin(&mut self, segment: &str, line: u64, column: usize, found: &mut Vec<PemFinding>) {
        let Some(at) = segment.find("-----BEGIN ") else {
            return;
        };
        let rest = segment.get(at + 11..).unwrap_or_default();
        let Some(label_end) = rest.find("-----") else {
            return;
        };
        let label = rest.get(..label_end).unwrap_or_default();
        if !label.ends_with("PRIVATE KEY")
            || !label
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        {
            return;
        }
        let before = segment.get(..at).unwrap_or_default().trim_start();
        let marker = before
            .bytes()
            .next()
            .filter(|b| matches!(b, b'+' | b'-') && before.len() == 1);
        self.open = Some(Open {
            line,
            column: u64::try_from(column + at + 1).unwrap_or(u64::MAX),
            label: label.to_string(),
            marker,
            has_headers: false,
            body: Zeroizing::new(String::new()),
        });
        // A block on one line: the rest of the segment is its body and END.
        let after = rest.get(label_end + 5..).unwrap_or_default();
        if !after.trim().is_empty() {
            self.segment(after, line, column, found);
        }
    }
}

/// The finding for a complete block whose body is what its armour says, or `None`.
fn confirm(open: Open) -> Option<PemFinding> {
    let der = Zeroizing::new(Base64::decode_vec(&open.body).ok()?);
    if der.len() < 32 {
        return None;
    }
    let (what, key_id) = match open.label.as_str() {
        "PRIVATE KEY" if der.first() == Some(&0x30) => match SigningKey::from_pkcs8_der(&der) {
            Ok(key) => ("PKCS#8 Ed25519 private key", Some(key.key_id())),
            Err(_) => ("PKCS#8 private key", None),
        },
        "OPENSSH PRIVATE KEY" if der.starts_with(b"openssh-key-v1\0") => {
            ("OpenSSH private key", None)
        }
        "ENCRYPTED PRIVATE KEY" if der.first() == Some(&0x30) => {
            ("encrypted PKCS#8 private key", None)
        }
        "PRIVATE KEY" | "OPENSSH PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => return None,
        _ if open.has_headers || der.first() == Some(&0x30) => ("private key", None),
        _ => return None,
    };
    Some(PemFinding {
        line: open.line,
        column: open.column,
        label: open.label,
        key_id,
        what,
    })
}
