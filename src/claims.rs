//! What a key says: app id, scopes, times, token id and extensions, with their grammar.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;
use core::time::Duration;

use crate::error::{Error, InvalidClaim};
use crate::key_id::{KeyId, fmt_hex, parse_hex};
use crate::limits::{
    MAX_APP_ID_LEN, MAX_EXTENSION_NAME_LEN, MAX_EXTENSION_VALUE_LEN, MAX_EXTENSIONS, MAX_SCOPE_LEN,
    MAX_SCOPES,
};
use crate::timestamp::Timestamp;

/// The 16-byte random id of one issued key: the handle for revocation and audit logs.
/// Written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId([u8; 16]);

impl TokenId {
    /// Wraps 16 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> TokenId {
        TokenId(bytes)
    }

    /// The raw bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// A fresh random token id from a caller-supplied CSPRNG.
    pub fn random_with<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> TokenId {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        TokenId(b)
    }

    /// A fresh random token id from the thread-local CSPRNG (ChaCha, seeded by the OS).
    #[cfg(feature = "std")]
    #[must_use]
    pub fn random() -> TokenId {
        TokenId::random_with(&mut rand::rng())
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_hex(&self.0, f)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// Parses 32 lowercase hex digits.
impl FromStr for TokenId {
    type Err = Error;

    fn from_str(s: &str) -> Result<TokenId, Error> {
        parse_hex(s).map(TokenId).ok_or(Error::InvalidTokenId)
    }
}

/// Checks the app id grammar: 1–64 bytes of `A-Z a-z 0-9 _ - .`, the first a letter or
/// digit.
///
/// # Errors
/// [`InvalidClaim::AppId`].
pub fn check_app_id(app_id: &str) -> Result<(), InvalidClaim> {
    let b = app_id.as_bytes();
    let ok = matches!(b.first(), Some(c) if c.is_ascii_alphanumeric())
        && b.len() <= MAX_APP_ID_LEN
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    if ok { Ok(()) } else { Err(InvalidClaim::AppId) }
}

/// A scope name segment: a lowercase letter or digit, then `a-z 0-9 _ - .`.
fn is_scope_segment(s: &[u8]) -> bool {
    matches!(s.first(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'.')
        })
}

/// Checks the scope grammar: `resource:action`, where both are scope segments
/// (`[a-z0-9][a-z0-9_.-]*`) and the action may instead be `*`; at most 64 bytes.
///
/// # Errors
/// [`InvalidClaim::Scope`].
pub fn check_scope(scope: &str) -> Result<(), InvalidClaim> {
    let b = scope.as_bytes();
    let ok = b.len() <= MAX_SCOPE_LEN
        && match scope.split_once(':') {
            Some((resource, action)) => {
                is_scope_segment(resource.as_bytes())
                    && (action == "*" || is_scope_segment(action.as_bytes()))
            }
            None => false,
        };
    if ok { Ok(()) } else { Err(InvalidClaim::Scope) }
}

/// Checks an extension name: 1–32 bytes of `[a-z][a-z0-9_.-]*`, not starting with
/// `keyseal` (reserved for future use by this library).
///
/// # Errors
/// [`InvalidClaim::Extension`].
pub fn check_extension_name(name: &str) -> Result<(), InvalidClaim> {
    let b = name.as_bytes();
    let ok = matches!(b.first(), Some(c) if c.is_ascii_lowercase())
        && b.len() <= MAX_EXTENSION_NAME_LEN
        && is_scope_segment(b)
        && !name.starts_with("keyseal");
    if ok {
        Ok(())
    } else {
        Err(InvalidClaim::Extension)
    }
}

/// True when `granted` (sorted, unique, valid scopes) satisfies `required`: it holds
/// `required` itself, or `resource:*` for the same resource. Nothing else is implied.
pub(crate) fn grants(granted: &[impl AsRef<str>], required: &str) -> bool {
    let find = |s: &str| granted.binary_search_by(|g| g.as_ref().cmp(s)).is_ok();
    if find(required) {
        return true;
    }
    match required.split_once(':') {
        Some((resource, action)) if action != "*" => {
            // `resource:*` sorts just before `resource:<anything starting a-z0-9>`.
            let mut wildcard = [0u8; MAX_SCOPE_LEN];
            let Some(slot) = wildcard.get_mut(..resource.len().saturating_add(2)) else {
                return false;
            };
            let (head, tail) = slot.split_at_mut(resource.len());
            head.copy_from_slice(resource.as_bytes());
            tail.copy_from_slice(b":*");
            core::str::from_utf8(slot).is_ok_and(find)
        }
        _ => false,
    }
}

/// The claims a verified key carries.
///
/// Obtained from [`VerifiedKey::claims`](crate::VerifiedKey::claims) (authoritative) or
/// [`UntrustedKey::untrusted_claims`](crate::UntrustedKey::untrusted_claims) (not checked:
/// for display and debugging only). Scope checks live on
/// [`VerifiedKey`](crate::VerifiedKey) so that they can only be made on verified keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub(crate) app_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) not_before: Option<Timestamp>,
    pub(crate) token_id: TokenId,
    pub(crate) extensions: Vec<(String, Vec<u8>)>,
}

impl Claims {
    /// The application the key was issued to.
    #[must_use]
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The granted scopes, sorted and unique.
    pub fn scopes(&self) -> impl ExactSizeIterator<Item = &str> {
        self.scopes.iter().map(String::as_str)
    }

    /// When the key was issued.
    #[must_use]
    pub fn issued_at(&self) -> Timestamp {
        self.issued_at
    }

    /// When the key expires (exclusive: the key is expired at this instant, before leeway).
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// When the key becomes valid, if later than its issue time.
    #[must_use]
    pub fn not_before(&self) -> Option<Timestamp> {
        self.not_before
    }

    /// The random id of this key, the handle for revocation.
    #[must_use]
    pub fn token_id(&self) -> TokenId {
        self.token_id
    }

    /// The value of the application-defined extension `name`, if present.
    #[must_use]
    pub fn extension(&self, name: &str) -> Option<&[u8]> {
        self.extensions
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| self.extensions.get(i))
            .map(|(_, v)| v.as_slice())
    }

    /// All extensions, sorted by name.
    pub fn extensions(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> {
        self.extensions
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Checks every rule of the claims grammar (used for decoded keys: a signed key that
    /// breaks them is refused as malformed).
    pub(crate) fn validate(&self) -> Result<(), InvalidClaim> {
        ClaimParts {
            app_id: &self.app_id,
            scopes: &self.scopes,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            not_before: self.not_before,
            extensions: &self.extensions,
        }
        .validate()
    }
}

/// The parts of [`Claims`] that the grammar constrains, borrowed in any string form, so that
/// a decoder can check received claims before it allocates anything for them.
pub(crate) struct ClaimParts<'a, S, N, V> {
    pub(crate) app_id: &'a str,
    pub(crate) scopes: &'a [S],
    pub(crate) issued_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) not_before: Option<Timestamp>,
    pub(crate) extensions: &'a [(N, V)],
}

impl<S: AsRef<str>, N: AsRef<str>, V: AsRef<[u8]>> ClaimParts<'_, S, N, V> {
    /// Checks every rule of the claims grammar, in a fixed order (the first broken rule is
    /// the one reported).
    pub(crate) fn validate(&self) -> Result<(), InvalidClaim> {
        check_app_id(self.app_id)?;
        if self.scopes.len() > MAX_SCOPES {
            return Err(InvalidClaim::TooManyScopes);
        }
        self.scopes
            .iter()
            .try_for_each(|s| check_scope(s.as_ref()))?;
        if !self.scopes.is_sorted_by(|a, b| a.as_ref() < b.as_ref()) {
            return Err(InvalidClaim::ScopesNotCanonical);
        }
        if self.extensions.len() > MAX_EXTENSIONS {
            return Err(InvalidClaim::TooManyExtensions);
        }
        for (name, value) in self.extensions {
            check_extension_name(name.as_ref())?;
            if value.as_ref().len() > MAX_EXTENSION_VALUE_LEN {
                return Err(InvalidClaim::Extension);
            }
        }
        if !self
            .extensions
            .is_sorted_by(|a, b| a.0.as_ref() < b.0.as_ref())
        {
            return Err(InvalidClaim::ExtensionsNotCanonical);
        }
        if self.expires_at <= self.issued_at {
            return Err(InvalidClaim::ExpiryNotAfterIssue);
        }
        if let Some(nbf) = self.not_before {
            if nbf < self.issued_at || nbf >= self.expires_at {
                return Err(InvalidClaim::NotBeforeOutOfRange);
            }
        }
        Ok(())
    }
}

/// How long a new key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Unset,
    After(Duration),
    At(Timestamp),
}

/// A request to issue a key: what it will say. Validated by
/// [`Issuer::issue`](crate::Issuer::issue), which canonicalizes the scopes (sorted, no
/// duplicates) and refuses a request without an expiry.
///
/// ```
/// use core::time::Duration;
/// let request = keyseal::NewKey::for_app("app_7f3k9x2m")
///     .scope("orders:read")
///     .scope("orders:write")
///     .expires_in(Duration::from_secs(90 * 86_400));
/// # let _ = request;
/// ```
#[derive(Debug, Clone)]
pub struct NewKey {
    app_id: String,
    scopes: Vec<String>,
    expiry: Expiry,
    not_before: Option<Timestamp>,
    token_id: Option<TokenId>,
    extensions: Vec<(String, Vec<u8>)>,
}

impl NewKey {
    /// A request for a key for `app_id`, with no scopes and no expiry yet.
    #[must_use]
    pub fn for_app(app_id: impl Into<String>) -> NewKey {
        NewKey {
            app_id: app_id.into(),
            scopes: Vec::new(),
            expiry: Expiry::Unset,
            not_before: None,
            token_id: None,
            extensions: Vec::new(),
        }
    }

    /// Grants a scope (`resource:action` or `resource:*`).
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> NewKey {
        self.scopes.push(scope.into());
        self
    }

    /// Grants several scopes.
    #[must_use]
    pub fn scopes<I, S>(mut self, scopes: I) -> NewKey
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// The key expires this long after it is issued.
    #[must_use]
    pub fn expires_in(mut self, lifetime: Duration) -> NewKey {
        self.expiry = Expiry::After(lifetime);
        self
    }

    /// The key expires at this time.
    #[must_use]
    pub fn expires_at(mut self, at: Timestamp) -> NewKey {
        self.expiry = Expiry::At(at);
        self
    }

    /// The key is not valid before this time.
    #[must_use]
    pub fn not_before(mut self, at: Timestamp) -> NewKey {
        self.not_before = Some(at);
        self
    }

    /// Attaches an application-defined extension (see `FORMAT.md`): a name in the
    /// extension grammar and up to 256 bytes that keyseal signs but does not interpret.
    #[must_use]
    pub fn extension(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> NewKey {
        self.extensions.push((name.into(), value.into()));
        self
    }

    /// Uses this token id instead of a random one. Only for reproducible test vectors and
    /// replays: token ids must be unique, or revoking one key revokes the others.
    #[must_use]
    pub fn token_id(mut self, id: TokenId) -> NewKey {
        self.token_id = Some(id);
        self
    }

    /// The token id this request pins, if any.
    pub(crate) fn pinned_token_id(&self) -> Option<TokenId> {
        self.token_id
    }

    /// Turns the request into canonical claims issued at `now` with token id `token_id`.
    pub(crate) fn into_claims(self, now: Timestamp, token_id: TokenId) -> Result<Claims, Error> {
        let expires_at = match self.expiry {
            Expiry::Unset => return Err(InvalidClaim::MissingExpiry.into()),
            Expiry::After(d) => now.checked_add(d).ok_or(InvalidClaim::TimeOutOfRange)?,
            Expiry::At(t) => t,
        };
        check_app_id(&self.app_id)?;
        let mut scopes = self.scopes;
        scopes.iter().try_for_each(|s| check_scope(s))?;
        scopes.sort_unstable();
        scopes.dedup();
        let mut extensions = self.extensions;
        extensions.sort_by(|a, b| a.0.cmp(&b.0));
        if extensions
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            return Err(InvalidClaim::ExtensionsNotCanonical.into());
        }
        let claims = Claims {
            app_id: self.app_id,
            scopes,
            issued_at: now,
            expires_at,
            not_before: self.not_before,
            token_id,
            extensions,
        };
        claims.validate()?;
        Ok(claims)
    }
}

/// Whether `key_id` appears in a formatted claim list: helper for `Display` of verified keys.
pub(crate) fn describe(f: &mut fmt::Formatter<'_>, claims: &Claims, key_id: KeyId) -> fmt::Result {
    write!(
        f,
        "app {} scopes [{}] issued {} expires {}",
        claims.app_id,
        claims.scopes.join(" "),
        claims.issued_at,
        claims.expires_at
    )?;
    if let Some(nbf) = claims.not_before {
        write!(f, " not-before {nbf}")?;
    }
    write!(f, " token {} key {}", claims.token_id, key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_grammar() {
        for ok in ["a", "app_7f3k9x2m", "A.b-c_d", &"x".repeat(64)] {
            assert_eq!(check_app_id(ok), Ok(()), "{ok}");
        }
        for bad in ["", "_a", "-a", ".a", "a b", "a/b", "é", &"x".repeat(65)] {
            assert_eq!(check_app_id(bad), Err(InvalidClaim::AppId), "{bad}");
        }
    }

    #[test]
    fn scope_grammar() {
        for ok in [
            "orders:read",
            "orders:*",
            "a:b",
            "v2.orders:read-all",
            "0:0",
        ] {
            assert_eq!(check_scope(ok), Ok(()), "{ok}");
        }
        let long = format!("{}:{}", "a".repeat(32), "b".repeat(32));
        for bad in [
            "orders",
            ":read",
            "orders:",
            "*:read",
            "*:*",
            "Orders:read",
            "orders:read:x",
            "orders:re*",
            "orders:**",
            "_x:read",
            &long,
        ] {
            assert_eq!(check_scope(bad), Err(InvalidClaim::Scope), "{bad}");
        }
    }

    #[test]
    fn wildcard_grants_only_its_resource() {
        let granted = ["customers:read", "orders:*"];
        assert!(grants(&granted, "orders:read"));
        assert!(grants(&granted, "orders:write"));
        assert!(grants(&granted, "orders:*"));
        assert!(grants(&granted, "customers:read"));
        assert!(!grants(&granted, "customers:write"));
        assert!(!grants(&granted, "customers:*"));
        assert!(!grants(&granted, "order:read"));
        assert!(!grants(&granted, "orders.items:read"));
        assert!(!grants(&["orders:read"], "orders:*"));
    }

    #[test]
    fn extension_names() {
        assert_eq!(check_extension_name("tenant"), Ok(()));
        assert_eq!(
            check_extension_name("keyseal.x"),
            Err(InvalidClaim::Extension)
        );
        assert_eq!(check_extension_name("1abc"), Err(InvalidClaim::Extension));
        assert_eq!(check_extension_name(""), Err(InvalidClaim::Extension));
    }
}
