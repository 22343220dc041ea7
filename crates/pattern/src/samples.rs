//! Sample CloudTrail events for a control, and the comparison of trailwatch's own evaluation of a
//! pattern on them with a second opinion (AWS's `logs:TestMetricFilter`). Pure: no AWS here.

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::eval::matches;
use super::parse::parse;

/// One sample event: a label for people and the CloudTrail record as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub label: String,
    pub event: Json,
}

fn record(name: &str, source: &str) -> Json {
    json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": "123456789012", "userName": "alice"},
        "eventTime": "2026-01-01T00:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2",
        "requestParameters": {},
        "responseElements": null,
        "readOnly": name.starts_with("Get") || name.starts_with("List"),
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012"
    })
}

/// The required events (from `event_source`) and look-alikes that a correct filter must not match
/// (at most 50, the `TestMetricFilter` limit).
pub fn samples(
    required: &[String],
    event_source: &str,
    look_alikes: &[(String, String)],
) -> Vec<Sample> {
    let mut out: Vec<Sample> = required
        .iter()
        .map(|n| Sample {
            label: format!("{n} ({event_source})"),
            event: record(n, event_source),
        })
        .collect();
    out.extend(look_alikes.iter().map(|(n, s)| Sample {
        label: format!("{n} ({s})"),
        event: record(n, s),
    }));
    out.truncate(50);
    out
}

/// How a second opinion on a pattern compares with trailwatch's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Verification {
    /// How many sample events were compared.
    pub samples: usize,
    /// One line per sample where the two disagree.
    pub disagreements: Vec<String>,
    /// Why the second opinion could not be had (then nothing was compared).
    pub error: Option<String>,
}

/// Compare trailwatch's `matches` with the other opinion: `other_matched[i]` says whether the
/// other side matched `samples[i]`.
pub fn compare(pattern: &str, samples: &[Sample], other_matched: &[bool]) -> Verification {
    let Ok(p) = parse(pattern) else {
        return Verification {
            samples: 0,
            disagreements: Vec::new(),
            error: Some("trailwatch cannot parse the pattern; nothing to compare".into()),
        };
    };
    let mut v = Verification {
        samples: samples.len(),
        ..Default::default()
    };
    for (s, other) in samples.iter().zip(other_matched) {
        let ours = matches(&p, &s.event);
        if ours != *other {
            let say = |m: bool| if m { "matches" } else { "does not match" };
            v.disagreements.push(format!(
                "{}: AWS {}, trailwatch {}",
                s.label,
                say(*other),
                say(ours)
            ));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn la() -> Vec<(String, String)> {
        crate::fixtures::cis_4_4_look_alikes()
    }

    fn events() -> Vec<String> {
        super::super::CIS_EVENTS
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn samples_cover_every_required_event_and_the_look_alikes() {
        let s = samples(&events(), "iam.amazonaws.com", &la());
        assert_eq!(s.len(), 23);
        assert!(s
            .iter()
            .any(|x| x.label == "DeletePolicy (autoscaling.amazonaws.com)"));
        assert!(s.iter().all(|x| x.event["eventName"].is_string()));
    }

    #[test]
    fn agreement_and_disagreement_are_reported_per_sample() {
        let ev = events();
        let s = samples(&ev, "iam.amazonaws.com", &la());
        let canonical = super::super::canonical_pattern(&ev);
        // What the canonical pattern really matches: the 16 and the Auto Scaling DeletePolicy.
        let truth: Vec<bool> = s
            .iter()
            .map(|x| ev.contains(&x.event["eventName"].as_str().unwrap().to_string()))
            .collect();
        let v = compare(&canonical, &s, &truth);
        assert_eq!((v.samples, v.disagreements.len()), (23, 0), "{v:?}");
        let mut other = truth.clone();
        other[0] = false;
        let v = compare(&canonical, &s, &other);
        assert_eq!(
            v.disagreements,
            vec!["DeleteGroupPolicy (iam.amazonaws.com): AWS does not match, trailwatch matches"]
        );
        assert!(compare("{ $.eventNa me = x }", &s, &truth).error.is_some());
    }
}
