//! What `trailwatch iac` says: per input and control, the seven steps as `check` gives them,
//! each with a state the files can support (`outside` these files, `awaiting` confirmation after
//! deploy) and where its resource is written.

use serde::Serialize;

use crate::audit::{FilterVerdict, Reason};
use crate::iac::Place;

/// The whole run: one document.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct IacReport {
    /// Every selected control passes in every input.
    pub compliant: bool,
    /// `--assume-external ok`: what lies outside these files counts as passing.
    pub assume_external_ok: bool,
    pub inputs: Vec<IacInput>,
    pub summary: IacSummary,
}

/// One input: a template, a plan, or the `.tf` files of a directory.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct IacInput {
    pub file: String,
    /// `CloudFormation`, `Terraform plan` or `Terraform`.
    pub kind: String,
    /// Modules and other inputs these files call but do not hold.
    pub unresolved: Vec<Unresolved>,
    pub controls: Vec<IacControl>,
}

/// A module (or other input) not in the files.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Unresolved {
    pub what: String,
    #[serde(flatten)]
    pub place: Place,
}

/// What the gate says about a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// The step (or every step) holds in the files.
    Pass,
    /// It does not hold.
    Fail,
    /// It rests on something these files do not declare (never a pass unless
    /// `--assume-external ok`).
    Outside,
    /// The subscription is declared but needs its receiver's confirmation after deploy.
    Awaiting,
    /// An earlier step failed or lies outside these files.
    NotChecked,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Pass => "pass",
            State::Fail => "FAIL",
            State::Outside => "outside these files",
            State::Awaiting => "awaiting confirmation after deploy",
            State::NotChecked => "not checked",
        }
    }
}

/// One control in one input.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct IacControl {
    /// The control's id (`cis-4.4`).
    pub control: String,
    pub security_hub: Option<String>,
    /// Every step passes (with `--assume-external ok`, outside steps count as passing).
    pub compliant: bool,
    /// `pass`, `fail`, `outside` or `awaiting`: the first of fail, outside, awaiting that a step
    /// has.
    pub state: State,
    pub steps: Vec<IacStep>,
    /// The filters of the group the audit chose that bear on the control, judged, with their
    /// place (with `-v`: every filter on the group).
    pub filters: Vec<IacFilter>,
    /// Filters on the group left out of `filters`.
    pub other_filters: usize,
}

/// One audit step, as `check` gives it, with its state and place.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct IacStep {
    pub step: u8,
    pub ok: bool,
    pub state: State,
    pub reason: Option<Reason>,
    /// The resource as the audit names it (an ARN built from the files, `group:filter`, an
    /// alarm name).
    pub resource: Option<String>,
    pub detail: String,
    /// Where the resource is written (or, outside these files, what names the reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// The reference the step rests on that these files do not settle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside: Option<String>,
}

/// A filter's verdict and where it is written.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct IacFilter {
    #[serde(flatten)]
    pub verdict: FilterVerdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
}

/// Counts over every input and control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub(crate) struct IacSummary {
    pub inputs: usize,
    pub controls: usize,
    pub pass: usize,
    pub fail: usize,
    pub outside: usize,
    pub awaiting: usize,
}

impl super::Document for IacReport {
    fn lean(&mut self) {
        for c in self.inputs.iter_mut().flat_map(|i| i.controls.iter_mut()) {
            let before = c.filters.len();
            c.filters.retain(|f| f.verdict.relevant);
            c.other_filters += before - c.filters.len();
        }
    }
}
