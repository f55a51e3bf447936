//! Table-driven tests of both engines; every expected date was worked out by hand from
//! the rule's text and the calendar (weekday and holiday noted beside each case).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod incident_clocks;
mod obligations;
mod rules;

use serde_json::Value;

/// Run a JSON-in, JSON-out engine and parse its answer.
pub(crate) fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the engine prints JSON")
}
