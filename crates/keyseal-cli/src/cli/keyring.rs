//! The `keyseal keyring` commands: create, add, promote, retire, set-validity and list, and
//! the key states and public key sources they take.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use keyseal::{KeyId, KeyState, Timestamp};

use crate::input::parse_time;

/// Key states as options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StateArg {
    /// Signs new keys; at most one key is active.
    Active,
    /// Verifies keys, signs none.
    VerifyOnly,
    /// Verifies nothing.
    Retired,
}

impl From<StateArg> for KeyState {
    fn from(s: StateArg) -> KeyState {
        match s {
            StateArg::Active => KeyState::Active,
            StateArg::VerifyOnly => KeyState::VerifyOnly,
            StateArg::Retired => KeyState::Retired,
        }
    }
}

/// Where a public key comes from.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct PublicKeySource {
    /// A key file: a public key (PEM, JWK, keyseal-public-v1_… or bare base64url) or a secret
    /// key file, whose public half is used.
    #[arg(long, value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// The public key as text: keyseal-public-v1_… or the bare 43-character form.
    #[arg(long, value_name = "TEXT")]
    pub(crate) public_key: Option<String>,
}

/// `keyseal keyring ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyringCommand {
    /// Create a keyring document holding one key (must not exist).
    #[command(after_help = "\
Example:
  keyseal keyring create keyring.json --key signing.pem")]
    Create {
        /// The keyring document to create.
        keyring: PathBuf,
        /// The first key.
        #[command(flatten)]
        source: PublicKeySource,
        /// Its state.
        #[arg(long, value_enum, default_value_t = StateArg::Active)]
        state: StateArg,
    },
    /// Add a public key, verify-only by default (publish it before signing with it).
    #[command(after_help = "\
Example (rotation, step 2):
  keyseal keygen --out signing-2026-06.pem
  keyseal keyring add keyring.json --key signing-2026-06.pem")]
    Add {
        /// The keyring document to change.
        keyring: PathBuf,
        /// The key to add.
        #[command(flatten)]
        source: PublicKeySource,
        /// Its state; adding an active key makes the current active key verify-only.
        #[arg(long, value_enum, default_value_t = StateArg::VerifyOnly)]
        state: StateArg,
    },
    /// Make a key the active signing key; the previous one becomes verify-only.
    #[command(after_help = "\
Example:
  keyseal keyring promote keyring.json 2d14456ea0b33b10")]
    Promote {
        /// The keyring document to change.
        keyring: PathBuf,
        /// The key id (16 hex digits).
        kid: KeyId,
    },
    /// Retire a key: keys it signed stop verifying.
    #[command(after_help = "\
Example:
  keyseal keyring retire keyring.json 2d14456ea0b33b10")]
    Retire {
        /// The keyring document to change.
        keyring: PathBuf,
        /// The key id (16 hex digits).
        kid: KeyId,
    },
    /// Set (or clear) either end of a key's validity window; an end not given is unchanged.
    #[command(after_help = "\
Examples:
  keyseal keyring set-validity keyring.json 2d14456ea0b33b10 --not-after 2026-09-01T00:00:00Z
  keyseal keyring set-validity keyring.json 2d14456ea0b33b10 --clear-not-before")]
    SetValidity {
        /// The keyring document to change.
        keyring: PathBuf,
        /// The key id (16 hex digits).
        kid: KeyId,
        /// Keys it signed verify from this time on.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        not_before: Option<Timestamp>,
        /// Keys it signed verify until this time (exclusive).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        not_after: Option<Timestamp>,
        /// Remove the start of the window (keys it signed verify from any time).
        #[arg(long, conflicts_with = "not_before")]
        clear_not_before: bool,
        /// Remove the end of the window.
        #[arg(long, conflicts_with = "not_after")]
        clear_not_after: bool,
    },
    /// List the keys with their states and validity windows.
    #[command(after_help = "\
Example:
  keyseal keyring list keyring.json")]
    List {
        /// The keyring document.
        keyring: PathBuf,
        /// Judge usability at this time instead of now.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<Timestamp>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
