//! The bytes of a revocation list (`FORMAT.md` §3): the signed header, and the payload
//! read by a streaming decoder that refuses over-long varints, so canonical form is checked
//! as it reads and nothing is allocated beyond the entries; and the encoder that writes
//! exactly what the decoder reads. No other module knows an offset of a list.

use alloc::string::ToString;
use alloc::vec::Vec;

use super::entries::{RevokedApp, RevokedSigner, RevokedToken};
use crate::claims::{TokenId, check_app_id};
use crate::error::{Error, ListProblem};
use crate::key_id::{KEY_ID_LEN, KeyId};
use crate::limits::{MAX_LIST_BYTES, MAX_REVOKED_APPS, MAX_REVOKED_SIGNERS, MAX_REVOKED_TOKENS};
use crate::timestamp::Timestamp;
use crate::wire::Prefix;

/// The revocation list format version this library writes and reads.
pub const LIST_VERSION: u8 = 1;

/// Starts every list: its magic number, and the domain separation of its signature.
const LIST_CONTEXT: &[u8] = b"keyseal/revocation-list\0";
const SIGNATURE_LEN: usize = 64;
/// The fewest bytes a token entry takes on the wire: 16-byte id and a 1-byte varint.
const MIN_TOKEN_ENTRY: usize = 17;

/// A list's bytes split into their parts (§3.1), before the signature is checked.
pub(super) struct SignedParts<'a> {
    /// The key id that the header names as the signer.
    pub(super) signer: KeyId,
    /// Everything the signature covers: the bytes before it.
    pub(super) message: &'a [u8],
    /// The postcard payload (§3.2).
    pub(super) payload: &'a [u8],
    /// The Ed25519 signature.
    pub(super) signature: &'a [u8; SIGNATURE_LEN],
}

/// Splits list bytes per §3.1, in this order: size, magic, issuer prefix (it must be
/// `prefix`), version, signer, signature.
pub(super) fn split<'a>(bytes: &'a [u8], prefix: &Prefix) -> Result<SignedParts<'a>, ListProblem> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(ListProblem::TooLarge);
    }
    let rest = bytes
        .strip_prefix(LIST_CONTEXT)
        .ok_or(ListProblem::Malformed)?;
    let (&plen, rest) = rest.split_first().ok_or(ListProblem::Malformed)?;
    let (list_prefix, rest) = rest
        .split_at_checked(usize::from(plen))
        .ok_or(ListProblem::Malformed)?;
    if list_prefix != prefix.as_str().as_bytes() {
        return Err(ListProblem::WrongIssuer);
    }
    let (&version, rest) = rest.split_first().ok_or(ListProblem::Malformed)?;
    if version != LIST_VERSION {
        return Err(ListProblem::UnsupportedVersion(version));
    }
    let (signer, rest) = rest
        .split_first_chunk::<KEY_ID_LEN>()
        .ok_or(ListProblem::Malformed)?;
    let (payload, signature) = rest
        .split_last_chunk::<SIGNATURE_LEN>()
        .ok_or(ListProblem::Malformed)?;
    let message = bytes
        .get(..bytes.len().saturating_sub(SIGNATURE_LEN))
        .ok_or(ListProblem::Malformed)?;
    Ok(SignedParts {
        signer: KeyId::from_bytes(*signer),
        message,
        payload,
        signature,
    })
}

/// The header and payload of a list signed by `signer`: the message its signature covers.
pub(super) fn encode_unsigned(
    prefix: &Prefix,
    signer: KeyId,
    content: &Content,
) -> Result<Vec<u8>, Error> {
    let plen = u8::try_from(prefix.as_str().len()).map_err(|_| Error::InvalidPrefix)?;
    let mut out = Vec::with_capacity(
        LIST_CONTEXT.len()
            + 1
            + prefix.as_str().len()
            + 1
            + KEY_ID_LEN
            + content.tokens.len() * 21
            + SIGNATURE_LEN,
    );
    out.extend_from_slice(LIST_CONTEXT);
    out.push(plen);
    out.extend_from_slice(prefix.as_str().as_bytes());
    out.push(LIST_VERSION);
    out.extend_from_slice(&signer.to_bytes());
    content.encode(&mut out);
    Ok(out)
}

pub(super) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ListProblem> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(ListProblem::Malformed)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ListProblem> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(ListProblem::Malformed)?;
        self.0 = rest;
        Ok(*head)
    }

    /// A minimal unsigned LEB128 of at most 10 bytes.
    fn varint(&mut self) -> Result<u64, ListProblem> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let (&byte, rest) = self.0.split_first().ok_or(ListProblem::Malformed)?;
            self.0 = rest;
            let low = u64::from(byte & 0x7f);
            if i == 9 && low > 1 {
                return Err(ListProblem::Malformed); // beyond 64 bits
            }
            value |= low << (7 * i);
            if byte & 0x80 == 0 {
                if byte == 0 && i > 0 {
                    return Err(ListProblem::NotCanonical); // over-long
                }
                return Ok(value);
            }
        }
        Err(ListProblem::Malformed)
    }

    fn time(&mut self) -> Result<Timestamp, ListProblem> {
        Timestamp::from_unix(self.varint()?).ok_or(ListProblem::BadTimes)
    }

    fn option_time(&mut self) -> Result<Option<Timestamp>, ListProblem> {
        match self.array::<1>()? {
            [0] => Ok(None),
            [1] => self.time().map(Some),
            _ => Err(ListProblem::Malformed),
        }
    }

    fn count(&mut self, max: usize) -> Result<usize, ListProblem> {
        usize::try_from(self.varint()?)
            .ok()
            .filter(|&n| n <= max)
            .ok_or(ListProblem::TooManyEntries)
    }
}

/// The decoded payload.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Content {
    pub(super) sequence: u64,
    pub(super) issued_at: Timestamp,
    pub(super) stale_after: Timestamp,
    pub(super) tokens: Vec<RevokedToken>,
    pub(super) apps: Vec<RevokedApp>,
    pub(super) signers: Vec<RevokedSigner>,
}

pub(super) fn decode_payload(payload: &[u8]) -> Result<Content, ListProblem> {
    let mut r = Reader(payload);
    let sequence = r.varint()?;
    let issued_at = r.time()?;
    let stale_after = r.time()?;
    if stale_after <= issued_at {
        return Err(ListProblem::BadTimes);
    }

    let n = r.count(MAX_REVOKED_TOKENS)?;
    // Never trust a count for an allocation larger than the input could fill.
    let mut tokens = Vec::with_capacity(n.min(r.0.len() / MIN_TOKEN_ENTRY));
    for _ in 0..n {
        let token = RevokedToken {
            token_id: TokenId::from_bytes(r.array::<16>()?),
            expires_at: r.time()?,
        };
        if tokens
            .last()
            .is_some_and(|last: &RevokedToken| last.token_id >= token.token_id)
        {
            return Err(ListProblem::NotCanonical);
        }
        tokens.push(token);
    }

    let n = r.count(MAX_REVOKED_APPS)?;
    let mut apps: Vec<RevokedApp> = Vec::with_capacity(n.min(r.0.len() / 4));
    for _ in 0..n {
        let len = usize::try_from(r.varint()?).map_err(|_| ListProblem::Malformed)?;
        let app_id = core::str::from_utf8(r.bytes(len)?).map_err(|_| ListProblem::NotCanonical)?;
        check_app_id(app_id).map_err(|_| ListProblem::NotCanonical)?;
        let app = RevokedApp {
            app_id: app_id.to_string(),
            issued_before: r.time()?,
            effective: r.option_time()?,
        };
        if apps.last().is_some_and(|last| *last >= app) {
            return Err(ListProblem::NotCanonical);
        }
        apps.push(app);
    }

    let n = r.count(MAX_REVOKED_SIGNERS)?;
    let mut signers: Vec<RevokedSigner> = Vec::with_capacity(n.min(r.0.len() / 9));
    for _ in 0..n {
        let signer = RevokedSigner {
            key_id: KeyId::from_bytes(r.array::<KEY_ID_LEN>()?),
            effective: r.option_time()?,
        };
        if signers.last().is_some_and(|last| *last >= signer) {
            return Err(ListProblem::NotCanonical);
        }
        signers.push(signer);
    }
    if !r.0.is_empty() {
        return Err(ListProblem::Malformed);
    }
    Ok(Content {
        sequence,
        issued_at,
        stale_after,
        tokens,
        apps,
        signers,
    })
}

impl Content {
    /// Appends the payload: the postcard encoding that [`decode_payload`] reads, written by
    /// hand field by field (minimal varints, entries in the order given).
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        fn varint(mut v: u64, out: &mut Vec<u8>) {
            loop {
                let low = v.to_le_bytes()[0] & 0x7f;
                v >>= 7;
                if v == 0 {
                    out.push(low);
                    return;
                }
                out.push(low | 0x80);
            }
        }
        fn option_time(t: Option<Timestamp>, out: &mut Vec<u8>) {
            match t {
                None => out.push(0),
                Some(t) => {
                    out.push(1);
                    varint(t.as_unix(), out);
                }
            }
        }
        let count = |n: usize| n as u64;
        varint(self.sequence, out);
        varint(self.issued_at.as_unix(), out);
        varint(self.stale_after.as_unix(), out);
        varint(count(self.tokens.len()), out);
        for t in &self.tokens {
            out.extend_from_slice(&t.token_id.to_bytes());
            varint(t.expires_at.as_unix(), out);
        }
        varint(count(self.apps.len()), out);
        for a in &self.apps {
            varint(count(a.app_id.len()), out);
            out.extend_from_slice(a.app_id.as_bytes());
            varint(a.issued_before.as_unix(), out);
            option_time(a.effective, out);
        }
        varint(count(self.signers.len()), out);
        for s in &self.signers {
            out.extend_from_slice(&s.key_id.to_bytes());
            option_time(s.effective, out);
        }
    }
}

/// Decodes a list payload and encodes what it decoded again, for the fuzz targets
/// (`keyseal::__fuzz`): `Some` exactly when the payload is accepted.
#[cfg(feature = "fuzzing")]
pub(crate) fn payload_roundtrip(payload: &[u8]) -> Option<Vec<u8>> {
    let content = decode_payload(payload).ok()?;
    let mut out = Vec::new();
    content.encode(&mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_must_be_minimal() {
        assert_eq!(Reader(&[0xac, 0x02]).varint(), Ok(300));
        assert_eq!(
            Reader(&[0xac, 0x82, 0x00]).varint(),
            Err(ListProblem::NotCanonical)
        );
        assert_eq!(
            Reader(&[0x80, 0x00]).varint(),
            Err(ListProblem::NotCanonical)
        );
        assert_eq!(Reader(&[0x00]).varint(), Ok(0));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader(&max).varint(), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader(&over).varint(), Err(ListProblem::Malformed));
        assert_eq!(Reader(&[0x80]).varint(), Err(ListProblem::Malformed));
    }
}
