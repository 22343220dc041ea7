//! trailwatch: an idempotent fixer for the CIS AWS Foundations monitoring controls.
//!
//! discover (AWS reads) -> Observed -> audit/plan (pure) -> Plan -> render | apply (AWS writes).

pub mod apply;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod control;
pub mod delivery;
pub mod discover;
pub mod drill;
pub mod error;
mod exit;
mod findings;
#[cfg(test)]
mod fixtures;
mod fleet;
mod guardrails;
pub mod history;
pub mod observed;
pub mod ownership;
mod partition;
pub mod plan;
mod planfile;
pub mod policies;
pub mod redact;
mod render;
mod report;
pub mod run;
mod settings;
pub mod target;
mod values;
mod write;

/// The filter-pattern language (the `trailwatch-pattern` crate).
pub use trailwatch_pattern as pattern;
