//! Documents Khiên reads and writes. For now: XLSX tables (templates, exports) and the
//! reading side of XLSX imports. DOCX and PDF come with the reports.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod xlsx;
