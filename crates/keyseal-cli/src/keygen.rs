//! `keyseal keygen`: a new signing key, written safely.

use std::path::Path;

use keyseal::{Error, SaveMode, SigningKey, write_file_atomically};
use serde_json::json;

use crate::cli::{KeyFormat, KeygenArgs};
use crate::exit::{Exit, Failure};
use crate::{files, output};

/// Refuses an existing file (or a dangling symlink) before anything is written.
fn must_not_exist(path: &Path) -> Result<(), Failure> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Failure::bare(&Error::KeyFileExists {
            path: output::path(path),
        }));
    }
    Ok(())
}

pub(crate) fn run(args: &KeygenArgs) -> Result<Exit, Failure> {
    must_not_exist(&args.out)?;
    if let Some(public_out) = &args.public_out {
        if public_out == &args.out {
            return Err(Failure::other(
                Exit::Usage,
                "usage",
                "--out and --public-out must be different files",
            ));
        }
        must_not_exist(public_out)?;
    }
    // Temporary files of a keygen killed before it finished hold whole secret keys.
    files::remove_stale_temporaries(&args.out);
    if let Some(public_out) = &args.public_out {
        files::remove_stale_temporaries(public_out);
    }
    let key = SigningKey::generate().map_err(|e| Failure::bare(&e))?;
    let saved = match args.format {
        KeyFormat::Pem => key.save_pem_file(&args.out, SaveMode::CreateNew),
        KeyFormat::Text => key.save_text_file(&args.out, SaveMode::CreateNew),
    };
    saved.map_err(|e| Failure::bare(&e))?;
    let public = key.public_key();
    if let Some(public_out) = &args.public_out {
        let written = match args.format {
            KeyFormat::Pem => public.save_pem_file(public_out, SaveMode::CreateNew),
            KeyFormat::Text => write_file_atomically(
                public_out,
                format!("{}\n", public.to_text()).as_bytes(),
                SaveMode::CreateNew,
            ),
        };
        written.map_err(|e| {
            Failure::new(
                format_args!(
                    "the secret key was saved to {}, but the public key was not",
                    output::path(&args.out)
                ),
                &e,
            )
        })?;
    }
    if args.json {
        output::json(&json!({
            "key_id": key.key_id().to_string(),
            "public_key": public.to_text(),
            "secret_key_file": args.out.display().to_string(),
        }))?;
    } else {
        output::line(format_args!("key id:     {}", key.key_id()))?;
        output::line(format_args!("public key: {}", public.to_text()))?;
    }
    output::note(format_args!(
        "wrote the secret key to {} (mode 0600); publish its public key with: keyseal keyring create (or add) keyring.json --key {}",
        output::path(&args.out),
        output::path(&args.out)
    ));
    Ok(Exit::Ok)
}
