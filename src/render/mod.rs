//! Output for people: text (Terraform-like plans, unified diffs with `similar`). JSON is the
//! typed reports of `crate::report`, serialised. Pure: values in, strings out.

pub(crate) mod emit;
pub(crate) mod fleet;
pub(crate) mod iac;
pub(crate) mod out;
pub(crate) mod text;

use crate::report::Document;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    /// Findings (`check` only): ASFF for Security Hub.
    Asff,
    /// Findings (`check` only): OCSF Compliance Findings.
    Ocsf,
    /// `iac` only: SARIF 2.1.0.
    Sarif,
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
    pub(crate) fn print<R: Document>(
        &self,
        report: R,
        as_text: impl Fn(&R, text::Palette) -> String,
    ) {
        match self.format {
            Format::Text => out::out(&fit(&as_text(&report, self.palette), self.palette.width)),
            Format::Json => self.json(report),
            Format::Asff | Format::Ocsf => self.findings(&report.findings_of()),
            Format::Sarif => self.json(report),
        }
    }

    /// Print the findings of these controls as one JSON array (`--output asff|ocsf`).
    pub(crate) fn findings(&self, controls: &[&crate::report::ControlReport]) {
        let now = time::OffsetDateTime::now_utc();
        let text = match self.format {
            Format::Ocsf => serde_json::to_string_pretty(&crate::findings::ocsf_of(controls, now)),
            _ => serde_json::to_string_pretty(&crate::findings::asff_of(controls, now)),
        };
        out::document(&format!("{}\n", text.unwrap_or_default()));
    }

    /// Print `report` as one line of JSON on stdout, lean unless `-v`.
    pub(crate) fn json<R: Document>(&self, mut report: R) {
        if !self.palette.verbose {
            report.lean();
        }
        out::line(&crate::report::to_line(&report));
    }
}

/// Text output's width: the terminal's when stdout is one, else 100 columns.
pub(crate) fn width() -> usize {
    use std::io::IsTerminal;
    let term = std::io::stdout()
        .is_terminal()
        .then(|| console::Term::stdout().size_checked());
    match term.flatten() {
        Some((_, cols)) if cols >= 40 => usize::from(cols),
        _ => 100,
    }
}

/// `text` kept to `width` columns: a longer line is broken at spaces, its continuation indented
/// two more than the line. A word wider than the rest of the line (an ARN, a pattern) is never
/// broken, and a diff line (`+`, `-`, `@@`, at the start or six columns in as the plan draws
/// them) keeps its shape: it is what would be written.
pub(crate) fn fit(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let plain = console::strip_ansi_codes(body);
        // The plan's diffs sit six columns in: `+`, `-`, `@@` or a context line's space.
        let diff = plain.starts_with(['+', '-', '@'])
            || plain
                .strip_prefix("      ")
                .is_some_and(|rest| rest.starts_with(['+', '-', '@', ' ']));
        if diff || console::measure_text_width(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = plain.len() - plain.trim_start_matches(' ').len();
        let lead = " ".repeat(indent + 2);
        // Each word with the spaces before it, as written (columns line up as they did).
        let mut used = 0;
        let mut rest = body;
        while !rest.is_empty() {
            let gap = rest.len() - rest.trim_start_matches(' ').len();
            let word_end = rest[gap..].find(' ').map_or(rest.len(), |i| gap + i);
            let (spaces, word) = (&rest[..gap], &rest[gap..word_end]);
            rest = &rest[word_end..];
            let w = console::measure_text_width(word);
            if used > lead.len() && used + gap + w > width {
                out.push('\n');
                out.push_str(&lead);
                used = lead.len();
            } else {
                out.push_str(spaces);
                used += gap;
            }
            out.push_str(word);
            used += w;
        }
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_lines_break_at_spaces_under_their_indentation() {
        let text = "  FAIL step 4: the alarm watches a metric no filter publishes, so it never fires\nshort\n";
        assert_eq!(
            fit("  ok   step 2: logging   and   more words\n", 20),
            "  ok   step 2:\n    logging   and\n    more words\n"
        );
        let got = fit(text, 40);
        assert_eq!(
            got,
            "  FAIL step 4: the alarm watches a\n    metric no filter publishes, so it\n    never fires\nshort\n"
        );
        for line in got.lines() {
            assert!(line.len() <= 40, "{line}");
        }
    }

    #[test]
    fn arns_diff_lines_and_short_text_are_kept_whole() {
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:aws-cloudtrail-logs-123456789012-abcdef:*";
        let text = format!("  log group {arn} ok\n+  \"FilterPattern\": \"{{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) }}\"\nok\n");
        let got = fit(&text, 40);
        assert_eq!(
            got,
            format!("  log group\n    {arn}\n    ok\n+  \"FilterPattern\": \"{{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) }}\"\nok\n")
        );
        assert_eq!(fit("a b\n", 100), "a b\n");
        let diff = format!(
            "      +  \"AlarmDescription\": \"{}\"\n",
            "word ".repeat(30)
        );
        assert_eq!(fit(&diff, 40), diff);
        assert_eq!(fit("no newline at the end", 100), "no newline at the end");
    }
}
