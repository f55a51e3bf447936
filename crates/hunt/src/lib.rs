//! Khiên threat-hunting engine (issue 4).
//!
//! Reads Windows EVTX, JSON lines, syslog and web access logs as a stream of
//! [`record::Record`]s, runs Sigma rules ([`sigma`]) and IOC sweeps ([`ioc`])
//! over them and writes a time-ordered list of [`detection::Detection`]s
//! ([`output`]). The `khien hunt` command lives in [`cli`].

pub mod cli;
pub mod detection;
pub mod error;
pub mod hunt;
pub mod ioc;
pub mod output;
pub mod readers;
pub mod record;
pub mod sigma;
pub mod spill;
pub mod timeparse;

pub use cli::{HuntArgs, run};
pub use error::HuntError;
