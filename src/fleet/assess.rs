//! Pure: what each fleet target's reading means. Its status (`compliant`, `drift`, `blocked`,
//! `excepted`, `covered-by`, `error`), the controls an exception holds, which target owns the
//! log group an organization trail delivers to, the plans (none for excepted controls or
//! covered targets), and the exit code.
//!
//! A member account whose trail is an organization trail delivering to a log group in another
//! account is `covered-by OWNER/REGION`: the filters and alarms live in the owner's group and are
//! planned there, once, when the owner is among the targets. The member counts as compliant when
//! the owner target is; when the owner is not among the targets the member stays pending and the
//! report says which account to add.

use serde::Serialize;
use time::Date;

use super::exceptions::{self, Exception, Standing};
use super::Survey;
use crate::audit::Audit;
use crate::control::Control;
use crate::plan::{self, Options, Plan};

/// A target's status.
///
/// Its name on the wire is [`Status::word`]: serde reads it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "&\'static str")]
pub enum Status {
    Compliant,
    /// Converged as far as a tool can: the only gap is a subscription whose receiver has not
    /// confirmed it yet (e-mail, http/https). Still counts against the exit code.
    AwaitingConfirmation,
    Drift,
    Blocked,
    Excepted,
    CoveredBy,
    Error,
}

words_schema!(
    Status,
    "A fleet target's status.",
    Status::ALL.map(Status::word)
);

impl From<Status> for &'static str {
    fn from(s: Status) -> &'static str {
        s.word()
    }
}

impl Status {
    /// The one source of its name, in the table, the summary and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Status::Compliant => "compliant",
            Status::AwaitingConfirmation => "awaiting confirmation",
            Status::Drift => "drift",
            Status::Blocked => "blocked",
            Status::Excepted => "excepted",
            Status::CoveredBy => "covered-by",
            Status::Error => "error",
        }
    }

    pub const ALL: [Status; 7] = [
        Status::Compliant,
        Status::AwaitingConfirmation,
        Status::Drift,
        Status::Blocked,
        Status::Excepted,
        Status::CoveredBy,
        Status::Error,
    ];
}

/// What a target's reading means.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub(crate) struct Assessment {
    pub status: Status,
    /// `ACCOUNT/REGION` owning the log group of the organization trail that serves this target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
    /// Counts against the exit code (drift, blocked, changes pending, a covering owner that is not
    /// compliant or not checked).
    pub pending: bool,
    /// One line for the table.
    pub detail: String,
    /// Controls an exception holds for this target (never planned nor written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excepted: Vec<String>,
    /// What the exceptions say, one line each (held or expired).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
}

/// The exception standing of each audited control of a target, in control order.
fn standings<'a>(
    exceptions: &'a [Exception],
    s: &Survey,
    today: Date,
) -> Vec<Option<Standing<'a>>> {
    s.audits
        .iter()
        .map(|a| exceptions::standing(exceptions, &s.account.id, &a.control, today))
        .collect()
}

fn holds(st: &Option<Standing<'_>>) -> bool {
    matches!(st, Some(Standing::Holds(_)))
}

/// `(account, region, name)` of the log group in another account this target's chosen trail
/// delivers to (an organization trail's), if so.
pub(crate) fn foreign_group(s: &Survey) -> Option<(String, String, String)> {
    let lg = s.log_group()?;
    // Only an organization trail delivers to another account's log group.
    let org_trail = s.chosen_trail().is_some_and(|t| t.organization);
    (org_trail && !lg.readable && lg.account != s.account.id)
        .then(|| (lg.account.clone(), lg.region.clone(), lg.name.clone()))
}

/// The plans for one target: one per control an exception does not hold, the shared changes
/// once; none for a target in error or covered by another account's log group.
pub(crate) fn plans(
    s: &Survey,
    controls: &[Control],
    exceptions: &[Exception],
    today: Date,
    opts: &Options,
) -> Vec<Plan> {
    let Some(observed) = s.observed.as_ref() else {
        return Vec::new();
    };
    if foreign_group(s).is_some() {
        return Vec::new();
    }
    let st = standings(exceptions, s, today);
    let mut plans: Vec<Plan> = controls
        .iter()
        .zip(&s.audits)
        .zip(&st)
        .filter(|(_, st)| !holds(st))
        .map(|((c, a), _)| plan::plan(c, observed, a, opts))
        .collect();
    plan::share(&mut plans);
    plans
}

/// `cis-4.4 5/7 (step 6: ...)` for each failing control.
fn failing(audits: &[&Audit]) -> String {
    audits
        .iter()
        .map(|a| {
            let passed = a.steps.iter().filter(|s| s.ok).count();
            match a.steps.iter().find(|s| !s.ok) {
                Some(f) => format!(
                    "{} {passed}/{}: step {} {}",
                    a.control,
                    a.steps.len(),
                    f.step,
                    f.detail
                ),
                None => format!("{} {passed}/{}", a.control, a.steps.len()),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Assess every target. `plans` holds each target's plans (as `plans` above).
pub(crate) fn assess(
    surveys: &[Survey],
    plans: &[Vec<Plan>],
    exceptions: &[Exception],
    today: Date,
) -> Vec<Assessment> {
    let mut out: Vec<Assessment> = surveys
        .iter()
        .zip(plans)
        .map(|(s, p)| own(s, p, exceptions, today))
        .collect();
    // Covered targets follow their owner, judged above (owners are never covered themselves:
    // their group is in their own account).
    let owners = out.clone();
    for (i, s) in surveys.iter().enumerate() {
        let Some((account, region, name)) = foreign_group(s) else {
            continue;
        };
        let a = &mut out[i];
        // Controls an exception holds are left alone, covered or not.
        let judged: Vec<&Audit> = s
            .audits
            .iter()
            .filter(|x| !a.excepted.contains(&x.control))
            .collect();
        if judged.is_empty() {
            continue;
        }
        let owner = format!("{account}/{region}");
        a.status = Status::CoveredBy;
        a.covered_by = Some(owner.clone());
        let group = format!("covered by {owner}'s log group {name}");
        let trail_ok = judged
            .iter()
            .all(|x| x.steps.iter().take(3).all(|st| st.ok));
        let found = surveys
            .iter()
            .position(|o| o.account.id == account && o.region == region);
        let (pending, detail) = match found {
            _ if !trail_ok => {
                let bad: Vec<&Audit> = judged.iter().copied().filter(|x| !x.compliant).collect();
                (true, format!("{group}, but the trail fails here: {}", failing(&bad)))
            }
            None => (
                true,
                format!(
                    "{group}: add account {account} (region {region}) to the targets to check and fix it"
                ),
            ),
            Some(j) => {
                let o = &owners[j];
                let same_group = surveys[j]
                    .log_group()
                    .is_some_and(|lg| lg.name == name && lg.account == account);
                match o.status {
                    Status::Error => (true, format!("{group}, which could not be read: {}", o.detail)),
                    _ if !same_group => (
                        true,
                        format!("{group}, but {owner}'s own audit chose another log group: check it there"),
                    ),
                    Status::Compliant => (false, format!("{group}, compliant there")),
                    Status::Excepted => (false, format!("{group}, excepted there: {}", o.detail)),
                    other => (
                        true,
                        format!("{group}, {} there: {}", other.word(), o.detail),
                    ),
                }
            }
        };
        a.pending = pending;
        a.detail = detail;
    }
    out
}

/// A target judged on its own.
fn own(s: &Survey, plans: &[Plan], exceptions: &[Exception], today: Date) -> Assessment {
    let mut a = Assessment {
        status: Status::Error,
        covered_by: None,
        pending: true,
        detail: String::new(),
        excepted: Vec::new(),
        exceptions: Vec::new(),
    };
    if let Some(e) = &s.error {
        a.detail = e.clone();
        return a;
    }
    if !s.not_read.is_empty() {
        a.status = Status::Excepted;
        a.pending = false;
        a.excepted = s.not_read.clone();
        for c in &s.not_read {
            if let Some(st) = exceptions::standing(exceptions, &s.account.id, c, today) {
                let line = st.describe();
                if !a.exceptions.contains(&line) {
                    a.exceptions.push(line);
                }
            }
        }
        a.detail = format!("{}; not read", a.exceptions.join("; "));
        return a;
    }
    let st = standings(exceptions, s, today);
    a.exceptions = st.iter().flatten().map(Standing::describe).collect();
    a.excepted = s
        .audits
        .iter()
        .zip(&st)
        .filter(|(_, st)| holds(st))
        .map(|(x, _)| x.control.clone())
        .collect();
    let judged: Vec<&Audit> = s
        .audits
        .iter()
        .zip(&st)
        .filter(|(_, st)| !holds(st))
        .map(|(x, _)| x)
        .collect();
    let bad: Vec<&Audit> = judged.iter().copied().filter(|x| !x.compliant).collect();
    let excepted_bad = s
        .audits
        .iter()
        .zip(&st)
        .any(|(x, st)| holds(st) && !x.compliant);
    if bad.is_empty() {
        if plans.iter().all(Plan::is_empty) {
            a.pending = false;
            a.status = if excepted_bad {
                Status::Excepted
            } else {
                Status::Compliant
            };
            a.detail = if excepted_bad {
                a.exceptions.join("; ")
            } else {
                format!("{} control(s) compliant", judged.len())
            };
        } else {
            a.status = Status::Drift;
            a.detail = "compliant, with changes pending".into();
        }
        return a;
    }
    let blocked: Vec<&str> = bad
        .iter()
        .filter_map(|x| {
            plans
                .iter()
                .find(|p| p.control == x.control)
                .and_then(|p| p.blocked.as_deref())
        })
        .collect();
    // Only subscriptions awaiting their receiver: nothing more to write, never subscribed again.
    let awaiting: Option<Vec<String>> = s
        .observed
        .as_ref()
        .and_then(|o| {
            bad.iter()
                .map(|x| x.awaiting_confirmation(o))
                .collect::<Option<Vec<Vec<String>>>>()
        })
        .map(|all| {
            let mut eps: Vec<String> = all.into_iter().flatten().collect();
            eps.sort();
            eps.dedup();
            eps
        });
    if let Some(endpoints) = awaiting {
        a.status = Status::AwaitingConfirmation;
        a.detail = format!(
            "awaiting confirmation of {}: the receiver must confirm the subscription",
            endpoints.join(", ")
        );
        return a;
    }
    if !plans.is_empty() && blocked.len() == bad.len() {
        a.status = Status::Blocked;
        a.detail = blocked.first().copied().unwrap_or_default().to_string();
    } else {
        a.status = Status::Drift;
        a.detail = failing(&bad);
    }
    a
}

/// 1 when a target is in error, else 2 when anything is pending, else 0.
pub(crate) fn exit_code(assessments: &[Assessment]) -> crate::exit::Exit {
    use crate::exit::Exit;
    if assessments.iter().any(|a| a.status == Status::Error) {
        Exit::Error
    } else if assessments.iter().any(|a| a.pending) {
        Exit::Drift
    } else {
        Exit::Ok
    }
}

/// How many targets have each status.
pub(crate) fn counts(assessments: &[Assessment]) -> Vec<(Status, usize)> {
    Status::ALL
        .iter()
        .map(|s| (*s, assessments.iter().filter(|a| a.status == *s).count()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{MatchMode, Step};
    use crate::fleet::Account;
    use crate::observed::{LogGroup, Observed};

    fn date(s: &str) -> Date {
        Date::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap()
    }

    fn audit(account: &str, control: &str, failing_step: Option<u8>) -> Audit {
        Audit {
            control: control.into(),
            account: account.into(),
            region: "us-east-1".into(),
            compliant: failing_step.is_none(),
            steps: (1..=7)
                .map(|n| Step {
                    step: n,
                    ok: failing_step.is_none_or(|f| n < f),
                    reason: None,
                    resource: None,
                    detail: format!("detail {n}"),
                })
                .collect(),
            filters: Vec::new(),
            trail: None,
            log_group: None,
        }
    }

    fn survey(account: &str, group_account: &str, failing_step: Option<u8>) -> Survey {
        let arn = format!("arn:aws:cloudtrail:us-east-1:{group_account}:trail/org");
        Survey {
            account: Account::new(account),
            region: "us-east-1".into(),
            role_arn: None,
            target: None,
            observed: Some(Observed {
                account: account.into(),
                region: "us-east-1".into(),
                trails: vec![crate::observed::Trail {
                    arn: arn.clone(),
                    organization: true,
                    log_group_arn: Some(format!(
                        "arn:aws:logs:us-east-1:{group_account}:log-group:org"
                    )),
                    ..Default::default()
                }],
                log_groups: vec![LogGroup {
                    arn: format!("arn:aws:logs:us-east-1:{group_account}:log-group:org"),
                    name: "org".into(),
                    region: "us-east-1".into(),
                    account: group_account.into(),
                    partition: "aws".into(),
                    readable: group_account == account,
                    missing: false,
                    filters: Vec::new(),
                    alarms: Vec::new(),
                    topics: Vec::new(),
                    composite_alarms: Vec::new(),
                }],
            }),
            audits: vec![Audit {
                trail: Some(arn),
                log_group: None,
                ..audit(account, "cis-4.4", failing_step)
            }],
            error: None,
            not_read: Vec::new(),
        }
    }

    fn blocked_plan(control: &str) -> Plan {
        Plan {
            control: control.into(),
            account: String::new(),
            region: String::new(),
            log_group: None,
            blocked: Some("step 1 fails".into()),
            changes: Vec::new(),
        }
    }

    const M: &str = "111111111111";
    const A: &str = "222222222222";

    #[test]
    fn a_subscription_awaiting_its_receiver_is_its_own_status_and_still_counts() {
        let today = date("2026-11-25");
        let topic = "arn:aws:sns:us-east-1:111111111111:cis-benchmark-alarms";
        let mut s = survey(M, M, Some(7));
        s.audits[0].steps[6].resource = Some(topic.into());
        let lg = &mut s.observed.as_mut().unwrap().log_groups[0];
        lg.topics = vec![crate::observed::Topic {
            arn: topic.into(),
            exists: true,
            subscriptions: Some(vec![crate::observed::Subscription {
                arn: "PendingConfirmation".into(),
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }]),
            ..Default::default()
        }];
        let plans = vec![Vec::new()];
        let a = assess(std::slice::from_ref(&s), &plans, &[], today);
        assert_eq!(a[0].status, Status::AwaitingConfirmation);
        assert!(a[0].pending, "exit code stays 2");
        assert!(
            a[0].detail.contains("email:secops@example.com"),
            "{}",
            a[0].detail
        );
        // Another gap beside it: drift, not awaiting.
        s.audits.push(audit(M, "cis-4.1", Some(5)));
        s.audits[1].trail = s.audits[0].trail.clone();
        let a = assess(std::slice::from_ref(&s), &[Vec::new()], &[], today);
        assert_eq!(a[0].status, Status::Drift);
        // Confirmed: compliant.
        let lg = &mut s.observed.as_mut().unwrap().log_groups[0];
        lg.topics[0].subscriptions.as_mut().unwrap()[0].arn = format!("{topic}:abc");
        s.audits.pop();
        let a = assess(std::slice::from_ref(&s), &[Vec::new()], &[], today);
        assert_eq!(
            a[0].status,
            Status::Drift,
            "step 7 still fails: not awaiting"
        );
    }

    #[test]
    fn a_member_follows_the_owner_of_the_organization_trails_group() {
        let today = date("2026-11-25");
        let owner_ok = survey(M, M, None);
        let member = survey(A, M, Some(4));
        let st = |v: &[Survey]| {
            let plans: Vec<Vec<Plan>> = v.iter().map(|_| Vec::new()).collect();
            assess(v, &plans, &[], today)
        };
        let a = st(&[owner_ok.clone(), member.clone()]);
        assert_eq!(a[1].status, Status::CoveredBy);
        assert_eq!(a[1].covered_by.as_deref(), Some("111111111111/us-east-1"));
        assert!(!a[1].pending, "{:?}", a[1]);
        assert_eq!(exit_code(&a), crate::exit::Exit::Ok);
        // The owner drifts: the member is pending too.
        let a = st(&[survey(M, M, Some(5)), member.clone()]);
        assert!(
            a[1].pending && a[1].detail.contains("drift there"),
            "{:?}",
            a[1]
        );
        // The owner cannot be read: said so, not "add the account".
        let mut broken = survey(M, M, None);
        broken.error = Some("AccessDenied".into());
        broken.observed = None;
        let a = st(&[broken, member.clone()]);
        assert!(
            a[1].detail.contains("could not be read: AccessDenied"),
            "{:?}",
            a[1]
        );
        // A member whose every control is excepted stays excepted, whatever the owner says.
        let ex = vec![Exception {
            account: A.into(),
            control: "*".into(),
            owner: "bob".into(),
            expires: date("2999-01-01"),
            reason: "r".into(),
        }];
        let none: Vec<Vec<Plan>> = vec![Vec::new(), Vec::new()];
        let a = assess(&[survey(M, M, Some(5)), member.clone()], &none, &ex, today);
        assert_eq!((a[1].status, a[1].pending), (Status::Excepted, false));
        // The owner is not among the targets: say which account to add.
        let a = st(std::slice::from_ref(&member));
        assert!(a[0].pending, "{:?}", a[0]);
        assert!(a[0]
            .detail
            .contains("add account 111111111111 (region us-east-1)"));
        assert_eq!(exit_code(&a), crate::exit::Exit::Drift);
        // A member is never planned.
        assert!(plans(
            &member,
            &Control::all()[3..4],
            &[],
            today,
            &Options::default()
        )
        .is_empty());
    }

    #[test]
    fn exceptions_hold_until_they_expire() {
        let ex = vec![Exception {
            account: A.into(),
            control: "*".into(),
            owner: "alice@example.com".into(),
            expires: date("2027-01-31"),
            reason: "sandbox".into(),
        }];
        let drifted = survey(A, A, Some(4));
        let plans = vec![Vec::new()];
        let a = assess(
            std::slice::from_ref(&drifted),
            &plans,
            &ex,
            date("2027-01-31"),
        );
        assert_eq!(a[0].status, Status::Excepted);
        assert!(!a[0].pending);
        assert_eq!(a[0].excepted, ["cis-4.4"]);
        assert!(a[0].detail.contains("alice@example.com, until 2027-01-31"));
        let a = assess(
            std::slice::from_ref(&drifted),
            &plans,
            &ex,
            date("2027-02-01"),
        );
        assert_eq!(a[0].status, Status::Drift);
        assert!(a[0].pending);
        assert!(a[0].exceptions[0].contains("expired on 2027-01-31"));
        // While it holds, nothing is planned for the excepted control.
        let c = Control::builtin("cis-4.4").unwrap();
        assert!(plans_for(&drifted, &c, &ex, "2027-01-01").is_empty());
        assert_eq!(plans_for(&drifted, &c, &ex, "2027-03-01").len(), 1);
    }

    fn plans_for(s: &Survey, c: &Control, ex: &[Exception], day: &str) -> Vec<Plan> {
        let opts = Options {
            mode: MatchMode::Strict,
            ..Default::default()
        };
        plans(s, std::slice::from_ref(c), ex, date(day), &opts)
    }

    #[test]
    fn blocked_errors_and_exit_codes() {
        let today = date("2026-11-25");
        let no_trail = survey(A, A, Some(1));
        let a = assess(
            std::slice::from_ref(&no_trail),
            &[vec![blocked_plan("cis-4.4")]],
            &[],
            today,
        );
        assert_eq!(a[0].status, Status::Blocked);
        assert_eq!(a[0].detail, "step 1 fails");
        assert_eq!(exit_code(&a), crate::exit::Exit::Drift);
        let mut broken = survey(A, A, None);
        broken.error = Some("sts:AssumeRole in us-east-1: AccessDenied".into());
        let a = assess(&[broken, survey(M, M, None)], &[vec![], vec![]], &[], today);
        assert_eq!(a[0].status, Status::Error);
        assert_eq!(a[1].status, Status::Compliant);
        assert_eq!(exit_code(&a), crate::exit::Exit::Error);
        assert_eq!(exit_code(&a[1..]), crate::exit::Exit::Ok);
    }
}
