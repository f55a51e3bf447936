//! Error type of the hunting engine.

use std::path::PathBuf;

/// Errors that stop one input (a log file, a rule file, an IOC file).
///
/// None of them stops a hunt: the caller records them and goes on.
#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

impl HuntError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HuntError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn parse(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        HuntError::Parse {
            path: path.into(),
            message: message.into(),
        }
    }
}
