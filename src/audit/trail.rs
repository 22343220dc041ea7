//! Steps 1-3 on a trail (multi-region with a log group, logging, management events of the
//! control's sources) and the choice of trail among several.

use crate::control::Control;
use crate::observed::{BasicSelector, FieldSelector, Observed, Selectors, Trail};

use super::MatchMode;

/// Steps 1-3 for one trail: `Err(detail)` at the first step that fails. `sources` are the
/// event sources whose management events the control needs (e.g. `iam.amazonaws.com`).
pub fn trail_steps(trail: &Trail, sources: &[&str]) -> [Result<String, String>; 3] {
    let who = format!("trail {} ({})", trail.name, trail.home_region);
    let s1 = match (&trail.log_group_arn, trail.multi_region) {
        (Some(lg), true) => Ok(format!("{who} is multi-region and delivers to {lg}")),
        (None, true) => Err(format!(
            "{who} is multi-region but has no CloudWatch Logs group"
        )),
        (Some(_), false) => Err(format!("{who} is not multi-region")),
        (None, false) => Err(format!(
            "{who} is not multi-region and has no CloudWatch Logs group"
        )),
    };
    let unread = |what: &str| {
        format!(
            "{who}: {what} could not be read{}",
            trail
                .read_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )
    };
    let s2 = match (trail.logging, &trail.delivery_error) {
        (Some(true), None) => Ok(format!("{who} is logging")),
        (Some(true), Some(err)) => Err(format!(
            "{who} is logging but cannot deliver to CloudWatch Logs: {err} (last successful delivery: {}); every filter and alarm on the group sees nothing until the trail's CloudWatch Logs role can write to it",
            trail.delivery_time.as_deref().unwrap_or("never")
        )),
        (Some(false), _) => Err(format!("{who} is not logging (IsLogging=false)")),
        (None, _) => Err(unread("logging status")),
    };
    let s3 = match &trail.selectors {
        Some(sel) => management_events(sel, sources)
            .map(|why| format!("{who} {why}"))
            .map_err(|why| format!("{who} {why}")),
        None => Err(unread("event selectors")),
    };
    [s1, s2, s3]
}

/// Step 3: does the trail log all management events, read and write, from `sources`?
pub fn management_events(selectors: &Selectors, sources: &[&str]) -> Result<String, String> {
    match selectors {
        Selectors::Default => Ok("logs all management events (default selectors)".into()),
        Selectors::Basic { selectors } => basic_management(selectors, sources),
        Selectors::Advanced { selectors } => {
            let mut why_not = Vec::new();
            for (i, s) in selectors.iter().enumerate() {
                let label = s
                    .name
                    .as_deref()
                    .map(|n| format!("selector {n:?}"))
                    .unwrap_or_else(|| format!("selector #{}", i + 1));
                match advanced_management(&s.field_selectors, sources) {
                    Ok(()) => {
                        return Ok(format!(
                            "logs all management events (advanced {label}: eventCategory=Management, no readOnly)"
                        ))
                    }
                    Err(e) => why_not.push(format!("{label} {e}")),
                }
            }
            Err(format!(
                "has no advanced event selector for all management events: {}",
                why_not.join("; ")
            ))
        }
    }
}

fn basic_management(selectors: &[BasicSelector], sources: &[&str]) -> Result<String, String> {
    let with_management: Vec<&BasicSelector> = selectors
        .iter()
        .filter(|s| s.include_management_events)
        .collect();
    if with_management.is_empty() {
        return Err("has no basic event selector with IncludeManagementEvents=true".into());
    }
    let excluded = |s: &BasicSelector| -> Option<String> {
        sources
            .iter()
            .find(|src| s.exclude_management_event_sources.iter().any(|x| x == *src))
            .map(|src| src.to_string())
    };
    let covering: Vec<&BasicSelector> = with_management
        .iter()
        .copied()
        .filter(|s| excluded(s).is_none())
        .collect();
    if covering.is_empty() {
        let src = with_management
            .iter()
            .find_map(|s| excluded(s))
            .unwrap_or_default();
        return Err(format!(
            "excludes the management events of {src} (ExcludeManagementEventSources), which this control needs"
        ));
    }
    let reads = covering
        .iter()
        .any(|s| matches!(s.read_write_type.as_str(), "All" | "ReadOnly"));
    let writes = covering
        .iter()
        .any(|s| matches!(s.read_write_type.as_str(), "All" | "WriteOnly"));
    match (reads, writes) {
        (true, true) => Ok("logs all management events (basic selector, ReadWriteType=All)".into()),
        _ => {
            let only = if writes { "WriteOnly" } else { "ReadOnly" };
            Err(format!(
                "logs only {only} management events (basic selector ReadWriteType={only}); CIS requires All"
            ))
        }
    }
}

/// One advanced selector: `Ok` when it logs every management event of `sources`, read and write.
fn advanced_management(fields: &[FieldSelector], sources: &[&str]) -> Result<(), String> {
    let management = fields
        .iter()
        .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management"));
    if !management {
        return Err("is not for management events (no eventCategory=Management)".into());
    }
    for f in fields {
        match f.field.as_str() {
            "eventCategory" => {}
            "readOnly" => {
                let both = ["true", "false"]
                    .iter()
                    .all(|v| f.equals.iter().any(|x| x == v));
                if !both {
                    return Err(
                        "has a readOnly field selector, so it logs only read or only write events"
                            .into(),
                    );
                }
            }
            "eventSource" => {
                for src in sources {
                    if !field_admits(f, src) {
                        return Err(format!(
                            "filters eventSource so that the management events of {src}, which this control needs, are not logged"
                        ));
                    }
                }
            }
            other => {
                return Err(format!(
                    "restricts management events by {other}, so not all are logged"
                ))
            }
        }
    }
    Ok(())
}

/// Whether an advanced field selector lets `value` through (all its conditions hold).
fn field_admits(f: &FieldSelector, value: &str) -> bool {
    (f.equals.is_empty() || f.equals.iter().any(|v| v == value))
        && !f.not_equals.iter().any(|v| v == value)
        && (f.starts_with.is_empty() || f.starts_with.iter().any(|p| value.starts_with(p.as_str())))
        && !f
            .not_starts_with
            .iter()
            .any(|p| value.starts_with(p.as_str()))
        && (f.ends_with.is_empty() || f.ends_with.iter().any(|p| value.ends_with(p.as_str())))
        && !f.not_ends_with.iter().any(|p| value.ends_with(p.as_str()))
}

/// How many of steps 1-3 a trail passes in order.
pub fn trail_score(trail: &Trail, sources: &[&str]) -> usize {
    trail_steps(trail, sources)
        .iter()
        .take_while(|s| s.is_ok())
        .count()
}

/// Pick the trail closest to compliant: the highest `score` (steps 1-3 passed; discovery sums it
/// over the selected controls), then a log group in this account, then a home region equal to
/// `region`, then by name. Only multi-region trails with a log group (step 1) are candidates.
pub fn choose_trail<'a>(
    trails: &'a [Trail],
    account: &str,
    region: &str,
    score: impl Fn(&Trail) -> usize,
) -> Option<&'a Trail> {
    trails
        .iter()
        .filter(|t| t.multi_region && t.log_group_arn.is_some())
        .max_by_key(|t| {
            let local = t
                .log_group_arn
                .as_deref()
                .and_then(crate::observed::parse_log_group_arn)
                .is_some_and(|(a, _)| a.account == account);
            (
                score(t),
                local,
                t.home_region == region,
                std::cmp::Reverse(t.name.clone()),
            )
        })
}

/// The trail the audit rests on for `controls`, from everything discovery read. When several
/// trails pass steps 1-3 into log groups of this account and their groups were read, the one
/// reaching the deepest step (summed over the controls) wins, the first listed on a tie;
/// otherwise [`choose_trail`] with steps 1-3 summed over the controls.
pub fn choose<'a>(
    controls: &[Control],
    observed: &'a Observed,
    mode: MatchMode,
) -> Option<&'a Trail> {
    let score =
        |t: &Trail| -> usize { controls.iter().map(|c| trail_score(t, &c.sources())).sum() };
    let serves_some = |t: &Trail| controls.iter().any(|c| trail_score(t, &c.sources()) == 3);
    let local = |t: &Trail| {
        t.log_group_arn
            .as_deref()
            .and_then(crate::observed::parse_log_group_arn)
            .is_some_and(|(a, _)| a.account == observed.account)
    };
    let full: Vec<&Trail> = observed
        .trails
        .iter()
        .filter(|t| serves_some(t) && local(t))
        .collect();
    if full.len() > 1 {
        let mut best: Option<(usize, &Trail)> = None;
        for t in full {
            if observed.log_group_of(t).is_none() {
                // Its group could not be read: it cannot be judged.
                continue;
            }
            // Steps passed, summed over the controls.
            let depth: usize = controls
                .iter()
                .map(|c| {
                    super::audit_on(c, observed, Some(t), mode)
                        .steps
                        .iter()
                        .take_while(|s| s.ok)
                        .count()
                })
                .sum();
            if best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, t));
            }
        }
        if let Some((_, t)) = best {
            return Some(t);
        }
    }
    choose_trail(&observed.trails, &observed.account, &observed.region, score)
}

#[cfg(test)]
mod tests {
    //! Table-driven tests of the trail and selector rules, on plain values.
    use super::*;
    use crate::observed::AdvancedSelector;

    const IAM: &[&str] = &["iam.amazonaws.com"];

    fn basic(rw: &str, include: bool, exclude: &[&str]) -> BasicSelector {
        BasicSelector {
            read_write_type: rw.into(),
            include_management_events: include,
            exclude_management_event_sources: exclude.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn field(name: &str, equals: &[&str], not_equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.into(),
            equals: equals.iter().map(|s| s.to_string()).collect(),
            not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn advanced(fields: Vec<FieldSelector>) -> Selectors {
        Selectors::Advanced {
            selectors: vec![AdvancedSelector {
                name: Some("mgmt".into()),
                field_selectors: fields,
            }],
        }
    }

    #[test]
    fn selector_rules() {
        let mgmt = || field("eventCategory", &["Management"], &[]);
        let cases: Vec<(&str, Selectors, Result<(), &str>)> = vec![
            ("default selectors", Selectors::Default, Ok(())),
            (
                "basic All",
                Selectors::Basic {
                    selectors: vec![basic("All", true, &[])],
                },
                Ok(()),
            ),
            (
                "basic WriteOnly",
                Selectors::Basic {
                    selectors: vec![basic("WriteOnly", true, &[])],
                },
                Err("only WriteOnly"),
            ),
            (
                "basic ReadOnly",
                Selectors::Basic {
                    selectors: vec![basic("ReadOnly", true, &[])],
                },
                Err("only ReadOnly"),
            ),
            (
                "basic ReadOnly + WriteOnly together",
                Selectors::Basic {
                    selectors: vec![basic("ReadOnly", true, &[]), basic("WriteOnly", true, &[])],
                },
                Ok(()),
            ),
            (
                "basic IncludeManagementEvents=false",
                Selectors::Basic {
                    selectors: vec![basic("All", false, &[])],
                },
                Err("IncludeManagementEvents=true"),
            ),
            (
                "basic excludes kms only",
                Selectors::Basic {
                    selectors: vec![basic(
                        "All",
                        true,
                        &["kms.amazonaws.com", "rdsdata.amazonaws.com"],
                    )],
                },
                Ok(()),
            ),
            (
                "basic excludes iam",
                Selectors::Basic {
                    selectors: vec![basic("All", true, &["iam.amazonaws.com"])],
                },
                Err("ExcludeManagementEventSources"),
            ),
            ("advanced management", advanced(vec![mgmt()]), Ok(())),
            (
                "advanced data only",
                advanced(vec![field("eventCategory", &["Data"], &[])]),
                Err("not for management events"),
            ),
            (
                "advanced readOnly=false",
                advanced(vec![mgmt(), field("readOnly", &["false"], &[])]),
                Err("readOnly"),
            ),
            (
                "advanced readOnly=true",
                advanced(vec![mgmt(), field("readOnly", &["true"], &[])]),
                Err("readOnly"),
            ),
            (
                "advanced eventSource != kms",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &[], &["kms.amazonaws.com"]),
                ]),
                Ok(()),
            ),
            (
                "advanced eventSource != iam",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &[], &["iam.amazonaws.com"]),
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource = s3 only",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &["s3.amazonaws.com"], &[]),
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource = iam",
                advanced(vec![
                    mgmt(),
                    field("eventSource", &["iam.amazonaws.com"], &[]),
                ]),
                Ok(()),
            ),
            (
                "advanced eventSource starts with s3",
                advanced(vec![
                    mgmt(),
                    FieldSelector {
                        field: "eventSource".into(),
                        starts_with: vec!["s3".into()],
                        ..Default::default()
                    },
                ]),
                Err("eventSource"),
            ),
            (
                "advanced eventSource not ends with .amazonaws.com",
                advanced(vec![
                    mgmt(),
                    FieldSelector {
                        field: "eventSource".into(),
                        not_ends_with: vec![".amazonaws.com".into()],
                        ..Default::default()
                    },
                ]),
                Err("eventSource"),
            ),
            (
                "advanced restricted by eventName",
                advanced(vec![mgmt(), field("eventName", &["CreateUser"], &[])]),
                Err("eventName"),
            ),
        ];
        for (label, sel, want) in cases {
            let got = management_events(&sel, IAM);
            match (want, &got) {
                (Ok(()), Ok(_)) => {}
                (Err(needle), Err(why)) => assert!(why.contains(needle), "{label}: {why}"),
                _ => panic!("{label}: expected {want:?}, got {got:?}"),
            }
        }
        // Two advanced selectors: one restricted, one complete: the complete one counts.
        let two = Selectors::Advanced {
            selectors: vec![
                AdvancedSelector {
                    name: None,
                    field_selectors: vec![mgmt(), field("readOnly", &["true"], &[])],
                },
                AdvancedSelector {
                    name: None,
                    field_selectors: vec![mgmt()],
                },
            ],
        };
        assert!(management_events(&two, IAM).is_ok());
    }

    fn trail() -> Trail {
        Trail {
            name: "t".into(),
            arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t".into(),
            home_region: "us-east-1".into(),
            multi_region: true,
            log_group_arn: Some("arn:aws:logs:us-east-1:123456789012:log-group:g:*".into()),
            logging: Some(true),
            selectors: Some(Selectors::Default),
            ..Default::default()
        }
    }

    #[test]
    fn trail_rules() {
        let mut cases: Vec<(&str, Trail, usize, &str)> = Vec::new();
        cases.push(("good", trail(), 3, ""));
        let mut t = trail();
        t.multi_region = false;
        cases.push(("single-region", t, 0, "not multi-region"));
        let mut t = trail();
        t.log_group_arn = None;
        cases.push(("no log group", t, 0, "no CloudWatch Logs group"));
        let mut t = trail();
        t.logging = Some(false);
        cases.push(("stopped", t, 1, "IsLogging=false"));
        let mut t = trail();
        t.delivery_error = Some("AccessDeniedException".into());
        t.delivery_time = Some("2026-11-01T10:00:00Z".into());
        cases.push(("cannot deliver", t, 1, "cannot deliver to CloudWatch Logs: AccessDeniedException (last successful delivery: 2026-11-01T10:00:00Z)"));
        let mut t = trail();
        t.delivery_error = Some("LogGroupNotFound".into());
        cases.push(("never delivered", t, 1, "last successful delivery: never"));
        let mut t = trail();
        t.logging = None;
        t.read_error = Some("AccessDenied".into());
        cases.push((
            "status unreadable",
            t,
            1,
            "could not be read (AccessDenied)",
        ));
        let mut t = trail();
        t.selectors = Some(Selectors::Basic {
            selectors: vec![basic("WriteOnly", true, &[])],
        });
        cases.push(("write only", t, 2, "WriteOnly"));
        for (label, t, score, needle) in cases {
            assert_eq!(trail_score(&t, IAM), score, "{label}");
            if score < 3 {
                let why = trail_steps(&t, IAM)[score].clone().unwrap_err();
                assert!(why.contains(needle), "{label}: {why}");
            }
        }
    }

    /// The audit chooses among the candidate groups discovery read: the deepest chain wins,
    /// the first listed on a tie, an unread group never; one trail serves every control.
    #[test]
    fn the_audit_chooses_among_the_groups_discovery_read() {
        use crate::fixtures::{compliant, observed, trail, ACCOUNT};
        let mut o = compliant();
        // A second full trail into an empty group of this account, listed first.
        let mut bare = trail();
        bare.name = "a-bare".into();
        bare.arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/a-bare");
        bare.log_group_arn = Some(format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:bare:*"));
        o.trails.insert(0, bare.clone());
        let mut bare_group = observed().log_groups.remove(0);
        bare_group.arn = bare.log_group_arn.clone().unwrap();
        bare_group.name = "bare".into();
        o.log_groups.insert(0, bare_group);
        let c = Control::embedded();
        let chosen = choose(std::slice::from_ref(&c), &o, MatchMode::Strict).unwrap();
        assert_eq!(chosen.name, "org");
        let a = super::super::audit(&c, &o, MatchMode::Strict);
        assert!(a.compliant, "{a:#?}");
        assert_eq!(a.trail.as_deref(), Some(trail().arn.as_str()));
        assert_eq!(
            a.log_group(&o).map(|g| g.name.as_str()),
            Some("aws-controltower/CloudTrailLogs-abc123")
        );

        // The compliant group unread: the bare one is the only one to judge.
        let mut unread = o.clone();
        unread.log_groups.retain(|g| g.name == "bare");
        let chosen = choose(std::slice::from_ref(&c), &unread, MatchMode::Strict).unwrap();
        assert_eq!(chosen.name, "a-bare");

        // Both groups bare: a tie, the first listed wins.
        let mut tie = o.clone();
        tie.log_groups[1].filters.clear();
        let chosen = choose(std::slice::from_ref(&c), &tie, MatchMode::Strict).unwrap();
        assert_eq!(chosen.name, "a-bare");

        // Every control audited together rests on one trail.
        let all = Control::all();
        let audits = super::super::audit_all(&all, &o, MatchMode::Strict);
        assert!(audits.iter().all(|a| a.trail == audits[0].trail));
    }
}
