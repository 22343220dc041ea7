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

/// Where a report goes: text for people (rendered by one of [`text`]'s functions) or one line of
/// JSON, the report itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    pub(crate) format: Format,
    pub(crate) palette: text::Palette,
}

impl Printer {
    /// Print `report` on stdout: `as_text` renders it for people; JSON is the report itself.
    pub(crate) fn print<R: serde::Serialize>(
        &self,
        report: &R,
        as_text: impl Fn(&R, text::Palette) -> String,
    ) {
        match self.format {
            Format::Text => print!("{}", as_text(report, self.palette)),
            Format::Json => println!("{}", crate::report::to_line(report)),
        }
    }
}
