//! Signed revocation lists: how a signing service withdraws keys from offline verifiers.
//!
//! The signing service builds each list from the previous one plus new entries
//! ([`RevocationListBuilder`]), signs it with a key from the keyring and publishes the bytes;
//! edges download them and hand them to [`Verifier::update_revocations`](crate::Verifier::update_revocations)
//! (or [`LiveVerifier`](crate::LiveVerifier) for hot swaps), which refuses forged lists,
//! other issuers' lists and rollbacks. `FORMAT.md` §3 specifies the bytes.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::claims::{Claims, TokenId, check_app_id};
use crate::error::Error;
use crate::keys::KEY_ID_LEN;
use crate::{KeyId, Keyring, Prefix, SigningKey, Timestamp};

/// Largest revocation list accepted, in bytes (checked before anything is decoded).
pub const MAX_LIST_BYTES: usize = 128 * 1024 * 1024;
/// Most revoked token ids in one list.
pub const MAX_REVOKED_TOKENS: usize = 5_000_000;
/// Most "app issued before" entries in one list.
pub const MAX_REVOKED_APPS: usize = 100_000;
/// Most revoked signing keys in one list.
pub const MAX_REVOKED_SIGNERS: usize = 4_096;
/// The revocation list format version this library writes and reads.
pub const LIST_VERSION: u8 = 1;

/// Starts every list: its magic number, and the domain separation of its signature.
const LIST_CONTEXT: &[u8] = b"keyseal/revocation-list\0";
const SIGNATURE_LEN: usize = 64;
/// The fewest bytes a token entry takes on the wire: 16-byte id and a 1-byte varint.
const MIN_TOKEN_ENTRY: usize = 17;

/// One revoked key, by token id. Its expiry lets the issuer drop the entry once the key has
/// expired anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedToken {
    /// The revoked key's token id.
    pub token_id: TokenId,
    /// When the revoked key expires.
    pub expires_at: Timestamp,
}

/// Every key of one app issued before a time: the way to withdraw all of an app's keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedApp {
    /// The app whose keys are revoked.
    pub app_id: String,
    /// Keys issued strictly before this time are revoked; later ones are not.
    pub issued_before: Timestamp,
    /// The revocation applies from this time on (a grace period); immediately if `None`.
    pub effective: Option<Timestamp>,
}

/// Every key signed by one signing key (for example a compromised one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevokedSigner {
    /// The signing key whose keys are revoked.
    pub key_id: KeyId,
    /// The revocation applies from this time on (a grace period); immediately if `None`.
    pub effective: Option<Timestamp>,
}

/// Which entry of a revocation list revoked a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationReason {
    /// The key's token id is listed.
    Token,
    /// Every key of its app issued before this time is revoked.
    App {
        /// The entry's cut-off.
        issued_before: Timestamp,
    },
    /// Every key signed by its signing key is revoked.
    Signer,
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationReason::Token => f.write_str("its token id is revoked"),
            RevocationReason::App { issued_before } => {
                write!(
                    f,
                    "its app's keys issued before {issued_before} are revoked"
                )
            }
            RevocationReason::Signer => f.write_str("its signing key is revoked"),
        }
    }
}

/// What is wrong with a revocation list or its update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListProblem {
    /// Larger than [`MAX_LIST_BYTES`].
    TooLarge,
    /// Not a keyseal revocation list, truncated, or with bytes after its end.
    Malformed,
    /// Well-formed but not in canonical form: over-long varints, entries out of order or
    /// duplicated, or breaking an entry rule.
    NotCanonical,
    /// More entries of one kind than the limits allow.
    TooManyEntries,
    /// A format version this library does not implement.
    UnsupportedVersion(u8),
    /// Issued for another prefix.
    WrongIssuer,
    /// Signed by a key that is not in the keyring.
    UnknownSigner(KeyId),
    /// Signed by a retired key or one outside its validity window.
    SignerNotUsable(KeyId),
    /// The signature does not verify.
    BadSignature,
    /// Its sequence number is not newer than the list in force (a replay or rollback).
    Rollback {
        /// The sequence number in force.
        current: u64,
        /// The sequence number offered.
        offered: u64,
    },
    /// Its times are out of range, or it goes stale before it is issued.
    BadTimes,
}

impl ListProblem {
    /// `revocation_list.<problem>`; see [`Error::code`].
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            ListProblem::TooLarge => "revocation_list.too_large",
            ListProblem::Malformed => "revocation_list.malformed",
            ListProblem::NotCanonical => "revocation_list.not_canonical",
            ListProblem::TooManyEntries => "revocation_list.too_many_entries",
            ListProblem::UnsupportedVersion(_) => "revocation_list.unsupported_version",
            ListProblem::WrongIssuer => "revocation_list.wrong_issuer",
            ListProblem::UnknownSigner(_) => "revocation_list.unknown_signer",
            ListProblem::SignerNotUsable(_) => "revocation_list.signer_not_usable",
            ListProblem::BadSignature => "revocation_list.bad_signature",
            ListProblem::Rollback { .. } => "revocation_list.rollback",
            ListProblem::BadTimes => "revocation_list.bad_times",
        }
    }
}

impl fmt::Display for ListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListProblem::TooLarge => write!(f, "larger than {MAX_LIST_BYTES} bytes"),
            ListProblem::Malformed => {
                f.write_str("not a keyseal revocation list, truncated, or with trailing bytes")
            }
            ListProblem::NotCanonical => f.write_str(
                "not canonical: over-long varints, or entries out of order, duplicated or invalid",
            ),
            ListProblem::TooManyEntries => f.write_str("more entries than the limits allow"),
            ListProblem::UnsupportedVersion(v) => write!(f, "unsupported list version {v}"),
            ListProblem::WrongIssuer => f.write_str("issued for another prefix"),
            ListProblem::UnknownSigner(id) => write!(f, "signed by unknown key {id}"),
            ListProblem::SignerNotUsable(id) => {
                write!(
                    f,
                    "signed by key {id}, which is retired or outside its validity window"
                )
            }
            ListProblem::BadSignature => f.write_str("signature does not verify"),
            ListProblem::Rollback { current, offered } => write!(
                f,
                "sequence {offered} is not newer than the list in force ({current}): refusing a replay or rollback"
            ),
            ListProblem::BadTimes => f.write_str("times out of range or stale before issued"),
        }
    }
}

/// A verified revocation list, indexed for lookups that do not grow with its size.
///
/// Obtained only through [`RevocationList::verify`] (or a verifier update), so holding one
/// means its signature and form have been checked.
#[derive(Clone, PartialEq, Eq)]
pub struct RevocationList {
    prefix: Prefix,
    signer: KeyId,
    content: Content,
    index: TokenIndex,
}

impl RevocationList {
    /// Checks and decodes list bytes: size, magic, issuer prefix, version, signer in
    /// `keyring` (usable at `now`), strict signature, then canonical content.
    ///
    /// # Errors
    /// [`Error::RevocationList`] naming the problem.
    pub fn verify(
        bytes: &[u8],
        prefix: &Prefix,
        keyring: &Keyring,
        now: Timestamp,
    ) -> Result<RevocationList, Error> {
        if bytes.len() > MAX_LIST_BYTES {
            return Err(ListProblem::TooLarge.into());
        }
        let rest = bytes
            .strip_prefix(LIST_CONTEXT)
            .ok_or(ListProblem::Malformed)?;
        let (&plen, rest) = rest.split_first().ok_or(ListProblem::Malformed)?;
        let (list_prefix, rest) = rest
            .split_at_checked(usize::from(plen))
            .ok_or(ListProblem::Malformed)?;
        if list_prefix != prefix.as_str().as_bytes() {
            return Err(ListProblem::WrongIssuer.into());
        }
        let (&version, rest) = rest.split_first().ok_or(ListProblem::Malformed)?;
        if version != LIST_VERSION {
            return Err(ListProblem::UnsupportedVersion(version).into());
        }
        let (signer, rest) = rest
            .split_first_chunk::<KEY_ID_LEN>()
            .ok_or(ListProblem::Malformed)?;
        let signer = KeyId::from_bytes(*signer);
        let (payload, signature) = rest
            .split_last_chunk::<SIGNATURE_LEN>()
            .ok_or(ListProblem::Malformed)?;
        let public_key = keyring
            .key_for_verification(signer, now)
            .map_err(|e| match e {
                Error::UnknownKey(id) => ListProblem::UnknownSigner(id),
                _ => ListProblem::SignerNotUsable(signer),
            })?;
        let message = bytes
            .get(..bytes.len().saturating_sub(SIGNATURE_LEN))
            .ok_or(ListProblem::Malformed)?;
        public_key
            .verify_strict(message, signature)
            .map_err(|_| ListProblem::BadSignature)?;
        let content = decode_payload(payload)?;
        Ok(RevocationList {
            prefix: prefix.clone(),
            signer,
            index: TokenIndex::build(&content.tokens),
            content,
        })
    }

    /// The issuer prefix.
    #[must_use]
    pub fn prefix(&self) -> &Prefix {
        &self.prefix
    }

    /// The id of the key that signed it.
    #[must_use]
    pub fn signer(&self) -> KeyId {
        self.signer
    }

    /// The sequence number; each list has a higher one than the last.
    #[must_use]
    pub fn sequence(&self) -> u64 {
        self.content.sequence
    }

    /// When it was issued.
    #[must_use]
    pub fn issued_at(&self) -> Timestamp {
        self.content.issued_at
    }

    /// When it goes stale: from this time on, verifiers need a newer list.
    #[must_use]
    pub fn stale_after(&self) -> Timestamp {
        self.content.stale_after
    }

    /// Revoked token ids, sorted.
    #[must_use]
    pub fn tokens(&self) -> &[RevokedToken] {
        &self.content.tokens
    }

    /// "App issued before" entries, sorted.
    #[must_use]
    pub fn apps(&self) -> &[RevokedApp] {
        &self.content.apps
    }

    /// Revoked signing keys, sorted.
    #[must_use]
    pub fn signers(&self) -> &[RevokedSigner] {
        &self.content.signers
    }

    /// Whether this list revokes a key with `claims` signed by `signer`, at `now`.
    #[must_use]
    pub fn check(
        &self,
        claims: &Claims,
        signer: KeyId,
        now: Timestamp,
    ) -> Option<RevocationReason> {
        let in_effect = |e: Option<Timestamp>| e.is_none_or(|e| now >= e);
        if self.index.contains(&self.content.tokens, claims.token_id) {
            return Some(RevocationReason::Token);
        }
        let start = self.content.signers.partition_point(|s| s.key_id < signer);
        let signers = self.content.signers.get(start..).unwrap_or_default();
        if signers
            .iter()
            .take_while(|s| s.key_id == signer)
            .any(|s| in_effect(s.effective))
        {
            return Some(RevocationReason::Signer);
        }
        let app = claims.app_id.as_str();
        let start = self
            .content
            .apps
            .partition_point(|a| a.app_id.as_str() < app);
        self.content
            .apps
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|a| a.app_id == app)
            .find(|a| claims.issued_at < a.issued_before && in_effect(a.effective))
            .map(|a| RevocationReason::App {
                issued_before: a.issued_before,
            })
    }

    /// Bytes of memory held by the entries and the index (excluding the struct itself).
    #[must_use]
    pub fn heap_size(&self) -> usize {
        let apps: usize = self.content.apps.iter().map(|a| a.app_id.capacity()).sum();
        self.content.tokens.capacity() * core::mem::size_of::<RevokedToken>()
            + self.content.apps.capacity() * core::mem::size_of::<RevokedApp>()
            + apps
            + self.content.signers.capacity() * core::mem::size_of::<RevokedSigner>()
            + self.index.heap_size()
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("prefix", &self.prefix)
            .field("signer", &self.signer)
            .field("sequence", &self.content.sequence)
            .field("issued_at", &self.content.issued_at)
            .field("stale_after", &self.content.stale_after)
            .field("tokens", &self.content.tokens.len())
            .field("apps", &self.content.apps.len())
            .field("signers", &self.content.signers.len())
            .finish()
    }
}

/// A directory over the sorted token ids: bucket `b` holds the ids whose top bits equal `b`,
/// so a lookup reads one directory slot and binary-searches a handful of neighbouring
/// entries. Token ids are random, so buckets stay small; a skewed list only costs time.
#[derive(Clone, Default, PartialEq, Eq)]
struct TokenIndex {
    /// `starts[b]..starts[b + 1]` is bucket `b`; empty when the list has no tokens.
    starts: Vec<u32>,
    bits: u32,
}

impl TokenIndex {
    fn build(tokens: &[RevokedToken]) -> TokenIndex {
        let n = tokens.len();
        if n == 0 {
            return TokenIndex::default();
        }
        // About eight entries a bucket, at most 2^20 buckets.
        let bits = (usize::BITS - 1 - n.leading_zeros())
            .saturating_sub(3)
            .min(20);
        let buckets = 1usize << bits;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets {
            while tokens
                .get(i)
                .is_some_and(|t| (Self::bucket(t.token_id, bits)) < b)
            {
                i += 1;
            }
            starts.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        starts.push(u32::try_from(n).unwrap_or(u32::MAX));
        TokenIndex { starts, bits }
    }

    fn bucket(id: TokenId, bits: u32) -> usize {
        let top = id.to_bytes();
        let top = u32::from_be_bytes([top[0], top[1], top[2], top[3]]);
        usize::try_from(top.checked_shr(32 - bits).unwrap_or(0)).unwrap_or(0)
    }

    fn contains(&self, tokens: &[RevokedToken], id: TokenId) -> bool {
        let b = Self::bucket(id, self.bits);
        let range = match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&lo), Some(&hi)) => lo as usize..hi as usize,
            _ => return false,
        };
        tokens
            .get(range)
            .is_some_and(|bucket| bucket.binary_search_by(|t| t.token_id.cmp(&id)).is_ok())
    }

    fn heap_size(&self) -> usize {
        self.starts.capacity() * core::mem::size_of::<u32>()
    }
}

// ---------------------------------------------------------------------------------------
// Decoding: a streaming reader of the postcard encoding that refuses over-long varints,
// so canonical form is checked as it reads and nothing is allocated beyond the entries.

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ListProblem> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(ListProblem::Malformed)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ListProblem> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(ListProblem::Malformed)?;
        self.0 = rest;
        Ok(*head)
    }

    /// A minimal unsigned LEB128 of at most 10 bytes.
    fn varint(&mut self) -> Result<u64, ListProblem> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let (&byte, rest) = self.0.split_first().ok_or(ListProblem::Malformed)?;
            self.0 = rest;
            let low = u64::from(byte & 0x7f);
            if i == 9 && low > 1 {
                return Err(ListProblem::Malformed); // beyond 64 bits
            }
            value |= low << (7 * i);
            if byte & 0x80 == 0 {
                if byte == 0 && i > 0 {
                    return Err(ListProblem::NotCanonical); // over-long
                }
                return Ok(value);
            }
        }
        Err(ListProblem::Malformed)
    }

    fn time(&mut self) -> Result<Timestamp, ListProblem> {
        Timestamp::from_unix(self.varint()?).ok_or(ListProblem::BadTimes)
    }

    fn option_time(&mut self) -> Result<Option<Timestamp>, ListProblem> {
        match self.array::<1>()? {
            [0] => Ok(None),
            [1] => self.time().map(Some),
            _ => Err(ListProblem::Malformed),
        }
    }

    fn count(&mut self, max: usize) -> Result<usize, ListProblem> {
        usize::try_from(self.varint()?)
            .ok()
            .filter(|&n| n <= max)
            .ok_or(ListProblem::TooManyEntries)
    }
}

/// The decoded payload.
#[derive(Clone, PartialEq, Eq)]
struct Content {
    sequence: u64,
    issued_at: Timestamp,
    stale_after: Timestamp,
    tokens: Vec<RevokedToken>,
    apps: Vec<RevokedApp>,
    signers: Vec<RevokedSigner>,
}

fn decode_payload(payload: &[u8]) -> Result<Content, ListProblem> {
    let mut r = Reader(payload);
    let sequence = r.varint()?;
    let issued_at = r.time()?;
    let stale_after = r.time()?;
    if stale_after <= issued_at {
        return Err(ListProblem::BadTimes);
    }

    let n = r.count(MAX_REVOKED_TOKENS)?;
    // Never trust a count for an allocation larger than the input could fill.
    let mut tokens = Vec::with_capacity(n.min(r.0.len() / MIN_TOKEN_ENTRY));
    for _ in 0..n {
        let token = RevokedToken {
            token_id: TokenId::from_bytes(r.array::<16>()?),
            expires_at: r.time()?,
        };
        if tokens
            .last()
            .is_some_and(|last: &RevokedToken| last.token_id >= token.token_id)
        {
            return Err(ListProblem::NotCanonical);
        }
        tokens.push(token);
    }

    let n = r.count(MAX_REVOKED_APPS)?;
    let mut apps: Vec<RevokedApp> = Vec::with_capacity(n.min(r.0.len() / 4));
    for _ in 0..n {
        let len = usize::try_from(r.varint()?).map_err(|_| ListProblem::Malformed)?;
        let app_id = core::str::from_utf8(r.bytes(len)?).map_err(|_| ListProblem::NotCanonical)?;
        check_app_id(app_id).map_err(|_| ListProblem::NotCanonical)?;
        let app = RevokedApp {
            app_id: app_id.to_string(),
            issued_before: r.time()?,
            effective: r.option_time()?,
        };
        if apps.last().is_some_and(|last| *last >= app) {
            return Err(ListProblem::NotCanonical);
        }
        apps.push(app);
    }

    let n = r.count(MAX_REVOKED_SIGNERS)?;
    let mut signers: Vec<RevokedSigner> = Vec::with_capacity(n.min(r.0.len() / 9));
    for _ in 0..n {
        let signer = RevokedSigner {
            key_id: KeyId::from_bytes(r.array::<KEY_ID_LEN>()?),
            effective: r.option_time()?,
        };
        if signers.last().is_some_and(|last| *last >= signer) {
            return Err(ListProblem::NotCanonical);
        }
        signers.push(signer);
    }
    if !r.0.is_empty() {
        return Err(ListProblem::Malformed);
    }
    Ok(Content {
        sequence,
        issued_at,
        stale_after,
        tokens,
        apps,
        signers,
    })
}

// ---------------------------------------------------------------------------------------
// Building and signing.

/// Builds the next revocation list: the previous list's entries plus new ones, with the
/// sequence number bumped, and entries for keys that have expired anyway dropped.
///
/// ```
/// # fn main() -> Result<(), keyseal::Error> {
/// use core::time::Duration;
/// use keyseal::{KeyState, Keyring, Prefix, RevocationList, RevocationListBuilder, SigningKey, Timestamp, TokenId};
///
/// let signer = SigningKey::generate()?;
/// let mut keyring = Keyring::new();
/// keyring.add(signer.public_key(), KeyState::Active)?;
/// let prefix = Prefix::new("acme_live")?;
/// let now = Timestamp::now();
///
/// let mut builder = RevocationListBuilder::new();
/// builder.revoke_token(TokenId::from_bytes([7; 16]), now.saturating_add(Duration::from_secs(3600)));
/// let bytes = builder.sign(&prefix, &signer, now)?;
///
/// let list = RevocationList::verify(&bytes, &prefix, &keyring, now)?;
/// assert_eq!(list.sequence(), 1);
/// let next = RevocationListBuilder::from_previous(&list).sign(&prefix, &signer, now)?;
/// assert_eq!(RevocationList::verify(&next, &prefix, &keyring, now)?.sequence(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RevocationListBuilder {
    sequence: u64,
    tokens: BTreeMap<TokenId, Timestamp>,
    apps: Vec<RevokedApp>,
    signers: Vec<RevokedSigner>,
    valid_for: Duration,
    prune_margin: Duration,
    max_key_lifetime: Option<Duration>,
}

impl Default for RevocationListBuilder {
    fn default() -> Self {
        RevocationListBuilder::new()
    }
}

impl RevocationListBuilder {
    /// The first list of an issuer (sequence 1), valid for a day, with no entries.
    #[must_use]
    pub fn new() -> RevocationListBuilder {
        RevocationListBuilder {
            sequence: 1,
            tokens: BTreeMap::new(),
            apps: Vec::new(),
            signers: Vec::new(),
            valid_for: Duration::from_secs(86_400),
            prune_margin: Duration::from_secs(86_400),
            max_key_lifetime: None,
        }
    }

    /// The list after `previous`: every entry of it, and the next sequence number.
    #[must_use]
    pub fn from_previous(previous: &RevocationList) -> RevocationListBuilder {
        let mut b = RevocationListBuilder::new();
        b.sequence = previous.content.sequence.saturating_add(1);
        b.tokens = previous
            .content
            .tokens
            .iter()
            .map(|t| (t.token_id, t.expires_at))
            .collect();
        b.apps.clone_from(&previous.content.apps);
        b.signers.clone_from(&previous.content.signers);
        b.valid_for = previous
            .content
            .stale_after
            .duration_since(previous.content.issued_at);
        b
    }

    /// Revokes one key by token id; `expires_at` is the key's expiry.
    pub fn revoke_token(&mut self, token_id: TokenId, expires_at: Timestamp) -> &mut Self {
        let e = self.tokens.entry(token_id).or_insert(expires_at);
        *e = (*e).max(expires_at);
        self
    }

    /// Revokes the key that carries `claims`.
    pub fn revoke_claims(&mut self, claims: &Claims) -> &mut Self {
        self.revoke_token(claims.token_id, claims.expires_at)
    }

    /// Revokes every key of `app_id` issued before `issued_before`, from `effective` on.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] if `app_id` breaks the app id grammar.
    pub fn revoke_app(
        &mut self,
        app_id: &str,
        issued_before: Timestamp,
        effective: Option<Timestamp>,
    ) -> Result<&mut Self, Error> {
        check_app_id(app_id)?;
        self.apps.push(RevokedApp {
            app_id: app_id.to_string(),
            issued_before,
            effective,
        });
        Ok(self)
    }

    /// Revokes every key signed by `key_id`, from `effective` on.
    pub fn revoke_signer(&mut self, key_id: KeyId, effective: Option<Timestamp>) -> &mut Self {
        self.signers.push(RevokedSigner { key_id, effective });
        self
    }

    /// How long after signing the list goes stale (default: one day, or the previous list's
    /// validity).
    pub fn valid_for(&mut self, d: Duration) -> &mut Self {
        self.valid_for = d;
        self
    }

    /// Token entries are dropped once the key expired more than this long ago (default: one
    /// day, well beyond any sane verifier leeway).
    pub fn prune_margin(&mut self, d: Duration) -> &mut Self {
        self.prune_margin = d;
        self
    }

    /// The longest lifetime this issuer gives keys. When set, "app issued before T" entries
    /// are dropped once every key they cover has expired (`T + lifetime + margin`).
    pub fn max_key_lifetime(&mut self, d: Duration) -> &mut Self {
        self.max_key_lifetime = Some(d);
        self
    }

    /// The sequence number the signed list will carry.
    #[must_use]
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Prunes, canonicalizes and signs the list as of `now`; returns its bytes.
    ///
    /// # Errors
    /// [`ListProblem::TooManyEntries`] or [`ListProblem::TooLarge`] past the limits,
    /// [`ListProblem::BadTimes`] if the validity is zero or runs past the last timestamp.
    pub fn sign(
        &self,
        prefix: &Prefix,
        key: &SigningKey,
        now: Timestamp,
    ) -> Result<Vec<u8>, Error> {
        let stale_after = now
            .checked_add(self.valid_for)
            .filter(|&s| s > now)
            .ok_or(ListProblem::BadTimes)?;
        let keep_token = |exp: Timestamp| exp.saturating_add(self.prune_margin) > now;
        let tokens: Vec<RevokedToken> = self
            .tokens
            .iter()
            .filter(|&(_, &exp)| keep_token(exp))
            .map(|(&token_id, &expires_at)| RevokedToken {
                token_id,
                expires_at,
            })
            .collect();
        let mut apps = self.apps.clone();
        if let Some(lifetime) = self.max_key_lifetime {
            apps.retain(|a| {
                a.issued_before
                    .saturating_add(lifetime)
                    .saturating_add(self.prune_margin)
                    > now
            });
        }
        apps.sort();
        apps.dedup();
        let mut signers = self.signers.clone();
        signers.sort();
        signers.dedup();
        if tokens.len() > MAX_REVOKED_TOKENS
            || apps.len() > MAX_REVOKED_APPS
            || signers.len() > MAX_REVOKED_SIGNERS
        {
            return Err(ListProblem::TooManyEntries.into());
        }
        let content = Content {
            sequence: self.sequence,
            issued_at: now,
            stale_after,
            tokens,
            apps,
            signers,
        };
        let plen = u8::try_from(prefix.as_str().len()).map_err(|_| Error::InvalidPrefix)?;
        let mut out = Vec::with_capacity(
            LIST_CONTEXT.len()
                + 1
                + prefix.as_str().len()
                + 1
                + KEY_ID_LEN
                + content.tokens.len() * 21
                + 64,
        );
        out.extend_from_slice(LIST_CONTEXT);
        out.push(plen);
        out.extend_from_slice(prefix.as_str().as_bytes());
        out.push(LIST_VERSION);
        out.extend_from_slice(&key.key_id().to_bytes());
        content.encode(&mut out);
        let signature = key.sign_raw(&out);
        out.extend_from_slice(&signature);
        if out.len() > MAX_LIST_BYTES {
            return Err(ListProblem::TooLarge.into());
        }
        Ok(out)
    }
}

impl Content {
    /// Appends the payload: the postcard encoding that [`decode_payload`] reads, written by
    /// hand field by field (minimal varints, entries in the order given).
    fn encode(&self, out: &mut Vec<u8>) {
        fn varint(mut v: u64, out: &mut Vec<u8>) {
            loop {
                let low = v.to_le_bytes()[0] & 0x7f;
                v >>= 7;
                if v == 0 {
                    out.push(low);
                    return;
                }
                out.push(low | 0x80);
            }
        }
        fn option_time(t: Option<Timestamp>, out: &mut Vec<u8>) {
            match t {
                None => out.push(0),
                Some(t) => {
                    out.push(1);
                    varint(t.as_unix(), out);
                }
            }
        }
        let count = |n: usize| n as u64;
        varint(self.sequence, out);
        varint(self.issued_at.as_unix(), out);
        varint(self.stale_after.as_unix(), out);
        varint(count(self.tokens.len()), out);
        for t in &self.tokens {
            out.extend_from_slice(&t.token_id.to_bytes());
            varint(t.expires_at.as_unix(), out);
        }
        varint(count(self.apps.len()), out);
        for a in &self.apps {
            varint(count(a.app_id.len()), out);
            out.extend_from_slice(a.app_id.as_bytes());
            varint(a.issued_before.as_unix(), out);
            option_time(a.effective, out);
        }
        varint(count(self.signers.len()), out);
        for s in &self.signers {
            out.extend_from_slice(&s.key_id.to_bytes());
            option_time(s.effective, out);
        }
    }
}

/// Decodes a list payload and encodes what it decoded again, for the fuzz targets
/// (`keyseal::__fuzz`): `Some` exactly when the payload is accepted.
#[cfg(feature = "fuzzing")]
pub(crate) fn payload_roundtrip(payload: &[u8]) -> Option<Vec<u8>> {
    let content = decode_payload(payload).ok()?;
    let mut out = Vec::new();
    content.encode(&mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_must_be_minimal() {
        assert_eq!(Reader(&[0xac, 0x02]).varint(), Ok(300));
        assert_eq!(
            Reader(&[0xac, 0x82, 0x00]).varint(),
            Err(ListProblem::NotCanonical)
        );
        assert_eq!(
            Reader(&[0x80, 0x00]).varint(),
            Err(ListProblem::NotCanonical)
        );
        assert_eq!(Reader(&[0x00]).varint(), Ok(0));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader(&max).varint(), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader(&over).varint(), Err(ListProblem::Malformed));
        assert_eq!(Reader(&[0x80]).varint(), Err(ListProblem::Malformed));
    }

    #[test]
    fn the_index_finds_exactly_the_listed_ids() {
        for n in [0usize, 1, 7, 64, 1000, 20_000] {
            let mut ids: Vec<RevokedToken> = (0..n)
                .map(|i| {
                    let mut b = [0u8; 16];
                    b[..8].copy_from_slice(
                        &(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes(),
                    );
                    RevokedToken {
                        token_id: TokenId::from_bytes(b),
                        expires_at: Timestamp::MAX,
                    }
                })
                .collect();
            ids.sort();
            let index = TokenIndex::build(&ids);
            for t in &ids {
                assert!(index.contains(&ids, t.token_id));
                let mut other = t.token_id.to_bytes();
                other[15] ^= 1;
                assert!(!index.contains(&ids, TokenId::from_bytes(other)));
            }
        }
    }
}
