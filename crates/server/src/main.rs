//! `linewise`: the server (`serve`) and the command-line faces (`check`, `write`, `query`).
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(
    name = "linewise",
    version,
    about = "Line-protocol ingest: validate, write, store, query"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the InfluxDB-compatible write/query server and the web UI.
    Serve(Box<cli::serve::Args>),
    /// Validate line protocol like a compiler: exit 0 if every line is valid, 1 if not, 2 on usage/I/O errors.
    Check(cli::check::Args),
    /// Turn CSV into line protocol (the page's conversion): roles guessed, changed with --column.
    Convert(cli::convert::Args),
    /// Send line protocol to a server in gzipped batches, with retries and progress.
    Write(cli::write::Args),
    /// Run SQL against a server and print the result.
    Query(cli::query::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => cli::serve::run(*args),
        Command::Check(args) => cli::check::run(args),
        Command::Convert(args) => cli::convert::run(args),
        Command::Write(args) => cli::write::run(args),
        Command::Query(args) => cli::query::run(args),
    }
}
