//! What a verified list finds, exactly, and what it costs: signer entries found wherever
//! they sit in a list of several, the size limit at its exact boundary, and the memory
//! figure (`heap_size`) the README quotes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use core::time::Duration;

use keyseal::{
    Error, Issuer, KeyId, KeyState, Keyring, ListProblem, MAX_LIST_BYTES, NewKey, Prefix,
    RevocationList, RevocationListBuilder, RevocationReason, RevokedApp, RevokedSigner,
    RevokedToken, SigningKey, Timestamp, TokenId, Verifier,
};

const NOW: u64 = 1_795_000_000;
const HOUR: u64 = 3600;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

fn prefix() -> Prefix {
    Prefix::new("acme_live").unwrap()
}

fn sk(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32]).unwrap()
}

fn keyring(signers: &[u8]) -> Keyring {
    let mut ring = Keyring::new();
    ring.add(sk(signers[0]).public_key(), KeyState::Active)
        .unwrap();
    for &n in &signers[1..] {
        ring.add(sk(n).public_key(), KeyState::VerifyOnly).unwrap();
    }
    ring
}

fn key_by(n: u8, tid: u8) -> String {
    Issuer::new(prefix(), sk(n))
        .issue_at(
            NewKey::for_app("app")
                .scope("orders:read")
                .expires_in(Duration::from_secs(30 * 86_400))
                .token_id(TokenId::from_bytes([tid; 16])),
            t(NOW - HOUR),
        )
        .unwrap()
        .into_string()
}

#[test]
fn a_revoked_signer_is_found_among_several_entries_wherever_it_sorts() {
    let ring = keyring(&[1, 2, 3, 4, 5]);
    let ids: Vec<KeyId> = (2..=5).map(|n| sk(n).key_id()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    // Revoke every signer but the first and the last in key id order, plus entries that
    // sort before and after all of them and one with a grace period not yet over.
    for target in &sorted[1..sorted.len() - 1] {
        let mut b = RevocationListBuilder::new();
        b.revoke_signer(KeyId::from_bytes([0; 8]), None);
        b.revoke_signer(KeyId::from_bytes([0xff; 8]), None);
        b.revoke_signer(*target, None);
        b.revoke_signer(*target, Some(t(NOW + HOUR)));
        let bytes = b.sign(&prefix(), &sk(1), t(NOW)).unwrap();
        let v = Verifier::new(prefix(), ring.clone())
            .update_revocations(&bytes, t(NOW))
            .unwrap();
        let list = v.revocation_list().unwrap();
        assert_eq!(list.signers().len(), 4);
        assert_ne!(list.signers()[0].key_id, *target, "the target is not first");
        for n in 2..=5u8 {
            let r = v.verify_at(&key_by(n, n), t(NOW));
            if sk(n).key_id() == *target {
                assert_eq!(
                    r.unwrap_err(),
                    Error::Revoked {
                        reason: RevocationReason::Signer,
                        list_sequence: 1
                    }
                );
            } else {
                assert!(r.is_ok(), "signer {n}: {r:?}");
            }
        }
    }
}

#[test]
fn a_signer_entry_in_its_grace_period_does_not_revoke_yet() {
    let ring = keyring(&[1, 2]);
    let target = sk(2).key_id();
    let mut b = RevocationListBuilder::new();
    b.revoke_signer(KeyId::from_bytes([0; 8]), None);
    b.revoke_signer(target, Some(t(NOW + HOUR)));
    let bytes = b.sign(&prefix(), &sk(1), t(NOW)).unwrap();
    let v = Verifier::new(prefix(), ring)
        .update_revocations(&bytes, t(NOW))
        .unwrap();
    assert!(v.verify_at(&key_by(2, 9), t(NOW + HOUR - 1)).is_ok());
    assert_eq!(
        v.verify_at(&key_by(2, 9), t(NOW + HOUR))
            .unwrap_err()
            .code(),
        "revoked"
    );
}

#[test]
fn the_size_limit_is_exact() {
    // FORMAT.md §3.4: at most 134217728 bytes, checked before anything else.
    assert_eq!(MAX_LIST_BYTES, 134_217_728);
    let ring = keyring(&[1]);
    let problem = |bytes: &[u8]| match RevocationList::verify(bytes, &prefix(), &ring, t(NOW)) {
        Err(Error::RevocationList(p)) => p,
        other => panic!("{other:?}"),
    };
    // Exactly at the limit the size is fine: zeros are refused for what they are.
    let mut at_limit = vec![0u8; MAX_LIST_BYTES];
    assert_eq!(problem(&at_limit), ListProblem::Malformed);
    at_limit.push(0);
    assert_eq!(problem(&at_limit), ListProblem::TooLarge);
}

#[test]
fn heap_size_counts_the_entries_and_the_index() {
    let ring = keyring(&[1]);
    let n = 100_000usize;
    let mut b = RevocationListBuilder::new();
    for i in 0..n {
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes());
        b.revoke_token(TokenId::from_bytes(id), t(NOW + 86_400));
    }
    b.revoke_app("app_one", t(NOW), None).unwrap();
    b.revoke_app("app_two", t(NOW), Some(t(NOW + HOUR)))
        .unwrap();
    b.revoke_signer(KeyId::from_bytes([7; 8]), None);
    let bytes = b.sign(&prefix(), &sk(1), t(NOW)).unwrap();
    let list = RevocationList::verify(&bytes, &prefix(), &ring, t(NOW)).unwrap();
    assert_eq!(list.tokens().len(), n);

    // The decoder allocates exactly the entries it read, and an index of one u32 per
    // bucket (2^(floor(log2 n) - 3) buckets, about eight tokens each) plus one.
    let buckets = 1usize << (usize::BITS - 1 - n.leading_zeros() - 3);
    let expected = n * size_of::<RevokedToken>()
        + 2 * size_of::<RevokedApp>()
        + "app_one".len()
        + "app_two".len()
        + size_of::<RevokedSigner>()
        + (buckets + 1) * size_of::<u32>();
    assert_eq!(list.heap_size(), expected);
    // The README's "24.3 bytes in memory" per token entry.
    let per_entry = list.heap_size() as f64 / n as f64;
    assert!((24.2..24.5).contains(&per_entry), "{per_entry}");
    // And an empty list holds nothing.
    let empty = RevocationListBuilder::new()
        .sign(&prefix(), &sk(1), t(NOW))
        .unwrap();
    let empty = RevocationList::verify(&empty, &prefix(), &ring, t(NOW)).unwrap();
    assert_eq!(empty.heap_size(), 0);
}
