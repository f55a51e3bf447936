//! One error type for the crate, with stable codes users and logs can quote.

use khien_levels::LevelError;

/// Everything that can go wrong while loading duty rules or computing deadlines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    /// The input is malformed: bad JSON, an unknown field, a bad date or value.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The input names a regime no rule file covers.
    #[error("unknown regime `{0}` (known: {1})")]
    UnknownRegime(String, String),
    /// The input names a province with no rule file.
    #[error("unknown province `{0}` (known: {1})")]
    UnknownProvince(String, String),
    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// A rule file does not parse or is inconsistent.
    #[error("rule data error in {file}: {message}")]
    Data { file: String, message: String },
    /// The period arithmetic failed: a year missing from the holiday calendar, or a
    /// date outside the supported range.
    #[error(transparent)]
    Calendar(#[from] LevelError),
}

impl DutyError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DutyError::InvalidInput(_) => "duties.invalid_input",
            DutyError::UnknownRegime(..) => "duties.unknown_regime",
            DutyError::UnknownProvince(..) => "duties.unknown_province",
            DutyError::Io { .. } => "duties.io",
            DutyError::Data { .. } => "duties.data",
            DutyError::Calendar(e) => e.code(),
        }
    }

    /// True when the caller supplied bad input (the CLI exits with 2; otherwise 1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            DutyError::InvalidInput(_)
                | DutyError::UnknownRegime(..)
                | DutyError::UnknownProvince(..)
                | DutyError::Io { .. }
        )
    }

    pub(crate) fn data(file: &str, message: impl Into<String>) -> DutyError {
        DutyError::Data {
            file: file.to_string(),
            message: message.into(),
        }
    }
}
