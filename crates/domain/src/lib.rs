#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
//! Khiên's domain: plain types and rules with no IO and no clock.
//!
//! Capability names repeat across `domain`, `store` and `web` (`units`, `systems`,
//! `audit`, …) so that one word finds a feature in every layer.

pub mod advisories;
pub mod assessments;
pub mod audit;
pub mod backups;
pub mod budget;
pub mod dossiers;
pub mod drills;
pub mod hunts;
pub mod incidents;
pub mod jobs;
pub mod error;
pub mod exchange;
pub mod findings;
pub mod levels;
pub mod plans;
pub mod protection;
pub mod response_plans;
pub mod risks;
pub mod rules;
pub mod roles;
pub mod systems;
pub mod team;
pub mod text;
pub mod time_fmt;
pub mod training;
pub mod units;
pub mod users;
pub mod vendors;
pub mod weaknesses;

pub use error::{FieldError, Invalid};
pub use roles::{Principal, Role, Scope};
