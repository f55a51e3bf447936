//! Security-level regimes and classification (issue 3).
//!
//! - [`regime`]: regimes as data (Decree 85/2016 + Circular 12/2022 + TCVN 11930:2017;
//!   Law 116/2025 + Decree 331/2026 + TCVN 14423:2026), embedded and parsed at first use;
//! - [`classify()`]: the level determination engine;
//! - [`working_days`]: working-day calendar with Vietnamese public holidays;
//! - [`periods`]: Civil Code 2015 Arts 147–148 periods (hours, days, months) on it;
//! - [`LevelCommand`] / [`run`]: the `khien level` CLI.
//!
//! No function reads the clock: dates are always parameters.

pub mod catalogue;
pub mod classify;
mod cli;
pub mod condition;
pub mod dates;
mod error;
pub mod input;
pub mod periods;
pub mod regime;
pub mod roles;
pub mod working_days;

pub use catalogue::{Catalogue, Requirement, RequirementKind};
pub use classify::{Determination, FiredCriterion, classify, classify_json};
pub use cli::{LevelCommand, run};
pub use error::LevelError;
pub use input::LevelInput;
pub use regime::{Regime, all_regimes, load_regime, regime_in_force};
pub use roles::{Role, RoleNames};
pub use working_days::{Calendar, add_working_days};
