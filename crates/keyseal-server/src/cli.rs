//! The command line: `init` and `serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// The keyseal signing service.
#[derive(Debug, Parser)]
#[command(name = "keyseal-server", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Creates the store and the first signing key; prints a one-time admin key on stdout.
    Init(InitArgs),
    /// Runs the service.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Data directory (SQLite store, signing key files); created if missing.
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Prefix of the app keys, e.g. `acme_live`.
    #[arg(long)]
    pub(crate) prefix: String,
    /// Prefix of admin keys (default: `<prefix>_admin`).
    #[arg(long)]
    pub(crate) admin_prefix: Option<String>,
    /// PostgreSQL instead of the embedded SQLite store: `postgres://user:pass@host/db`.
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// Lifetime of the first admin key.
    #[arg(long, default_value = "365d", value_parser = parse_duration)]
    pub(crate) admin_lifetime: Duration,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Data directory given to `init` (signing key files; the SQLite store by default).
    #[arg(long)]
    pub(crate) data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    pub(crate) listen: SocketAddr,
    /// PostgreSQL instead of the embedded SQLite store.
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// Also write keyring.json and revocations.bin here, atomically, after each change.
    #[arg(long)]
    pub(crate) publish_dir: Option<PathBuf>,
    /// How long each signed list stays fresh (republished at half of it).
    #[arg(long, default_value = "1d", value_parser = parse_duration)]
    pub(crate) list_validity: Duration,
    /// `Cache-Control: max-age` of the published files.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub(crate) max_age: Duration,
    /// How long a new signing key is published before it may be promoted.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub(crate) propagation_delay: Duration,
    /// Rotate the signing key on a timer (e.g. `90d`).
    #[arg(long, value_parser = parse_duration)]
    pub(crate) rotate_every: Option<Duration>,
    /// Longest lifetime of an issued key.
    #[arg(long, default_value = "400d", value_parser = parse_duration)]
    pub(crate) max_key_lifetime: Duration,
    /// Longest long-poll wait on the revocation list.
    #[arg(long, default_value = "55s", value_parser = parse_duration)]
    pub(crate) max_wait: Duration,
    #[command(flatten)]
    pub(crate) leaks: crate::leaks::LeakArgs,
}

/// `90d`, `12h`, `30m`, `45s`, or plain seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 90d, 12h, 30m or 45s"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: the unit is one of s, m, h, d")),
    };
    n.checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{s}` is too long"))
}
