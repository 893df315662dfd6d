//! PEM (RFC 7468) as keyseal writes and reads it: one block, nothing around it but ASCII
//! whitespace, `LF` or `CRLF` line ends, base64 lines of any width (and trailing spaces),
//! written wrapped at 64 columns. Every buffer that holds secret bytes or their base64 is a
//! [`Zeroizing`] one.

use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::error::{KeyMaterialProblem, printable};

pub(super) const PRIVATE_LABEL: &str = "PRIVATE KEY";
pub(super) const PUBLIC_LABEL: &str = "PUBLIC KEY";
/// PEM bodies longer than this are refused before decoding (an RSA-4096 key is ~3.2 KB).
const MAX_PEM_BODY: usize = 16 * 1024;

/// Splits off one line (without its `\n` or `\r\n`).
fn split_line(text: &str) -> (&str, &str) {
    let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
    (line.strip_suffix('\r').unwrap_or(line), rest)
}

/// Decodes a PEM block labelled `label` into a zeroized buffer: one block, nothing
/// around it but whitespace, `LF` or `CRLF` line ends, base64 lines of any width.
pub(super) fn decode_pem(
    text: &str,
    label: &'static str,
    other_label: &'static str,
    other_problem: KeyMaterialProblem,
) -> Result<Zeroizing<Vec<u8>>, KeyMaterialProblem> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (first, mut rest) = split_line(text);
    let found = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or(KeyMaterialProblem::NotPem)?;
    if found != label {
        return Err(match found {
            "ENCRYPTED PRIVATE KEY" => KeyMaterialProblem::Encrypted,
            f if f == other_label => other_problem,
            _ => KeyMaterialProblem::WrongPemLabel {
                expected: label,
                found: printable(found),
            },
        });
    }
    // Room for every character of the input, so that the buffer never reallocates.
    let mut body = Zeroizing::new(Vec::with_capacity(text.len().min(MAX_PEM_BODY)));
    loop {
        if rest.is_empty() {
            return Err(KeyMaterialProblem::NotPem);
        }
        let (line, after) = split_line(rest);
        rest = after;
        if let Some(end) = line.strip_prefix("-----END ") {
            if end.strip_suffix("-----") != Some(label) || !rest.is_empty() {
                return Err(KeyMaterialProblem::NotPem);
            }
            break;
        }
        let line = line.trim_end_matches([' ', '\t']);
        if line.is_empty() || body.len() + line.len() > MAX_PEM_BODY {
            return Err(KeyMaterialProblem::Base64);
        }
        body.extend_from_slice(line.as_bytes());
    }
    let len = Base64::decode_in_place(body.as_mut_slice())
        .map_err(|_| KeyMaterialProblem::Base64)?
        .len();
    body.truncate(len);
    Ok(body)
}

/// Writes `der` as a PEM block labelled `label` into `out`, wrapping at 64 columns. The
/// caller allocates `out` with [`pem_len`] bytes of room.
pub(super) fn encode_pem(der: &[u8], label: &str, out: &mut String) {
    let mut b64 = Zeroizing::new([0u8; 128]);
    // Only called with 44- and 48-byte DER, which fit.
    let Ok(b64) = Base64::encode(der, b64.as_mut_slice()) else {
        return;
    };
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut rest = b64;
    while !rest.is_empty() {
        let (line, after) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = after;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
}

/// The length of the PEM text [`encode_pem`] writes.
pub(super) fn pem_len(der_len: usize, label: &str) -> usize {
    let b64 = der_len.div_ceil(3) * 4;
    let lines = b64.div_ceil(64);
    2 * (label.len() + 16) + b64 + lines
}
