//! `keyseal issue`: sign a new API key. Only the key goes to standard output.

use keyseal::{Issuer, NewKey};
use serde_json::json;

use crate::cli::IssueArgs;
use crate::exit::{Exit, Failure};
use crate::{input, output};

pub(crate) fn run(args: &IssueArgs) -> Result<Exit, Failure> {
    let key = input::signing_key(&args.key)?;
    let issuer = Issuer::new(args.prefix.clone(), key);
    let mut request = NewKey::for_app(args.app.as_str()).scopes(args.scope.iter().cloned());
    request = match (args.ttl, args.expires) {
        (Some(ttl), _) => request.expires_in(ttl),
        (None, Some(at)) => request.expires_at(at),
        (None, None) => {
            return Err(Failure::other(
                Exit::Usage,
                "usage",
                "give an expiry with --ttl or --expires",
            ));
        }
    };
    if let Some(nbf) = args.not_before {
        request = request.not_before(nbf);
    }
    let issued = issuer
        .issue(request)
        .map_err(|e| Failure::new("cannot issue the key", &e))?;
    let claims = issued.claims();
    if args.json {
        output::json(&json!({
            "key": issued.as_str(),
            "key_id": issued.key_id().to_string(),
            "claims": output::claims_json(claims),
        }))?;
    } else {
        output::line(issued.as_str())?;
    }
    output::note(format_args!(
        "issued token {} for app {}, expires {}, signed by {}",
        claims.token_id(),
        claims.app_id(),
        claims.expires_at(),
        issued.key_id()
    ));
    Ok(Exit::Ok)
}
