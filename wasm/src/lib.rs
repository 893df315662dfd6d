//! keyseal verification in WebAssembly. The module verifies keys with the prefix
//! `acme_live` against one public key, the checked-in `testdata/public-key.txt`, at a time
//! the host passes in (an edge runtime reads its own clock; the core has none).
//!
//! The host writes the key text into memory it gets from [`keyseal_alloc`], calls
//! [`keyseal_verify`] and frees the memory with [`keyseal_free`]. `verify.test.mjs` does
//! exactly that under Node.js.

use std::sync::OnceLock;

use keyseal::{Error, KeyState, Keyring, Prefix, PublicKey, Timestamp, Verifier};

/// The public key this module trusts.
const PUBLIC_KEY: &str = include_str!("../testdata/public-key.txt");
/// The prefix of the keys it accepts.
const PREFIX: &str = "acme_live";

/// The verdict on a key, as the number [`keyseal_verify`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Verdict {
    /// The key verifies.
    Valid = 0,
    /// Not a well-formed key.
    Malformed = 1,
    /// Another issuer's prefix.
    WrongPrefix = 2,
    /// Signed by a key this module does not know (or no longer trusts).
    UnknownKey = 3,
    /// The signature does not verify.
    BadSignature = 4,
    /// Expired.
    Expired = 5,
    /// Not valid yet.
    NotYetValid = 6,
    /// Refused for another reason.
    Refused = 7,
    /// The text is not UTF-8, or the time is out of range.
    BadArgument = 8,
    /// The module's own public key or prefix did not load.
    BadSetup = 9,
}

impl From<&Error> for Verdict {
    fn from(e: &Error) -> Verdict {
        match e {
            Error::Malformed(_) | Error::UnsupportedVersion(_) => Verdict::Malformed,
            Error::WrongPrefix => Verdict::WrongPrefix,
            Error::UnknownKey(_) | Error::RetiredKey(_) | Error::KeyOutsideValidity(_) => {
                Verdict::UnknownKey
            }
            Error::BadSignature => Verdict::BadSignature,
            Error::Expired { .. } => Verdict::Expired,
            Error::NotYetValid { .. } => Verdict::NotYetValid,
            _ => Verdict::Refused,
        }
    }
}

/// The verifier, built on first use.
fn verifier() -> Result<&'static Verifier, Verdict> {
    static VERIFIER: OnceLock<Option<Verifier>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| {
            let key: PublicKey = PUBLIC_KEY.trim().parse().ok()?;
            let mut keyring = Keyring::new();
            keyring.add(key, KeyState::VerifyOnly).ok()?;
            Some(Verifier::new(Prefix::new(PREFIX).ok()?, keyring))
        })
        .as_ref()
        .ok_or(Verdict::BadSetup)
}

/// Verifies `text` at `now` (seconds since the Unix epoch).
pub fn verify(text: &[u8], now: u64) -> Verdict {
    let (Ok(text), Some(now)) = (std::str::from_utf8(text), Timestamp::from_unix(now)) else {
        return Verdict::BadArgument;
    };
    match verifier() {
        Ok(v) => v
            .verify_at(text, now)
            .map_or_else(|e| Verdict::from(&e), |_| Verdict::Valid),
        Err(verdict) => verdict,
    }
}

/// Reserves `len` bytes of linear memory for the host to write a key into.
#[unsafe(no_mangle)]
pub extern "C" fn keyseal_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Releases memory from [`keyseal_alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one call to [`keyseal_alloc`], and be freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn keyseal_free(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr` was allocated by `keyseal_alloc` as a `Vec<u8>` of capacity `len`.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// Verifies the `len` bytes of key text at `ptr` at time `now` (seconds since the Unix
/// epoch); returns a [`Verdict`] as a number.
///
/// # Safety
/// `ptr` must point to `len` initialized bytes, such as memory from [`keyseal_alloc`] that
/// the host has written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn keyseal_verify(ptr: *const u8, len: usize, now: u64) -> i32 {
    // SAFETY: the caller guarantees `len` initialized bytes at `ptr`.
    let text = unsafe { std::slice::from_raw_parts(ptr, len) };
    verify(text, now) as i32
}
