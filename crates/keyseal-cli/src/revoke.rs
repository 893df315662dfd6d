//! `keyseal revoke`: the next revocation list, built on the previous one.
//!
//! Nothing is written until everything has been checked: the keyring and signing key load,
//! the signing key is usable in the keyring, every API key given verifies with the keyring
//! (a forged or mistyped key is refused, not listed), the previous list verifies with the
//! keyring, and the new list verifies, has the next sequence number and holds every entry of
//! the previous list and every new one (only tokens of keys that expired over a day ago are
//! pruned). The file is then replaced atomically, unless it changed in the meantime.
//!
//! Two `keyseal revoke` runs on one list never overlap: each holds an OS lock on the list
//! ([`DocumentLock`]) from before it reads the list until the new one is in place, so neither
//! can replace the list with one that lacks the other's entries. The kernel releases the
//! lock when a run is killed. A list given as a symlink is written through to its target.

use std::fs;
use std::io;
use std::path::Path;

use keyseal::{
    Claims, Error, KeyEntry, KeyState, Keyring, ListProblem, Prefix, RevocationList,
    RevocationListBuilder, SaveMode, Timestamp, TokenId, UntrustedKey, Verifier,
    write_file_atomically,
};
use serde_json::{Value, json};

use crate::cli::RevokeArgs;
use crate::exit::{Exit, Failure};
use crate::files::{self, DocumentLock};
use crate::{input, output};

/// How long after a key's expiry the library keeps its token entry (the builder's default
/// prune margin).
const PRUNE_MARGIN: core::time::Duration = core::time::Duration::from_secs(86_400);

/// One token to revoke, and where it came from.
struct Token {
    id: TokenId,
    expires_at: Timestamp,
    app_id: Option<String>,
    source: String,
}

pub(crate) fn run(args: &RevokeArgs) -> Result<Exit, Failure> {
    let now = Timestamp::now();
    let keyring = input::keyring(&args.keyring)?;
    let signing_key = input::signing_key(&args.key)?;
    if let Err(e) = keyring.key_for_verification(signing_key.key_id(), now) {
        return Err(Failure::other(
            Exit::Refused,
            "signer_not_usable",
            format!(
                "signing key {} cannot sign revocation lists: edges would refuse the list ({e} in {})",
                signing_key.key_id(),
                output::path(&args.keyring)
            ),
        ));
    }
    let tokens = tokens(args, &keyring, now)?;

    // Held from before the list is read until the new one is in place.
    let _lock;
    let (path, mut builder, previous) = if args.create {
        let path = args.revocations.as_path();
        if fs::symlink_metadata(path).is_ok() {
            return Err(Failure::other(
                Exit::Refused,
                "key_file_exists",
                format!(
                    "{} already exists; --create starts a new list and would drop its entries",
                    output::path(path)
                ),
            ));
        }
        files::remove_stale_temporaries(path);
        (path.to_path_buf(), RevocationListBuilder::new(), None)
    } else {
        if let Err(e) = fs::symlink_metadata(&args.revocations) {
            if e.kind() == io::ErrorKind::NotFound {
                return Err(Failure::other(
                    Exit::Io,
                    "io",
                    format!(
                        "revocation list {} does not exist; pass --create to start a new one",
                        output::path(&args.revocations)
                    ),
                ));
            }
        }
        let path = files::write_target(&args.revocations)?;
        _lock = DocumentLock::acquire(&path, args.wait)?;
        files::remove_stale_temporaries(&path);
        let bytes = input::list_bytes(&path)?;
        let list = previous_list(&bytes, args, &keyring, &signing_key, now)?;
        (
            path,
            RevocationListBuilder::from_previous(&list),
            Some((bytes, list)),
        )
    };
    let path = path.as_path();

    for t in &tokens {
        builder.revoke_token(t.id, t.expires_at);
    }
    let issued_before = args.issued_before.unwrap_or(now);
    for app in &args.app {
        builder
            .revoke_app(app, issued_before, args.effective)
            .map_err(|e| Failure::new(format_args!("cannot revoke app {app}"), &e))?;
    }
    for signer in &args.signer {
        builder.revoke_signer(*signer, args.effective);
    }
    if let Some(d) = args.valid_for {
        builder.valid_for(d);
    }
    let bytes = builder
        .sign(&args.prefix, &signing_key, now)
        .map_err(|e| Failure::new("cannot sign the revocation list", &e))?;
    let list = RevocationList::verify(&bytes, &args.prefix, &keyring, now).map_err(|e| {
        Failure::new(
            "the new revocation list does not verify; nothing written",
            &e,
        )
    })?;
    let previous_list = previous.as_ref().map(|(_, list)| list);
    check_nothing_lost(previous_list, &list, &tokens, args, now)?;

    match &previous {
        Some((old, _)) => {
            // Another revoke may have replaced the file since it was read: its entries would
            // be lost if this list replaced it.
            if input::list_bytes(path)? != *old {
                return Err(Failure::other(
                    Exit::Refused,
                    "list_changed",
                    format!(
                        "{} changed while this list was built; nothing written, run the command again",
                        output::path(path)
                    ),
                ));
            }
            write(path, &bytes, SaveMode::Replace)?;
        }
        None => write(path, &bytes, SaveMode::CreateNew)?,
    }
    report(path, previous_list, &list, &tokens, now, args.json)?;
    Ok(Exit::Ok)
}

/// The list to build on, verified with the keyring. A list whose signer has since been
/// retired (or left its validity window) is still continued when the caller signs with the
/// keyring's active key: that is the last step of rotating the list's signer, and the new
/// list is signed by the active key. Its signature is still checked with the old key.
fn previous_list(
    bytes: &[u8],
    args: &RevokeArgs,
    keyring: &Keyring,
    signing_key: &keyseal::SigningKey,
    now: Timestamp,
) -> Result<RevocationList, Failure> {
    let refused = |e: &Error| {
        Failure::new(
            format_args!(
                "cannot build on revocation list {}",
                output::path(&args.revocations)
            ),
            e,
        )
    };
    match RevocationList::verify(bytes, &args.prefix, keyring, now) {
        Ok(list) => Ok(list),
        Err(e @ Error::RevocationList(ListProblem::SignerNotUsable(old)))
            if keyring.active().map(KeyEntry::key_id) == Some(signing_key.key_id()) =>
        {
            let list = RevocationList::verify(bytes, &args.prefix, &every_key(keyring), now)
                .map_err(|e| refused(&e))?;
            output::note(format_args!(
                "{} was signed by {old}, which the keyring no longer trusts ({e}); continuing it with the active key {}",
                output::path(&args.revocations),
                signing_key.key_id()
            ));
            Ok(list)
        }
        Err(e) => Err(refused(&e)),
    }
}

/// Every key of `keyring`, verify-only and without validity windows: for checking
/// signatures whatever a key's state.
fn every_key(keyring: &Keyring) -> Keyring {
    let mut all = Keyring::new();
    for entry in keyring.iter() {
        // Keys are unique in a loaded keyring, so adding cannot fail.
        let _ = all.add(*entry.public_key(), KeyState::VerifyOnly);
    }
    all
}

fn write(path: &Path, bytes: &[u8], mode: SaveMode) -> Result<(), Failure> {
    write_file_atomically(path, bytes, mode).map_err(|e| match e {
        Error::KeyFileExists { .. } => Failure::other(
            Exit::Refused,
            "key_file_exists",
            format!(
                "{} appeared while the list was built; nothing written",
                output::path(path)
            ),
        ),
        _ => Failure::new("revocation list not written, the old file is unchanged", &e),
    })
}

/// Every token to revoke: API keys (verified with the keyring) and token ids.
fn tokens(args: &RevokeArgs, keyring: &Keyring, now: Timestamp) -> Result<Vec<Token>, Failure> {
    let checker = SignatureChecker::new(&args.prefix, keyring);
    let mut tokens = Vec::new();
    for (i, text) in args.api_key.iter().enumerate() {
        let source = format!("--api-key #{}", i + 1);
        tokens.push(checker.token(input::trim_key(text), source, now)?);
    }
    for file in &args.api_keys_from {
        let text = input::read_text(file)?;
        let name = if file == Path::new("-") {
            "standard input".to_string()
        } else {
            output::path(file)
        };
        let before = tokens.len();
        for (n, line) in text.lines().enumerate() {
            let line = input::trim_key(line);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            tokens.push(checker.token(line, format!("{name}:{}", n + 1), now)?);
        }
        if tokens.len() == before {
            return Err(Failure::other(
                Exit::Invalid,
                "no_keys",
                format!("{name} holds no key"),
            ));
        }
    }
    for (id, expires_at) in &args.token {
        if expires_at.is_none() {
            output::note(format_args!(
                "token {id}: no expiry given (ID@TIME), so its entry is kept for good"
            ));
        }
        tokens.push(Token {
            id: *id,
            expires_at: expires_at.unwrap_or(Timestamp::MAX),
            app_id: None,
            source: format!("--token {id}"),
        });
    }
    Ok(tokens)
}

/// Checks that an API key was signed by a key in the keyring, whatever that key's state or
/// window: a key signed by a now-retired key may still be worth listing, a forged one never.
struct SignatureChecker {
    verifier: Verifier,
}

impl SignatureChecker {
    fn new(prefix: &Prefix, keyring: &Keyring) -> SignatureChecker {
        SignatureChecker {
            verifier: Verifier::new(prefix.clone(), every_key(keyring)),
        }
    }

    /// The claims of a key whose signature verifies (expired or not yet valid keys too).
    fn claims(&self, text: &str, now: Timestamp) -> Result<Claims, Error> {
        match self.verifier.verify_at(text, now) {
            Ok(key) => Ok(key.claims().clone()),
            // The signature was checked before the times.
            Err(Error::Expired { .. } | Error::NotYetValid { .. }) => {
                UntrustedKey::parse(text)?.untrusted_claims()
            }
            Err(e) => Err(e),
        }
    }

    fn token(&self, text: &str, source: String, now: Timestamp) -> Result<Token, Failure> {
        let claims = self
            .claims(text, now)
            .map_err(|e| Failure::new(format_args!("cannot revoke {source}"), &e))?;
        Ok(Token {
            id: claims.token_id(),
            expires_at: claims.expires_at(),
            app_id: Some(claims.app_id().to_string()),
            source,
        })
    }
}

/// Whether a token entry with this expiry is still kept at `now`.
fn kept(expires_at: Timestamp, now: Timestamp) -> bool {
    expires_at.saturating_add(PRUNE_MARGIN) > now
}

fn has_token(list: &RevocationList, id: TokenId) -> bool {
    list.tokens()
        .binary_search_by(|t| t.token_id.cmp(&id))
        .is_ok()
}

/// Refuses to write a list that lost an entry it should hold: a guard against bugs, since a
/// dropped revocation silently re-enables a key.
fn check_nothing_lost(
    previous: Option<&RevocationList>,
    new: &RevocationList,
    tokens: &[Token],
    args: &RevokeArgs,
    now: Timestamp,
) -> Result<(), Failure> {
    let lost = |what: String| {
        Failure::other(
            Exit::Refused,
            "entry_lost",
            format!("refusing to write a list that would lose {what}; nothing written"),
        )
    };
    let expected_sequence = previous.map_or(1, |p| p.sequence().saturating_add(1));
    if new.sequence() != expected_sequence {
        return Err(lost(format!("its sequence ({expected_sequence})")));
    }
    if let Some(previous) = previous {
        for t in previous.tokens() {
            if kept(t.expires_at, now) && !has_token(new, t.token_id) {
                return Err(lost(format!("token {}", t.token_id)));
            }
        }
        for a in previous.apps() {
            if !new.apps().contains(a) {
                return Err(lost(format!("the entry for app {}", a.app_id)));
            }
        }
        for s in previous.signers() {
            if !new.signers().contains(s) {
                return Err(lost(format!("the entry for signer {}", s.key_id)));
            }
        }
    }
    for t in tokens {
        if kept(t.expires_at, now) && !has_token(new, t.id) {
            return Err(lost(format!("token {} ({})", t.id, t.source)));
        }
    }
    for app in &args.app {
        if !new.apps().iter().any(|a| &a.app_id == app) {
            return Err(lost(format!("the entry for app {app}")));
        }
    }
    for signer in &args.signer {
        if !new.signers().iter().any(|s| s.key_id == *signer) {
            return Err(lost(format!("the entry for signer {signer}")));
        }
    }
    Ok(())
}

fn report(
    path: &Path,
    previous: Option<&RevocationList>,
    list: &RevocationList,
    tokens: &[Token],
    now: Timestamp,
    json: bool,
) -> Result<(), Failure> {
    let before = |n: fn(&RevocationList) -> usize| previous.map_or(0, n);
    let added_tokens = list
        .tokens()
        .iter()
        .filter(|t| previous.is_none_or(|p| !has_token(p, t.token_id)))
        .count();
    let added_apps = list
        .apps()
        .iter()
        .filter(|a| previous.is_none_or(|p| !p.apps().contains(a)))
        .count();
    let added_signers = list
        .signers()
        .iter()
        .filter(|s| previous.is_none_or(|p| !p.signers().contains(s)))
        .count();
    let pruned = (before(|p| p.tokens().len()) + added_tokens).saturating_sub(list.tokens().len());
    if json {
        let revoked: Vec<Value> = tokens
            .iter()
            .map(|t| {
                json!({
                    "source": t.source,
                    "token_id": t.id.to_string(),
                    "app_id": t.app_id,
                    "expires_at": t.expires_at.to_string(),
                    "listed": has_token(list, t.id),
                })
            })
            .collect();
        return output::json(&json!({
            "file": path.display().to_string(),
            "sequence": list.sequence(),
            "previous_sequence": previous.map(RevocationList::sequence),
            "signer": list.signer().to_string(),
            "issued_at": list.issued_at().to_string(),
            "stale_after": list.stale_after().to_string(),
            "added": { "tokens": added_tokens, "apps": added_apps, "signers": added_signers },
            "pruned_tokens": pruned,
            "total": {
                "tokens": list.tokens().len(),
                "apps": list.apps().len(),
                "signers": list.signers().len(),
            },
            "revoked": revoked,
        }));
    }
    for t in tokens {
        let app = t
            .app_id
            .as_deref()
            .map(|a| format!(" of app {a}"))
            .unwrap_or_default();
        if has_token(list, t.id) {
            output::line(format_args!(
                "revoked token {}{app} ({}), expires {}",
                t.id, t.source, t.expires_at
            ))?;
        } else if !kept(t.expires_at, now) {
            output::line(format_args!(
                "not listed: token {}{app} ({}) expired at {}, it needs no entry",
                t.id, t.source, t.expires_at
            ))?;
        }
    }
    let n = |len: usize, noun: &str| output::count(u64::try_from(len).unwrap_or(u64::MAX), noun);
    output::line(format_args!(
        "{}: sequence {}{}, holds {}, {}, {}; added {}, {}, {}; pruned {} of expired keys; stale after {}",
        output::path(path),
        list.sequence(),
        previous
            .map(|p| format!(" (was {})", p.sequence()))
            .unwrap_or_default(),
        n(list.tokens().len(), "token"),
        n(list.apps().len(), "app"),
        n(list.signers().len(), "signer"),
        n(added_tokens, "token"),
        n(added_apps, "app"),
        n(added_signers, "signer"),
        n(pruned, "token"),
        list.stale_after()
    ))
}
