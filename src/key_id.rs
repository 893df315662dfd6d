//! Key ids: the 8-byte name of a signing key, derived from its public key, and the hex
//! form that ids of keys and tokens are written in.

use core::fmt;

use sha2::{Digest, Sha512};

/// Length of a [`KeyId`] in bytes.
pub const KEY_ID_LEN: usize = 8;

/// Domain separation for key ids.
pub(crate) const KEY_ID_CONTEXT: &[u8] = b"keyseal/key-id\0";

/// The id of a signing key: the first 8 bytes of
/// `SHA-512("keyseal/key-id" || 0x00 || public_key)`.
///
/// Derived from the public key, so two different keys only share an id by a 2⁻⁶⁴ accident
/// and the id cannot be chosen independently of the key. Written as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// The key id of an Ed25519 public key given as its 32 encoded bytes.
    #[must_use]
    pub fn derive(public_key: &[u8; 32]) -> KeyId {
        let digest = Sha512::new()
            .chain_update(KEY_ID_CONTEXT)
            .chain_update(public_key)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(digest.get(..KEY_ID_LEN).unwrap_or(&[0; KEY_ID_LEN]));
        KeyId(id)
    }

    /// Wraps raw key id bytes (as found in a key's header).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> KeyId {
        KeyId(bytes)
    }

    /// The raw bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; KEY_ID_LEN] {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_hex(&self.0, f)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Parses exactly `2 * N` lowercase hex digits.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c.wrapping_sub(b'0')),
            b'a'..=b'f' => Some(c.wrapping_sub(b'a').wrapping_add(10)),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *o = digit(*hi)? << 4 | digit(*lo)?;
    }
    Some(out)
}

/// Writes bytes as lowercase hex.
pub(crate) fn fmt_hex(bytes: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}
