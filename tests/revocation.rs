//! Signed revocation lists: what each entry revokes (and what it does not), update rules
//! (rollback, forgery, other issuers), staleness policies, bad input, and atomic swaps under
//! concurrent verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use core::time::Duration;

use common::{ListPayload, varint};
use keyseal::{
    Error, Issuer, KeyState, Keyring, ListProblem, LiveVerifier, MissingListPolicy, NewKey, Prefix,
    RevocationList, RevocationListBuilder, RevocationReason, SigningKey, StalePolicy, Timestamp,
    TokenId, Verifier, VerifierOptions,
};

const NOW: u64 = 1_795_000_000;
const HOUR: u64 = 3600;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix(secs).unwrap()
}

fn prefix() -> Prefix {
    Prefix::new("acme_live").unwrap()
}

struct World {
    a: SigningKey,
    b: SigningKey,
    keyring: Keyring,
    verifier: Verifier,
}

fn world() -> World {
    let a = SigningKey::from_seed(&[1; 32]).unwrap();
    let b = SigningKey::from_seed(&[2; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add(a.public_key(), KeyState::Active).unwrap();
    keyring.add(b.public_key(), KeyState::VerifyOnly).unwrap();
    let verifier = Verifier::new(prefix(), keyring.clone());
    World {
        a,
        b,
        keyring,
        verifier,
    }
}

fn issue(key: &SigningKey, app: &str, iat: u64, tid: u8) -> String {
    Issuer::new(prefix(), SigningKey::from_seed(&key.to_seed()).unwrap())
        .issue_at(
            NewKey::for_app(app)
                .scope("orders:read")
                .expires_in(Duration::from_secs(30 * 86_400))
                .token_id(TokenId::from_bytes([tid; 16])),
            t(iat),
        )
        .unwrap()
        .into_string()
}

fn code(r: &Result<keyseal::VerifiedKey, Error>) -> &'static str {
    match r {
        Ok(_) => "valid",
        Err(e) => e.code(),
    }
}

#[test]
fn each_entry_kind_revokes_exactly_what_it_says() {
    let w = world();
    let k_token = issue(&w.a, "app1", NOW - HOUR, 1);
    let k_same_app = issue(&w.a, "app1", NOW - HOUR, 2);
    let k_app_before = issue(&w.a, "app2", NOW - 2 * HOUR, 3);
    let k_app_at = issue(&w.a, "app2", NOW - HOUR, 4); // issued exactly at the cut-off
    let k_app_after = issue(&w.a, "app2", NOW - HOUR + 1, 5);
    let k_app_prefix = issue(&w.a, "app22", NOW - 2 * HOUR, 6);
    let k_signer_b = issue(&w.b, "app3", NOW - HOUR, 7);
    let k_signer_a = issue(&w.a, "app3", NOW - HOUR, 8);

    let mut builder = RevocationListBuilder::new();
    builder.revoke_token(TokenId::from_bytes([1; 16]), t(NOW + 30 * 86_400));
    builder.revoke_app("app2", t(NOW - HOUR), None).unwrap();
    builder.revoke_signer(w.b.key_id(), None);
    let bytes = builder.sign(&prefix(), &w.a, t(NOW)).unwrap();
    let v = w.verifier.update_revocations(&bytes, t(NOW)).unwrap();

    let at = |k: &str| v.verify_at(k, t(NOW));
    assert_eq!(
        at(&k_token).unwrap_err(),
        Error::Revoked {
            reason: RevocationReason::Token,
            list_sequence: 1
        }
    );
    assert_eq!(code(&at(&k_same_app)), "valid");
    assert_eq!(
        at(&k_app_before).unwrap_err(),
        Error::Revoked {
            reason: RevocationReason::App {
                issued_before: t(NOW - HOUR)
            },
            list_sequence: 1
        }
    );
    assert_eq!(
        code(&at(&k_app_at)),
        "valid",
        "issued exactly at T is not before T"
    );
    assert_eq!(code(&at(&k_app_after)), "valid");
    assert_eq!(code(&at(&k_app_prefix)), "valid", "app22 is not app2");
    assert_eq!(
        at(&k_signer_b).unwrap_err(),
        Error::Revoked {
            reason: RevocationReason::Signer,
            list_sequence: 1
        }
    );
    let ok = at(&k_signer_a).unwrap();
    assert_eq!(
        ok.revocation_status().map(|s| (s.sequence, s.stale)),
        Some((1, false))
    );
}

#[test]
fn effective_times_give_a_grace_period() {
    let w = world();
    let k_b = issue(&w.b, "app", NOW - HOUR, 1);
    let k_app = issue(&w.a, "old_app", NOW - HOUR, 2);
    let mut builder = RevocationListBuilder::new();
    builder.revoke_signer(w.b.key_id(), Some(t(NOW + HOUR)));
    builder
        .revoke_app("old_app", t(NOW), Some(t(NOW + 2 * HOUR)))
        .unwrap();
    let v = w
        .verifier
        .update_revocations(&builder.sign(&prefix(), &w.a, t(NOW)).unwrap(), t(NOW))
        .unwrap();
    assert_eq!(code(&v.verify_at(&k_b, t(NOW + HOUR - 1))), "valid");
    assert_eq!(code(&v.verify_at(&k_b, t(NOW + HOUR))), "revoked");
    assert_eq!(code(&v.verify_at(&k_app, t(NOW + 2 * HOUR - 1))), "valid");
    assert_eq!(code(&v.verify_at(&k_app, t(NOW + 2 * HOUR))), "revoked");
}

#[test]
fn updates_refuse_rollback_replay_forgery_and_other_issuers() {
    let w = world();
    let first = RevocationListBuilder::new()
        .sign(&prefix(), &w.a, t(NOW))
        .unwrap();
    let v1 = w.verifier.update_revocations(&first, t(NOW)).unwrap();
    let list1 = v1.revocation_list().unwrap().clone();
    let second = RevocationListBuilder::from_previous(&list1)
        .sign(&prefix(), &w.a, t(NOW + 1))
        .unwrap();
    let v2 = v1.update_revocations(&second, t(NOW + 1)).unwrap();
    assert_eq!(v2.revocation_list().unwrap().sequence(), 2);

    let refused = |v: &Verifier, bytes: &[u8]| match v.update_revocations(bytes, t(NOW + 2)) {
        Err(Error::RevocationList(p)) => p,
        other => panic!("expected refusal, got {other:?}"),
    };
    // Rollback to 1, and a replay of 2.
    assert_eq!(
        refused(&v2, &first),
        ListProblem::Rollback {
            current: 2,
            offered: 1
        }
    );
    assert_eq!(
        refused(&v2, &second),
        ListProblem::Rollback {
            current: 2,
            offered: 2
        }
    );
    // Signed by a key outside the keyring.
    let stranger = SigningKey::from_seed(&[9; 32]).unwrap();
    let mut b = RevocationListBuilder::new();
    b.valid_for(Duration::from_secs(HOUR));
    let forged = b.sign(&prefix(), &stranger, t(NOW)).unwrap();
    assert_eq!(
        refused(&v2, &forged),
        ListProblem::UnknownSigner(stranger.key_id())
    );
    // A keyring key's list with one payload byte changed.
    let mut tampered = RevocationListBuilder::from_previous(v2.revocation_list().unwrap())
        .sign(&prefix(), &w.a, t(NOW + 2))
        .unwrap();
    let n = tampered.len();
    tampered[n - 70] ^= 1;
    assert_eq!(refused(&v2, &tampered), ListProblem::BadSignature);
    // Another issuer's list, and the same bytes relabelled with our prefix.
    let other = Prefix::new("acme_test").unwrap();
    let theirs = RevocationListBuilder::new()
        .sign(&other, &w.a, t(NOW))
        .unwrap();
    assert_eq!(refused(&v2, &theirs), ListProblem::WrongIssuer);
    let relabelled = [&theirs[..24], &[9u8], b"acme_live", &theirs[24 + 1 + 9..]].concat();
    assert_eq!(refused(&v2, &relabelled), ListProblem::BadSignature);
    // Signed by a retired key.
    let mut ring = w.keyring.clone();
    ring.retire(w.b.key_id()).unwrap();
    let v_retired = v2.clone().with_keyring(ring);
    let by_b = RevocationListBuilder::from_previous(v2.revocation_list().unwrap())
        .sign(&prefix(), &w.b, t(NOW + 2))
        .unwrap();
    assert_eq!(
        refused(&v_retired, &by_b),
        ListProblem::SignerNotUsable(w.b.key_id())
    );
    // Refused updates left v2 as it was.
    assert_eq!(v2.revocation_list().unwrap().sequence(), 2);
    // A verify-only key may sign lists.
    assert_eq!(
        v2.update_revocations(&by_b, t(NOW + 2))
            .unwrap()
            .revocation_list()
            .unwrap()
            .sequence(),
        3
    );
}

#[test]
fn stale_lists_fail_closed_by_default_and_report_when_asked() {
    let w = world();
    let key = issue(&w.a, "app", NOW - HOUR, 1);
    let mut b = RevocationListBuilder::new();
    b.valid_for(Duration::from_secs(HOUR));
    let bytes = b.sign(&prefix(), &w.a, t(NOW)).unwrap();
    let closed = w.verifier.update_revocations(&bytes, t(NOW)).unwrap();
    assert_eq!(code(&closed.verify_at(&key, t(NOW + HOUR - 1))), "valid");
    assert_eq!(
        closed.verify_at(&key, t(NOW + HOUR)).unwrap_err(),
        Error::RevocationListStale {
            stale_since: t(NOW + HOUR),
            list_sequence: 1
        }
    );
    let open = closed
        .clone()
        .with_options(VerifierOptions::default().on_stale_list(StalePolicy::AcceptAndReport));
    let verified = open.verify_at(&key, t(NOW + HOUR)).unwrap();
    let status = verified.revocation_status().unwrap();
    assert_eq!((status.sequence, status.stale), (1, true));
    // The verifier's own maximum age makes a list stale earlier.
    let strict = closed
        .clone()
        .with_options(VerifierOptions::default().max_list_age(Duration::from_secs(600)));
    assert_eq!(code(&strict.verify_at(&key, t(NOW + 599))), "valid");
    assert_eq!(
        code(&strict.verify_at(&key, t(NOW + 600))),
        "revocation_list_stale"
    );
    // A stale list still revokes under AcceptAndReport.
    let mut b2 = RevocationListBuilder::from_previous(closed.revocation_list().unwrap());
    b2.revoke_token(TokenId::from_bytes([1; 16]), t(NOW + 40 * 86_400));
    let open2 = open
        .update_revocations(&b2.sign(&prefix(), &w.a, t(NOW)).unwrap(), t(NOW))
        .unwrap();
    assert_eq!(code(&open2.verify_at(&key, t(NOW + 2 * HOUR))), "revoked");
}

#[test]
fn a_verifier_can_require_a_list() {
    let w = world();
    let key = issue(&w.a, "app", NOW - HOUR, 1);
    let v = w
        .verifier
        .clone()
        .with_options(VerifierOptions::default().without_list(MissingListPolicy::Reject));
    assert_eq!(
        v.verify_at(&key, t(NOW)).unwrap_err(),
        Error::NoRevocationList
    );
    let list = RevocationListBuilder::new()
        .sign(&prefix(), &w.a, t(NOW))
        .unwrap();
    assert!(
        v.update_revocations(&list, t(NOW))
            .unwrap()
            .verify_at(&key, t(NOW))
            .is_ok()
    );
    assert!(
        w.verifier
            .verify_at(&key, t(NOW))
            .unwrap()
            .revocation_status()
            .is_none()
    );
}

#[test]
fn the_builder_bumps_the_sequence_keeps_entries_and_prunes_expired_keys() {
    let w = world();
    let mut b = RevocationListBuilder::new();
    b.revoke_token(TokenId::from_bytes([1; 16]), t(NOW + HOUR))
        .revoke_token(TokenId::from_bytes([2; 16]), t(NOW + 10 * 86_400))
        .revoke_signer(w.b.key_id(), None);
    b.revoke_app("app", t(NOW), None).unwrap();
    let l1 = RevocationList::verify(
        &b.sign(&prefix(), &w.a, t(NOW)).unwrap(),
        &prefix(),
        &w.keyring,
        t(NOW),
    )
    .unwrap();
    assert_eq!(
        (
            l1.sequence(),
            l1.tokens().len(),
            l1.apps().len(),
            l1.signers().len()
        ),
        (1, 2, 1, 1)
    );

    let mut b2 = RevocationListBuilder::from_previous(&l1);
    b2.revoke_token(TokenId::from_bytes([3; 16]), t(NOW + 10 * 86_400));
    // Two days later, token 1's key has been expired for more than the one-day margin.
    let later = NOW + 2 * 86_400;
    let l2 = RevocationList::verify(
        &b2.sign(&prefix(), &w.a, t(later)).unwrap(),
        &prefix(),
        &w.keyring,
        t(later),
    )
    .unwrap();
    assert_eq!(l2.sequence(), 2);
    let ids: Vec<TokenId> = l2.tokens().iter().map(|t| t.token_id).collect();
    assert_eq!(
        ids,
        [TokenId::from_bytes([2; 16]), TokenId::from_bytes([3; 16])]
    );
    assert_eq!(l2.apps(), l1.apps());
    assert_eq!(l2.signers(), l1.signers());
    // With a maximum key lifetime, app entries whose keys have all expired go too.
    let mut b3 = RevocationListBuilder::from_previous(&l2);
    b3.max_key_lifetime(Duration::from_secs(86_400));
    let l3 = RevocationList::verify(
        &b3.sign(&prefix(), &w.a, t(later)).unwrap(),
        &prefix(),
        &w.keyring,
        t(later),
    )
    .unwrap();
    assert!(l3.apps().is_empty());
    assert_eq!(l3.signers(), l1.signers());
}

// ---------------------------------------------------------------------------------------
// Bad input: lists assembled by hand (following FORMAT.md §3) and properly signed, so only
// the canonical-form rules can refuse them.

fn signed_list(signer: &SigningKey, prefix: &str, payload: &[u8]) -> Vec<u8> {
    common::signed_list(signer, prefix, 1, payload)
}

fn payload(tokens: &[([u8; 16], u64)], apps: &[(&str, u64)], signers: &[[u8; 8]]) -> Vec<u8> {
    ListPayload {
        sequence: 5,
        issued_at: NOW,
        stale_after: NOW + HOUR,
        tokens: tokens.to_vec(),
        apps: apps
            .iter()
            .map(|&(a, b)| (a.to_string(), b, None))
            .collect(),
        signers: signers.iter().map(|&s| (s, None)).collect(),
    }
    .encode()
}

fn problem(w: &World, bytes: &[u8]) -> ListProblem {
    match RevocationList::verify(bytes, &prefix(), &w.keyring, t(NOW)) {
        Err(Error::RevocationList(p)) => p,
        other => panic!("expected a list problem, got {other:?}"),
    }
}

#[test]
fn the_hand_assembled_list_matches_the_builder() {
    let w = world();
    let p = payload(
        &[([1; 16], NOW + HOUR), ([2; 16], NOW + HOUR)],
        &[("app", NOW)],
        &[w.b.key_id().to_bytes()],
    );
    let ours = signed_list(&w.a, "acme_live", &p);
    let mut b = RevocationListBuilder::new();
    b.revoke_token(TokenId::from_bytes([2; 16]), t(NOW + HOUR))
        .revoke_token(TokenId::from_bytes([1; 16]), t(NOW + HOUR))
        .revoke_signer(w.b.key_id(), None)
        .valid_for(Duration::from_secs(HOUR));
    b.revoke_app("app", t(NOW), None).unwrap();
    let mut theirs = b.sign(&prefix(), &w.a, t(NOW)).unwrap();
    // Only the sequence differs (5 in the hand-made one, 1 from a fresh builder).
    let seq_at = 24 + 1 + 9 + 1 + 8;
    assert_eq!(theirs[seq_at], 1);
    theirs[seq_at] = 5;
    let n = theirs.len();
    assert_eq!(theirs[..n - 64], ours[..ours.len() - 64]);
    assert!(RevocationList::verify(&ours, &prefix(), &w.keyring, t(NOW)).is_ok());
}

#[test]
fn non_canonical_lists_are_refused_even_when_signed() {
    let w = world();
    let sign = |p: &[u8]| signed_list(&w.a, "acme_live", p);
    // Reordered and duplicated token ids.
    let reordered = payload(&[([2; 16], NOW), ([1; 16], NOW)], &[], &[]);
    assert_eq!(problem(&w, &sign(&reordered)), ListProblem::NotCanonical);
    let duplicated = payload(&[([1; 16], NOW), ([1; 16], NOW + 1)], &[], &[]);
    assert_eq!(problem(&w, &sign(&duplicated)), ListProblem::NotCanonical);
    // Reordered and duplicated apps and signers.
    let apps = payload(&[], &[("b", NOW), ("a", NOW)], &[]);
    assert_eq!(problem(&w, &sign(&apps)), ListProblem::NotCanonical);
    let apps = payload(&[], &[("a", NOW), ("a", NOW)], &[]);
    assert_eq!(problem(&w, &sign(&apps)), ListProblem::NotCanonical);
    let signers = payload(&[], &[], &[[2; 8], [1; 8]]);
    assert_eq!(problem(&w, &sign(&signers)), ListProblem::NotCanonical);
    // An app id outside the grammar.
    let apps = payload(&[], &[("no spaces", NOW)], &[]);
    assert_eq!(problem(&w, &sign(&apps)), ListProblem::NotCanonical);
    // An over-long varint (the sequence 5 as 0x85 0x00).
    let mut p = payload(&[], &[], &[]);
    p.splice(0..1, [0x85, 0x00]);
    assert_eq!(problem(&w, &sign(&p)), ListProblem::NotCanonical);
    // Trailing bytes after the payload.
    let mut p = payload(&[], &[], &[]);
    p.push(0);
    assert_eq!(problem(&w, &sign(&p)), ListProblem::Malformed);
    // A count past the limit is refused before anything is allocated.
    let mut p = Vec::new();
    varint(1, &mut p);
    varint(NOW, &mut p);
    varint(NOW + HOUR, &mut p);
    varint(u64::MAX, &mut p);
    assert_eq!(problem(&w, &sign(&p)), ListProblem::TooManyEntries);
    // A count larger than the bytes could hold is a truncation, not an allocation.
    let mut p = Vec::new();
    varint(1, &mut p);
    varint(NOW, &mut p);
    varint(NOW + HOUR, &mut p);
    varint(4_000_000, &mut p);
    assert_eq!(problem(&w, &sign(&p)), ListProblem::Malformed);
    // Stale before it was issued.
    let mut p = Vec::new();
    varint(1, &mut p);
    varint(NOW, &mut p);
    varint(NOW, &mut p);
    p.extend_from_slice(&[0, 0, 0]);
    assert_eq!(problem(&w, &sign(&p)), ListProblem::BadTimes);
}

#[test]
fn truncated_oversized_and_garbage_lists_are_refused() {
    let w = world();
    let mut b = RevocationListBuilder::new();
    for i in 0..20u8 {
        b.revoke_token(TokenId::from_bytes([i; 16]), t(NOW + HOUR));
    }
    b.revoke_app("app", t(NOW), None).unwrap();
    let bytes = b.sign(&prefix(), &w.a, t(NOW)).unwrap();
    assert!(RevocationList::verify(&bytes, &prefix(), &w.keyring, t(NOW)).is_ok());
    for n in 0..bytes.len() {
        assert!(
            RevocationList::verify(&bytes[..n], &prefix(), &w.keyring, t(NOW)).is_err(),
            "{n}"
        );
    }
    for i in 0..bytes.len() {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x10;
        assert!(
            RevocationList::verify(&flipped, &prefix(), &w.keyring, t(NOW)).is_err(),
            "{i}"
        );
    }
    let huge = vec![0u8; keyseal::MAX_LIST_BYTES + 1];
    assert_eq!(problem(&w, &huge), ListProblem::TooLarge);
    assert_eq!(problem(&w, b"not a list"), ListProblem::Malformed);
    let mut v2 = bytes.clone();
    v2[24 + 1 + 9] = 2;
    assert_eq!(problem(&w, &v2), ListProblem::UnsupportedVersion(2));
}

// ---------------------------------------------------------------------------------------
// Concurrency.

#[test]
fn swaps_are_atomic_for_concurrent_verifications() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let w = world();
    let c = SigningKey::from_seed(&[3; 32]).unwrap();
    let stays_valid = issue(&w.a, "app", NOW - HOUR, 1);
    let gets_revoked = issue(&w.a, "app", NOW - HOUR, 2);
    let by_c = issue(&c, "app", NOW - HOUR, 3);
    let mut ring_with_c = w.keyring.clone();
    ring_with_c
        .add(c.public_key(), KeyState::VerifyOnly)
        .unwrap();

    let clock = keyseal::FixedClock(t(NOW));
    let live = LiveVerifier::new(w.verifier.clone().with_clock(clock));
    let first = RevocationListBuilder::new()
        .sign(&prefix(), &w.a, t(NOW))
        .unwrap();
    live.update_revocations(&first).unwrap();
    let done = AtomicBool::new(false);
    // Every wait is bounded: readers give up (and fail) after this, whatever the writer does.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);

    std::thread::scope(|s| {
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut last_seq = 0;
                    let mut seen_revoked = false;
                    let mut checks = 0u64;
                    loop {
                        assert!(
                            std::time::Instant::now() < deadline,
                            "readers still running after 20 s: the writer never finished"
                        );
                        // An iteration that starts after `done` sees the final state.
                        let finished = done.load(Ordering::Acquire);
                        let ok = live.verify(&stays_valid).unwrap();
                        let seq = ok.revocation_status().unwrap().sequence;
                        assert!(seq >= last_seq, "list went back from {last_seq} to {seq}");
                        last_seq = seq;
                        match live.verify(&gets_revoked) {
                            Ok(_) => assert!(!seen_revoked, "a revoked key verified again"),
                            Err(Error::Revoked { list_sequence, .. }) => {
                                assert!(list_sequence >= 52, "revoked in round 50's list");
                                seen_revoked = true;
                            }
                            Err(e) => panic!("unexpected {e}"),
                        }
                        match live.verify(&by_c) {
                            Ok(_) | Err(Error::UnknownKey(_)) => {}
                            Err(e) => panic!("unexpected {e}"),
                        }
                        // One snapshot answers consistently.
                        let snap = live.snapshot();
                        let has_c = snap.keyring().get(c.key_id()).is_some();
                        assert_eq!(snap.verify(&by_c).is_ok(), has_c);
                        let revoked = snap
                            .revocation_list()
                            .unwrap()
                            .tokens()
                            .iter()
                            .any(|r| r.token_id == TokenId::from_bytes([2; 16]));
                        assert_eq!(snap.verify(&gets_revoked).is_err(), revoked);
                        checks += 1;
                        if finished && checks >= 1000 {
                            break;
                        }
                    }
                    (checks, seen_revoked)
                })
            })
            .collect();

        // The writer's result is checked after `done` is set and the readers joined, so a
        // refused update fails the test at once instead of leaving readers to the deadline.
        let write = || -> Result<(), String> {
            let mut list = live.snapshot().revocation_list().unwrap().clone();
            for round in 0..200u32 {
                live.update_keyring(if round % 2 == 0 {
                    ring_with_c.clone()
                } else {
                    w.keyring.clone()
                });
                let mut b = RevocationListBuilder::from_previous(&list);
                if round == 50 {
                    b.revoke_token(TokenId::from_bytes([2; 16]), t(NOW + 40 * 86_400));
                }
                let bytes = b.sign(&prefix(), &w.a, t(NOW)).unwrap();
                // Every few rounds, a replay that must be refused without effect.
                if round % 7 == 0 {
                    let stale = RevocationListBuilder::new()
                        .sign(&prefix(), &w.a, t(NOW))
                        .unwrap();
                    if live.update_revocations(&stale).is_ok() {
                        return Err(format!("round {round}: a replayed list was accepted"));
                    }
                }
                live.update_revocations(&bytes)
                    .map_err(|e| format!("round {round}: {e}"))?;
                list = live.snapshot().revocation_list().unwrap().clone();
                std::thread::yield_now();
            }
            Ok(())
        };
        let written = write();
        done.store(true, Ordering::Release);
        let results: Vec<_> = readers.into_iter().map(|r| r.join()).collect();
        written.unwrap();
        for r in results {
            let (checks, seen_revoked) = r.unwrap();
            assert!(checks >= 1000);
            assert!(seen_revoked, "readers ran past the revocation");
        }
    });
    assert_eq!(live.snapshot().revocation_list().unwrap().sequence(), 201);
}
