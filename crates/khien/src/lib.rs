//! The parts of the `khien` binary that tests drive directly: background jobs and the
//! e-mail they send.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod jobs;
pub mod mail;
pub mod scan_import;
