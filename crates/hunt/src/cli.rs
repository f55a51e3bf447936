//! `khien hunt` command.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `khien hunt`.
#[derive(Debug, Clone, clap::Args)]
pub struct HuntArgs {
    /// Input files or directories
    pub paths: Vec<PathBuf>,
}

pub fn run(_args: HuntArgs) -> ExitCode {
    ExitCode::SUCCESS
}
