//! Batch verification: many keys checked with one multi-scalar multiplication, with the
//! results of checking them one by one with `verify_strict`, save one documented exception
//! that only the holder of a signing key can produce (the last paragraph).
//!
//! # The equation
//! A signature `(R, s)` by key `A` on message `M` passes `verify_strict` when `s < ℓ`, `R`
//! is the canonical encoding of a point that is not of small order, `A` is not of small
//! order, and `R = [s]B − [k]A` with `k = SHA-512(R ‖ A ‖ M) mod ℓ`. A batch of `n` such
//! signatures is accepted when
//!
//! ```text
//! −[Σ zᵢsᵢ]B + Σ [zᵢ]Rᵢ + Σ_A [Σ_{i signed by A} zᵢkᵢ]A = 0
//! ```
//!
//! for coefficients `zᵢ` that an attacker cannot choose: 128 bits from a SHA-512 hash of every
//! input of the batch (every `kᵢ`, which covers `R`, `A` and `M`, and every `s`), so no
//! randomness source is needed and the crate stays `no_std`. Signatures by the same key share
//! one point in the sum, which is what makes a batch from a small keyring fast.
//!
//! # How the results match `verify_strict`
//! The equation is weaker than `verify_strict` in two ways, and both are closed before an item
//! enters the sum:
//! - **Encodings.** Each item first gets every check `verify_strict` makes besides the
//!   equation: canonical `s`, canonical and decodable `R` not of small order, and a public key
//!   that is canonical and not of small order (guaranteed by [`PublicKey`]).
//! - **Small-order components** (the cofactor). A point can carry a component of order 2, 4
//!   or 8, which `verify_strict` sees (it compares encodings) but a random multiple can
//!   cancel. Keys whose point has such a component (never true of a generated key) are checked
//!   one by one. For `R`, every coefficient is `zᵢ ≡ 1 (mod 8)`, so a small-order component is
//!   multiplied by one: a batch in which one signature carries one is always refused.
//!
//! When a batch fails it is split in halves: a half whose equation holds is accepted, a half
//! that fails is split again, and when both halves fail (bad signatures are dense) both are
//! checked one by one with `verify_strict`, as are groups of four or fewer; so every reported
//! failure comes from `verify_strict` itself. One bad signature among 64 costs about two clean
//! batches; a batch of nothing but forgeries about 1.7 times one-by-one verification.
//!
//! # The exception
//! Two or more signatures in one batch whose `R` carry small-order components that add up to
//! zero pass the batch together, although `verify_strict` refuses each of them. No choice of
//! coefficients can see this (the small-order group has 8 elements, and one equation gives one
//! relation between the components), and checking every `R` for such a component costs a
//! scalar multiplication per item, about the saving of batching. Such signatures must satisfy
//! the equation up to the small-order part, so only the holder of a signing key can make them;
//! keyseal's own [`Issuer`](crate::Issuer) never does. The CCTV test in `tests/batch.rs` pins
//! the vectors where this shows.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::error::Error;
use crate::keys::PublicKey;
use crate::timestamp::Timestamp;
use crate::token::VerifiedKey;
use crate::verifier::Verifier;
use crate::wire::BUF_LEN;

/// Domain separation for the batch coefficients.
const COEFFICIENT_CONTEXT: &[u8] = b"keyseal/batch-coefficients\0";

/// A batch of at most this many items, or a failed group this small, is checked one by one.
const ONE_BY_ONE_BELOW: usize = 4;

/// One signature in a batch: the message, the 64-byte signature and the key that should have
/// made it.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The signed message.
    pub message: &'a [u8],
    /// The signature, `R ‖ s`.
    pub signature: &'a [u8; 64],
    /// The public key.
    pub public_key: &'a PublicKey,
}

/// Checks many Ed25519 signatures at once. Element `i` of the result is what
/// [`PublicKey::verify_strict`] returns for `items[i]`, except that several signatures
/// crafted by a signing-key holder with small-order components in `R` that cancel out are
/// accepted together (see the module documentation of `src/batch.rs`).
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use keyseal::{BatchItem, SigningKey, verify_strict_batch};
///
/// let key = SigningKey::from_seed(&[7; 32])?;
/// let public_key = key.public_key();
/// let good = key.sign_raw(b"hello");
/// let mut bad = good;
/// bad[40] ^= 1;
/// let results = verify_strict_batch(&[
///     BatchItem { message: b"hello", signature: &good, public_key: &public_key },
///     BatchItem { message: b"hello", signature: &bad, public_key: &public_key },
/// ]);
/// assert_eq!(results, [Ok(()), Err(keyseal::Error::BadSignature)]);
/// # Ok(()) }
/// ```
#[must_use]
pub fn verify_strict_batch(items: &[BatchItem<'_>]) -> Vec<Result<(), Error>> {
    let mut results = vec![Err(Error::BadSignature); items.len()];
    let mut keys = KeyTable::default();
    let mut ready = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Some(result) = results.get_mut(index) else {
            continue;
        };
        match Prepared::new(index, item, &mut keys) {
            Ok(Some(p)) => ready.push(p),
            // A key with a small-order component: only the real thing will do.
            Ok(None) => {
                *result = item.public_key.verify_strict(item.message, item.signature);
            }
            Err(e) => *result = Err(e),
        }
    }
    let seed = coefficient_seed(&ready);
    check(items, &ready, &keys, &seed, &mut results);
    results
}

/// An item that passed every check except the equation.
struct Prepared {
    index: usize,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
    /// Index of the public key in the [`KeyTable`].
    key: usize,
}

impl Prepared {
    /// The checks `verify_strict` makes before its equation. `Ok(None)` when the key has a
    /// small-order component, so that the item must be checked on its own.
    fn new(
        index: usize,
        item: &BatchItem<'_>,
        keys: &mut KeyTable,
    ) -> Result<Option<Prepared>, Error> {
        let (r_bytes, s_bytes) = item.signature.split_at(32);
        let r_bytes: [u8; 32] = r_bytes.try_into().map_err(|_| Error::BadSignature)?;
        let s_bytes: [u8; 32] = s_bytes.try_into().map_err(|_| Error::BadSignature)?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))
            .ok_or(Error::BadSignature)?;
        if !is_canonical_y(&r_bytes) {
            return Err(Error::BadSignature);
        }
        let r = CompressedEdwardsY(r_bytes)
            .decompress()
            .ok_or(Error::BadSignature)?;
        // With `y` canonical, the only other non-canonical encodings are `x = 0` with the sign
        // bit set, which are the points `y = ±1`: both of small order, refused here.
        if r.is_small_order() {
            return Err(Error::BadSignature);
        }
        let key = keys.index_of(item.public_key);
        if !keys.torsion_free(key) {
            return Ok(None);
        }
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(r_bytes)
                .chain_update(item.public_key.as_dalek().as_bytes())
                .chain_update(item.message)
                .finalize()
                .into(),
        );
        Ok(Some(Prepared {
            index,
            r,
            s,
            k,
            key,
        }))
    }
}

/// Whether the 255-bit `y` of a point encoding is below `p = 2^255 − 19`.
fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let [first, middle @ .., last] = bytes;
    !(*first >= 0xed && middle.iter().all(|&b| b == 0xff) && last & 0x7f == 0x7f)
}

/// The distinct public keys of a batch, with their points and whether they are free of a
/// small-order component (checked once per key per batch).
#[derive(Default)]
struct KeyTable {
    index: BTreeMap<[u8; 32], usize>,
    points: Vec<EdwardsPoint>,
    torsion_free: Vec<bool>,
}

impl KeyTable {
    fn index_of(&mut self, key: &PublicKey) -> usize {
        let bytes = key.to_bytes();
        if let Some(&i) = self.index.get(&bytes) {
            return i;
        }
        let point = key.as_dalek().to_edwards();
        let i = self.points.len();
        self.points.push(point);
        self.torsion_free.push(point.is_torsion_free());
        self.index.insert(bytes, i);
        i
    }

    fn torsion_free(&self, key: usize) -> bool {
        self.torsion_free.get(key).copied().unwrap_or(false)
    }
}

/// A hash of every input of the batch, from which the coefficients are drawn.
fn coefficient_seed(ready: &[Prepared]) -> [u8; 64] {
    let mut h = Sha512::new().chain_update(COEFFICIENT_CONTEXT);
    h.update((ready.len() as u64).to_le_bytes());
    for p in ready {
        h.update(p.k.as_bytes());
        h.update(p.s.as_bytes());
    }
    h.finalize().into()
}

/// The coefficient of the item at `index`: `8w + 1` for a 128-bit `w` drawn from the seed.
fn coefficient(seed: &[u8; 64], index: usize) -> Scalar {
    let digest = Sha512::new()
        .chain_update(seed)
        .chain_update((index as u64).to_le_bytes())
        .finalize();
    let mut w = [0u8; 16];
    w.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    Scalar::from(u128::from_le_bytes(w)) * Scalar::from(8u8) + Scalar::ONE
}

/// Checks `ready` as one batch, and finds the bad items if it fails.
fn check(
    items: &[BatchItem<'_>],
    ready: &[Prepared],
    keys: &KeyTable,
    seed: &[u8; 64],
    results: &mut [Result<(), Error>],
) {
    if ready.len() <= ONE_BY_ONE_BELOW {
        one_by_one(items, ready, results);
    } else if equation_holds(ready, keys, seed) {
        accept(ready, results);
    } else {
        bisect(items, ready, keys, seed, results);
    }
}

/// Finds the bad items of `ready`, whose equation is known to fail. A half whose equation
/// holds is accepted and the other half, which must then fail, is split again; when both
/// halves fail, bad items are dense and both are checked one by one.
fn bisect(
    items: &[BatchItem<'_>],
    ready: &[Prepared],
    keys: &KeyTable,
    seed: &[u8; 64],
    results: &mut [Result<(), Error>],
) {
    if ready.len() <= ONE_BY_ONE_BELOW {
        one_by_one(items, ready, results);
        return;
    }
    let (left, right) = ready.split_at(ready.len() / 2);
    if equation_holds(left, keys, seed) {
        accept(left, results);
        bisect(items, right, keys, seed, results);
    } else if equation_holds(right, keys, seed) {
        accept(right, results);
        bisect(items, left, keys, seed, results);
    } else {
        one_by_one(items, left, results);
        one_by_one(items, right, results);
    }
}

fn accept(ready: &[Prepared], results: &mut [Result<(), Error>]) {
    for p in ready {
        if let Some(r) = results.get_mut(p.index) {
            *r = Ok(());
        }
    }
}

/// `verify_strict` itself, item by item.
fn one_by_one(items: &[BatchItem<'_>], ready: &[Prepared], results: &mut [Result<(), Error>]) {
    for p in ready {
        if let (Some(item), Some(r)) = (items.get(p.index), results.get_mut(p.index)) {
            *r = item.public_key.verify_strict(item.message, item.signature);
        }
    }
}

/// `−[Σ zᵢsᵢ]B + Σ [zᵢ]Rᵢ + Σ_A [Σ zᵢkᵢ]A = 0`.
fn equation_holds(ready: &[Prepared], keys: &KeyTable, seed: &[u8; 64]) -> bool {
    let mut b_coefficient = Scalar::ZERO;
    let mut key_coefficients = vec![Scalar::ZERO; keys.points.len()];
    let mut scalars = Vec::with_capacity(1 + ready.len() + keys.points.len());
    let mut points = Vec::with_capacity(scalars.capacity());
    scalars.push(Scalar::ZERO);
    points.push(ED25519_BASEPOINT_POINT);
    for p in ready {
        let z = coefficient(seed, p.index);
        b_coefficient -= z * p.s;
        if let Some(c) = key_coefficients.get_mut(p.key) {
            *c += z * p.k;
        }
        scalars.push(z);
        points.push(p.r);
    }
    if let Some(first) = scalars.first_mut() {
        *first = b_coefficient;
    }
    for (c, a) in key_coefficients.into_iter().zip(&keys.points) {
        if c != Scalar::ZERO {
            scalars.push(c);
            points.push(*a);
        }
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

impl Verifier {
    /// Verifies many keys now; element `i` of the result is what [`Verifier::verify`] returns
    /// for `texts[i]`, but the signatures are checked together: about twice the throughput at
    /// 64 keys (`benches/verify.rs`). The one difference from verifying one by one is the
    /// exception of [`verify_strict_batch`]: keys only a signing-key holder can craft.
    ///
    /// ```
    /// # fn main() -> Result<(), keyseal::Error> {
    /// use core::time::Duration;
    /// use keyseal::{Issuer, KeyState, Keyring, NewKey, Prefix, SigningKey, Verifier};
    ///
    /// let signing_key = SigningKey::generate()?;
    /// let mut keyring = Keyring::new();
    /// keyring.add(signing_key.public_key(), KeyState::Active)?;
    /// let issuer = Issuer::new(Prefix::new("acme_live")?, signing_key);
    /// let key = issuer.issue(
    ///     NewKey::for_app("app_7f3k9x2m").scope("orders:read").expires_in(Duration::from_secs(60)),
    /// )?;
    /// let verifier = Verifier::new(Prefix::new("acme_live")?, keyring);
    /// let results = verifier.verify_batch(&[key.as_str(), "acme_live_garbage"]);
    /// assert_eq!(results[0].as_ref().map(|k| k.app_id()), Ok("app_7f3k9x2m"));
    /// assert!(results[1].is_err());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn verify_batch(&self, texts: &[&str]) -> Vec<Result<VerifiedKey, Error>> {
        match self.now() {
            Ok(now) => self.verify_batch_at(texts, now),
            Err(e) => vec![Err(e); texts.len()],
        }
    }

    /// Verifies many keys as of `now`; element `i` of the result is what
    /// [`Verifier::verify_at`] returns for `texts[i]`.
    #[must_use]
    pub fn verify_batch_at(
        &self,
        texts: &[&str],
        now: Timestamp,
    ) -> Vec<Result<VerifiedKey, Error>> {
        let mut buffers = vec![[0u8; BUF_LEN]; texts.len()];
        let prepared: Vec<_> = texts
            .iter()
            .zip(buffers.iter_mut())
            .map(|(text, buf)| self.prepare(text, now, buf))
            .collect();
        let items: Vec<BatchItem<'_>> = prepared
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|(raw, entry)| BatchItem {
                message: raw.message,
                signature: raw.signature,
                public_key: entry.public_key(),
            })
            .collect();
        let mut signatures = verify_strict_batch(&items).into_iter();
        prepared
            .into_iter()
            .map(|p| {
                let (raw, _) = p?;
                signatures.next().unwrap_or(Err(Error::BadSignature))?;
                self.complete(&raw, now)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    #[test]
    fn canonical_y_boundary() {
        let mut p_minus_1 = [0xff; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        assert!(is_canonical_y(&p_minus_1));
        let mut p = p_minus_1;
        p[0] = 0xed;
        assert!(!is_canonical_y(&p));
        // The sign bit is not part of y.
        p_minus_1[31] = 0xff;
        assert!(is_canonical_y(&p_minus_1));
        assert!(is_canonical_y(&[0; 32]));
    }

    #[test]
    fn coefficients_are_one_mod_eight() {
        let seed = [3u8; 64];
        for i in 0..100 {
            let z = coefficient(&seed, i);
            assert_eq!(z.as_bytes()[0] & 7, 1);
            assert_eq!(z.as_bytes()[17..], [0; 15]);
        }
    }

    #[test]
    fn finds_each_bad_signature() {
        let keys: Vec<SigningKey> = (1..=3u8)
            .map(|n| SigningKey::from_seed(&[n; 32]).unwrap())
            .collect();
        let publics: Vec<PublicKey> = keys.iter().map(SigningKey::public_key).collect();
        let messages: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; usize::from(i)]).collect();
        let good: Vec<[u8; 64]> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % 3].sign_raw(m))
            .collect();
        let patterns: Vec<Vec<usize>> = vec![
            vec![],
            vec![0],
            vec![39],
            vec![0, 7, 8, 21, 39],
            (0..40).step_by(2).collect(),
            (0..40).collect(),
        ];
        for bad in patterns {
            let mut signatures = good.clone();
            for &i in &bad {
                signatures[i][i % 64] ^= 0x10;
            }
            let items: Vec<BatchItem<'_>> = messages
                .iter()
                .zip(&signatures)
                .enumerate()
                .map(|(i, (m, s))| BatchItem {
                    message: m,
                    signature: s,
                    public_key: &publics[i % 3],
                })
                .collect();
            let expected: Vec<_> = items
                .iter()
                .map(|it| it.public_key.verify_strict(it.message, it.signature))
                .collect();
            assert_eq!(expected.iter().filter(|r| r.is_err()).count(), bad.len());
            for n in [1, 3, 4, 5, 9, 40] {
                assert_eq!(
                    verify_strict_batch(&items[..n]),
                    expected[..n],
                    "{bad:?} {n}"
                );
            }
        }
        assert!(verify_strict_batch(&[]).is_empty());
    }
}
