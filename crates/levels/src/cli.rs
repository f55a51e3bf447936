//! `khien level …` subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::classify::classify_json;
use crate::error::LevelError;

// The binary mounts these as `Level { #[command(subcommand)] cmd: khien_levels::LevelCommand }`.
/// Security levels (cấp độ) under Decree 85/2016 or Decree 331/2026.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LevelCommand {
    /// Determine the security level of a system described in a JSON file
    /// (see docs/level-input.md); prints one JSON object.
    Classify {
        /// Input JSON file ("-" reads standard input).
        file: PathBuf,
    },
}

fn read_input(file: &PathBuf) -> Result<String, LevelError> {
    let io_err = |e: std::io::Error| LevelError::Io {
        path: file.display().to_string(),
        message: e.to_string(),
    };
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(io_err)?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).map_err(io_err)
    }
}

/// Run a level subcommand. Exit codes: 0 success, 2 bad input (unreadable file, invalid
/// JSON, unknown field or value, unknown regime), 1 internal data error.
pub fn run(cmd: LevelCommand) -> ExitCode {
    let result = match cmd {
        LevelCommand::Classify { file } => read_input(&file).and_then(|t| classify_json(&t)),
    };
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            if e.is_input_error() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
