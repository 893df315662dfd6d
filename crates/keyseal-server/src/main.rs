//! `keyseal-server`: the keyseal signing service. It issues, lists, rerolls and revokes keys
//! over HTTP, keeps them in a durable store (SQLite, or PostgreSQL for several replicas), and
//! publishes the keyring and the signed revocation list that edges fetch.

mod auth;
mod cli;
mod error;
mod http;
mod issuing;
mod leaks;
mod metrics;
mod model;
mod publisher;
mod rotation;
mod routes;
mod run;
mod service;
mod signing;
mod store;
mod tasks;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("keyseal-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Init(args) => run::init(args).await,
            cli::Command::Serve(args) => run::serve(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keyseal-server: {e}");
            ExitCode::FAILURE
        }
    }
}
