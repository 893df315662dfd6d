//! The byte and text format of a key, version 1. `FORMAT.md` is the specification; this
//! module is its one implementation, and no other module knows an offset.
//!
//! ```text
//! text    = prefix "_" base64url(bytes)            (unpadded, canonical)
//! bytes   = version(1) key_id(8) payload(postcard) signature(64) crc32(4, big-endian)
//! signed  = "keyseal/key" 0x00 len(prefix)(1) prefix version key_id payload
//! crc32   = CRC-32/ISO-HDLC(prefix "_" version key_id payload signature)
//! ```
//!
//! The payload, the claims as postcard, is `payload.rs`.

use alloc::string::String;
#[cfg(feature = "fuzzing")]
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};

use crate::claims::Claims;
use crate::error::{Error, InvalidClaim, Malformed};
use crate::key_id::{KEY_ID_LEN, KeyId};
use crate::limits::{MAX_BODY_LEN, MAX_KEY_BYTES, MAX_KEY_LEN, MAX_PREFIX_LEN};

mod payload;

/// The format version this library writes and reads.
pub const VERSION: u8 = 1;

/// A regular expression (RE2 / Rust `regex` syntax) whose group 1 (the whole match) finds
/// keyseal key candidates in text, whatever characters surround them; confirm each match
/// with [`UntrustedKey::parse`](crate::UntrustedKey::parse), which checks the checksum, and
/// when it fails retry later prefix starts and shorter ends inside the match: a key glued
/// to word characters (`\nacme_live_…`, `acme_live_…-x`) is only found that way. See
/// `FORMAT.md` §1.11.
///
/// The body after its first character is 133 to 1365 characters, written
/// `{133,1000}` then `{0,365}` because RE2 and Go's `regexp` refuse a repetition count above
/// 1000.
pub const SCANNER_REGEX: &str =
    r"([a-z][a-z0-9]*(?:_[a-z0-9]+)*_[A-Z][A-Za-z0-9_-]{133,1000}[A-Za-z0-9_-]{0,365})";

/// Domain separation for key signatures.
pub(crate) const KEY_CONTEXT: &[u8] = b"keyseal/key\0";

const HEADER_LEN: usize = 1 + KEY_ID_LEN;
const SIGNATURE_LEN: usize = 64;
const CHECKSUM_LEN: usize = 4;
/// The smallest payload: 1-byte app id, no scopes, 1-byte times, no not-before, token id,
/// no extensions.
const MIN_PAYLOAD_LEN: usize = 2 + 1 + 1 + 1 + 1 + 16 + 1;
/// The largest payload: what is left of [`MAX_KEY_BYTES`] after the header, signature and
/// checksum.
pub(crate) const MAX_PAYLOAD_LEN: usize = MAX_KEY_BYTES - HEADER_LEN - SIGNATURE_LEN - CHECKSUM_LEN;
/// The fewest bytes a well-formed key can decode to.
pub(crate) const MIN_KEY_BYTES: usize = HEADER_LEN + MIN_PAYLOAD_LEN + SIGNATURE_LEN + CHECKSUM_LEN;
/// Room in front of the key bytes for the signed-message context and prefix.
const MESSAGE_HEAD_MAX: usize = KEY_CONTEXT.len() + 1 + MAX_PREFIX_LEN;
/// One buffer holds the signed-message head followed by the key bytes.
pub(crate) const BUF_LEN: usize = MESSAGE_HEAD_MAX + MAX_KEY_BYTES;

/// An issuer's key prefix, such as `acme_live`: 1–32 characters of lowercase segments
/// `[a-z0-9]+` joined by `_`, starting with a letter. Part of the signed message, so a key
/// cannot be relabelled under another prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    /// Validates a prefix.
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] if it breaks the grammar.
    pub fn new(prefix: impl Into<String>) -> Result<Prefix, Error> {
        let prefix = prefix.into();
        // The length first: the grammar is never run over more than a prefix can be.
        if prefix.len() <= MAX_PREFIX_LEN && prefix_len(prefix.as_bytes()) == Some(prefix.len()) {
            Ok(Prefix(prefix))
        } else {
            Err(Error::InvalidPrefix)
        }
    }

    /// The prefix text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefix({})", self.0)
    }
}

impl core::str::FromStr for Prefix {
    type Err = Error;
    fn from_str(s: &str) -> Result<Prefix, Error> {
        Prefix::new(s)
    }
}

/// Length of the longest prefix-grammar match at the start of `b` that is followed by the
/// end of input or by a `_` that does not start another segment; `None` if none or too long.
fn prefix_len(b: &[u8]) -> Option<usize> {
    let seg = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.first().is_some_and(u8::is_ascii_lowercase) {
        return None;
    }
    let mut i = 0;
    loop {
        i += b.get(i..)?.iter().take_while(|c| seg(c)).count();
        match (b.get(i), b.get(i.wrapping_add(1))) {
            (Some(b'_'), Some(c)) if seg(c) => i += 1,
            (None | Some(b'_'), _) => break,
            _ => return None,
        }
        if i > MAX_PREFIX_LEN {
            return None;
        }
    }
    (i <= MAX_PREFIX_LEN).then_some(i)
}

/// Splits key text into its prefix and base64url body at the first `_` that is not followed
/// by a lowercase letter or digit.
pub(crate) fn split_text(text: &str) -> Result<(&str, &str), Malformed> {
    if text.len() > MAX_KEY_LEN {
        return Err(Malformed::TooLong);
    }
    let n = prefix_len(text.as_bytes()).ok_or(Malformed::Prefix)?;
    match (text.get(..n), text.get(n..)) {
        (Some(prefix), Some(rest)) => rest
            .strip_prefix('_')
            .filter(|body| !body.is_empty())
            .map(|body| (prefix, body))
            .ok_or(Malformed::Prefix),
        _ => Err(Malformed::Prefix),
    }
}

/// The parts of a decoded key, borrowed from the buffer it was decoded into.
pub(crate) struct RawKey<'b> {
    /// The signed message: context, prefix, header and payload.
    pub(crate) message: &'b [u8],
    pub(crate) version: u8,
    pub(crate) key_id: KeyId,
    pub(crate) payload: &'b [u8],
    pub(crate) signature: &'b [u8; SIGNATURE_LEN],
}

/// Writes `KEY_CONTEXT || len(prefix) || prefix` at the start of `buf`; returns its length.
fn write_message_head(prefix: &str, buf: &mut [u8; BUF_LEN]) -> Result<usize, Malformed> {
    let plen = u8::try_from(prefix.len()).map_err(|_| Malformed::Prefix)?;
    let head_len = KEY_CONTEXT.len() + 1 + prefix.len();
    let head = buf.get_mut(..head_len).ok_or(Malformed::Prefix)?;
    let (ctx, rest) = head.split_at_mut(KEY_CONTEXT.len());
    ctx.copy_from_slice(KEY_CONTEXT);
    if let Some((len, p)) = rest.split_first_mut() {
        *len = plen;
        p.copy_from_slice(prefix.as_bytes());
    }
    Ok(head_len)
}

fn checksum(prefix: &str, bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut h = crc32fast::Hasher::new();
    h.update(prefix.as_bytes());
    h.update(b"_");
    h.update(bytes);
    h.finalize().to_be_bytes()
}

/// Decodes the body of a key whose text was split into `prefix` and `body`, checks the
/// length and checksum, and lays the signed message out in `buf`.
pub(crate) fn decode<'b>(
    prefix: &str,
    body: &str,
    buf: &'b mut [u8; BUF_LEN],
) -> Result<RawKey<'b>, Malformed> {
    // The body's length first: a body too long for a key is refused unread, whether or not
    // it is base64url (FORMAT.md §1.9 step 3). Past this check every decoding failure is a
    // base64 one: 1366 characters never decode to more than MAX_KEY_BYTES.
    if body.len() > MAX_BODY_LEN {
        return Err(Malformed::TooLong);
    }
    let head_len = write_message_head(prefix, buf)?;
    let n = {
        let room = buf
            .get_mut(head_len..head_len + MAX_KEY_BYTES)
            .ok_or(Malformed::TooLong)?;
        let bytes = Base64UrlUnpadded::decode(body, room).map_err(|_| Malformed::Base64)?;
        bytes.len()
    };
    if n < MIN_KEY_BYTES {
        return Err(Malformed::TooShort);
    }
    let buf: &'b [u8; BUF_LEN] = buf;
    let bytes = buf.get(head_len..head_len + n).ok_or(Malformed::TooShort)?;
    let (rest, crc) = bytes
        .split_last_chunk::<CHECKSUM_LEN>()
        .ok_or(Malformed::TooShort)?;
    if checksum(prefix, rest) != *crc {
        return Err(Malformed::Checksum);
    }
    let (signed, signature) = rest
        .split_last_chunk::<SIGNATURE_LEN>()
        .ok_or(Malformed::TooShort)?;
    let (&[version], after_version) = signed.split_first_chunk::<1>().ok_or(Malformed::TooShort)?;
    let (key_id, payload) = after_version
        .split_first_chunk::<KEY_ID_LEN>()
        .ok_or(Malformed::TooShort)?;
    let message = buf
        .get(..head_len + signed.len())
        .ok_or(Malformed::TooShort)?;
    Ok(RawKey {
        message,
        version,
        key_id: KeyId::from_bytes(*key_id),
        payload,
        signature,
    })
}

/// Encodes and signs a key. `sign` receives the signed message.
pub(crate) fn encode(
    prefix: &str,
    key_id: KeyId,
    claims: &Claims,
    sign: impl FnOnce(&[u8]) -> [u8; SIGNATURE_LEN],
) -> Result<String, Error> {
    let mut buf = [0u8; BUF_LEN];
    let head_len = write_message_head(prefix, &mut buf).map_err(|_| Error::InvalidPrefix)?;
    let bytes_start = head_len;
    let payload_start = bytes_start + HEADER_LEN;
    let payload_room_end = bytes_start + MAX_KEY_BYTES - SIGNATURE_LEN - CHECKSUM_LEN;
    {
        let header = buf
            .get_mut(bytes_start..payload_start)
            .ok_or(InvalidClaim::TooLarge)?;
        let (v, id) = header.split_at_mut(1);
        v.copy_from_slice(&[VERSION]);
        id.copy_from_slice(&key_id.to_bytes());
    }
    let room = buf
        .get_mut(payload_start..payload_room_end)
        .ok_or(InvalidClaim::TooLarge)?;
    let payload_len = payload::encode_into(claims, room).ok_or(InvalidClaim::TooLarge)?;
    let message_end = payload_start + payload_len;
    let signature = sign(buf.get(..message_end).ok_or(InvalidClaim::TooLarge)?);
    let sig_end = message_end + SIGNATURE_LEN;
    buf.get_mut(message_end..sig_end)
        .ok_or(InvalidClaim::TooLarge)?
        .copy_from_slice(&signature);
    let crc = checksum(
        prefix,
        buf.get(bytes_start..sig_end)
            .ok_or(InvalidClaim::TooLarge)?,
    );
    let end = sig_end + CHECKSUM_LEN;
    buf.get_mut(sig_end..end)
        .ok_or(InvalidClaim::TooLarge)?
        .copy_from_slice(&crc);
    let bytes = buf.get(bytes_start..end).ok_or(InvalidClaim::TooLarge)?;
    let mut body = [0u8; MAX_KEY_LEN];
    let body = Base64UrlUnpadded::encode(bytes, &mut body).map_err(|_| InvalidClaim::TooLarge)?;
    let mut text = String::with_capacity(prefix.len() + 1 + body.len());
    text.push_str(prefix);
    text.push('_');
    text.push_str(body);
    Ok(text)
}

/// Decodes a payload (`payload`): a payload longer than a key can hold is refused unread.
pub(crate) fn decode_payload(payload: &[u8]) -> Result<Claims, Malformed> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(Malformed::TooLong);
    }
    payload::decode(payload)
}

/// Encodes claims as a payload on its own, for the fuzz targets (`keyseal::__fuzz`).
#[cfg(feature = "fuzzing")]
pub(crate) fn encode_payload(claims: &Claims) -> Result<Vec<u8>, Error> {
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    let len = payload::encode_into(claims, &mut buf).ok_or(InvalidClaim::TooLarge)?;
    Ok(buf.get(..len).unwrap_or_default().to_vec())
}
