//! `khien`: the web platform, its CLI jobs and the demo province in one binary.

mod audit_anchor;
mod backup;
mod cli;
mod config;
mod demo;
mod hunt_report;
mod serve;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::run(cli)
}
