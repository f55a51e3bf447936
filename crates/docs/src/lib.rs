//! Documents Khiên reads and writes: XLSX tables (templates, exports, the reading side of
//! imports) and the state-format reports (DOCX, and the Form 08 table as XLSX).
//!
//! Every renderer is a pure function from plain data to bytes: no database, no clock,
//! no file system. The caller gives all Vietnamese strings and all dates.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod annual;
pub mod docx_style;
pub mod dossier;
pub mod drill;
pub mod error;
pub mod incident;
pub mod league;
pub mod periodic;
pub mod response_plan;
pub mod vn_format;
pub mod xlsx;
pub mod zip_guard;

pub use docx_style::{DocHeader, Signature};
pub use error::DocError;
