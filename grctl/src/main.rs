//! grctl: inspect and drive a group-redis group from the shell.
//!
//! Every command prints JSON lines (one object per line, flushed) so scripts and tests can
//! read it. Bad arguments exit 2 with a usage message; Redis unreachable exits 1 with one line.

mod cli;
mod commands;
mod demo;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("grctl: {err}");
            ExitCode::from(1)
        }
    }
}
