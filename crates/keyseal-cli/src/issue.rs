//! `keyseal issue`: sign a new API key. Only the key goes to standard output, or to the
//! `--out` file, written with mode 0600.

use keyseal::{Issuer, NewKey};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::IssueArgs;
use crate::exit::{Exit, Failure};
use crate::files::{self, Overwrite};
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
    if let Some(out) = &args.out {
        let overwrite = if args.force {
            Overwrite::Allowed
        } else {
            Overwrite::Never
        };
        let mut contents = Zeroizing::new(Vec::with_capacity(issued.as_str().len() + 1));
        contents.extend_from_slice(issued.as_str().as_bytes());
        contents.push(b'\n');
        files::write_secret(out, &contents, overwrite)?;
        output::note(format_args!(
            "wrote the key to {} (mode 0600)",
            output::path(out)
        ));
    }
    match (args.json, &args.out) {
        (true, Some(out)) => output::json(&json!({
            "key_file": out.display().to_string(),
            "key_id": issued.key_id().to_string(),
            "claims": output::claims_json(claims),
        }))?,
        (true, None) => output::json(&json!({
            "key": issued.as_str(),
            "key_id": issued.key_id().to_string(),
            "claims": output::claims_json(claims),
        }))?,
        (false, Some(_)) => {}
        (false, None) => output::line(issued.as_str())?,
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
