//! trailwatch: an idempotent fixer for the CIS AWS Foundations monitoring controls.
//!
//! discover (AWS reads) -> Observed -> audit/plan (pure) -> Plan -> render | apply (AWS writes).

/// `impl schemars::JsonSchema` for an enum serialised as one of its words (`into = &str`): a
/// string schema listing them, since the derive would list the Rust variant names.
macro_rules! words_schema {
    ($ty:ident, $description:literal, $words:expr) => {
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": $description,
                    "type": "string",
                    "enum": $words,
                })
            }
        }
    };
}

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
pub mod iac;
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
