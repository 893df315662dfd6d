//! A public key with its multiples precomputed, so that each verification by the key costs
//! less: what a keyring holds for its active key and up to 16 verify-only keys.
//!
//! Verification checks that `R` is the canonical encoding of `[s]B − [k]A` (`k` the hash of
//! `R ‖ A ‖ M`). dalek's `verify` computes `[k]A` afresh for every signature: about 250
//! doublings and 50 additions. With the multiples `(j + 1)·16^i·(−A)` (`i < 64`, `j < 8`)
//! stored once per key, `[k]·(−A)` is at most 64 additions of stored points, one per signed
//! radix-16 digit of `k`, and no doubling; `[s]B` uses dalek's table of the base point as
//! before. The point compared with `R` is the same point, so the verdict is the same:
//! `tests/strict_signatures.rs` and `tests/ed25519_vectors.rs` hold the two paths to
//! identical verdicts on every vector and on random and corrupted signatures.
//!
//! The cost is memory and a one-off build: 512 points (80 KiB), built in about the time of
//! three bare verifications (`benches/verify.rs`, "keyring: add 1 key"). Everything here is public data (keys, signatures, messages), so the variable-time
//! table lookups leak nothing secret.

use alloc::vec::Vec;

use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use sha2::{Digest, Sha512};

use crate::error::Error;

/// Radix-16 digits of a scalar below 2^253, one row of multiples each.
const ROWS: usize = 64;
/// Multiples per row: signed radix-16 digits lie in `−8..=8`, so `1..=8` times the row's base.
const MULTIPLES: usize = 8;

/// The canonical encodings of the eight points of small order (the subgroup of order 8, the
/// curve's torsion): a signature whose `R` is one of them is refused, as `verify_strict`
/// refuses it. Sorted; the tests show they are eight distinct canonical encodings of points
/// of order dividing 8, which is all of them.
pub(super) const SMALL_ORDER_ENCODINGS: [[u8; 32]; 8] = [
    // 0000000000000000000000000000000000000000000000000000000000000000
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    // 0000000000000000000000000000000000000000000000000000000000000080
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x80,
    ],
    // 0100000000000000000000000000000000000000000000000000000000000000
    [
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    // 26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // 26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x85,
    ],
    // c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0xfa,
    ],
    // ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// A public key's encoding and its multiples `(j + 1)·16^i·(−A)`, row `i`, entry `j`.
pub(crate) struct PrecomputedKey {
    encoding: [u8; 32],
    rows: Vec<[EdwardsPoint; MULTIPLES]>,
}

impl PrecomputedKey {
    /// The multiples of the point `point`, whose canonical encoding is `encoding`.
    pub(super) fn new(encoding: [u8; 32], point: &EdwardsPoint) -> PrecomputedKey {
        let mut rows = Vec::with_capacity(ROWS);
        let mut base = -point;
        for _ in 0..ROWS {
            let mut row = [EdwardsPoint::identity(); MULTIPLES];
            let mut multiple = base;
            for entry in &mut row {
                *entry = multiple;
                multiple += base;
            }
            // `multiple` is now 9·base: the next row's base is 16·base.
            let eight = multiple - base;
            base = eight + eight;
            rows.push(row);
        }
        PrecomputedKey { encoding, rows }
    }

    /// The verdict of [`PublicKey::verify_strict`](super::PublicKey::verify_strict), by the
    /// same checks in the same order: `R` not one of [`SMALL_ORDER_ENCODINGS`], `s`
    /// canonical, then `R` equal to the canonical encoding of `[s]B − [k]A`.
    pub(crate) fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), Error> {
        let (r, s) = strict_encodings(signature)?;
        let hash: [u8; 64] = Sha512::new()
            .chain_update(r)
            .chain_update(self.encoding)
            .chain_update(message)
            .finalize()
            .into();
        let k = Scalar::from_bytes_mod_order_wide(&hash);
        let mut point = EdwardsPoint::mul_base(&s);
        for (row, digit) in self.rows.iter().zip(signed_radix_16(&k)) {
            // Digit 0 wraps to an index past the row: nothing to add.
            let Some(multiple) = row.get(usize::from(digit.unsigned_abs()).wrapping_sub(1)) else {
                continue;
            };
            if digit > 0 {
                point += multiple;
            } else {
                point -= multiple;
            }
        }
        if point.compress().as_bytes() == r {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

/// The checks of a strict signature that come before its equation, shared by both ways of
/// checking it: `R` not one of [`SMALL_ORDER_ENCODINGS`] and `S` canonical (below ℓ).
/// Returns `R`'s bytes and `S`.
pub(super) fn strict_encodings(signature: &[u8; 64]) -> Result<(&[u8; 32], Scalar), Error> {
    let (r, s) = signature
        .split_first_chunk::<32>()
        .ok_or(Error::BadSignature)?;
    if SMALL_ORDER_ENCODINGS.contains(r) {
        return Err(Error::BadSignature);
    }
    let s: [u8; 32] = s.try_into().map_err(|_| Error::BadSignature)?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).ok_or(Error::BadSignature)?;
    Ok((r, s))
}

/// The digits `d_i` in `−8..=7` (the last in `−8..=8`) with `k = Σ d_i·16^i`. `k` is reduced,
/// so below 2^253: its top digit is at most 1, and no carry is left over.
fn signed_radix_16(k: &Scalar) -> [i8; ROWS] {
    let mut digits = [0i8; ROWS];
    for (pair, byte) in digits.chunks_exact_mut(2).zip(k.to_bytes()) {
        for (digit, nibble) in pair.iter_mut().zip([byte & 15, byte >> 4]) {
            *digit = i8::try_from(nibble).unwrap_or(0);
        }
    }
    let mut carry = 0;
    for digit in &mut digits {
        let value = *digit + carry;
        carry = (value + 8) >> 4;
        *digit = value - (carry << 4);
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;

    #[test]
    fn the_digits_sum_to_the_scalar() {
        for seed in 0u8..=255 {
            let k = Scalar::from_bytes_mod_order_wide(&[seed.wrapping_mul(151); 64]);
            let digits = signed_radix_16(&k);
            assert!(digits.iter().all(|d| (-8..=8).contains(d)), "{digits:?}");
            let sixteen = Scalar::from(16u8);
            let sum = digits.iter().rev().fold(Scalar::ZERO, |acc, &d| {
                let magnitude = Scalar::from(d.unsigned_abs());
                acc * sixteen + if d < 0 { -magnitude } else { magnitude }
            });
            assert_eq!(sum, k);
        }
        let minus_one = -Scalar::ONE;
        let digits = signed_radix_16(&minus_one);
        assert!(digits.iter().all(|d| (-8..=8).contains(d)));
    }

    #[test]
    fn each_row_holds_the_multiples_of_its_base() {
        let point = EdwardsPoint::mul_base(&Scalar::from(7u8));
        let key = PrecomputedKey::new(point.compress().to_bytes(), &point);
        assert_eq!(key.rows.len(), ROWS);
        let mut base = -Scalar::from(7u8);
        for row in &key.rows {
            for (j, multiple) in (1u8..).zip(row) {
                assert_eq!(*multiple, EdwardsPoint::mul_base(&(base * Scalar::from(j))));
            }
            base *= Scalar::from(16u8);
        }
    }

    /// The list holds eight distinct canonical encodings of points of order dividing 8: as
    /// the curve has exactly eight such points, that is all of them.
    #[test]
    fn the_small_order_encodings_are_all_eight_and_canonical() {
        let mut points = Vec::new();
        for encoding in SMALL_ORDER_ENCODINGS {
            let point = CompressedEdwardsY(encoding).decompress().unwrap();
            assert!(point.is_small_order());
            assert_eq!(point.compress().to_bytes(), encoding, "not canonical");
            assert!(!points.contains(&point));
            points.push(point);
        }
        assert!(SMALL_ORDER_ENCODINGS.windows(2).all(|w| w[0] < w[1]));
    }

    /// FORMAT.md §1.4 lists the same eight encodings, for independent verifiers.
    #[test]
    fn format_md_lists_the_small_order_encodings() {
        let spec = include_str!("../../FORMAT.md");
        for encoding in SMALL_ORDER_ENCODINGS {
            let hex: String = encoding.iter().map(|b| format!("{b:02x}")).collect();
            assert!(
                spec.contains(&format!("\n{hex}\n")),
                "FORMAT.md lacks {hex}"
            );
        }
    }
}
