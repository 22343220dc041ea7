//! Fleet mode's report fields: each target's place in the fleet, the controls an exception kept
//! unread, and the summary line that ends the output.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;

use super::{ControlReport, TargetReport};
use crate::audit::Audit;
use crate::fleet::assess::{Assessment, Status};
use crate::fleet::exceptions::{self, Exception, Standing};
use crate::fleet::Survey;
use crate::plan::Plan;

/// One control's entry in a target's report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum ControlEntry {
    /// Read and audited (planned, applied).
    Read(Box<ControlReport>),
    /// Not read: every selected control of the account is held by an exception.
    NotRead(NotRead),
}

impl ControlEntry {
    /// The report of a control that was read.
    pub(crate) fn read(&self) -> Option<&ControlReport> {
        match self {
            ControlEntry::Read(r) => Some(r),
            ControlEntry::NotRead(_) => None,
        }
    }
}

/// A control of an account that was not read at all (no role assumed).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct NotRead {
    pub account: String,
    pub region: String,
    pub control: String,
    /// Always `false`.
    pub read: bool,
    pub exception: Option<ExceptionReport>,
}

/// An exception on file for a control of an account.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct ExceptionReport {
    pub owner: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    pub reason: String,
    /// `false` once expired: the control is checked and planned again.
    pub holds: bool,
}

impl ExceptionReport {
    /// The exception on `control` of `account` today, if one is on file.
    pub(crate) fn find(
        list: &[Exception],
        account: &str,
        control: &str,
        today: Date,
    ) -> Option<ExceptionReport> {
        let (e, holds) = match exceptions::standing(list, account, control, today)? {
            Standing::Holds(e) => (e, true),
            Standing::Expired(e) => (e, false),
        };
        Some(ExceptionReport {
            owner: e.owner.clone(),
            expires: exceptions::format_date(e.expires),
            reason: e.reason.clone(),
            holds,
        })
    }
}

/// A target's fields in fleet mode, beside its controls.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct FleetFields {
    /// The label from the accounts file.
    pub label: Option<String>,
    /// The account's name in AWS Organizations (`--org`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The role assumed (`null` for the caller's own account).
    pub role_arn: Option<String>,
    pub status: Status,
    /// The table's line.
    pub detail: String,
    /// Counts against the exit code.
    pub pending: bool,
    /// `ACCOUNT/REGION` whose organization trail's log group serves this target.
    pub covered_by: Option<String>,
    /// Controls an exception holds.
    pub excepted: Vec<String>,
    /// Why the target could not be read.
    pub error: Option<String>,
    /// `fix --apply`: the batch and what stopped the target's apply.
    #[serde(flatten)]
    pub rollout: Option<Rollout>,
}

/// A target's part of a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Rollout {
    /// The batch (from 1) it was applied in; `null` when it was not applied.
    pub batch: Option<usize>,
    /// What stopped its apply or re-read (secrets scrubbed).
    pub apply_error: Option<String>,
}

impl TargetReport {
    /// One target's report in fleet mode: per control `each(audit, plan)` with its exception, the controls an
    /// exception kept unread, then the fleet fields.
    pub(crate) fn fleet(
        exceptions: &[Exception],
        today: Date,
        s: &Survey,
        a: &Assessment,
        plans: &[Plan],
        each: impl Fn(&Audit, Option<&Plan>) -> ControlReport,
    ) -> TargetReport {
        let find = |control: &str| ExceptionReport::find(exceptions, &s.account.id, control, today);
        let mut per: Vec<ControlEntry> = s
            .audits
            .iter()
            .map(|x| {
                let mut r = each(x, plans.iter().find(|p| p.control == x.control));
                r.exception = find(&x.control);
                ControlEntry::Read(Box::new(r))
            })
            .collect();
        // A fully excepted account was not read: its controls carry their exception only.
        per.extend(s.not_read.iter().map(|c| {
            ControlEntry::NotRead(NotRead {
                account: s.account.id.clone(),
                region: s.region.clone(),
                control: c.clone(),
                read: false,
                exception: find(c),
            })
        }));
        let compliant = !s.audits.is_empty() && s.audits.iter().all(|x| x.compliant);
        TargetReport {
            fleet: Some(FleetFields::new(s, a)),
            ..TargetReport::new(&s.account.id, &s.region, per, compliant)
        }
    }
}

impl FleetFields {
    pub(crate) fn new(s: &Survey, a: &Assessment) -> FleetFields {
        FleetFields {
            label: s.account.label.clone(),
            name: s.account.name.clone(),
            role_arn: s.role_arn.clone(),
            status: a.status,
            detail: a.detail.clone(),
            pending: a.pending,
            covered_by: a.covered_by.clone(),
            excepted: a.excepted.clone(),
            error: s.error.clone(),
            rollout: None,
        }
    }
}

/// The line that ends fleet output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct FleetSummary {
    pub summary: StatusCounts,
}

/// How many targets, how many in each status, and what was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct StatusCounts {
    pub targets: usize,
    /// Targets per status (every status, zero included).
    #[serde(flatten)]
    pub by_status: BTreeMap<Status, usize>,
    /// `fix --plan`: the writes planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<usize>,
    #[serde(flatten)]
    pub apply: Option<ApplyTotals>,
}

/// `fix --apply`'s totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct ApplyTotals {
    pub writes_planned: usize,
    pub writes_sent: usize,
    pub batches: usize,
    /// The batch (from 0) after which the rollout stopped, if it did.
    pub stopped_after_batch: Option<usize>,
}

impl FleetSummary {
    pub(crate) fn new(assessed: &[Assessment]) -> FleetSummary {
        FleetSummary {
            summary: StatusCounts {
                targets: assessed.len(),
                by_status: crate::fleet::assess::counts(assessed).into_iter().collect(),
                writes: None,
                apply: None,
            },
        }
    }
}
