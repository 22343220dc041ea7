//! Snapshots of what people and programs read, built from hand-made accounts (no server): the
//! text and the JSON of a drifted account, of all fifteen controls, of a fleet with grouped plans
//! and of an apply that failed part-way. A change to any of them shows as a snapshot diff
//! (`cargo insta review`, or `INSTA_UPDATE=always` and `git diff`).

use insta::assert_snapshot;

use super::*;
use crate::audit::{audit_all, MatchMode};
use crate::fixtures::{compliant, filter, good_alarm, lg, observed, ACCOUNT, TOPIC};
use crate::fleet::accounts::Account;
use crate::fleet::assess;
use crate::fleet::Survey;
use crate::observed::Observed;
use crate::plan::{self, Options};
use crate::render::fleet::{grouped_plans, summary_line, table};
use crate::render::text::{self, Palette};
use crate::write::{Applied, Endpoint};

const PLAIN: Palette = Palette {
    color: false,
    verbose: false,
    width: 100,
};
const VERBOSE: Palette = Palette {
    color: false,
    verbose: true,
    width: 100,
};

/// Pretty JSON with keys sorted, as `to_line` prints them (one line each in real output).
fn json(report: &impl Serialize) -> String {
    let v: serde_json::Value = serde_json::from_str(&to_line(report)).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

fn opts() -> Options {
    Options {
        mode: MatchMode::Strict,
        topic_arn: None,
        subscribe: vec![Endpoint {
            protocol: "email".into(),
            endpoint: "secops@example.com".into(),
        }],
        adopt: false,
    }
}

/// CIS 4.4's filter misses five events; no alarm; the shared topic does not exist yet.
fn drifted() -> Observed {
    let mut o = observed();
    let events = Control::embedded().events;
    let narrow = crate::pattern::canonical_pattern(&events[..11]);
    lg(&mut o).filters = vec![filter("IAMPolicyChanges", &narrow, "IAMPolicyChanges")];
    lg(&mut o).topics = vec![crate::observed::Topic {
        arn: TOPIC.into(),
        exists: false,
        subscriptions: Some(Vec::new()),
        ..Default::default()
    }];
    o
}

/// Every one of the fifteen controls with its filter and alarm on the shared topic.
fn all_compliant() -> Observed {
    let mut o = compliant();
    lg(&mut o).filters.clear();
    lg(&mut o).alarms.clear();
    for c in Control::all() {
        lg(&mut o).filters.push(filter(
            &c.filter.name,
            &c.canonical_pattern(),
            &c.filter.metric_name,
        ));
        lg(&mut o)
            .alarms
            .push(good_alarm(&c.alarm.name, &c.filter.metric_name));
    }
    o
}

/// The plans of `controls` on `o`, shared writes once, as `fix --plan` makes them.
fn plans(controls: &[Control], o: &Observed) -> (Vec<crate::audit::Audit>, Vec<Plan>) {
    let audits = audit_all(controls, o, MatchMode::Strict);
    let mut plans: Vec<Plan> = controls
        .iter()
        .zip(&audits)
        .map(|(c, a)| plan::plan(c, o, a, &opts()))
        .collect();
    plan::share(&mut plans);
    (audits, plans)
}

fn planned(controls: &[Control], o: &Observed) -> Vec<ControlReport> {
    let (audits, plans) = plans(controls, o);
    audits
        .iter()
        .zip(&plans)
        .map(|(a, p)| ControlReport::plan(a, p))
        .collect()
}

#[test]
fn drifted_account_check_text() {
    let a = &audit_all(&[Control::embedded()], &drifted(), MatchMode::Strict)[0];
    assert_snapshot!(text::audit(&ControlReport::audit(a), PLAIN));
}

#[test]
fn drifted_account_check_json() {
    let a = &audit_all(&[Control::embedded()], &drifted(), MatchMode::Strict)[0];
    let r = TargetReport::of(ACCOUNT, "us-east-1", vec![ControlReport::audit(a)], false);
    assert_snapshot!(json(&r));
}

#[test]
fn plain_json_names_the_filters_that_bear_on_a_control_and_counts_the_others() {
    let all = Control::all();
    let audits = audit_all(&all, &drifted(), MatchMode::Strict);
    let full = TargetReport::of(
        ACCOUNT,
        "us-east-1",
        audits.iter().map(ControlReport::audit).collect(),
        false,
    );
    let mut lean = full.clone();
    crate::report::Document::lean(&mut lean);
    let on_group = drifted().log_groups[0].filters.len();
    for (f, l) in full.controls().iter().zip(lean.controls()) {
        // -v JSON: every filter; plain: the relevant ones, and how many others.
        assert_eq!((f.filters.len(), f.other_filters), (on_group, 0));
        assert_eq!(l.filters.len() + l.other_filters, on_group, "{}", l.control);
        assert!(l.filters.iter().all(|v| v.relevant), "{}", l.control);
    }
    // cis-4.4's own filter bears on it; it is nothing to cis-4.3 (root account usage).
    let of = |id: &str| {
        lean.controls()
            .into_iter()
            .find(|c| c.control == id)
            .unwrap()
    };
    let names = |id: &str| {
        of(id)
            .filters
            .iter()
            .map(|v| v.name.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        names("cis-4.4").contains(&"IAMPolicyChanges".to_string()),
        "{:?}",
        names("cis-4.4")
    );
    assert!(
        !names("cis-4.3").contains(&"IAMPolicyChanges".to_string()),
        "{:?}",
        names("cis-4.3")
    );
    let line = to_line(&lean);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["format_version"], "1.0");
    assert_eq!(v["tool"]["name"], "trailwatch");
    assert!(
        line.len() < to_line(&full).len(),
        "{} vs {}",
        line.len(),
        to_line(&full).len()
    );
}

#[test]
fn drifted_account_plan_text() {
    let r = &planned(&[Control::embedded()], &drifted())[0];
    let out = text::plan_of(r, PLAIN);
    // A plan of five changes fits a change ticket: under 200 lines, and no line over 200
    // characters but those that are an ARN or a pattern.
    assert!(out.lines().count() < 200, "{out}");
    for line in out.lines().filter(|l| l.len() > 200) {
        assert!(line.contains("arn:aws:") || line.contains("$."), "{line}");
    }
    assert_snapshot!(out);
}

#[test]
fn drifted_account_plan_json() {
    let r = planned(&[Control::embedded()], &drifted());
    assert_snapshot!(json(&TargetReport::of(ACCOUNT, "us-east-1", r, false)));
}

#[test]
fn drifted_account_dry_run_text() {
    let (_, plans) = plans(&[Control::embedded()], &drifted());
    assert_snapshot!(text::requests(&plans));
}

#[test]
fn all_fifteen_controls_compliant_check_json() {
    let all = Control::all();
    let audits = audit_all(&all, &all_compliant(), MatchMode::Strict);
    assert!(audits.iter().all(|a| a.compliant));
    let r = TargetReport::of(
        ACCOUNT,
        "us-east-1",
        audits.iter().map(ControlReport::audit).collect(),
        true,
    );
    assert_snapshot!(json(&r));
}

#[test]
fn all_fifteen_controls_compliant_check_text_total() {
    let all = Control::all();
    let reports: Vec<ControlReport> = audit_all(&all, &all_compliant(), MatchMode::Strict)
        .iter()
        .map(ControlReport::audit)
        .collect();
    let last = reports.last().unwrap();
    assert_snapshot!(format!(
        "{}{}",
        text::audit(last, PLAIN),
        text::total(&reports.iter().collect::<Vec<_>>())
    ));
}

/// A compliant account with all fifteen controls applied reads in a few lines: `check` of one
/// control at most 15, `--all-controls check` at most 20 (each control's steps with -v).
#[test]
fn a_compliant_account_reads_in_a_few_lines() {
    let all = Control::all();
    let audits = audit_all(&all, &all_compliant(), MatchMode::Strict);
    let one = TargetReport::of(
        ACCOUNT,
        "us-east-1",
        vec![ControlReport::audit(&audits[3])],
        true,
    );
    let text_one = text::check(&one, PLAIN);
    assert!(text_one.lines().count() <= 15, "{text_one}");
    assert_snapshot!("compliant_check_one_control", text_one);
    let every = TargetReport::of(
        ACCOUNT,
        "us-east-1",
        audits.iter().map(ControlReport::audit).collect(),
        true,
    );
    let text_all = text::check(&every, PLAIN);
    assert!(text_all.lines().count() <= 20, "{text_all}");
    assert_snapshot!("compliant_check_all_controls", text_all);
    // With -v every filter and every step is there.
    let verbose = text::check(&every, VERBOSE);
    assert!(verbose.lines().count() > 200, "{verbose}");
}

#[test]
fn all_fifteen_controls_on_a_drifted_account_plan_text() {
    let all = Control::all();
    let reports = planned(&all, &drifted());
    let report = TargetReport::of(ACCOUNT, "us-east-1", reports, false);
    let out = crate::render::fit(&text::planned(&report, PLAIN), 100);
    // Fits a change ticket: every line within 100 columns but the ARNs and patterns that cannot
    // be broken, and the diff lines, which show what would be written as it is (within 200).
    let is_diff = |l: &str| l.trim_start().starts_with(['+', '-']) && l.starts_with("      ");
    let wide: Vec<&str> = out
        .lines()
        .filter(|l| l.chars().count() > if is_diff(l) { 200 } else { 100 })
        .filter(|l| !l.contains("arn:aws:"))
        .collect();
    assert!(wide.is_empty(), "{wide:#?}");
    assert_snapshot!(out.trim_end_matches('\n'));
}

#[test]
fn all_fifteen_controls_on_a_drifted_account_plan_json() {
    let all = Control::all();
    let reports = planned(&all, &drifted());
    assert_snapshot!(json(&TargetReport::of(
        ACCOUNT,
        "us-east-1",
        reports,
        false
    )));
}

/// The same account and log group under another id, as fleet members are.
fn as_account(o: &Observed, id: &str) -> Observed {
    let text = serde_json::to_string(o).unwrap().replace(ACCOUNT, id);
    serde_json::from_str(&text).unwrap()
}

fn survey(id: &str, label: Option<&str>, o: Observed) -> Survey {
    let audits = audit_all(&[Control::embedded()], &o, MatchMode::Strict);
    Survey {
        account: Account {
            id: id.into(),
            label: label.map(str::to_string),
            name: None,
        },
        region: "us-east-1".into(),
        role_arn: Some(format!(
            "arn:aws:iam::{id}:role/OrganizationAccountAccessRole"
        )),
        target: None,
        observed: Some(o),
        audits,
        error: None,
        not_read: Vec::new(),
    }
}

fn today() -> time::Date {
    time::macros::date!(2026 - 12 - 07)
}

/// Two members drifted alike (one plan, shown once for both), one compliant.
fn fleet() -> (Vec<Survey>, Vec<Vec<Plan>>, Vec<assess::Assessment>) {
    let surveys = vec![
        survey(
            "111111111111",
            Some("production"),
            as_account(&drifted(), "111111111111"),
        ),
        survey("222222222222", None, as_account(&drifted(), "222222222222")),
        survey(
            "333333333333",
            None,
            as_account(&compliant(), "333333333333"),
        ),
    ];
    let plans: Vec<Vec<Plan>> = surveys
        .iter()
        .map(|s| {
            let o = s.observed.as_ref().unwrap();
            vec![plan::plan(&Control::embedded(), o, &s.audits[0], &opts())]
        })
        .collect();
    let assessed = assess::assess(&surveys, &plans, &[], today());
    (surveys, plans, assessed)
}

#[test]
fn fleet_with_grouped_plans_text() {
    let (surveys, plans, assessed) = fleet();
    assert_snapshot!(format!(
        "{}{}\n{}",
        table(&surveys, &assessed, Some(&plans)),
        grouped_plans(&surveys, &plans, PLAIN),
        summary_line(&assessed)
    ));
}

#[test]
fn fleet_with_grouped_plans_json() {
    let (surveys, plans, assessed) = fleet();
    let mut lines: Vec<String> = surveys
        .iter()
        .zip(&assessed)
        .zip(&plans)
        .map(|((s, a), p)| {
            json(&TargetReport::fleet(
                &[],
                today(),
                s,
                a,
                p,
                |x, pl| match pl {
                    Some(pl) => ControlReport::plan(x, pl),
                    None => ControlReport::audit(x),
                },
            ))
        })
        .collect();
    let mut summary = FleetSummary::new(&assessed);
    summary.summary.writes = Some(plans.iter().map(|p| plan::writes(p).len()).sum());
    lines.push(json(&summary));
    assert_snapshot!(lines.join("\n"));
}

/// The topic was created, then the filter write failed: what was sent is said, then the error.
fn failed_part_way() -> (crate::audit::Audit, Plan, Vec<Applied>, String) {
    let (audits, plans) = plans(&[Control::embedded()], &drifted());
    let done = vec![
        Applied {
            operation: "sns:CreateTopic",
            name: "cis-benchmark-alarms".into(),
            result: TOPIC.into(),
        },
        Applied {
            operation: "sns:Subscribe",
            name: "email:secops@example.com".into(),
            result: "pending confirmation".into(),
        },
    ];
    let error = "logs:PutMetricFilter in us-east-1 failed: LimitExceededException: too many filters on the log group".to_string();
    (audits[0].clone(), plans[0].clone(), done, error)
}

#[test]
fn apply_failed_part_way_text() {
    let (_, _, done, error) = failed_part_way();
    assert_snapshot!(format!("{}trailwatch: {error}", text::applied(&done)));
}

#[test]
fn apply_failed_part_way_json() {
    let (before, plan, done, error) = failed_part_way();
    let r = TargetReport {
        applied: Some(done),
        error: Some(error),
        ..TargetReport::of(
            ACCOUNT,
            "us-east-1",
            vec![ControlReport::applied(&before, &plan, None, false)],
            false,
        )
    };
    assert_snapshot!(json(&r));
}

#[test]
fn a_parse_error_shows_a_caret_under_the_place() {
    let mut o = compliant();
    lg(&mut o).filters.push(filter(
        "Broken",
        "{ ($.eventName = PutUserPolicy) || ($.eventName = = DeleteUserPolicy) }",
        "Broken",
    ));
    let a = &audit_all(&[Control::embedded()], &o, MatchMode::Strict)[0];
    assert_snapshot!(text::audit(&ControlReport::audit(a), VERBOSE));
}
