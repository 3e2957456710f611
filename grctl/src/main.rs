//! grctl: inspect and drive a group-redis group from the shell.
//!
//! Every command prints JSON lines (one object per line, flushed) so scripts and tests can
//! read it; failures go to stderr with an exit code per kind of failure (`exit.rs`).

mod cli;
mod commands;
mod demo;
mod demo_leader;
mod embedded_redis;
mod exit;
mod json_arg;
mod messages;
mod recipes;
mod verbose;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            err.exit()
        }
        Err(err) => {
            // Every argument error names the usage, not only the ones clap decorates.
            let rendered = err.render().to_string();
            eprint!("{rendered}");
            if !rendered.contains("Usage:") {
                eprintln!("\n{}", cli::Cli::command().render_usage());
            }
            return ExitCode::from(exit::Exit::Usage as u8);
        }
    };
    if cli.verbose {
        verbose::enable();
    }
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("grctl: {failure}");
            ExitCode::from(failure.exit as u8)
        }
    }
}
