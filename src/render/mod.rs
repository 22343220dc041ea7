//! Output for people: text (Terraform-like plans, unified diffs with `similar`). JSON is the
//! typed reports of `crate::report`, serialised. Pure: values in, strings out.

pub(crate) mod fleet;
pub(crate) mod text;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}
