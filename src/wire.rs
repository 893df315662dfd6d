//! The byte and text format of a key, version 1. `FORMAT.md` is the specification; this
//! module is its one implementation, and no other module knows an offset.
//!
//! ```text
//! text    = prefix "_" base64url(bytes)            (unpadded, canonical)
//! bytes   = version(1) key_id(8) payload(postcard) signature(64) crc32(4, big-endian)
//! signed  = "keyseal/key" 0x00 len(prefix)(1) prefix version key_id payload
//! crc32   = CRC-32/ISO-HDLC(prefix "_" version key_id payload signature)
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::claims::{ClaimParts, Claims, TokenId};
use crate::error::{Error, InvalidClaim, Malformed};
use crate::key_id::{KEY_ID_LEN, KeyId};
use crate::limits::{
    MAX_BODY_LEN, MAX_EXTENSIONS, MAX_KEY_BYTES, MAX_KEY_LEN, MAX_PREFIX_LEN, MAX_SCOPES,
};
use crate::timestamp::Timestamp;

/// The format version this library writes and reads.
pub const VERSION: u8 = 1;

/// A regular expression (RE2 / Rust `regex` syntax) whose group 1 (the whole match) finds
/// keyseal key candidates in text, whatever characters surround them; confirm each match
/// with [`UntrustedKey::parse`](crate::UntrustedKey::parse), which checks the checksum, and
/// when it fails retry later prefix starts and shorter ends inside the match: a key glued
/// to word characters (`\nacme_live_…`, `acme_live_…-x`) is only found that way. See
/// `FORMAT.md` §1.11.
pub const SCANNER_REGEX: &str = r"([a-z][a-z0-9]*(?:_[a-z0-9]+)*_[A-Z][A-Za-z0-9_-]{133,1365})";

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
    let payload_len = postcard::to_slice(&PayloadOut::from(claims), room)
        .map_err(|_| InvalidClaim::TooLarge)?
        .len();
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

/// Decodes a payload: canonical postcard with nothing left over, claims within the grammar.
/// A payload longer than a key can hold is refused unread, and the claims are checked
/// (canonical encoding, then grammar) while still borrowed from the input, so that a refused
/// payload allocates nothing and an accepted one no more than its `Claims` (see
/// `docs/limits.md`).
pub(crate) fn decode_payload(payload: &[u8]) -> Result<Claims, Malformed> {
    if payload.len() > MAX_PAYLOAD_LEN {
        return Err(Malformed::TooLong);
    }
    let (wire, rest) =
        postcard::take_from_bytes::<PayloadIn<'_>>(payload).map_err(|_| Malformed::Payload)?;
    if !rest.is_empty() {
        return Err(Malformed::Payload);
    }
    // postcard accepts over-long varints; only the canonical encoding may verify. Checked
    // before the claim rules (FORMAT.md §1.9 step 8: the bytes, then what they say), on the
    // borrowed fields, so that a refused payload allocates nothing.
    let canonical = PayloadOut {
        app: wire.app,
        scopes: wire.scopes.as_slice(),
        iat: wire.iat,
        exp: wire.exp,
        nbf: wire.nbf,
        tid: wire.tid,
        ext: wire.ext.as_slice(),
    };
    if !encodes_to(&canonical, payload) {
        return Err(Malformed::Payload);
    }
    let time =
        |t: u64| Timestamp::from_unix(t).ok_or(Malformed::Claims(InvalidClaim::TimeOutOfRange));
    let parts = ClaimParts {
        app_id: wire.app,
        scopes: wire.scopes.as_slice(),
        issued_at: time(wire.iat)?,
        expires_at: time(wire.exp)?,
        not_before: wire.nbf.map(time).transpose()?,
        extensions: wire.ext.as_slice(),
    };
    parts.validate().map_err(Malformed::Claims)?;
    Ok(Claims {
        app_id: parts.app_id.into(),
        scopes: parts.scopes.iter().map(|s| String::from(*s)).collect(),
        issued_at: parts.issued_at,
        expires_at: parts.expires_at,
        not_before: parts.not_before,
        token_id: TokenId::from_bytes(wire.tid),
        extensions: parts
            .extensions
            .iter()
            .map(|(n, v)| (String::from(*n), Vec::from(*v)))
            .collect(),
    })
}

/// Whether `value`'s postcard encoding is exactly `expected`, compared as it is produced,
/// without a buffer. This is keyseal's canonical-form check for everything it decodes.
pub(crate) fn encodes_to<T: Serialize + ?Sized>(value: &T, expected: &[u8]) -> bool {
    /// A postcard output that only compares.
    struct Matches<'a>(&'a [u8]);
    impl postcard::ser_flavors::Flavor for Matches<'_> {
        type Output = ();
        fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
            match self.0.split_at_checked(data.len()) {
                Some((head, rest)) if head == data => {
                    self.0 = rest;
                    Ok(())
                }
                _ => Err(postcard::Error::SerializeBufferFull),
            }
        }
        fn try_push(&mut self, data: u8) -> postcard::Result<()> {
            self.try_extend(&[data])
        }
        fn finalize(self) -> postcard::Result<()> {
            if self.0.is_empty() {
                Ok(())
            } else {
                Err(postcard::Error::SerializeBufferFull)
            }
        }
    }
    postcard::serialize_with_flavor(value, Matches(expected)).is_ok()
}

/// Encodes claims as a payload on its own, for the fuzz targets (`keyseal::__fuzz`).
#[cfg(feature = "fuzzing")]
pub(crate) fn encode_payload(claims: &Claims) -> Result<Vec<u8>, Error> {
    let mut buf = [0u8; MAX_PAYLOAD_LEN];
    postcard::to_slice(&PayloadOut::from(claims), &mut buf)
        .map(|p| p.to_vec())
        .map_err(|_| InvalidClaim::TooLarge.into())
}

/// The payload as it is encoded: fields in this order, postcard rules. Generic over how
/// scopes and extensions are held, owned (`String`, `Vec<u8>`) or borrowed from a payload
/// being decoded (`&str`, `&[u8]`): postcard writes both the same way.
#[derive(Serialize)]
struct PayloadOut<'a, S = String, E = (String, Vec<u8>)> {
    app: &'a str,
    scopes: &'a [S],
    iat: u64,
    exp: u64,
    nbf: Option<u64>,
    tid: [u8; 16],
    ext: &'a [E],
}

impl<'a> From<&'a Claims> for PayloadOut<'a> {
    fn from(c: &'a Claims) -> Self {
        PayloadOut {
            app: &c.app_id,
            scopes: &c.scopes,
            iat: c.issued_at.as_unix(),
            exp: c.expires_at.as_unix(),
            nbf: c.not_before.map(Timestamp::as_unix),
            tid: c.token_id.to_bytes(),
            ext: &c.extensions,
        }
    }
}

/// The payload as it is decoded: strings and bytes borrowed from the input, and sequence
/// lengths checked against the limits before anything is allocated for them.
#[derive(Deserialize)]
struct PayloadIn<'a> {
    #[serde(borrow)]
    app: &'a str,
    #[serde(borrow)]
    scopes: Bounded<&'a str, MAX_SCOPES>,
    iat: u64,
    exp: u64,
    nbf: Option<u64>,
    tid: [u8; 16],
    #[serde(borrow)]
    ext: Bounded<(&'a str, &'a [u8]), MAX_EXTENSIONS>,
}

/// A sequence of at most `N` elements, held on the stack: a longer length prefix is refused
/// up front, and nothing is allocated for the elements before they have been checked.
pub(crate) struct Bounded<T, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T, const N: usize> Bounded<T, N> {
    /// The elements decoded.
    pub(crate) fn as_slice(&self) -> &[T] {
        self.items.get(..self.len).unwrap_or_default()
    }
}

impl<'de, T: Deserialize<'de> + Default + Copy, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default + Copy, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Bounded<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a sequence of at most {N} elements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let hint = seq.size_hint().unwrap_or(0);
                if hint > N {
                    return Err(serde::de::Error::invalid_length(hint, &self));
                }
                let mut out = Bounded {
                    items: [T::default(); N],
                    len: 0,
                };
                while let Some(x) = seq.next_element()? {
                    let slot = out
                        .items
                        .get_mut(out.len)
                        .ok_or_else(|| serde::de::Error::invalid_length(N + 1, &self))?;
                    *slot = x;
                    out.len += 1;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V::<T, N>(PhantomData))
    }
}
