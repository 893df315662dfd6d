//! `keyseal`, the command-line tool: generate signing keys, keep keyring documents, issue,
//! verify and inspect API keys, maintain signed revocation lists and scan for leaked keys.
//!
//! A crate of its own (`cargo install --path crates/keyseal-cli`), so the library keeps its
//! small dependency set. Exit statuses are documented in `keyseal --help` and in
//! [`exit::Exit`].
#![forbid(unsafe_code)]

mod cli;
mod exit;
mod files;
mod input;
mod inspect;
mod issue;
mod keygen;
mod keyring;
mod output;
mod revoke;
mod rules;
mod scan;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::{Exit, Failure};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output with status 0; errors to standard
            // error with status 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(Exit::Usage.code()));
        }
    };
    match run(cli.command) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            output::note(&failure);
            ExitCode::from(failure.exit.code())
        }
    }
}

/// Runs one command. `Ok` carries the status of a command that reports an outcome through
/// it (scan, verify with --json); everything else is `Exit::Ok` or a [`Failure`].
fn run(command: Command) -> Result<Exit, Failure> {
    match command {
        Command::Keygen(args) => keygen::run(&args),
        Command::Keyring(command) => keyring::run(command),
        Command::Issue(args) => issue::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Scan(args) => match (args.rules, &args.prefix) {
            (Some(format), Some(prefix)) => rules::run(format, prefix, args.verify_url.as_deref()),
            _ => scan::run(&args),
        },
    }
}
