//! A payload that is not the canonical encoding of claims is `malformed.payload` whatever
//! broke (`FORMAT.md` §1.8, §1.9 step 8), and the error says what broke and where: the
//! first problem met while reading the fields in order. Verification and `UntrustedKey`
//! (what `keyseal inspect` shows) give the same answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod fixture;
mod forge;

use forge::{payload_bytes, varint};
use keyseal::{Error, Malformed, PayloadField, PayloadProblem, UntrustedKey};

const TID: [u8; 16] = [7; 16];
/// Long enough that every payload below makes a key of at least 100 bytes.
const APP: &str = "app_with_a_long_enough_name";

fn times() -> (u64, u64, Option<u64>) {
    (fixture::NOW - 100, fixture::NOW + 86_400, None)
}

/// The bytes of the app id and the scopes of a normal payload.
fn head() -> Vec<u8> {
    let mut out = varint(APP.len() as u64);
    out.extend_from_slice(APP.as_bytes());
    out.extend(varint(1));
    out.extend(varint(3));
    out.extend_from_slice(b"a:b");
    out
}

/// `head()` followed by issued-at and expiry as given, then the usual tail.
fn with_times(iat: &[u8], exp: &[u8]) -> Vec<u8> {
    let mut out = head();
    out.extend_from_slice(iat);
    out.extend_from_slice(exp);
    out.push(0);
    out.extend_from_slice(&TID);
    out.push(0);
    out
}

fn over_long(n: u64) -> Vec<u8> {
    let mut v = varint(n);
    *v.last_mut().unwrap() |= 0x80;
    v.push(0);
    v
}

/// Each payload with the problem it must be refused for.
fn cases() -> Vec<(&'static str, Vec<u8>, PayloadProblem)> {
    let good = payload_bytes(APP, &["a:b"], times(), TID, &[("tier", b"gold")]);
    let (iat, exp, _) = times();
    let mut cases = Vec::new();

    let mut p = varint(200);
    p.extend_from_slice(&[b'a'; 40]);
    cases.push((
        "app id length past the end",
        p,
        PayloadProblem::Truncated(PayloadField::AppId),
    ));
    // where the token id starts: before it, `good` is the same with or without extensions
    let tid_at = payload_bytes(APP, &["a:b"], times(), TID, &[]).len() - 1 - 16;
    cases.push((
        "cut inside the token id",
        good[..tid_at + 5].to_vec(),
        PayloadProblem::Truncated(PayloadField::TokenId),
    ));
    cases.push((
        "cut after the token id",
        good[..tid_at + 16].to_vec(),
        PayloadProblem::Truncated(PayloadField::Extensions),
    ));
    let mut p = head();
    p.extend(varint(iat));
    cases.push((
        "cut before the expiry",
        p,
        PayloadProblem::Truncated(PayloadField::ExpiresAt),
    ));
    cases.push((
        "an issued-at of 11 varint bytes",
        with_times(&[0xff; 11], &varint(exp)),
        PayloadProblem::VarintOverflow(PayloadField::IssuedAt),
    ));
    cases.push((
        "an expiry above u64::MAX",
        with_times(
            &varint(iat),
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        ),
        PayloadProblem::VarintOverflow(PayloadField::ExpiresAt),
    ));
    cases.push((
        "an over-long expiry",
        with_times(&varint(iat), &over_long(exp)),
        PayloadProblem::VarintNotMinimal(PayloadField::ExpiresAt),
    ));
    let mut p = varint(APP.len() as u64);
    p.extend_from_slice(APP.as_bytes());
    p.extend(over_long(1));
    p.extend(varint(3));
    p.extend_from_slice(b"a:b");
    p.extend(varint(iat));
    p.extend(varint(exp));
    p.push(0);
    p.extend_from_slice(&TID);
    p.push(0);
    cases.push((
        "an over-long scope count",
        p,
        PayloadProblem::VarintNotMinimal(PayloadField::Scopes),
    ));
    let mut p = over_long(APP.len() as u64);
    p.extend_from_slice(&good[1..]);
    cases.push((
        "an over-long app id length",
        p,
        PayloadProblem::VarintNotMinimal(PayloadField::AppId),
    ));
    let mut p = good.clone();
    // token id, extension count 1, name length 4, "tier": break the name's first byte
    p[tid_at + 16 + 2] = 0xff;
    cases.push((
        "an extension name that is not UTF-8",
        p,
        PayloadProblem::NotUtf8(PayloadField::Extensions),
    ));
    let mut p = varint(APP.len() as u64);
    p.extend_from_slice(APP.as_bytes());
    p[3] = 0xc3;
    p.extend_from_slice(&good[1 + APP.len()..]);
    cases.push((
        "an app id that is not UTF-8",
        p,
        PayloadProblem::NotUtf8(PayloadField::AppId),
    ));
    let mut p = with_times(&varint(iat), &varint(exp));
    let tag = p.len() - 1 - 16 - 1;
    p[tag] = 2;
    cases.push(("a not-before tag of 2", p, PayloadProblem::BadOptionTag));
    let mut p = varint(APP.len() as u64);
    p.extend_from_slice(APP.as_bytes());
    p.extend(varint(33));
    cases.push((
        "33 scopes, refused at the count",
        p,
        PayloadProblem::TooManyScopes,
    ));
    let mut p = payload_bytes(APP, &["a:b"], times(), TID, &[]);
    p.pop();
    p.extend(varint(17));
    cases.push((
        "17 extensions, refused at the count",
        p,
        PayloadProblem::TooManyExtensions,
    ));
    let mut p = good.clone();
    p.push(0);
    cases.push((
        "a byte after the extensions",
        p,
        PayloadProblem::TrailingBytes,
    ));
    cases
}

#[test]
fn every_payload_problem_is_named_by_verify_and_by_untrusted_claims() {
    let sk = fixture::signing_key(&fixture::ACTIVE_SEED);
    let verifier = fixture::verifier();
    for (what, payload, problem) in cases() {
        let text = forge::signed(fixture::PREFIX, &sk, &payload);
        let expected = Error::Malformed(Malformed::Payload(problem));
        let verified = verifier.verify_at(&text, fixture::now()).unwrap_err();
        assert_eq!(verified, expected, "verify: {what}");
        assert_eq!(verified.code(), "malformed.payload", "{what}");
        let untrusted = UntrustedKey::parse(&text)
            .expect("the text parses")
            .untrusted_claims()
            .unwrap_err();
        assert_eq!(untrusted, expected, "untrusted_claims: {what}");
    }
}

#[test]
fn the_messages_say_what_broke_and_where() {
    let message = |p| Error::Malformed(Malformed::Payload(p)).to_string();
    for (problem, words) in [
        (
            PayloadProblem::Truncated(PayloadField::TokenId),
            "ends inside the token id",
        ),
        (
            PayloadProblem::VarintOverflow(PayloadField::IssuedAt),
            "the issued-at time is too large",
        ),
        (
            PayloadProblem::VarintNotMinimal(PayloadField::ExpiresAt),
            "the expiry is not minimally encoded",
        ),
        (
            PayloadProblem::NotUtf8(PayloadField::AppId),
            "the app id is not UTF-8",
        ),
        (
            PayloadProblem::NotUtf8(PayloadField::Extensions),
            "the extensions is not UTF-8",
        ),
        (
            PayloadProblem::Truncated(PayloadField::Scopes),
            "ends inside the scopes",
        ),
        (
            PayloadProblem::Truncated(PayloadField::NotBefore),
            "ends inside the not-before time",
        ),
        (PayloadProblem::BadOptionTag, "not-before tag is neither 0"),
        (PayloadProblem::TooManyScopes, "more than 32 scopes"),
        (PayloadProblem::TooManyExtensions, "more than 16 extensions"),
        (PayloadProblem::TrailingBytes, "bytes follow the last field"),
    ] {
        let text = message(problem);
        assert!(text.contains(words), "{problem:?}: {text}");
        assert!(text.contains("payload"), "{problem:?}: {text}");
    }
}
