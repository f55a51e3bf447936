//! The one error type of the document renderers.

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocError {
    /// The input cannot be rendered as given (for example a level outside 1–5).
    #[error("invalid document input: {0}")]
    Invalid(String),
    /// docx-rs failed to write the package.
    #[error("cannot write the DOCX document: {0}")]
    Docx(String),
    /// rust_xlsxwriter failed to write the workbook.
    #[error("cannot write the XLSX workbook: {0}")]
    Xlsx(String),
}

impl From<rust_xlsxwriter::XlsxError> for DocError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        DocError::Xlsx(e.to_string())
    }
}
