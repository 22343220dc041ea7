//! JSON rendering: one object per target, the schema documented in the README.
//! Fields are only ever added, never renamed or removed.

use serde_json::{json, Value};

use crate::audit::Audit;
use crate::plan::Plan;

/// `check`: `account`, `region`, `control`, `compliant`, `steps`, `filters`.
pub fn audit(a: &Audit) -> Value {
    json!({
        "account": a.account,
        "region": a.region,
        "control": a.control,
        "compliant": a.compliant,
        "steps": a.steps,
        "filters": a.filters,
    })
}

/// `fix --plan`: the audit plus `changes`, `summary`, `blocked`, `write_region`, `log_group`.
pub fn plan(a: &Audit, p: &Plan) -> Value {
    let mut v = audit(a);
    v["changes"] = serde_json::to_value(&p.changes).unwrap_or(Value::Null);
    v["summary"] = serde_json::to_value(p.summary()).unwrap_or(Value::Null);
    v["blocked"] = json!(p.blocked);
    v["write_region"] = json!(p.region);
    v["log_group"] = json!(p.log_group);
    v
}

/// `fix --apply`, per control: the plan as it was, `dry_run` (with the `requests` a dry run would
/// send), and `compliant`/`steps` of the audit re-read after applying (`before` holds the audit
/// the plan was made from). The writes sent (`applied`) are listed once for the run, by the
/// caller, since shared writes serve several controls.
pub fn applied(before: &Audit, p: &Plan, after: Option<&Audit>, dry_run: bool) -> Value {
    let mut v = plan(before, p);
    v["before"] = json!({ "compliant": before.compliant, "steps": before.steps });
    v["dry_run"] = json!(dry_run);
    if dry_run {
        v["requests"] = serde_json::to_value(p.writes().collect::<Vec<_>>()).unwrap_or(Value::Null);
    }
    if let Some(after) = after {
        v["compliant"] = json!(after.compliant);
        v["steps"] = serde_json::to_value(&after.steps).unwrap_or(Value::Null);
        v["filters"] = serde_json::to_value(&after.filters).unwrap_or(Value::Null);
    }
    v
}
