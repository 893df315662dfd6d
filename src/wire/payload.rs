//! A key's payload (`FORMAT.md` §1.6): the claims as postcard, written by the issuer and read
//! back one field at a time, so that a refused payload says which field broke which rule
//! ([`PayloadProblem`]). Every field must be in its one canonical encoding, and sequence
//! counts are checked against their limits before anything is read for their elements.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::claims::{ClaimParts, Claims, TokenId};
use crate::error::{InvalidClaim, Malformed, PayloadField, PayloadProblem};
use crate::limits::{MAX_EXTENSIONS, MAX_SCOPES};
use crate::timestamp::Timestamp;

/// Writes the payload of `claims` at the start of `room`; returns its length, or `None` if it
/// does not fit.
pub(super) fn encode_into(claims: &Claims, room: &mut [u8]) -> Option<usize> {
    let out = Payload {
        app: &claims.app_id,
        scopes: claims.scopes.as_slice(),
        iat: claims.issued_at.as_unix(),
        exp: claims.expires_at.as_unix(),
        nbf: claims.not_before.map(Timestamp::as_unix),
        tid: claims.token_id.to_bytes(),
        ext: claims.extensions.as_slice(),
    };
    postcard::to_slice(&out, room).ok().map(|p| p.len())
}

/// Decodes a payload: every field canonical postcard, nothing after the last, then the claim
/// rules (`FORMAT.md` §1.9 step 8: the bytes, then what they say). Until the claims are
/// built, everything is borrowed from the input, so that a refused payload allocates nothing
/// and an accepted one no more than its `Claims` (see `docs/limits.md`).
pub(super) fn decode(payload: &[u8]) -> Result<Claims, Malformed> {
    let mut reader = Reader(payload);
    let app: &str = reader.field(PayloadField::AppId)?;
    reader.count_within(MAX_SCOPES, PayloadProblem::TooManyScopes)?;
    let scopes: Bounded<&str, MAX_SCOPES> = reader.field(PayloadField::Scopes)?;
    let iat: u64 = reader.field(PayloadField::IssuedAt)?;
    let exp: u64 = reader.field(PayloadField::ExpiresAt)?;
    let nbf: Option<u64> = reader.field(PayloadField::NotBefore)?;
    let tid: [u8; 16] = reader.field(PayloadField::TokenId)?;
    reader.count_within(MAX_EXTENSIONS, PayloadProblem::TooManyExtensions)?;
    let ext: Bounded<(&str, &[u8]), MAX_EXTENSIONS> = reader.field(PayloadField::Extensions)?;
    if !reader.0.is_empty() {
        return Err(Malformed::Payload(PayloadProblem::TrailingBytes));
    }
    let time =
        |t: u64| Timestamp::from_unix(t).ok_or(Malformed::Claims(InvalidClaim::TimeOutOfRange));
    let parts = ClaimParts {
        app_id: app,
        scopes: scopes.as_slice(),
        issued_at: time(iat)?,
        expires_at: time(exp)?,
        not_before: nbf.map(time).transpose()?,
        extensions: ext.as_slice(),
    };
    parts.validate().map_err(Malformed::Claims)?;
    Ok(Claims {
        app_id: parts.app_id.into(),
        scopes: parts.scopes.iter().map(|s| String::from(*s)).collect(),
        issued_at: parts.issued_at,
        expires_at: parts.expires_at,
        not_before: parts.not_before,
        token_id: TokenId::from_bytes(tid),
        extensions: parts
            .extensions
            .iter()
            .map(|(n, v)| (String::from(*n), Vec::from(*v)))
            .collect(),
    })
}

/// The payload's fields, in the order they are encoded. Generic over how scopes and
/// extensions are held, owned (`String`, `Vec<u8>`) or borrowed: postcard writes both the
/// same way.
#[derive(Serialize)]
struct Payload<'a, S, E> {
    app: &'a str,
    scopes: &'a [S],
    iat: u64,
    exp: u64,
    nbf: Option<u64>,
    tid: [u8; 16],
    ext: &'a [E],
}

/// The payload bytes not read yet.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Refuses a sequence whose count is above `limit` as soon as the count is read, before
    /// any element, so also when the elements that follow are cut short (`FORMAT.md` §1.8).
    /// A count that cannot be read at all is left to [`Reader::field`] to name.
    fn count_within(&self, limit: usize, too_many: PayloadProblem) -> Result<(), Malformed> {
        match postcard::take_from_bytes::<u64>(self.0) {
            Ok((count, _)) if count > limit as u64 => Err(Malformed::Payload(too_many)),
            _ => Ok(()),
        }
    }

    /// Reads the next field, which must be in its canonical encoding: postcard accepts
    /// over-long varints, so the value is encoded again and compared with the bytes read.
    fn field<T: Deserialize<'a> + Serialize>(
        &mut self,
        field: PayloadField,
    ) -> Result<T, Malformed> {
        let (value, rest) = postcard::take_from_bytes::<T>(self.0)
            .map_err(|e| Malformed::Payload(problem(&e, field)))?;
        let read = self
            .0
            .get(..self.0.len().saturating_sub(rest.len()))
            .unwrap_or_default();
        if !encodes_to(&value, read) {
            return Err(Malformed::Payload(PayloadProblem::VarintNotMinimal(field)));
        }
        self.0 = rest;
        Ok(value)
    }
}

/// What postcard's refusal of `field` means. For the types of the payload, postcard fails
/// only for these reasons and for `DeserializeUnexpectedEnd`: the input ran out inside the
/// field.
fn problem(error: &postcard::Error, field: PayloadField) -> PayloadProblem {
    match error {
        postcard::Error::DeserializeBadVarint => PayloadProblem::VarintOverflow(field),
        postcard::Error::DeserializeBadUtf8 => PayloadProblem::NotUtf8(field),
        postcard::Error::DeserializeBadOption => PayloadProblem::BadOptionTag,
        _ => PayloadProblem::Truncated(field),
    }
}

/// Whether `value`'s postcard encoding is exactly `expected`, compared as it is produced,
/// without a buffer. This is the canonical-form check for every field decoded.
fn encodes_to<T: Serialize + ?Sized>(value: &T, expected: &[u8]) -> bool {
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

/// A sequence of at most `N` elements, held on the stack, so that nothing is allocated for
/// the elements before they have been checked. [`Reader::count_within`] has refused a longer
/// count already; an element beyond `N` would still be an error, never a panic.
struct Bounded<T, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T, const N: usize> Bounded<T, N> {
    /// The elements decoded.
    fn as_slice(&self) -> &[T] {
        self.items.get(..self.len).unwrap_or_default()
    }
}

impl<T: Serialize, const N: usize> Serialize for Bounded<T, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_to_compares_every_byte_and_the_length() {
        // 300 is `ac 02` (FORMAT.md §1.6).
        assert!(encodes_to(&300u64, &[0xac, 0x02]));
        assert!(!encodes_to(&300u64, &[0xac, 0x03]), "another last byte");
        assert!(!encodes_to(&300u64, &[0xad, 0x02]), "another first byte");
        assert!(
            !encodes_to(&300u64, &[0xac, 0x02, 0x00]),
            "a byte left over"
        );
        assert!(!encodes_to(&300u64, &[0xac]), "a byte short");
        assert!(!encodes_to(&300u64, &[0xac, 0x82, 0x00]), "over-long");
        assert!(encodes_to("ab", &[2, b'a', b'b']));
        assert!(!encodes_to("ab", &[2, b'a', b'c']));
    }
}
