//! Filter verdicts end to end (issue: judge filters by meaning and strictly): `equivalent`,
//! `broader` and `narrower` filters in the emulator, with the plan under both `--match` modes.

use crate::support;

use serde_json::Value;
use support::{change, reason, steps, Emulator, Seed, REGION};

const LG: &str = "aws-controltower/CloudTrailLogs-q7x2kd";

fn events() -> Vec<String> {
    trailwatch::control::Control::embedded().events
}

fn verdict<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["filters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no filter {name} in {v:#}"))
}

/// A good trail, the shared topic with a subscriber, and one filter.
async fn account_with_filter(emu: &Emulator, name: &str, pattern: &str) -> Seed {
    let seed = Seed::new(emu, REGION).await;
    seed.good_trail(emu).await;
    seed.filter(LG, name, pattern, "IAMPolicyChanges", "CISBenchmark")
        .await;
    let topic = seed.topic("cis-benchmark-alarms").await;
    seed.subscribe(&topic, "email", "secops@example.com").await;
    seed
}

#[tokio::test]
async fn an_equivalent_filter_fails_strict_and_passes_by_meaning() {
    let emu = Emulator::start();
    let mut reordered = events();
    reordered.reverse();
    let pattern = trailwatch::pattern::canonical_pattern(&reordered).replace("||", " || ");
    account_with_filter(&emu, "reordered-iam", &pattern).await;

    // strict (the default): Security Hub would fail it, so step 4 fails and the plan adds the
    // canonical filter beside it, saying why.
    let (code, v) = emu.check(&[]);
    assert_eq!((code, steps(&v).as_str()), (2, "OOOXXXX"));
    assert_eq!(reason(&v, 4), "CLOUDTRAIL_METRIC_FILTER_NOT_VALID");
    let f = verdict(&v, "reordered-iam");
    assert_eq!(f["verdict"], "equivalent");
    assert_eq!(f["missing_events"].as_array().unwrap().len(), 0);
    let (_, plan) = emu.plan(&[]);
    let c = change(&plan, "metric_filter");
    assert_eq!(
        (c["action"].as_str(), c["name"].as_str()),
        (Some("create"), Some("IAMPolicyChanges"))
    );
    assert!(c["reason"].as_str().unwrap().contains("strict"), "{c:#}");

    // meaning: compliant; the filter is reused and only the alarm is created on its metric.
    let (code, v) = emu.check(&["--match", "meaning"]);
    assert_eq!((code, steps(&v).as_str()), (2, "OOOOXXX"), "{v:#}");
    let (code, out, writes) = emu.apply(&["--match", "meaning"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(writes, vec!["monitoring:PutMetricAlarm"]);
    assert_eq!(change(&out, "metric_filter")["action"], "keep");
    assert_eq!(steps(&emu.check(&["--match", "meaning"]).1), "OOOOOOO");
    // ... and still not compliant for Security Hub.
    assert_eq!(steps(&emu.check(&[]).1), "OOOXXXX");
}

#[tokio::test]
async fn a_broader_filter_is_never_compliant_and_the_canonical_one_is_added_beside_it() {
    let emu = Emulator::start();
    let pattern = r#"{ $.eventSource = "iam.amazonaws.com" }"#;
    let seed = account_with_filter(&emu, "all-iam", pattern).await;
    for mode in ["strict", "meaning"] {
        let (code, v) = emu.check(&["--match", mode]);
        assert_eq!((code, steps(&v).as_str()), (2, "OOOXXXX"), "{mode}");
        let f = verdict(&v, "all-iam");
        assert_eq!(f["verdict"], "broader");
        assert!(!f["extra_matches"].as_array().unwrap().is_empty(), "{f:#}");
        let (_, plan) = emu.plan(&["--match", mode]);
        assert_eq!(
            change(&plan, "metric_filter")["action"],
            "create",
            "{mode}: {plan:#}"
        );
    }
    let (code, out, writes) = emu.apply(&["--match", "meaning"]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        writes,
        vec!["logs:PutMetricFilter", "monitoring:PutMetricAlarm"]
    );
    let filters = seed
        .logs
        .describe_metric_filters()
        .log_group_name(LG)
        .send()
        .await
        .unwrap();
    let patterns: Vec<&str> = filters
        .metric_filters()
        .iter()
        .filter_map(|f| f.filter_pattern())
        .collect();
    assert!(
        patterns.contains(&pattern),
        "the foreign filter is left as it was: {patterns:?}"
    );
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
}

#[tokio::test]
async fn a_narrower_filter_holding_our_name_is_named_and_ours_goes_beside_it() {
    let emu = Emulator::start();
    let canonical = trailwatch::pattern::canonical_pattern(&events());
    let inner = canonical.trim_start_matches('{').trim_end_matches('}');
    let pattern = format!(r#"{{ ({inner}) && ($.userIdentity.type = "Root") }}"#);
    account_with_filter(&emu, "IAMPolicyChanges", &pattern).await;
    for mode in ["strict", "meaning"] {
        let (code, v) = emu.check(&["--match", mode]);
        assert_eq!((code, steps(&v).as_str()), (2, "OOOXXXX"));
        let f = verdict(&v, "IAMPolicyChanges");
        assert_eq!(f["verdict"], "narrower");
        let terms = f["narrowing_terms"].as_array().unwrap();
        assert!(
            terms.iter().any(|t| {
                let t = t.as_str().unwrap();
                t.contains("PutUserPolicy") && t.contains("userIdentity.type")
            }),
            "{f:#}"
        );
        // No alarm of trailwatch's records it: not trailwatch's, so never rewritten.
        let (_, plan) = emu.plan(&["--match", mode]);
        let f = change(&plan, "metric_filter");
        assert_eq!(
            (f["action"].as_str(), f["name"].as_str()),
            (Some("create"), Some("IAMPolicyChanges-trailwatch")),
            "{mode}"
        );
    }
    let (code, out, writes) = emu.apply(&[]);
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(
        writes,
        vec!["logs:PutMetricFilter", "monitoring:PutMetricAlarm"]
    );
    assert_eq!(steps(&emu.check(&[]).1), "OOOOOOO");
    let seed = Seed::new(&emu, REGION).await;
    let patterns: Vec<(String, String)> = seed
        .logs
        .describe_metric_filters()
        .log_group_name(LG)
        .send()
        .await
        .unwrap()
        .metric_filters()
        .iter()
        .map(|f| {
            (
                f.filter_name().unwrap_or_default().to_string(),
                f.filter_pattern().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        patterns.contains(&("IAMPolicyChanges".to_string(), pattern.clone())),
        "{patterns:?}"
    );
}

#[tokio::test]
async fn verify_with_aws_reports_when_aws_cannot_answer_and_keeps_the_verdict() {
    // The emulator does not implement logs:TestMetricFilter (HTTP 500): the check says so per
    // filter, keeps its own verdicts, and the exit code still reflects the audit.
    let emu = Emulator::start();
    let seed = Seed::new(&emu, REGION).await;
    seed.compliant(&emu).await;
    let (code, v) = emu.check(&["--verify-with-aws"]);
    assert_eq!(code, 0, "{v:#}");
    let f = verdict(&v, "IAMPolicyChanges");
    assert_eq!(f["verdict"], "exact");
    let err = f["aws_verification"]["error"].as_str().unwrap_or_default();
    assert!(err.contains("logs:TestMetricFilter"), "{f:#}");
    let (_, plain) = emu.check(&[]);
    assert!(verdict(&plain, "IAMPolicyChanges")
        .get("aws_verification")
        .is_none());
}
