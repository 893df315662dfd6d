//! What a verifier remembers about revocation lists across swaps and restarts: the
//! high-water mark of sequences seen survives `LiveVerifier::replace` and can be persisted
//! and restored, so an older list (which un-revokes keys) is never accepted again; and a
//! list that claims to be issued in the future is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;

use keyseal::{
    Error, FixedClock, Issuer, KeyState, Keyring, ListProblem, LiveVerifier, NewKey, Prefix,
    RevocationList, RevocationListBuilder, SigningKey, Timestamp, TokenId, Verifier,
    VerifierOptions,
};

const NOW: u64 = 1_795_000_000;
const HOUR: u64 = 3600;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

fn prefix() -> Prefix {
    Prefix::new("acme_live").unwrap()
}

fn signer() -> SigningKey {
    SigningKey::from_seed(&[1; 32]).unwrap()
}

fn keyring() -> Keyring {
    let mut ring = Keyring::new();
    ring.add(signer().public_key(), KeyState::Active).unwrap();
    ring
}

fn verifier() -> Verifier {
    Verifier::new(prefix(), keyring()).with_clock(FixedClock(t(NOW)))
}

fn key(tid: u8) -> String {
    Issuer::new(prefix(), signer())
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

/// Lists 1 and 2: list 2 revokes token 7, list 1 revokes nothing.
fn lists() -> (Vec<u8>, Vec<u8>) {
    let first = RevocationListBuilder::new()
        .sign(&prefix(), &signer(), t(NOW))
        .unwrap();
    let list1 = RevocationList::verify(&first, &prefix(), &keyring(), t(NOW)).unwrap();
    let mut next = RevocationListBuilder::from_previous(&list1);
    next.revoke_token(TokenId::from_bytes([7; 16]), t(NOW + 40 * 86_400));
    let second = next.sign(&prefix(), &signer(), t(NOW)).unwrap();
    (first, second)
}

fn rollback(r: Result<u64, Error>) -> (u64, u64) {
    match r {
        Err(Error::RevocationList(ListProblem::Rollback { current, offered })) => {
            (current, offered)
        }
        other => panic!("expected a rollback refusal, got {other:?}"),
    }
}

#[test]
fn replace_keeps_the_high_water_mark_and_the_newer_list() {
    let (first, second) = lists();
    let revoked = key(7);
    let live = LiveVerifier::new(verifier());
    assert_eq!(live.revocation_high_water(), None);
    live.update_revocations(&first).unwrap();
    live.update_revocations(&second).unwrap();
    assert_eq!(live.revocation_high_water(), Some(2));
    assert_eq!(live.verify(&revoked).unwrap_err().code(), "revoked");

    // A new keyring and options arrive as a whole new verifier, without a list.
    live.replace(verifier().with_options(VerifierOptions::default()));
    assert_eq!(live.revocation_high_water(), Some(2));
    // The list in force stays: the replacement had none, and dropping it would un-revoke.
    assert_eq!(live.verify(&revoked).unwrap_err().code(), "revoked");
    assert_eq!(
        live.snapshot()
            .revocation_list()
            .map(RevocationList::sequence),
        Some(2)
    );
    // The older list is a rollback, after the replace as before it.
    assert_eq!(rollback(live.update_revocations(&first)), (2, 1));
    assert_eq!(live.verify(&revoked).unwrap_err().code(), "revoked");

    // A replacement carrying an older list does not roll back either.
    let with_first = verifier().update_revocations(&first, t(NOW)).unwrap();
    live.replace(with_first);
    assert_eq!(
        live.snapshot()
            .revocation_list()
            .map(RevocationList::sequence),
        Some(2)
    );
    assert_eq!(live.verify(&revoked).unwrap_err().code(), "revoked");
}

#[test]
fn replace_with_a_newer_list_takes_it() {
    let (first, second) = lists();
    let live = LiveVerifier::new(verifier().update_revocations(&first, t(NOW)).unwrap());
    live.replace(verifier().update_revocations(&second, t(NOW)).unwrap());
    assert_eq!(live.revocation_high_water(), Some(2));
    assert_eq!(live.verify(&key(7)).unwrap_err().code(), "revoked");
}

#[test]
fn replace_with_a_list_of_the_same_sequence_keeps_the_replacements_list() {
    // Two different lists both numbered 1 (a publisher that forked): neither is newer, so
    // the replacement is taken as it is, with its own list, not the one it succeeds.
    let list_revoking = |tid: u8| {
        let mut b = RevocationListBuilder::new();
        b.revoke_token(TokenId::from_bytes([tid; 16]), t(NOW + 40 * 86_400));
        b.sign(&prefix(), &signer(), t(NOW)).unwrap()
    };
    let live = LiveVerifier::new(
        verifier()
            .update_revocations(&list_revoking(7), t(NOW))
            .unwrap(),
    );
    live.replace(
        verifier()
            .update_revocations(&list_revoking(8), t(NOW))
            .unwrap(),
    );
    assert_eq!(live.revocation_high_water(), Some(1));
    assert_eq!(live.verify(&key(8)).unwrap_err().code(), "revoked");
    assert!(live.verify(&key(7)).is_ok(), "the replaced list is gone");
}

#[test]
fn another_prefix_starts_its_own_sequence() {
    // Sequences are per issuer: a replacement for another prefix does not inherit ours.
    let (first, second) = lists();
    let live = LiveVerifier::new(verifier());
    live.update_revocations(&first).unwrap();
    live.update_revocations(&second).unwrap();
    let other = Prefix::new("acme_test").unwrap();
    live.replace(Verifier::new(other.clone(), keyring()).with_clock(FixedClock(t(NOW))));
    assert_eq!(live.revocation_high_water(), None);
    let theirs = RevocationListBuilder::new()
        .sign(&other, &signer(), t(NOW))
        .unwrap();
    assert_eq!(live.update_revocations(&theirs).unwrap(), 1);
}

#[test]
fn a_restored_high_water_mark_refuses_older_lists_after_a_restart() {
    let (first, second) = lists();
    // Before the restart: the edge persists the mark beside its copy of the list.
    let before = LiveVerifier::new(verifier());
    before.update_revocations(&first).unwrap();
    before.update_revocations(&second).unwrap();
    let persisted = before.revocation_high_water().unwrap();
    drop(before);

    // After: a fresh verifier with the mark restored.
    let after = LiveVerifier::new(verifier().with_min_revocation_sequence(persisted));
    assert_eq!(after.revocation_high_water(), Some(2));
    assert_eq!(rollback(after.update_revocations(&first)), (2, 1));
    // Its own local copy, the list that set the mark, is accepted.
    assert_eq!(after.update_revocations(&second).unwrap(), 2);
    assert_eq!(after.verify(&key(7)).unwrap_err().code(), "revoked");
    // And then the usual rule: strictly newer than the list in force.
    assert_eq!(rollback(after.update_revocations(&second)), (2, 2));
}

#[test]
fn the_minimum_never_lowers_the_mark_and_keeps_the_list_in_force() {
    let (first, second) = lists();
    let v = verifier().update_revocations(&second, t(NOW)).unwrap();
    let lowered = v.clone().with_min_revocation_sequence(1);
    assert_eq!(lowered.revocation_high_water(), Some(2));
    assert!(matches!(
        lowered.update_revocations(&first, t(NOW)),
        Err(Error::RevocationList(ListProblem::Rollback { .. }))
    ));
    let raised = v.with_min_revocation_sequence(10);
    assert_eq!(raised.revocation_high_water(), Some(10));
    assert_eq!(
        raised.revocation_list().map(RevocationList::sequence),
        Some(2)
    );
    // List 3 is newer than the list in force, but below the minimum.
    let third = RevocationListBuilder::from_previous(raised.revocation_list().unwrap())
        .sign(&prefix(), &signer(), t(NOW))
        .unwrap();
    assert_eq!(
        raised.update_revocations(&third, t(NOW)).unwrap_err(),
        Error::RevocationList(ListProblem::Rollback {
            current: 10,
            offered: 3
        })
    );
    assert_eq!(
        verifier()
            .with_min_revocation_sequence(0)
            .revocation_high_water(),
        None
    );
}

#[test]
fn a_list_issued_in_the_future_is_refused_beyond_the_leeway() {
    let sign_at = |at: u64| {
        RevocationListBuilder::new()
            .sign(&prefix(), &signer(), t(at))
            .unwrap()
    };
    let v = verifier(); // default options: 60 s leeway
    let within = sign_at(NOW + 60);
    assert!(v.update_revocations(&within, t(NOW)).is_ok());
    assert!(RevocationList::verify(&within, &prefix(), &keyring(), t(NOW)).is_ok());
    let ahead = sign_at(NOW + 61);
    let expected = Error::RevocationList(ListProblem::IssuedInFuture {
        issued_at: t(NOW + 61),
    });
    assert_eq!(v.update_revocations(&ahead, t(NOW)).unwrap_err(), expected);
    assert_eq!(
        RevocationList::verify(&ahead, &prefix(), &keyring(), t(NOW)).unwrap_err(),
        expected
    );
    assert_eq!(expected.code(), "revocation_list.issued_in_future");
    // The verifier's own leeway decides.
    let strict = verifier()
        .with_options(VerifierOptions::default().not_before_leeway(Duration::from_secs(0)));
    assert_eq!(
        strict
            .update_revocations(&sign_at(NOW + 1), t(NOW))
            .unwrap_err(),
        Error::RevocationList(ListProblem::IssuedInFuture {
            issued_at: t(NOW + 1)
        })
    );
    let lenient = verifier()
        .with_options(VerifierOptions::default().not_before_leeway(Duration::from_secs(HOUR)));
    assert!(
        lenient
            .update_revocations(&sign_at(NOW + HOUR), t(NOW))
            .is_ok()
    );
    // Through a live verifier, with its clock.
    let live = LiveVerifier::new(verifier());
    assert_eq!(live.update_revocations(&ahead).unwrap_err(), expected);
    assert_eq!(live.revocation_high_water(), None);
}

#[test]
fn an_older_list_is_refused_after_replace() {
    // The attack of issue 16, with the public API of before the fix: replace, then offer
    // the older list that does not revoke token 7.
    let (first, second) = lists();
    let revoked = key(7);
    let live = LiveVerifier::new(verifier());
    live.update_revocations(&first).unwrap();
    live.update_revocations(&second).unwrap();
    live.replace(verifier());
    assert!(live.update_revocations(&first).is_err());
    assert_eq!(live.verify(&revoked).unwrap_err().code(), "revoked");
}
