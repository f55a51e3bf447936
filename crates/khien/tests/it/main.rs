//! The one integration-test binary (one link on two cores): every test runs against a
//! real SQLite file and a real PostgreSQL server (KHIEN_TEST_DATABASE_URL).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests set the clock themselves (fixed or wall time); the rule is for the platform.
#![allow(clippy::disallowed_methods)]

mod accounts;
mod advisories;
mod api;
mod assessments;
mod audit_chain;
mod audit_views;
mod backup;
mod blobs;
mod backups;
mod vendors;
mod training;
mod risks;
mod budget;
mod protection;
mod compliance;
mod concurrency;
mod database_tls;
mod documents;
mod drills;
mod duties;
mod exchange;
mod findings;
mod forms;
mod harness;
mod hunts;
mod incident_clocks;
mod incidents;
mod inputs;
mod jobs;
mod openapi;
mod periodic_reports;
mod response_plans;
mod plan_sheet;
mod processes;
mod reminders;
mod rights;
mod rules;
mod security_levels;
mod server_limits;
mod submissions;
mod team;
mod tenancy;
mod web_flows;
mod work_queue;
