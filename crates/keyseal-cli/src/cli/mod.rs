//! The command line: every command, option and help text (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use keyseal::{KeyId, Prefix, Timestamp};

use crate::exit::EXIT_CODES_HELP;
use crate::input::{parse_app_id, parse_duration, parse_scope, parse_time};
use crate::rules::{RuleFormat, parse_verify_url};

mod keyring;

pub(crate) use keyring::{KeyringCommand, PublicKeySource};

const TOP_HELP: &str = "\
Times are UTC in RFC 3339 form with whole seconds: 2026-01-31T12:00:00Z.
Durations are a whole number and a unit: s (seconds), m (minutes), h (hours), d (days), e.g. 90d.
Data goes to standard output, errors and notes to standard error.

A session:
  keyseal keygen --out signing.pem
  keyseal keyring create keyring.json --key signing.pem
  keyseal issue --key signing.pem --prefix acme_live --app app_7f3k9x2m \\
      --scope orders:read --ttl 90d --out api.key
  keyseal verify --keyring keyring.json --prefix acme_live < api.key
  keyseal revoke --revocations revoked.bin --create --keyring keyring.json \\
      --key signing.pem --prefix acme_live --api-keys-from api.key
  keyseal verify --keyring keyring.json --prefix acme_live --revocations revoked.bin < api.key
  (exit status 17: revoked)
";

/// Self-verifying API keys: issue, verify, inspect, revoke and scan for leaks.
#[derive(Debug, Parser)]
#[command(
    name = "keyseal",
    version,
    about,
    after_help = format!("{TOP_HELP}\n{EXIT_CODES_HELP}"),
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate a new signing key (written with mode 0600, never over an existing file).
    #[command(after_help = "\
Example:
  keyseal keygen --out signing.pem
  keyseal keygen --out signing.key --format text --public-out signing.pub")]
    Keygen(KeygenArgs),
    /// Create and change keyring documents: the public keys edges trust.
    #[command(
        subcommand,
        after_help = "\
Example (rotating a signing key; see the README):
  keyseal keyring add keyring.json --key signing-2026-06.pem     # verify-only, publish
  keyseal keyring promote keyring.json <new kid>                 # once every edge has it
  keyseal keyring retire keyring.json <old kid>                  # once its keys expired
  keyseal keyring list keyring.json"
    )]
    Keyring(KeyringCommand),
    /// Issue an API key; only the key is printed on standard output.
    #[command(after_help = "\
Example:
  keyseal issue --key signing.pem --prefix acme_live --app app_7f3k9x2m \\
      --scope orders:read --scope orders:write --ttl 90d --out api.key

--out writes the key with mode 0600; `> api.key` would create the file with your umask.
The token id, the handle for revocation, is noted on standard error (or use --json).")]
    Issue(IssueArgs),
    /// Verify an API key against a keyring (and a revocation list); exit status says why not.
    #[command(after_help = format!("\
Example:
  keyseal verify --keyring keyring.json --prefix acme_live --require-scope orders:read < api.key

The key is read from standard input when it is not given (or given as -), which keeps it out
of shell history and process listings.

{EXIT_CODES_HELP}"))]
    Verify(VerifyArgs),
    /// Decode an API key WITHOUT verifying it, for debugging.
    #[command(after_help = "\
Example:
  keyseal inspect - < api.key

Nothing printed is verified: anyone can write any claims into a key. Use verify to trust it.")]
    Inspect(InspectArgs),
    /// Add entries to a signed revocation list (or start one), re-signing it atomically.
    #[command(after_help = "\
Examples:
  keyseal revoke --revocations revoked.bin --create \\
      --keyring keyring.json --key signing.pem --prefix acme_live
  keyseal revoke --revocations revoked.bin --keyring keyring.json --key signing.pem \\
      --prefix acme_live --api-keys-from leaked.txt \\
      --token 0123456789abcdef0123456789abcdef@2026-03-01T00:00:00Z
  keyseal revoke ... --app app_7f3k9x2m --issued-before 2026-01-31T12:00:00Z
  keyseal revoke ... --signer 2d14456ea0b33b10

The previous list is verified with the keyring before anything is added; every entry it holds
is kept (tokens of keys expired for over a day are pruned), and the sequence number goes up by
one. With no entries given, the list is only re-signed: do that before it goes stale.")]
    Revoke(RevokeArgs),
    /// Find keyseal keys and secret signing keys in files, directories or standard input.
    #[command(after_help = "\
Examples:
  keyseal scan .
  keyseal scan --keyring keyring.json --revocations revoked.bin --prefix acme_live src/ config/
  git diff --cached | keyseal scan -
  keyseal scan --rules gitleaks --prefix acme_live > gitleaks-keyseal.toml
  keyseal scan --rules trufflehog --prefix acme_live --verify-url https://keys.acme.example/verify

Statuses: secret-key (a leaked signing key: keyseal-secret-v1_ text, or a PEM private key
block such as BEGIN PRIVATE KEY or BEGIN OPENSSH PRIVATE KEY, also in diffs and JSON strings),
live, not-yet-valid, signer-not-yet-valid (its signer's validity window starts later),
unverified (no keyring given, not expired by its own claims) fail the scan (exit 1); expired,
revoked, forged, unknown-signer, retired-signer, signer-outside-validity, unverified-expired and
malformed do not. Keys are found whatever characters surround them (after \\n or %22, inside
identifiers); strings that look like keys but fail the checksum are not reported. Keys are
always shown redacted, and control characters in file names are escaped.

Directories are walked like ripgrep does: .gitignore, .ignore and .git/info/exclude are
respected (also outside a git repository) and .git is skipped; hidden files are scanned. In a
git work tree, files git tracks are scanned even when an ignore file matches them. Paths named
on the command line that are not directories (FIFOs, <(...) process substitutions, devices)
are read as streams. A scan that read no file at all exits with status 6, never 0.

--rules writes a rule for gitleaks, trufflehog (its custom detector posts each finding to
--verify-url) or trufflehog3, with the expression of FORMAT.md section 1.11.")]
    Scan(ScanArgs),
}

/// Encodings of a secret key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes.
    Pem,
    /// keyseal's compact text form, `keyseal-secret-v1_…`, for secret managers.
    Text,
}

/// `keyseal keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the secret key (must not exist).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Encoding of the secret key file.
    #[arg(long, value_enum, default_value_t = KeyFormat::Pem)]
    pub(crate) format: KeyFormat,
    /// Also write the public key here (SubjectPublicKeyInfo PEM, or the compact text form
    /// with --format text); must not exist.
    #[arg(long, value_name = "FILE")]
    pub(crate) public_out: Option<PathBuf>,
    /// Print the key id and public key as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `keyseal issue`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expiry").required(true).args(["ttl", "expires"])))]
pub(crate) struct IssueArgs {
    /// The secret signing key file (PEM or keyseal-secret-v1_ text, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The issuer prefix the key starts with, like acme_live.
    #[arg(long)]
    pub(crate) prefix: Prefix,
    /// The application the key is for.
    #[arg(long, value_name = "APP_ID", value_parser = parse_app_id)]
    pub(crate) app: String,
    /// A scope to grant, resource:action or resource:* (repeatable).
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope)]
    pub(crate) scope: Vec<String>,
    /// Lifetime from now: a number and a unit s, m, h or d (90d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) ttl: Option<Duration>,
    /// Expiry time instead of --ttl.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) expires: Option<Timestamp>,
    /// The key is not valid before this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) not_before: Option<Timestamp>,
    /// Write the key to this file (mode 0600, never over an existing file unless --force)
    /// instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// With --out: replace an existing file (atomically).
    #[arg(long, requires = "out")]
    pub(crate) force: bool,
    /// Print the key with its claims as JSON (with --out: the claims, without the key).
    #[arg(long)]
    pub(crate) json: bool,
}

/// `keyseal verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The API key; read from standard input when absent or `-`.
    pub(crate) api_key: Option<String>,
    /// The keyring document to trust.
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: PathBuf,
    /// The issuer prefix to accept, like acme_live.
    #[arg(long)]
    pub(crate) prefix: Prefix,
    /// A signed revocation list to check the key against.
    #[arg(long, value_name = "FILE")]
    pub(crate) revocations: Option<PathBuf>,
    /// A scope the key must grant (repeatable).
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope)]
    pub(crate) require_scope: Vec<String>,
    /// Verify as of this time instead of now (for incident analysis).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) at: Option<Timestamp>,
    /// Refuse keys whose lifetime (issued-at to expiry) is longer than this, such as 90d:
    /// your issuing policy, enforced at the edge.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) max_lifetime: Option<Duration>,
    /// Print the result as JSON on standard output, valid or not.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `keyseal inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The API key; read from standard input when absent or `-`.
    pub(crate) api_key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `keyseal revoke`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("grace_targets").args(["app", "signer"]).multiple(true)))]
pub(crate) struct RevokeArgs {
    /// The revocation list file to extend (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub(crate) revocations: PathBuf,
    /// Start a new list (sequence 1); refused if the file exists.
    #[arg(long)]
    pub(crate) create: bool,
    /// The keyring document: the previous list and every key given must verify with it.
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: PathBuf,
    /// The secret signing key file that signs the list (it must be usable in the keyring).
    #[arg(long, value_name = "FILE")]
    pub(crate) key: PathBuf,
    /// The issuer prefix of the list, like acme_live.
    #[arg(long)]
    pub(crate) prefix: Prefix,
    /// Revoke an API key given as text (repeatable). Prefer --api-keys-from: arguments show
    /// up in process listings.
    #[arg(long, value_name = "KEY")]
    pub(crate) api_key: Vec<String>,
    /// Revoke the API keys in a file, one per line (`-` for standard input; blank lines and
    /// lines starting with # are skipped).
    #[arg(long, value_name = "FILE")]
    pub(crate) api_keys_from: Vec<PathBuf>,
    /// Revoke a token id, optionally with the key's expiry (ID@TIME) so that the entry can be
    /// pruned once the key has expired; without it the entry is kept for good.
    #[arg(long, value_name = "ID[@TIME]", value_parser = parse_token)]
    pub(crate) token: Vec<(keyseal::TokenId, Option<Timestamp>)>,
    /// Revoke every key of this app issued before --issued-before (repeatable).
    #[arg(long, value_name = "APP_ID", value_parser = parse_app_id)]
    pub(crate) app: Vec<String>,
    /// The cut-off for --app entries (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "app")]
    pub(crate) issued_before: Option<Timestamp>,
    /// Revoke every key signed by this signing key id (repeatable).
    #[arg(long, value_name = "KID")]
    pub(crate) signer: Vec<KeyId>,
    /// --app and --signer entries take effect at this time (a grace period; default: at once).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "grace_targets")]
    pub(crate) effective: Option<Timestamp>,
    /// How long the new list stays fresh (default: as long as the previous one, or 1d).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) valid_for: Option<Duration>,
    /// How long to wait while another keyseal run holds the list's lock (an OS lock on the
    /// file itself, released when that run ends, even if killed), before giving up with
    /// nothing written.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub(crate) wait: Duration,
    /// Print a summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Parses `ID` or `ID@TIME`.
fn parse_token(s: &str) -> Result<(keyseal::TokenId, Option<Timestamp>), String> {
    let (id, expires) = match s.split_once('@') {
        Some((id, t)) => (id, Some(parse_time(t)?)),
        None => (s, None),
    };
    Ok((
        id.parse().map_err(|e: keyseal::Error| e.to_string())?,
        expires,
    ))
}

/// `keyseal scan`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("prefix_users").args(["revocations", "rules"]).multiple(true)))]
pub(crate) struct ScanArgs {
    /// Files and directories to scan; `-` is standard input. Default: the current directory.
    pub(crate) paths: Vec<PathBuf>,
    /// A keyring document, to tell live keys from expired, forged and revoked ones.
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: Option<PathBuf>,
    /// A signed revocation list (needs --keyring and its --prefix).
    #[arg(long, value_name = "FILE", requires_all = ["keyring", "prefix"])]
    pub(crate) revocations: Option<PathBuf>,
    /// The issuer prefix of the revocation list (keys with other prefixes are judged by the
    /// keyring alone), or of the keys --rules finds.
    #[arg(long, requires = "prefix_users")]
    pub(crate) prefix: Option<Prefix>,
    /// Scan nothing: print a rule that finds --prefix keys for another scanner.
    #[arg(long, value_enum, value_name = "SCANNER", requires = "prefix",
        conflicts_with_all = ["paths", "keyring", "at", "no_ignore", "no_progress", "json"])]
    pub(crate) rules: Option<RuleFormat>,
    /// With --rules trufflehog: the endpoint trufflehog posts findings to, to verify them.
    #[arg(long, value_name = "URL", value_parser = parse_verify_url, requires = "rules")]
    pub(crate) verify_url: Option<String>,
    /// Judge keys as of this time instead of now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub(crate) at: Option<Timestamp>,
    /// Also scan files that .gitignore and .ignore files exclude.
    #[arg(long)]
    pub(crate) no_ignore: bool,
    /// Never show the progress line (it is only shown when standard error is a terminal).
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Print the findings as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example() {
        let cli = Cli::command();
        let mut missing = Vec::new();
        for sub in cli.get_subcommands() {
            let subs: Vec<_> = if sub.has_subcommands() {
                sub.get_subcommands().collect()
            } else {
                vec![sub]
            };
            for c in subs {
                let help = c
                    .get_after_help()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if !help.contains("keyseal ") {
                    missing.push(c.get_name().to_string());
                }
            }
        }
        assert!(missing.is_empty(), "no example in --help: {missing:?}");
    }

    #[test]
    fn tokens_with_and_without_expiry() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            parse_token(id).map(|(t, e)| (t.to_string(), e)),
            Ok((id.to_string(), None))
        );
        let (_, e) = parse_token(&format!("{id}@2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(e.map(Timestamp::as_unix), Some(1_767_225_600));
        assert!(parse_token("xyz").is_err());
        assert!(parse_token(&format!("{id}@soon")).is_err());
    }
}
