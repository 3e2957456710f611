//! grctl: inspect and drive a group-redis group from the shell.
//!
//! Every command prints JSON lines (one object per line, flushed) so scripts and tests can
//! read it. Bad arguments exit 2 with a usage message; Redis unreachable exits 1 with one line.

mod cli;
mod commands;
mod demo;

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
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("grctl: {err}");
            ExitCode::from(1)
        }
    }
}
