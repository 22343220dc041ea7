//! JSON Schema (2020-12) of every JSON document trailwatch prints or writes, generated from the
//! typed reports themselves (`schemars`), so the schema cannot drift from what is printed.
//! `schema/*.json` hold them; a test checks they equal what this generates
//! (`TRAILWATCH_WRITE_SCHEMA=1 cargo test --lib schema` writes them again).

use schemars::JsonSchema;
use serde::Serialize;

use super::{ControlList, DrillReport, FleetSummary, TargetReport, Tool};
use crate::control::Control;
use crate::planfile::PlanFile;

/// The envelope every document is printed in, for the schema: the document's own fields beside
/// `format_version` and `tool`.
#[derive(Serialize, JsonSchema)]
struct Document<T> {
    /// `MAJOR.MINOR`: a minor version only adds fields; a major version may remove or change them.
    format_version: String,
    tool: Tool,
    #[serde(flatten)]
    body: T,
}

/// The schema of what is printed (a field left out when empty is not required).
fn of<T: JsonSchema>(title: &str) -> serde_json::Value {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.into()
}

/// Each document's file name under `schema/` and its schema.
pub(crate) fn documents() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "report.json",
            of::<Document<TargetReport>>(
                "trailwatch report: check, fix --plan, fix --apply, one fleet target",
            ),
        ),
        (
            "fleet-summary.json",
            of::<Document<FleetSummary>>("trailwatch fleet summary: the last line in fleet mode"),
        ),
        (
            "drill.json",
            of::<Document<DrillReport>>("trailwatch drill"),
        ),
        (
            "controls.json",
            of::<Document<ControlList>>("trailwatch controls"),
        ),
        (
            "control.json",
            of::<Document<Control>>("trailwatch controls show ID"),
        ),
        (
            "plan-file.json",
            of::<PlanFile>("trailwatch saved plan (fix --plan --out)"),
        ),
        (
            "iac.json",
            of::<Document<super::iac::IacReport>>(
                "trailwatch iac: the gate's verdicts on templates, plans and Terraform files",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed schema files are what the types give.
    #[test]
    fn the_committed_schema_files_are_what_the_reports_give() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
        let write = std::env::var_os("TRAILWATCH_WRITE_SCHEMA").is_some();
        for (name, schema) in documents() {
            let text = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
            let path = dir.join(name);
            if write {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == text,
                "schema/{name} is not what the reports give: run TRAILWATCH_WRITE_SCHEMA=1 cargo test --lib schema"
            );
        }
    }
}
