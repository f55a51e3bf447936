//! The parts of the `khien` binary that tests drive directly: background jobs.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod jobs;
pub mod scan_import;
