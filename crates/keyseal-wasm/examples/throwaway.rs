//! Makes a throwaway signing key and one key issued with it, for `js/demo.mjs`: writes
//! `keyring.json` (the keyring document) and `key.txt` (a key for `demo_live`, valid for an
//! hour) into the directory given as the argument. Nothing is printed but the file names.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Duration;

use keyseal::{Issuer, KeyState, Keyring, NewKey, Prefix, SaveMode, SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: throwaway OUT_DIR")?
        .into();
    let signing_key = SigningKey::generate()?;
    let mut keyring = Keyring::new();
    keyring.add(signing_key.public_key(), KeyState::Active)?;
    let issuer = Issuer::new(Prefix::new("demo_live")?, signing_key);
    let key = issuer.issue(
        NewKey::for_app("demo_app")
            .scopes(["orders:read", "orders:write"])
            .expires_in(Duration::from_secs(3600)),
    )?;
    let keyring_path = dir.join("keyring.json");
    let key_path = dir.join("key.txt");
    keyseal::write_file_atomically(
        &keyring_path,
        keyring.to_json().as_bytes(),
        SaveMode::Replace,
    )?;
    keyseal::write_file_atomically(&key_path, key.as_str().as_bytes(), SaveMode::Replace)?;
    println!("{}\n{}", keyring_path.display(), key_path.display());
    Ok(())
}
