//! What each key a scan finds is: live, expired, revoked, forged, signed by an unknown,
//! retired or out-of-window signer, or a secret signing key (in the keyring or not), judged
//! with the keyring and revocation list given, if any.

use std::collections::HashMap;

use keyseal::{
    Error, Keyring, MissingListPolicy, Prefix, SigningKey, StalePolicy, Timestamp, UntrustedKey,
    Verifier, VerifierOptions,
};

use crate::cli::ScanArgs;
use crate::exit::Failure;
use crate::{input, output};

use super::finding::{Finding, Status};
use super::pem::PemFinding;

/// Decides what each found key is.
pub(super) struct Judge {
    keyring: Option<Keyring>,
    /// One verifier per prefix met, the list's prefix with the list.
    verifiers: HashMap<String, Verifier>,
    now: Timestamp,
}

impl Judge {
    pub(super) fn new(args: &ScanArgs, now: Timestamp) -> Result<Judge, Failure> {
        let keyring = args.keyring.as_deref().map(input::keyring).transpose()?;
        let mut verifiers = HashMap::new();
        if let (Some(keyring), Some(path), Some(prefix)) =
            (&keyring, &args.revocations, &args.prefix)
        {
            let bytes = input::list_bytes(path)?;
            let verifier = verifier(prefix.clone(), keyring)
                .update_revocations(&bytes, now)
                .map_err(|e| {
                    Failure::new(
                        format_args!("cannot use revocation list {}", output::path(path)),
                        &e,
                    )
                })?;
            if let Some(list) = verifier.revocation_list() {
                if now >= list.stale_after() {
                    output::note(format_args!(
                        "warning: revocation list {} has been stale since {}: revocations made since may be missing",
                        output::path(path),
                        list.stale_after()
                    ));
                }
            }
            verifiers.insert(prefix.as_str().to_string(), verifier);
        }
        Ok(Judge {
            keyring,
            verifiers,
            now,
        })
    }

    /// The finding for API key text, or `None` for a look-alike (checksum wrong).
    pub(super) fn api_key(
        &mut self,
        text: &str,
        path: &str,
        line: u64,
        column: u64,
    ) -> Option<Finding> {
        let key = match UntrustedKey::parse(text) {
            Ok(key) => key,
            Err(Error::UnsupportedVersion(v)) => {
                // A real key of a format this keyseal cannot read: it may well work.
                return Some(Finding {
                    path: path.to_string(),
                    line,
                    column,
                    status: Status::Unverified,
                    redacted: output::redact_key(text),
                    key_id: None,
                    app_id: None,
                    token_id: None,
                    expires_at: None,
                    detail: Some(format!(
                        "format version {v}, which this keyseal cannot read"
                    )),
                });
            }
            Err(_) => return None,
        };
        let claims = key.untrusted_claims().ok();
        let (status, detail) = match (&self.keyring, &claims) {
            (_, None) => (Status::Malformed, Some("claims do not decode".to_string())),
            (None, Some(c)) if c.expires_at() <= self.now => (Status::UnverifiedExpired, None),
            (None, Some(_)) => (
                Status::Unverified,
                Some("no --keyring given: it may be live".to_string()),
            ),
            (Some(keyring), Some(_)) => {
                let prefix = key.untrusted_prefix().to_string();
                let verifier = match self.verifiers.get(&prefix) {
                    Some(v) => v,
                    None => match Prefix::new(prefix.as_str()) {
                        Ok(p) => self
                            .verifiers
                            .entry(prefix.clone())
                            .or_insert_with(|| verifier(p, keyring)),
                        Err(e) => return Some(self.broken(text, &key, path, line, column, &e)),
                    },
                };
                match verifier.verify_at(text, self.now) {
                    Ok(_) => (Status::Live, None),
                    // A signer whose window has not started turns the key live on its own.
                    Err(Error::KeyOutsideValidity(kid))
                        if keyring
                            .get(kid)
                            .and_then(keyseal::KeyEntry::not_before)
                            .is_some_and(|from| self.now < from) =>
                    {
                        (
                            Status::SignerNotYetValid,
                            Some(format!(
                                "its signer {kid} becomes valid later; the key then verifies"
                            )),
                        )
                    }
                    Err(e) => (status_for(&e), Some(e.to_string())),
                }
            }
        };
        Some(Finding {
            path: path.to_string(),
            line,
            column,
            status,
            redacted: output::redact_key(text),
            key_id: Some(key.untrusted_key_id()),
            app_id: claims.as_ref().map(|c| c.app_id().to_string()),
            token_id: claims.as_ref().map(keyseal::Claims::token_id),
            expires_at: claims.as_ref().map(keyseal::Claims::expires_at),
            detail,
        })
    }

    fn broken(
        &self,
        text: &str,
        key: &UntrustedKey,
        path: &str,
        line: u64,
        column: u64,
        e: &Error,
    ) -> Finding {
        Finding {
            path: path.to_string(),
            line,
            column,
            status: Status::Malformed,
            redacted: output::redact_key(text),
            key_id: Some(key.untrusted_key_id()),
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(e.to_string()),
        }
    }

    /// The finding for secret key text, or `None` for a look-alike.
    pub(super) fn secret_key(
        &self,
        text: &str,
        path: &str,
        line: u64,
        column: u64,
    ) -> Option<Finding> {
        let key_id = SigningKey::from_text(text).ok()?.key_id();
        Some(Finding {
            path: path.to_string(),
            line,
            column,
            status: Status::SecretKey,
            redacted: output::redact_secret(text),
            key_id: Some(key_id),
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(self.standing(key_id)),
        })
    }

    /// The finding for a PEM private key block.
    pub(super) fn pem_key(&self, found: PemFinding, path: &str) -> Finding {
        let detail = match found.key_id {
            Some(kid) => format!("{}: {}", found.what, self.standing(kid)),
            None => format!("LEAKED PRIVATE KEY ({}): rotate it", found.what),
        };
        Finding {
            path: path.to_string(),
            line: found.line,
            column: found.column,
            status: Status::SecretKey,
            redacted: format!("-----BEGIN {}-----…", found.label),
            key_id: found.key_id,
            app_id: None,
            token_id: None,
            expires_at: None,
            detail: Some(detail),
        }
    }

    /// What a leaked signing key means for the keyring given.
    fn standing(&self, key_id: keyseal::KeyId) -> String {
        match &self.keyring {
            None => "LEAKED SECRET SIGNING KEY: rotate it".to_string(),
            Some(ring) => match ring.get(key_id) {
                Some(e) => format!(
                    "LEAKED SECRET SIGNING KEY, {} in the keyring: rotate it and retire it",
                    e.state()
                ),
                None => "LEAKED SECRET SIGNING KEY, not in the keyring".to_string(),
            },
        }
    }
}

/// A verifier that judges against a stale list rather than refusing everything.
fn verifier(prefix: Prefix, keyring: &Keyring) -> Verifier {
    Verifier::new(prefix, keyring.clone()).with_options(
        VerifierOptions::default()
            .on_stale_list(StalePolicy::AcceptAndReport)
            .without_list(MissingListPolicy::Allow),
    )
}

fn status_for(e: &Error) -> Status {
    match e {
        Error::Expired { .. } => Status::Expired,
        Error::NotYetValid { .. } => Status::NotYetValid,
        Error::Revoked { .. } => Status::Revoked,
        Error::BadSignature => Status::Forged,
        Error::UnknownKey(_) => Status::UnknownSigner,
        Error::RetiredKey(_) => Status::RetiredSigner,
        Error::KeyOutsideValidity(_) => Status::SignerOutsideValidity,
        Error::Malformed(_) => Status::Malformed,
        // Anything else leaves the question open: count it as possibly live.
        _ => Status::Unverified,
    }
}
