//! `keyseal verify`: check an API key against a keyring and, optionally, a revocation list
//! and required scopes. Prints the verified claims, or one line saying why not; the exit
//! status names the class of failure.

use keyseal::{Error, KeyState, Timestamp, VerifiedKey, Verifier, VerifierOptions};
use serde_json::json;

use crate::cli::VerifyArgs;
use crate::exit::{Exit, Failure};
use crate::{input, output};

pub(crate) fn run(args: &VerifyArgs) -> Result<Exit, Failure> {
    match verify(args) {
        // With --json, a keyring, list or input refused before any key is judged is a result
        // too: one JSON object with its code, and the same status.
        Err(failure) if args.json => {
            output::json(&json!({
                "valid": false,
                "code": failure.code,
                "error": failure.message,
                "exit_code": failure.exit.code(),
            }))?;
            Ok(failure.exit)
        }
        outcome => outcome,
    }
}

fn verify(args: &VerifyArgs) -> Result<Exit, Failure> {
    let keyring = input::keyring(&args.keyring)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let mut options = VerifierOptions::default();
    if let Some(max) = args.max_lifetime {
        options = options.max_lifetime(max);
    }
    let mut verifier = Verifier::new(args.prefix.clone(), keyring).with_options(options);
    if let Some(path) = &args.revocations {
        let bytes = input::list_bytes(path)?;
        verifier = verifier.update_revocations(&bytes, now).map_err(|e| {
            Failure::new(
                format_args!("cannot use revocation list {}", output::path(path)),
                &e,
            )
        })?;
    }
    let text = input::key_text(args.api_key.as_deref())?;
    let outcome = verifier
        .verify_at(&text, now)
        .and_then(|key| check_scopes(&key, &args.require_scope).map(|()| key));
    match outcome {
        Ok(key) => {
            report_valid(&verifier, &key, args.json)?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            let failure = Failure::new("key rejected", &e);
            if args.json {
                output::json(&json!({
                    "valid": false,
                    "code": failure.code,
                    "error": e.to_string(),
                    "exit_code": failure.exit.code(),
                }))?;
                // The result is on standard output; the status tells it too.
                Ok(failure.exit)
            } else {
                Err(failure)
            }
        }
    }
}

fn check_scopes(key: &VerifiedKey, required: &[String]) -> Result<(), Error> {
    required
        .iter()
        .try_for_each(|scope| key.require_scope(scope))
}

fn report_valid(verifier: &Verifier, key: &VerifiedKey, json: bool) -> Result<(), Failure> {
    let signer_state = verifier
        .keyring()
        .get(key.key_id())
        .map_or(KeyState::VerifyOnly, keyseal::KeyEntry::state);
    let list = key.revocation_status();
    if json {
        return output::json(&json!({
            "valid": true,
            "prefix": verifier.prefix().as_str(),
            "key_id": key.key_id().to_string(),
            "signer_state": signer_state.as_str(),
            "claims": output::claims_json(key.claims()),
            "revocation_list": list.map(|s| json!({ "sequence": s.sequence, "stale": s.stale })),
        }));
    }
    output::line(format_args!(
        "VALID {} key for app {}",
        verifier.prefix(),
        key.app_id()
    ))?;
    for line in output::claims_lines(key.claims()) {
        output::line(line)?;
    }
    output::line(format_args!(
        "signed by:   {} ({signer_state})",
        key.key_id()
    ))?;
    output::line(match list {
        Some(s) => format!("revocation:  not revoked (list sequence {})", s.sequence),
        None => "revocation:  not checked (no --revocations list given)".to_string(),
    })
}
