//! Fleet mode's text: one line per target, the summary line, and each distinct plan once with
//! the targets it applies to.

use serde_json::Value;

use super::text::{self, Palette};
use crate::fleet::assess::{self, Assessment};
use crate::fleet::Survey;
use crate::plan::{self, Plan};
use crate::report::PlanPart;

/// `1 to create, 2 to update` for a target's plans (empty when nothing is to be done).
pub(crate) fn changes(plans: &[Plan]) -> String {
    let writes = plan::writes(plans).len();
    let t: crate::plan::Summary = plans.iter().map(Plan::summary).sum();
    let mut parts = Vec::new();
    if t.create > 0 {
        parts.push(format!("{} to create", t.create));
    }
    if t.update > 0 {
        parts.push(format!("{} to update", t.update));
    }
    if t.blocked > 0 {
        parts.push(format!(
            "{} {}",
            t.blocked,
            if t.blocked == 1 {
                "needs you"
            } else {
                "need you"
            }
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("{} ({writes} write(s))", parts.join(", "))
}

/// One line per target.
pub(crate) fn table(
    surveys: &[Survey],
    assessed: &[Assessment],
    plans: Option<&[Vec<Plan>]>,
) -> String {
    let mut out = String::new();
    // The status column as wide as its widest word in this table.
    let width = assessed
        .iter()
        .map(|a| a.status.word().len())
        .max()
        .unwrap_or(0)
        .max(10);
    for (i, (s, a)) in surveys.iter().zip(assessed).enumerate() {
        let label = s
            .account
            .label
            .as_deref()
            .map(|l| format!("[{l}] "))
            .unwrap_or_default()
            + &s.account
                .name
                .as_deref()
                .map(|n| format!("({n}) "))
                .unwrap_or_default();
        let planned = plans
            .map(|p| changes(&p[i]))
            .filter(|c| !c.is_empty())
            .map(|c| format!("; plan: {c}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}  {:<14} {:<width$}  {label}{}{planned}\n",
            s.account.id,
            s.region,
            a.status.word(),
            a.detail
        ));
        for note in a.exceptions.iter().filter(|n| n.contains("expired")) {
            out.push_str(&format!("{:>28}  {note}\n", ""));
        }
    }
    out
}

/// `Fleet: 4 target(s): 1 compliant, 2 drift, 0 blocked, 1 excepted, 0 covered-by, 0 error`.
pub(crate) fn summary_line(assessed: &[Assessment]) -> String {
    let counts: Vec<String> = assess::counts(assessed)
        .into_iter()
        .map(|(s, n)| format!("{n} {}", s.word()))
        .collect();
    format!("Fleet: {} target(s): {}", assessed.len(), counts.join(", "))
}

/// Each distinct plan once, with the targets it applies to. Plans are compared as data, with
/// the target's account id read as `<account>` in every value, so that the same change in many
/// accounts is one group.
pub(crate) fn grouped_plans(surveys: &[Survey], plans: &[Vec<Plan>], p: Palette) -> String {
    // (each control's generic plan, the targets it applies to)
    type Group = (Vec<(String, PlanPart)>, Vec<String>);
    let mut groups: Vec<Group> = Vec::new();
    for (s, ps) in surveys.iter().zip(plans) {
        // A blocked plan is said in the table already; here only what would be written or
        // needs the user.
        let shown: Vec<(String, PlanPart)> = ps
            .iter()
            .filter(|p| !p.is_empty() && p.blocked.is_none())
            .map(|p| (p.control.clone(), generic(PlanPart::from(p), &s.account.id)))
            .collect();
        if shown.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(k, _)| *k == shown) {
            Some((_, names)) => names.push(s.name()),
            None => groups.push((shown, vec![s.name()])),
        }
    }
    let mut out = String::new();
    for (parts, names) in groups {
        out.push_str(&format!(
            "\n== {} for {} target(s): {}\n",
            p.bold("Plan"),
            names.len(),
            names.join(", ")
        ));
        for (control, part) in &parts {
            out.push_str(&text::plan(control, ACCOUNT, part, p));
        }
    }
    out
}

/// What stands for a target's account id in a plan shared by several targets.
const ACCOUNT: &str = "<account>";

/// `part` with `account` read as [`ACCOUNT`] in every string it holds.
fn generic(mut part: PlanPart, account: &str) -> PlanPart {
    let swap = |s: &mut String| {
        if s.contains(account) {
            *s = s.replace(account, ACCOUNT);
        }
    };
    part.log_group.as_mut().map(swap);
    swap(&mut part.write_region);
    part.blocked.as_mut().map(swap);
    // Changes carry the account in names, documents and requests: swap it in their JSON form.
    if let Ok(mut v) = serde_json::to_value(&part.changes) {
        swap_strings(&mut v, account);
        if let Ok(changes) = serde_json::from_value(v) {
            part.changes = changes;
        }
    }
    part
}

fn swap_strings(v: &mut Value, account: &str) {
    match v {
        Value::String(s) if s.contains(account) => *s = s.replace(account, ACCOUNT),
        Value::Array(items) => items.iter_mut().for_each(|x| swap_strings(x, account)),
        Value::Object(m) => m.values_mut().for_each(|x| swap_strings(x, account)),
        _ => {}
    }
}
