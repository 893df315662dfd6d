//! `keyseal inspect`: decode a key without verifying it, under a banner that says so.

use keyseal::UntrustedKey;
use serde_json::json;

use crate::cli::InspectArgs;
use crate::exit::{Exit, Failure};
use crate::{input, output};

const BANNER: &str = "\
!!! UNVERIFIED !!! Decoded WITHOUT checking the signature, the keyring, the times or revocation.
!!! Anyone can write any of this into a key: never use it to authorize. Check a key with `keyseal verify`.";

pub(crate) fn run(args: &InspectArgs) -> Result<Exit, Failure> {
    let text = input::key_text(args.api_key.as_deref())?;
    let key = UntrustedKey::parse(&text).map_err(|e| Failure::new("cannot decode key", &e))?;
    let claims = key
        .untrusted_claims()
        .map_err(|e| Failure::new("cannot decode the claims", &e))?;
    if args.json {
        return output::json(&json!({
            "verified": false,
            "warning": "UNVERIFIED: decoded without checking the signature, keyring, times or revocation; never use to authorize",
            "prefix": key.untrusted_prefix(),
            "key_id": key.untrusted_key_id().to_string(),
            "claims": output::claims_json(&claims),
        }))
        .map(|()| Exit::Ok);
    }
    output::line(BANNER)?;
    output::line(format_args!("prefix:      {}", key.untrusted_prefix()))?;
    output::line(format_args!(
        "signed by:   {} (claimed)",
        key.untrusted_key_id()
    ))?;
    for line in output::claims_lines(&claims) {
        output::line(line)?;
    }
    Ok(Exit::Ok)
}
