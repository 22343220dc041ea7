//! Output: text for people (Terraform-like plans, unified diffs with `similar`) and JSON for
//! runbooks (the documented, stable schema). Pure: values in, strings out.

pub mod json;
pub mod text;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}
