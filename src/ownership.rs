//! Whose a resource is. trailwatch tags what it creates, and only what carries its tag is its
//! own: a name proves nothing (AWS's own remediation and other CIS tooling use the same names).
//!
//! - An alarm or topic trailwatch created carries `trailwatch:managed = true` (set with `Tags`
//!   on `PutMetricAlarm`/`CreateTopic`); an alarm also names its control (`trailwatch:control`).
//! - Metric filters cannot be tagged: a filter is trailwatch's when trailwatch's alarm records it
//!   (`trailwatch:filter-name`, and `trailwatch:filter-log-group` when the group's name fits in a
//!   tag value).
//! - A resource that holds a control's name without the tag is foreign: reported, never written,
//!   unless the user passes `--adopt` (then the repair and the tag are planned together).
//! - When a broken foreign alarm or filter holds the name, trailwatch's own goes beside it under
//!   [`beside`]`(name)`, which is trailwatch's too only when tagged (or recorded).
//!
//! Pure: the tags are read by discovery (`fix` only) and judged here.

use crate::observed::{Alarm, Tags, Topic};

pub const MANAGED: &str = "trailwatch:managed";
pub const CONTROL: &str = "trailwatch:control";
pub const FILTER_NAME: &str = "trailwatch:filter-name";
pub const FILTER_LOG_GROUP: &str = "trailwatch:filter-log-group";
/// What [`beside`] appends to a control's name.
pub const BESIDE_SUFFIX: &str = "-trailwatch";
/// AWS's limit on a tag value (CloudWatch and SNS).
const MAX_TAG_VALUE: usize = 256;

fn get<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The tags say trailwatch manages the resource.
pub fn managed(tags: Option<&Tags>) -> bool {
    tags.and_then(|t| get(t, MANAGED)) == Some("true")
}

/// An alarm that carries trailwatch's tag.
pub fn alarm_is_ours(a: &Alarm) -> bool {
    managed(a.tags.as_ref())
}

/// A topic that carries trailwatch's tag.
pub fn topic_is_ours(t: &Topic) -> bool {
    managed(t.tags.as_ref())
}

/// The name trailwatch gives its own resource when a foreign one holds `name`.
pub fn beside(name: &str) -> String {
    format!("{name}{BESIDE_SUFFIX}")
}

/// `name` is a control's name or the name trailwatch uses beside it.
pub fn holds(name: &str, spec_name: &str) -> bool {
    name == spec_name || name.strip_suffix(BESIDE_SUFFIX) == Some(spec_name)
}

/// The tags of a topic trailwatch creates or adopts.
pub fn topic_tags() -> Tags {
    vec![(MANAGED.to_string(), "true".to_string())]
}

/// The tags of a control's alarm: managed, its control and, when the filter it watches is
/// trailwatch's, that filter (`(log group, filter name)`). A log group name longer than a tag
/// value allows is left out (the filter name alone is then recorded).
pub fn alarm_tags(control: &str, filter: Option<(&str, &str)>) -> Tags {
    let mut tags = vec![
        (MANAGED.to_string(), "true".to_string()),
        (CONTROL.to_string(), control.to_string()),
    ];
    if let Some((group, name)) = filter {
        tags.push((FILTER_NAME.to_string(), name.to_string()));
        if group.len() <= MAX_TAG_VALUE {
            tags.push((FILTER_LOG_GROUP.to_string(), group.to_string()));
        }
    }
    tags
}

/// `have` with `add` set: a key `add` holds takes its value, the others are kept (what
/// `TagResource` leaves behind).
pub fn with_tags(have: Option<&Tags>, add: &Tags) -> Tags {
    let mut after = have.cloned().unwrap_or_default();
    for (k, v) in add {
        match after.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v.clone(),
            None => after.push((k.clone(), v.clone())),
        }
    }
    after
}

/// trailwatch's alarm `a` records filter `name` on `log_group` as trailwatch's.
pub fn records_filter(a: &Alarm, log_group: &str, name: &str) -> bool {
    let Some(tags) = a.tags.as_ref().filter(|t| managed(Some(t))) else {
        return false;
    };
    get(tags, FILTER_NAME) == Some(name)
        && get(tags, FILTER_LOG_GROUP).is_none_or(|g| g == log_group)
}

/// The tags of `want` that `have` lacks or holds with another value: what `TagResource` must
/// send. Tags trailwatch does not manage are never removed.
pub fn missing(have: Option<&Tags>, want: &Tags) -> Tags {
    want.iter()
        .filter(|(k, v)| have.and_then(|h| get(h, k)) != Some(v.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(tags: &[(&str, &str)]) -> Alarm {
        Alarm {
            name: "IAMPolicyChanges".into(),
            tags: Some(
                tags.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_managed_tag_makes_a_resource_trailwatchs() {
        assert!(alarm_is_ours(&tagged(&[(MANAGED, "true")])));
        assert!(!alarm_is_ours(&tagged(&[(MANAGED, "false")])));
        assert!(!alarm_is_ours(&tagged(&[("owner", "trailwatch")])));
        // Tags not read: never assumed ours.
        assert!(!alarm_is_ours(&Alarm::default()));
    }

    #[test]
    fn a_filter_is_ours_only_when_our_alarm_records_it_on_that_group() {
        let a = tagged(&[
            (MANAGED, "true"),
            (FILTER_NAME, "IAMPolicyChanges"),
            (FILTER_LOG_GROUP, "trail-logs"),
        ]);
        assert!(records_filter(&a, "trail-logs", "IAMPolicyChanges"));
        assert!(!records_filter(&a, "other-logs", "IAMPolicyChanges"));
        assert!(!records_filter(
            &a,
            "trail-logs",
            "IAMPolicyChanges-trailwatch"
        ));
        let foreign = tagged(&[(FILTER_NAME, "IAMPolicyChanges")]);
        assert!(!records_filter(&foreign, "trail-logs", "IAMPolicyChanges"));
    }

    #[test]
    fn a_log_group_name_too_long_for_a_tag_value_records_the_filter_name_alone() {
        let group = "g".repeat(300);
        let tags = alarm_tags("CIS-4.4", Some((&group, "IAMPolicyChanges")));
        assert_eq!(
            tags.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            [MANAGED, CONTROL, FILTER_NAME]
        );
        let a = Alarm {
            tags: Some(tags),
            ..Default::default()
        };
        assert!(records_filter(&a, &group, "IAMPolicyChanges"));
    }

    #[test]
    fn the_beside_name_holds_the_spec_name_and_nothing_else_does() {
        assert_eq!(beside("IAMPolicyChanges"), "IAMPolicyChanges-trailwatch");
        assert!(holds("IAMPolicyChanges", "IAMPolicyChanges"));
        assert!(holds("IAMPolicyChanges-trailwatch", "IAMPolicyChanges"));
        assert!(!holds("IAMPolicyChanges-old", "IAMPolicyChanges"));
        assert!(!holds(
            "IAMPolicyChanges-trailwatch-trailwatch",
            "IAMPolicyChanges"
        ));
    }

    #[test]
    fn missing_tags_are_the_absent_and_the_different_never_a_removal() {
        let have: Tags = vec![
            (MANAGED.into(), "true".into()),
            (FILTER_NAME.into(), "old".into()),
            ("team".into(), "sec".into()),
        ];
        let want = alarm_tags("CIS-4.4", Some(("g", "new")));
        assert_eq!(
            missing(Some(&have), &want),
            vec![
                (CONTROL.to_string(), "CIS-4.4".to_string()),
                (FILTER_NAME.to_string(), "new".to_string()),
                (FILTER_LOG_GROUP.to_string(), "g".to_string()),
            ]
        );
        assert_eq!(missing(Some(&want), &want), Vec::new());
    }
}
