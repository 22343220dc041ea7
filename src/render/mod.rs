//! Output for people: text (Terraform-like plans, unified diffs with `similar`). JSON is the
//! typed reports of `crate::report`, serialised. Pure: values in, strings out.

pub mod fleet;
pub mod text;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}
