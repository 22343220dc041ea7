//! Fingerprints of what a plan was made from: one digest per observed resource (trail, log
//! group, filter, alarm, topic, its subscriptions, its key), keyed by a name a person can read
//! (`alarm IAMPolicyChanges`). A saved plan carries them; applying it reads the target again and
//! refuses when any differs, naming what changed.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::observed::{LogGroup, Observed, Trail};

/// Resource name -> digest.
pub(crate) type Fingerprints = BTreeMap<String, String>;

/// The digest of a value's JSON (keys sorted): 64 hex digits of SHA-256.
pub(crate) fn digest(value: &impl Serialize) -> String {
    let text = crate::report::canonical(value);
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every resource of `observed` a plan depends on. What changes on its own without anyone
/// touching the chain (a trail's last delivery time) is left out: it would make every plan stale.
pub(crate) fn of(observed: &Observed) -> Fingerprints {
    let mut out = Fingerprints::new();
    for t in &observed.trails {
        out.insert(format!("trail {}", t.arn), digest(&stable_trail(t)));
    }
    let several = observed.log_groups.len() > 1;
    for g in &observed.log_groups {
        of_group(g, several, &mut out);
    }
    out
}

fn stable_trail(t: &Trail) -> Trail {
    Trail {
        delivery_time: None,
        ..t.clone()
    }
}

fn of_group(g: &LogGroup, several: bool, out: &mut Fingerprints) {
    // With one group, a filter is named by its name alone; with several, by its group too.
    let on = |kind: &str, name: &str| {
        if several {
            format!("{kind} {name} (log group {})", g.name)
        } else {
            format!("{kind} {name}")
        }
    };
    let group = LogGroup {
        filters: Vec::new(),
        alarms: Vec::new(),
        topics: Vec::new(),
        ..g.clone()
    };
    out.insert(format!("log group {}", g.name), digest(&group));
    for f in &g.filters {
        out.insert(on("filter", &f.name), digest(f));
    }
    // Lists AWS may return in any order are sorted: the same world, the same digest.
    for a in &g.alarms {
        let mut a = a.clone();
        if let Some(tags) = a.tags.as_mut() {
            tags.sort();
        }
        out.insert(on("alarm", &a.name), digest(&a));
    }
    for t in &g.topics {
        let mut bare = t.clone();
        if let Some(tags) = bare.tags.as_mut() {
            tags.sort();
        }
        let mut subscriptions = bare.subscriptions.take();
        if let Some(subs) = subscriptions.as_mut() {
            subs.sort_by(|x, y| {
                (&x.protocol, &x.endpoint, &x.arn).cmp(&(&y.protocol, &y.endpoint, &y.arn))
            });
        }
        let key = bare.kms_key.take();
        out.insert(format!("topic {}", t.arn), digest(&bare));
        out.insert(
            format!("subscriptions of topic {}", t.arn),
            digest(&subscriptions),
        );
        if let Some(key) = key {
            out.insert(format!("key {} of topic {}", key.id, t.arn), digest(&key));
        }
    }
}

/// How `now` differs from `then`: `alarm X changed`, `filter Y appeared`, `topic Z is gone`, in
/// name order. Empty when nothing the plan depends on changed.
pub(crate) fn changes(then: &Fingerprints, now: &Fingerprints) -> Vec<String> {
    let mut out = Vec::new();
    for (name, digest) in then {
        match now.get(name) {
            Some(d) if d == digest => {}
            Some(_) => out.push(format!("{name} changed")),
            None => out.push(format!("{name} is gone")),
        }
    }
    for name in now.keys().filter(|n| !then.contains_key(*n)) {
        out.push(format!("{name} appeared"));
    }
    out
}

/// A fleet target skipped because it changed since its plan, in one line.
pub(crate) fn stale_target(changes: &[String]) -> String {
    format!(
        "stale: {} since the plan was made; nothing was written to this target: plan it again",
        said(changes)
    )
}

/// `changes` for a person, in one line: the first three and how many more.
pub(crate) fn said(changes: &[String]) -> String {
    match changes.len() {
        0..=3 => changes.join(", "),
        n => format!("{} and {} more", changes[..3].join(", "), n - 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::{Alarm, MetricFilter, Topic};

    fn observed() -> Observed {
        Observed {
            account: "111122223333".into(),
            region: "us-east-1".into(),
            trails: vec![Trail {
                name: "t".into(),
                arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t".into(),
                delivery_time: Some("2026-12-07T10:00:00Z".into()),
                ..Default::default()
            }],
            log_groups: vec![LogGroup {
                name: "g".into(),
                filters: vec![MetricFilter {
                    name: "IAMPolicyChanges".into(),
                    pattern: "{ $.eventName = DeleteGroupPolicy }".into(),
                    metrics: vec![],
                }],
                alarms: vec![Alarm {
                    name: "IAMPolicyChanges".into(),
                    threshold: Some(1.0),
                    ..Default::default()
                }],
                topics: vec![Topic {
                    arn: "arn:aws:sns:us-east-1:111122223333:cis".into(),
                    exists: true,
                    subscriptions: Some(vec![]),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn the_same_world_gives_the_same_fingerprints_whatever_the_delivery_time() {
        let a = of(&observed());
        let mut later = observed();
        later.trails[0].delivery_time = Some("2026-12-07T11:00:00Z".into());
        assert_eq!(a, of(&later));
        assert!(changes(&a, &of(&later)).is_empty());
        assert_eq!(
            a.keys().cloned().collect::<Vec<_>>(),
            [
                "alarm IAMPolicyChanges",
                "filter IAMPolicyChanges",
                "log group g",
                "subscriptions of topic arn:aws:sns:us-east-1:111122223333:cis",
                "topic arn:aws:sns:us-east-1:111122223333:cis",
                "trail arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
            ]
        );
    }

    #[test]
    fn the_order_aws_lists_subscriptions_and_tags_in_changes_nothing() {
        use crate::observed::Subscription;
        let sub = |e: &str| Subscription {
            arn: format!("arn:aws:sns:us-east-1:111122223333:cis:{e}"),
            protocol: "email".into(),
            endpoint: format!("{e}@example.com"),
        };
        let mut a = observed();
        a.log_groups[0].topics[0].subscriptions = Some(vec![sub("a"), sub("b")]);
        a.log_groups[0].alarms[0].tags =
            Some(vec![("k1".into(), "v".into()), ("k2".into(), "v".into())]);
        let mut b = a.clone();
        b.log_groups[0].topics[0].subscriptions = Some(vec![sub("b"), sub("a")]);
        b.log_groups[0].alarms[0].tags =
            Some(vec![("k2".into(), "v".into()), ("k1".into(), "v".into())]);
        assert_eq!(of(&a), of(&b));
    }

    #[test]
    fn a_change_names_the_resource_and_what_happened_to_it() {
        let then = of(&observed());
        let mut now = observed();
        now.log_groups[0].alarms[0].threshold = Some(5.0);
        now.log_groups[0].filters.push(MetricFilter {
            name: "Other".into(),
            ..Default::default()
        });
        now.log_groups[0].topics[0].subscriptions = None;
        let got = changes(&then, &of(&now));
        assert_eq!(
            got,
            [
                "alarm IAMPolicyChanges changed",
                "subscriptions of topic arn:aws:sns:us-east-1:111122223333:cis changed",
                "filter Other appeared",
            ]
        );
        now.log_groups[0].alarms.clear();
        let got = changes(&then, &of(&now));
        assert!(
            got.contains(&"alarm IAMPolicyChanges is gone".to_string()),
            "{got:?}"
        );
        assert_eq!(
            said(&["a".into(), "b".into(), "c".into(), "d".into(), "e".into()]),
            "a, b, c and 2 more"
        );
    }
}
