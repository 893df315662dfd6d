//! `PublicKey::verify_strict` gives exactly `ed25519_dalek::VerifyingKey::verify_strict`'s
//! verdict, though it never decompresses `R` (it compares encodings, then refuses the eight
//! small-order encodings of `R`); so does `KeyEntry::verify_strict`, the keyring's path with
//! each key's precomputed multiples, which every verifier takes. Checked on the inputs where
//! the ways could part:
//! signatures whose `R` is of small order but satisfy the cofactorless equation (built here
//! with keys that carry a small-order component; dalek's non-strict `verify` accepts them),
//! non-canonical encodings of every small-order point, and random corruptions of valid
//! signatures. The public vector suites run through the same primitive in
//! `tests/ed25519_vectors.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::Verifier as _;
use keyseal::{KeyState, Keyring, PublicKey};
use proptest::prelude::*;
use sha2::{Digest, Sha512};

/// The verdict, after checking that all three agree: `PublicKey::verify_strict`, the
/// keyring entry's (precomputed multiples) and dalek's `verify_strict`.
fn verdict(key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let ours = key.verify_strict(message, signature).is_ok();
    let mut keyring = Keyring::new();
    keyring.add(*key, KeyState::VerifyOnly).unwrap();
    let entry = keyring.get(key.key_id()).unwrap();
    let precomputed = entry.verify_strict(message, signature).is_ok();
    assert_eq!(ours, precomputed, "the keyring entry's verdict differs");
    let dalek = key
        .as_dalek()
        .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok();
    assert_eq!(ours, dalek, "keyseal and dalek's verify_strict disagree");
    ours
}

fn challenge(r: &[u8; 32], key: &[u8; 32], message: &[u8]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r)
            .chain_update(key)
            .chain_update(message)
            .finalize()
            .into(),
    )
}

/// A key `A = [a]B + T` with `T` of order 8, which keyseal accepts (it is not of small
/// order), and its scalar `a`.
fn mixed_order_key(seed: u8) -> (PublicKey, Scalar) {
    let a = Scalar::from_bytes_mod_order([seed; 32]);
    let point = ED25519_BASEPOINT_POINT * a + EIGHT_TORSION[1];
    let key = PublicKey::from_bytes(point.compress().as_bytes()).unwrap();
    (key, a)
}

#[test]
fn a_small_order_r_is_refused_even_when_the_equation_holds() {
    let mut forged = 0;
    for seed in 1..=4u8 {
        let (key, a) = mixed_order_key(seed);
        let a_point = CompressedEdwardsY(key.to_bytes()).decompress().unwrap();
        for n in 0..64u32 {
            let message = format!("message {n}");
            for torsion in EIGHT_TORSION {
                let r = torsion.compress().to_bytes();
                let k = challenge(&r, &key.to_bytes(), message.as_bytes());
                // The equation [s]B = R + [k]A holds with s = k·a when R + [k]T = 0.
                if torsion + EIGHT_TORSION[1] * k != EdwardsPoint::default() {
                    continue;
                }
                let s = k * a;
                let mut signature = [0u8; 64];
                signature[..32].copy_from_slice(&r);
                signature[32..].copy_from_slice(s.as_bytes());
                assert_eq!(ED25519_BASEPOINT_POINT * s, torsion + a_point * k);
                // The non-strict check accepts it: only the small-order rule refuses it.
                assert!(
                    key.as_dalek()
                        .verify(
                            message.as_bytes(),
                            &ed25519_dalek::Signature::from_bytes(&signature)
                        )
                        .is_ok()
                );
                assert!(!verdict(&key, message.as_bytes(), &signature));
                forged += 1;
            }
        }
    }
    // About one torsion point in eight satisfies the equation for a given message.
    assert!(forged >= 8, "only {forged} forgeries built");
}

#[test]
fn every_encoding_of_a_small_order_point_is_refused_as_r() {
    let (key, _) = mixed_order_key(9);
    let mut encodings = Vec::new();
    for torsion in EIGHT_TORSION {
        let canonical = torsion.compress().to_bytes();
        encodings.push(canonical);
        // x = 0 with the sign bit set, and y + p where that still fits in 255 bits.
        let mut signed = canonical;
        signed[31] |= 0x80;
        encodings.push(signed);
        let mut y = canonical;
        y[31] &= 0x7f;
        let (plus_p, overflow) = add_p(&y);
        if !overflow && plus_p[31] & 0x80 == 0 {
            let mut alias = plus_p;
            alias[31] |= canonical[31] & 0x80;
            encodings.push(alias);
        }
    }
    for r in encodings {
        for s in [[0u8; 32], Scalar::ONE.to_bytes()] {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&r);
            signature[32..].copy_from_slice(&s);
            assert!(!verdict(&key, b"small order", &signature));
        }
    }
}

/// `y + p` in little-endian, and whether it overflowed 256 bits.
fn add_p(y: &[u8; 32]) -> ([u8; 32], bool) {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(y[i]) + u16::from(p[i]) + carry;
        out[i] = sum as u8;
        carry = sum >> 8;
    }
    (out, carry != 0)
}

fn signed(seed: u8, message: &[u8]) -> (PublicKey, [u8; 64]) {
    let key = keyseal::SigningKey::from_seed(&[seed; 32]).unwrap();
    (key.public_key(), key.sign_raw(message))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn corrupted_signatures_get_the_same_verdict(
        seed in 1u8..=255,
        message in proptest::collection::vec(any::<u8>(), 0..64),
        position in 0usize..64,
        xor in 1u8..=255,
    ) {
        let (key, mut signature) = signed(seed, &message);
        prop_assert!(verdict(&key, &message, &signature));
        signature[position] ^= xor;
        prop_assert!(!verdict(&key, &message, &signature));
    }

    #[test]
    fn random_r_and_s_get_the_same_verdict(
        seed in 1u8..=255,
        r in any::<[u8; 32]>(),
        s in any::<[u8; 32]>(),
    ) {
        let (key, _) = signed(seed, b"");
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r);
        signature[32..].copy_from_slice(&s);
        prop_assert!(!verdict(&key, b"random", &signature));
    }
}
