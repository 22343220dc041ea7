//! The typed reports: what `check`, `fix --plan`, `fix --apply`, `drill` and fleet mode say,
//! as plain data. These types *are* the JSON wire format the README documents (one object per
//! target, one line each); the text renderer reads the same values. Fields are only ever added,
//! never renamed or removed.
//!
//! # The wire format
//!
//! - One control: a [`ControlReport`] (`account`, `region`, `control`, `compliant`, `steps`,
//!   `filters`; `history` with `check --history`; the [`PlanPart`] fields with `fix`; the
//!   [`ApplyPart`] fields with `fix --apply`).
//! - A run over one target ([`TargetReport`]): with one control, that control's object; with
//!   several, `{account, region, compliant, controls, controls_summary}` ([`ManyControls`]).
//!   Either way the run's own fields (`applied`, `error` for an apply; the [`FleetFields`] in
//!   fleet mode) sit at the top level.
//! - Fleet mode ends with a [`FleetSummary`] line.
//! - `drill`: a [`DrillReport`].
//!
//! Printing goes through [`to_line`], which sorts an object's keys, as every version has.

mod fleet;
pub(crate) mod iac;
#[cfg(test)]
mod schema;

use serde::Serialize;

use crate::audit::{Audit, FilterVerdict, Step};
use crate::control::Control;
use crate::drill::{AlarmDrill, Drill};
use crate::history::History;
use crate::plan::{Change, Plan, Summary};
use crate::write::{Applied, WriteRequest};

pub(crate) use fleet::{
    ApplyTotals, ControlEntry, ExceptionReport, FleetFields, FleetSummary, Rollout,
};

/// One control in one target.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ControlReport {
    pub account: String,
    pub region: String,
    /// The control's id (`cis-4.4`).
    pub control: String,
    /// Every step passed (after an apply: in the re-read).
    pub compliant: bool,
    /// The seven CIS audit steps (after an apply: as re-read).
    pub steps: Vec<Step>,
    /// The filters on the trail's log group that bear on this control, judged (after an apply:
    /// as re-read): compliant, matching every required event or more, holding the control's
    /// name or publishing its metric. With `-v`, every filter on the group.
    pub filters: Vec<FilterVerdict>,
    /// How many other filters the group holds, judged and left out of `filters` (0 with `-v`).
    pub other_filters: usize,
    /// `check --history`: the working alarm's failed actions (`null`: no working alarm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Option<History>>,
    /// `fix`: the plan.
    #[serde(flatten)]
    pub plan: Option<PlanPart>,
    /// `fix --apply`: what it was before and whether it was a dry run.
    #[serde(flatten)]
    pub apply: Option<ApplyPart>,
    /// Fleet mode: the exception on this control of this account, if one is on file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionReport>,
    /// The trail and log group the audit rests on (ARNs), for findings.
    #[serde(skip)]
    pub rests_on: RestsOn,
}

/// The trail and log group an audit rests on.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RestsOn {
    pub trail: Option<String>,
    pub log_group: Option<String>,
}

/// The plan's fields of a [`ControlReport`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct PlanPart {
    /// Every resource the control needs, with its action and reason.
    pub changes: Vec<Change>,
    /// Counts of `create`, `update`, `keep`, `blocked`.
    pub summary: Summary,
    /// Why nothing can be planned (a prerequisite trailwatch does not fix), if so.
    pub blocked: Option<String>,
    /// The region the writes go to (the trail's log group's).
    pub write_region: String,
    /// The log group's ARN.
    pub log_group: Option<String>,
}

impl From<&Plan> for PlanPart {
    fn from(p: &Plan) -> PlanPart {
        PlanPart {
            changes: p.changes.clone(),
            summary: p.summary(),
            blocked: p.blocked.clone(),
            write_region: p.region.clone(),
            log_group: p.log_group.clone(),
        }
    }
}

/// The apply's fields of a [`ControlReport`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ApplyPart {
    /// The audit the plan was made from.
    pub before: Before,
    pub dry_run: bool,
    /// A dry run: the write requests it would send, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<WriteRequest>>,
}

/// The audit before an apply.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Before {
    pub compliant: bool,
    pub steps: Vec<Step>,
}

impl ControlReport {
    /// `check`: the audit.
    pub(crate) fn audit(a: &Audit) -> ControlReport {
        ControlReport::from_audit(a.clone())
    }

    /// `check`: the audit, taken (no copy).
    pub(crate) fn from_audit(a: Audit) -> ControlReport {
        ControlReport {
            account: a.account,
            region: a.region,
            control: a.control,
            compliant: a.compliant,
            steps: a.steps,
            filters: a.filters,
            other_filters: 0,
            history: None,
            plan: None,
            apply: None,
            exception: None,
            rests_on: RestsOn {
                trail: a.trail,
                log_group: a.log_group,
            },
        }
    }

    /// `fix --plan`: the audit and its plan.
    pub(crate) fn plan(a: &Audit, p: &Plan) -> ControlReport {
        ControlReport {
            plan: Some(PlanPart::from(p)),
            ..ControlReport::audit(a)
        }
    }

    /// `fix --apply`: the plan as it was, the audit re-read after applying (`after`; none when
    /// nothing was applied or the re-read failed), and the requests of a dry run.
    pub(crate) fn applied(
        before: &Audit,
        p: &Plan,
        after: Option<&Audit>,
        dry_run: bool,
    ) -> ControlReport {
        let mut r = ControlReport::plan(before, p);
        r.apply = Some(ApplyPart {
            before: Before {
                compliant: before.compliant,
                steps: before.steps.clone(),
            },
            dry_run,
            requests: dry_run.then(|| p.writes().cloned().collect()),
        });
        if let Some(after) = after {
            r.compliant = after.compliant;
            r.steps = after.steps.clone();
            r.filters = after.filters.clone();
            r.rests_on = RestsOn {
                trail: after.trail.clone(),
                log_group: after.log_group.clone(),
            };
        }
        r
    }
}

/// A JSON document trailwatch prints. Plain output leaves out what only `-v` shows
/// ([`Document::lean`]); every document is printed inside the [`Envelope`].
pub(crate) trait Document: Serialize {
    /// Drop what only `-v` shows: the filters that do not bear on a control (counted in
    /// `other_filters`).
    fn lean(&mut self) {}

    /// The controls it reports on, read (for findings).
    fn findings_of(&self) -> Vec<&ControlReport> {
        Vec::new()
    }
}

impl Document for ControlReport {
    fn lean(&mut self) {
        let before = self.filters.len();
        self.filters.retain(|f| f.relevant);
        self.other_filters += before - self.filters.len();
    }
}

impl Document for TargetReport {
    fn findings_of(&self) -> Vec<&ControlReport> {
        self.controls()
    }

    fn lean(&mut self) {
        match &mut self.body {
            Body::One(c) => c.lean(),
            Body::Many(m) => m.controls.iter_mut().for_each(ControlEntry::lean),
        }
    }
}

impl Document for ControlEntry {
    fn lean(&mut self) {
        if let ControlEntry::Read(r) = self {
            r.lean();
        }
    }
}

impl Document for DrillReport {
    fn lean(&mut self) {
        if let DrillReport::Nothing { audit, .. } = self {
            audit.lean();
        }
    }
}

impl Document for FleetSummary {}

/// The version of every JSON document: `MAJOR.MINOR`. A minor version only adds fields (a
/// consumer ignores fields it does not know); a major version may remove or change them (a
/// consumer rejects a major it does not know).
pub(crate) const FORMAT_VERSION: &str = "1.0";

/// What every JSON document carries beside its own fields: the format version and the tool.
#[derive(Serialize, schemars::JsonSchema)]
struct Envelope<'a, T: Serialize> {
    format_version: &'static str,
    tool: Tool,
    #[serde(flatten)]
    body: &'a T,
}

/// The tool that printed a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// This build of trailwatch.
pub(crate) const TOOL: Tool = Tool {
    name: "trailwatch",
    version: env!("CARGO_PKG_VERSION"),
};

/// Several controls in one target.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ManyControls {
    pub account: String,
    pub region: String,
    /// Every control compliant.
    pub compliant: bool,
    pub controls: Vec<ControlEntry>,
    pub controls_summary: ControlsSummary,
}

/// How many controls, how many compliant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct ControlsSummary {
    pub controls: usize,
    pub compliant: usize,
}

/// The body of a [`TargetReport`]: one control's object, or several.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Body {
    One(ControlEntry),
    Many(ManyControls),
}

/// One run over one target: the line printed for it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct TargetReport {
    #[serde(flatten)]
    pub body: Body,
    /// `fix --apply`: the writes sent, once for the run (shared writes serve several controls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Vec<Applied>>,
    /// `fix --apply`: what stopped it (secrets scrubbed), after the writes already sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `check --security-hub`: what Security Hub took of this target's findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<crate::aws::securityhub::Imported>,
    /// Fleet mode: the target's place in the fleet.
    #[serde(flatten)]
    pub fleet: Option<FleetFields>,
}

impl TargetReport {
    /// One target's report from its controls' entries: one entry is the object itself; any
    /// other number is the several-controls object. `compliant` is the run's verdict.
    pub(crate) fn new(
        account: &str,
        region: &str,
        mut controls: Vec<ControlEntry>,
        compliant: bool,
    ) -> TargetReport {
        let body = if controls.len() == 1 {
            Body::One(controls.remove(0))
        } else {
            let ok = controls
                .iter()
                .filter(|c| matches!(c, ControlEntry::Read(r) if r.compliant))
                .count();
            Body::Many(ManyControls {
                account: account.to_string(),
                region: region.to_string(),
                compliant,
                controls_summary: ControlsSummary {
                    controls: controls.len(),
                    compliant: ok,
                },
                controls,
            })
        };
        TargetReport {
            body,
            applied: None,
            error: None,
            security_hub: None,
            fleet: None,
        }
    }

    /// The controls that were read, in order.
    pub(crate) fn controls(&self) -> Vec<&ControlReport> {
        match &self.body {
            Body::One(c) => c.read().into_iter().collect(),
            Body::Many(m) => m.controls.iter().filter_map(ControlEntry::read).collect(),
        }
    }

    /// From read controls only.
    pub(crate) fn of(
        account: &str,
        region: &str,
        controls: Vec<ControlReport>,
        compliant: bool,
    ) -> Self {
        TargetReport::new(
            account,
            region,
            controls
                .into_iter()
                .map(|c| ControlEntry::Read(Box::new(c)))
                .collect(),
            compliant,
        )
    }
}

/// `drill`: what was published and whether it reached a confirmed subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum DrillReport {
    /// Nothing to drill (no working alarm): the audit, `drill: null`, `delivered: false` and why.
    Nothing {
        #[serde(flatten)]
        audit: Box<ControlReport>,
        drill: Option<()>,
        delivered: bool,
        failures: Vec<String>,
    },
    /// The drill: topics published to, the alarm drill (`--alarm`), the verdict.
    Done {
        #[serde(flatten)]
        drill: Box<Drill>,
        alarm_drill: Option<Box<AlarmDrill>>,
        delivered: bool,
        failures: Vec<String>,
        error: Option<String>,
    },
}

/// `list-controls`: the embedded controls.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ControlList {
    pub controls: Vec<ControlInfo>,
}

/// One embedded control.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ControlInfo {
    pub id: String,
    pub cis: Vec<String>,
    pub security_hub: Option<String>,
    pub title: String,
}

impl ControlList {
    pub(crate) fn new(controls: &[Control]) -> ControlList {
        ControlList {
            controls: controls
                .iter()
                .map(|c| ControlInfo {
                    id: c.id.clone(),
                    cis: c.cis.clone(),
                    security_hub: c.security_hub.clone(),
                    title: c.title.clone(),
                })
                .collect(),
        }
    }
}

/// A value's JSON with every object's keys sorted: the same value always gives the same text
/// (what fingerprints and a plan file's checksum are computed over).
pub(crate) fn canonical(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .map(|mut v| {
            v.sort_all_objects();
            v.to_string()
        })
        .unwrap_or_default()
}

/// One line of JSON for `report`, in its [`Envelope`]: every object's keys sorted, as every version has printed them,
/// whatever serde_json's features (a dependency's `preserve_order` would otherwise keep the
/// order fields were written in).
pub(crate) fn to_line(report: &impl Serialize) -> String {
    let document = Envelope {
        format_version: FORMAT_VERSION,
        tool: TOOL,
        body: report,
    };
    canonical(&document)
}

#[cfg(test)]
mod tests;
