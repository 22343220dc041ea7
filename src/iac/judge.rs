//! Pure: the audit's steps on what the files declare -> the gate's states. The audit is the one
//! `check` runs; this only says which of its steps rest on something outside these files, which
//! wait for a receiver to confirm after deploy, and where each resource is written.

use super::assemble::{self, Index};
use super::{shown, Context, Declared};
use crate::audit::{self, Audit, MatchMode, Reason, Step};
use crate::control::Control;
use crate::observed::{Alarm, Observed};
use crate::report::iac::{IacControl, IacFilter, IacInput, IacStep, State, Unresolved};

/// Judge one input against `controls`.
pub(crate) fn input(
    controls: &[Control],
    d: &Declared,
    ctx: &Context,
    mode: MatchMode,
    assume_external_ok: bool,
) -> IacInput {
    let judged: Vec<IacControl> = if assemble::alarms_only(d) {
        // Alarms without their filter: each control judged with its filter outside these
        // files.
        controls
            .iter()
            .map(|c| {
                let (o, i) = assemble::observed(&assemble::for_control(d, c), ctx);
                control(c, &audit::audit(c, &o, mode), &o, &i, assume_external_ok)
            })
            .collect()
    } else {
        let (observed, index) = assemble::observed(d, ctx);
        let audits = audit::audit_all(controls, &observed, mode);
        controls
            .iter()
            .zip(audits)
            .map(|(c, a)| control(c, &a, &observed, &index, assume_external_ok))
            .collect()
    };
    IacInput {
        file: d.source.clone(),
        kind: d.kind.to_string(),
        unresolved: d
            .unresolved
            .iter()
            .map(|(what, place)| Unresolved {
                what: what.clone(),
                place: place.clone(),
            })
            .collect(),
        controls: judged,
    }
}

fn control(
    c: &Control,
    a: &Audit,
    observed: &Observed,
    index: &Index,
    assume_external_ok: bool,
) -> IacControl {
    let mut steps: Vec<IacStep> = Vec::with_capacity(a.steps.len());
    for s in &a.steps {
        let blocked = steps
            .iter()
            .any(|p| matches!(p.state, State::Fail | State::Outside) && !p.ok);
        steps.push(step(s, a, observed, index, blocked));
    }
    let has = |st: State| steps.iter().any(|s| s.state == st);
    // Fail first; then outside (unless assumed ok), awaiting, outside assumed ok.
    let state = if has(State::Fail) {
        State::Fail
    } else if has(State::Outside) && !assume_external_ok {
        State::Outside
    } else if has(State::Awaiting) {
        State::Awaiting
    } else if has(State::Outside) {
        State::Outside
    } else {
        State::Pass
    };
    let group = a.log_group(observed).map(|g| g.name.clone());
    let filters = a
        .filters
        .iter()
        .filter(|v| super::outside(&v.name).is_none())
        .map(|v| IacFilter {
            location: group
                .as_ref()
                .and_then(|g| index.places.get(&format!("{g}:{}", v.name)))
                .cloned(),
            verdict: crate::audit::FilterVerdict {
                name: shown(&v.name),
                pattern: shown(&v.pattern),
                detail: shown(&v.detail),
                ..v.clone()
            },
        })
        .collect();
    IacControl {
        control: c.id.clone(),
        security_hub: c.security_hub.clone(),
        compliant: state == State::Pass || (assume_external_ok && state == State::Outside),
        state,
        steps,
        filters,
        other_filters: 0,
    }
}

/// One step's state: outside these files when its resource stands for something they do not
/// declare (or it fails for want of what a module not in the files may hold); awaiting when
/// only the receiver's confirmation is missing.
fn step(s: &Step, a: &Audit, observed: &Observed, index: &Index, blocked: bool) -> IacStep {
    let resource = s.resource.as_deref();
    let reference = resource.and_then(|r| index.reference(r)).or_else(|| {
        // No alarm fires on one event, but one on the filter's metric rests on a value the
        // files do not settle (its threshold, its period): that is outside them, not a fail.
        (s.step == crate::audit::ALARM_STEP && !s.ok && s.reason.is_some())
            .then(|| unsettled_alarm(a, observed, index))
            .flatten()
    });
    let place = resource.and_then(|r| {
        index
            .places
            .get(r)
            .or_else(|| index.outside.get(r).and_then(|(_, p)| p.as_ref()))
            .cloned()
    });
    let module = index.unresolved.first().map(|(what, _)| what.clone());
    // A filter the files declare for the control, on a group made elsewhere: judged here.
    let declared_filter = s.step == 4
        && a.filters
            .iter()
            .any(|f| f.relevant && super::outside(&f.name).is_none());
    let reference = reference.filter(|_| s.ok || !declared_filter);
    // Subscriptions the files declare that wait for their receiver: awaiting, whatever else
    // about their topic lies outside the files.
    let awaiting = s.step == 7 && !s.ok && a.awaiting_confirmation(observed).is_some();
    let reference = reference.filter(|_| !awaiting);
    let (state, outside, detail) = match (s.ok, s.reason, reference) {
        (_, _, Some(r)) => (
            State::Outside,
            Some(r.to_string()),
            format!("rests on {r}, which these files do not settle"),
        ),
        (true, _, None) => (State::Pass, None, s.detail.clone()),
        (false, Some(Reason::TrailNotPresent), None)
            if observed.trails.is_empty() && index.unresolved.is_empty() =>
        (
            State::Fail,
            None,
            "no CloudTrail trail in these files, and no metric filter naming the log group a trail elsewhere delivers to".to_string(),
        ),
        (false, None, None) => (
            State::NotChecked,
            None,
            if blocked {
                format!("not checked: step {} did not pass", first_not_passing(a))
            } else {
                s.detail.clone()
            },
        ),
        (false, Some(reason), None) => {
            if awaiting {
                (
                    State::Awaiting,
                    None,
                    format!(
                        "{}: a subscriber must confirm after deploy (e-mail and HTTP(S) endpoints confirm by hand)",
                        s.detail
                    ),
                )
            } else if let Some(m) = module.filter(|_| wanting(reason, a, observed)) {
                (
                    State::Outside,
                    Some(m.clone()),
                    format!("{}; not resolvable from these files: {m}", s.detail),
                )
            } else {
                (State::Fail, None, s.detail.clone())
            }
        }
    };
    IacStep {
        step: s.step,
        ok: s.ok,
        state,
        reason: s.reason,
        resource: s.resource.as_deref().map(shown),
        detail: shown(&detail),
        location: place,
        outside: outside.as_deref().map(shown),
    }
}

/// The step fails for want of a resource (a trail, a filter, an alarm), which a module the
/// files call but do not hold may declare.
fn wanting(reason: Reason, a: &Audit, observed: &Observed) -> bool {
    match reason {
        Reason::TrailNotPresent => observed.trails.is_empty(),
        Reason::FiltersNotPresent => true,
        Reason::FilterNotValid => !a.filters.iter().any(|f| f.relevant),
        Reason::AlarmsNotPresent => alarms_on_filters(a, observed).next().is_none(),
        _ => false,
    }
}

fn first_not_passing(a: &Audit) -> u8 {
    a.steps.iter().find(|s| !s.ok).map_or(1, |s| s.step)
}

/// The reference of an alarm on one of the group's filter metrics whose verdict rests on a
/// value the files do not settle.
fn unsettled_alarm<'a>(a: &Audit, observed: &Observed, index: &'a Index) -> Option<&'a str> {
    alarms_on_filters(a, observed).find_map(|al| index.reference(&al.name))
}

/// The alarms of the audit's log group that watch a metric one of its filters publishes.
fn alarms_on_filters<'a>(a: &Audit, observed: &'a Observed) -> impl Iterator<Item = &'a Alarm> {
    let group = a.log_group(observed);
    group.into_iter().flat_map(|g| {
        g.alarms.iter().filter(move |al| {
            g.filters
                .iter()
                .flat_map(|f| f.metrics.iter())
                .any(|m| al.watches(&m.metric_name, &m.namespace))
        })
    })
}
