//! One error type for the crate, with stable codes that users and logs can quote.

/// Everything that can go wrong while loading regimes or classifying a system.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    /// The input JSON is malformed, has an unknown field or an unknown value.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The input names a regime that is not in the data.
    #[error("unknown regime `{0}` (known: {1})")]
    UnknownRegime(String, String),
    /// The input file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// An embedded data file does not parse or is inconsistent (a bug in data/regimes/).
    #[error("regime data error in {file}: {message}")]
    Data { file: String, message: String },
    /// A date computation needs holidays for a year the calendar does not list.
    #[error(
        "the holiday calendar has no entry for year {0}; add it to data/regimes/holidays-vn.toml"
    )]
    YearNotConfigured(i32),
    /// A date computation went outside the supported date range.
    #[error("date out of range")]
    DateOutOfRange,
}

impl LevelError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LevelError::InvalidInput(_) => "level.invalid_input",
            LevelError::UnknownRegime(..) => "level.unknown_regime",
            LevelError::Io { .. } => "level.io",
            LevelError::Data { .. } => "level.data",
            LevelError::YearNotConfigured(_) => "level.calendar_year_missing",
            LevelError::DateOutOfRange => "level.date_out_of_range",
        }
    }

    /// True when the caller (person or script) supplied bad input; the CLI exits with 2.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            LevelError::InvalidInput(_) | LevelError::UnknownRegime(..) | LevelError::Io { .. }
        )
    }
}
