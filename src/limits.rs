//! Every size limit the format fixes (`FORMAT.md` §1.7, §1.8, §3.3, §4), in one place
//! below everything else, so that the modules that enforce a limit and the errors that
//! quote it read the same number.

/// Longest issuer prefix, in characters.
pub const MAX_PREFIX_LEN: usize = 32;
/// Largest decoded key (header, payload, signature and checksum), in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest key body, in characters: the unpadded base64url length of [`MAX_KEY_BYTES`].
pub(crate) const MAX_BODY_LEN: usize = (MAX_KEY_BYTES * 4).div_ceil(3);
/// Longest key text, in characters: a 32-character prefix, the separator and the
/// 1366-character base64url encoding of [`MAX_KEY_BYTES`]. Longer input is refused before
/// anything is decoded.
pub const MAX_KEY_LEN: usize = MAX_PREFIX_LEN + 1 + MAX_BODY_LEN;

/// Longest app id, in bytes.
pub const MAX_APP_ID_LEN: usize = 64;
/// Most scopes one key may carry.
pub const MAX_SCOPES: usize = 32;
/// Longest scope, in bytes.
pub const MAX_SCOPE_LEN: usize = 64;
/// Most extensions one key may carry.
pub const MAX_EXTENSIONS: usize = 16;
/// Longest extension name, in bytes.
pub const MAX_EXTENSION_NAME_LEN: usize = 32;
/// Longest extension value, in bytes.
pub const MAX_EXTENSION_VALUE_LEN: usize = 256;

/// Largest revocation list accepted, in bytes (checked before anything is decoded).
pub const MAX_LIST_BYTES: usize = 128 * 1024 * 1024;
/// Most revoked token ids in one list.
pub const MAX_REVOKED_TOKENS: usize = 5_000_000;
/// Most "app issued before" entries in one list.
pub const MAX_REVOKED_APPS: usize = 100_000;
/// Most revoked signing keys in one list.
pub const MAX_REVOKED_SIGNERS: usize = 4_096;

/// The longest keyring document (`Keyring::from_json`, feature `json`) keyseal parses, in
/// bytes: 1 MiB, over 4,000 keys as keyseal writes them (about 229 bytes a key with both ends
/// of its validity window set, 193 without). A longer one is refused before any of it is
/// parsed.
pub const MAX_KEYRING_DOCUMENT_LEN: usize = 1 << 20;

/// The longest JWK text (`PublicKey::from_jwk`, feature `json`) keyseal parses, in bytes. A
/// JWK of one Ed25519 key is about 150 bytes; 16 KiB leaves room for whitespace and extra
/// members (which RFC 7517 lets it carry), and anything longer is refused before it is
/// parsed.
pub const MAX_JWK_LEN: usize = 16 * 1024;
