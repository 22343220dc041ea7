//! Pure: what one input declares ([`Declared`]) -> the [`Observed`] the audit judges, and an
//! index from each resource the audit may name to where it is written ([`Index`]).
//!
//! Every declared alarm and topic hangs off every log group, as discovery would read them: the
//! audit follows metric names, not files. A value the files do not settle becomes a resource
//! of its own that stands for it:
//! - an alarm action that is a mark -> a topic whose ARN is recorded as outside these files;
//! - a trail whose log group is a mark -> a group recorded as outside these files;
//! - no trail at all, but filters on a group -> a trail recorded as outside these files,
//!   delivering to that group, so that steps 4-7 are still judged on what the files declare.

use std::collections::BTreeMap;

use super::{mark, outside, Context, Declared, Place};
use crate::control::Control;
use crate::observed::{
    LogGroup, MetricFilter, MetricTransformation, Observed, Selectors, Subscription, Topic, Trail,
};

/// Where each resource the audit can name is written, and what stands outside these files.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// By the name the audit's steps give: trail ARN, `group:filter`, alarm name, topic ARN,
    /// subscription ARN.
    pub places: BTreeMap<String, Place>,
    /// Resources that stand for something outside these files (trail ARN, log group ARN, topic
    /// ARN), with the reference and the place of what names it.
    pub outside: BTreeMap<String, (String, Option<Place>)>,
    /// Modules and other inputs not in the files.
    pub unresolved: Vec<(String, Place)>,
}

impl Index {
    /// The reference a step's resource stands for, when it is outside these files.
    pub fn reference(&self, resource: &str) -> Option<&str> {
        self.outside.get(resource).map(|(r, _)| r.as_str())
    }
}

/// The log groups trails and filters name, as the audit will read them: a mark stands for one
/// group per reference (a trail and a filter naming the same parameter share it), and a name
/// the files do not declare is a group made elsewhere.
struct Groups<'a> {
    d: &'a Declared,
    ctx: &'a Context,
    /// Every group named, in order.
    names: Vec<String>,
    by_reference: BTreeMap<String, String>,
}

impl Groups<'_> {
    fn arn(&self, name: &str) -> String {
        self.ctx.arn("logs", &format!("log-group:{name}:*"))
    }

    /// The name of the group `named` (a name, or text holding a mark) stands for.
    fn named(&mut self, named: &str, place: &Place, index: &mut Index) -> String {
        let name = match outside(named) {
            Some(reference) => match self.by_reference.get(reference) {
                Some(name) => name.clone(),
                None => {
                    let name = format!("outside-these-files-{}", self.by_reference.len() + 1);
                    index.outside.insert(
                        self.arn(&name),
                        (reference.to_string(), Some(place.clone())),
                    );
                    self.by_reference
                        .insert(reference.to_string(), name.clone());
                    name
                }
            },
            None => {
                if !self.d.log_groups.iter().any(|(n, _)| n == named) {
                    // Made elsewhere: what else it holds is not in these files.
                    index
                        .outside
                        .entry(self.arn(named))
                        .or_insert_with(|| (format!("log group {named}"), Some(place.clone())));
                }
                named.to_string()
            }
        };
        self.add(&name);
        name
    }

    fn add(&mut self, name: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }
}

/// What the files declare, for one control, when they hold alarms but no metric filter and no
/// trail ([`alarms_only`]: an alarms-only stack, or the code `fix --emit` prints where the filter
/// is kept): a filter publishing the control's metric stands for the one outside these files,
/// so that the alarms, the topic and the subscription are still judged.
pub fn for_control(d: &Declared, control: &Control) -> Declared {
    let mut d = d.clone();
    let Some((_, place)) = d.alarms.first().cloned() else {
        return d;
    };
    let spec = &control.filter;
    let reference = format!(
        "the metric filter publishing {}/{}",
        spec.namespace, spec.metric_name
    );
    d.filters.push((
        mark(&format!("the log group of {reference}")),
        MetricFilter {
            name: mark(&reference),
            pattern: control.canonical_pattern(),
            metrics: vec![MetricTransformation {
                metric_name: spec.metric_name.clone(),
                namespace: spec.namespace.clone(),
                value: spec.metric_value.clone(),
                ..MetricTransformation::default()
            }],
        },
        place,
    ));
    d
}

/// The files hold alarms but no metric filter and no trail: see [`for_control`].
pub fn alarms_only(d: &Declared) -> bool {
    d.filters.is_empty() && d.trails.is_empty() && !d.alarms.is_empty()
}

/// Build what the audit reads from what the files declare.
pub fn observed(d: &Declared, ctx: &Context) -> (Observed, Index) {
    let mut index = Index {
        unresolved: d.unresolved.clone(),
        ..Index::default()
    };
    let group_arn = |name: &str| ctx.arn("logs", &format!("log-group:{name}:*"));

    // What rests on a value the files do not settle.
    for (key, reference, place) in &d.unsettled {
        index
            .outside
            .entry(key.clone())
            .or_insert_with(|| (reference.clone(), Some(place.clone())));
    }
    // Topics: declared ones, with their policies and keys; then one per unsettled alarm action.
    let mut topics: Vec<Topic> = Vec::new();
    for (t, place) in &d.topics {
        let mut t = t.clone();
        for (on, doc, _) in &d.topic_policies {
            if on.iter().any(|a| a == &t.arn) {
                t.policy = Some(doc.clone());
            }
        }
        if let Some(id) = t.kms_master_key_id.as_deref() {
            t.kms_key = d
                .keys
                .iter()
                .find(|(k, _)| k.id == id || k.arn.as_deref() == Some(id))
                .map(|(k, _)| k.clone());
            // A key made elsewhere (not alias/aws/sns, judged by its name), or one whose
            // policy the files do not settle: what CloudWatch may do with it is outside them.
            let key_outside = match &t.kms_key {
                Some(k) => index
                    .outside
                    .get(&k.id)
                    .or_else(|| k.arn.as_ref().and_then(|a| index.outside.get(a)))
                    .cloned(),
                None if crate::delivery::kms::names_aws_sns_alias(id) => None,
                None => Some((format!("KMS key {id}"), Some(place.clone()))),
            };
            if let Some(o) = key_outside {
                index.outside.entry(t.arn.clone()).or_insert(o);
            }
        }
        // No policy declared: the topic has the policy SNS gives a new topic.
        if t.policy.is_none() {
            t.policy = Some(default_policy(&t.arn, &ctx.account));
        }
        t.subscriptions = Some(
            d.subscriptions
                .iter()
                .filter(|(on, _, _)| on == &t.arn)
                .map(|(_, s, p)| {
                    index.places.insert(s.arn.clone(), p.clone());
                    s.clone()
                })
                .collect::<Vec<Subscription>>(),
        );
        index.places.insert(t.arn.clone(), place.clone());
        topics.push(t);
    }
    let mut alarms = Vec::new();
    let mut stand_ins = 0;
    for (a, place) in &d.alarms {
        let mut a = a.clone();
        for action in a.alarm_actions.iter_mut() {
            // A topic standing for one these files do not settle, or do not declare.
            let stand_in = match outside(action) {
                Some(reference) => Some((
                    ctx.arn("sns", &format!("outside-these-files-{}", stand_ins + 1)),
                    reference.to_string(),
                )),
                None if action.contains(":sns:") && !topics.iter().any(|t| &t.arn == action) => {
                    Some((action.clone(), format!("topic {action}")))
                }
                None => None,
            };
            if let Some((arn, reference)) = stand_in {
                stand_ins += 1;
                index
                    .outside
                    .insert(arn.clone(), (reference, Some(place.clone())));
                topics.push(Topic {
                    arn: arn.clone(),
                    exists: true,
                    ..Topic::default()
                });
                *action = arn;
            }
        }
        index.places.insert(a.name.clone(), place.clone());
        alarms.push(a);
    }

    // Log groups: declared, named by a trail, or named by a filter.
    let mut groups = Groups {
        d,
        ctx,
        names: Vec::new(),
        by_reference: BTreeMap::new(),
    };
    for (name, place) in &d.log_groups {
        groups.add(name);
        index.places.insert(group_arn(name), place.clone());
    }
    let mut trails: Vec<Trail> = Vec::new();
    for (t, place) in &d.trails {
        let mut t = t.clone();
        if let Some(arn) = t.log_group_arn.take() {
            let named = match outside(&arn) {
                Some(_) => Some(arn.clone()),
                None => crate::observed::parse_log_group_arn(&arn).map(|(_, n)| n.to_string()),
            };
            t.log_group_arn = Some(match named {
                Some(named) => group_arn(&groups.named(&named, place, &mut index)),
                None => arn,
            });
        }
        index.places.insert(t.arn.clone(), place.clone());
        trails.push(t);
    }
    let mut filter_groups: Vec<String> = Vec::new();
    for (group, f, place) in &d.filters {
        let name = groups.named(group, place, &mut index);
        let key = format!("{name}:{}", f.name);
        match outside(&f.name) {
            // A filter standing for one outside these files ([`for_control`]).
            Some(reference) => {
                index
                    .outside
                    .insert(key, (reference.to_string(), Some(place.clone())));
            }
            None => {
                index.places.insert(key, place.clone());
            }
        }
        filter_groups.push(name);
    }
    let filters_on = |name: &str| {
        d.filters
            .iter()
            .zip(&filter_groups)
            .filter(|(_, g)| *g == name)
            .map(|((_, f, _), _)| f.clone())
            .collect::<Vec<_>>()
    };
    // No trail in the files: one standing for the trail outside them, on each group a filter
    // is on, so that steps 4-7 are still judged on what the files declare.
    if trails.is_empty() {
        for ((group, _, _), name) in d.filters.iter().zip(&filter_groups) {
            let arn = ctx.arn("cloudtrail", &format!("trail/outside-these-files-{name}"));
            if trails.iter().any(|t| t.arn == arn) {
                continue;
            }
            index.outside.insert(
                arn.clone(),
                (
                    format!(
                        "the trail delivering to log group {}",
                        outside(group).unwrap_or(name)
                    ),
                    None,
                ),
            );
            trails.push(Trail {
                name: "(outside these files)".into(),
                arn,
                home_region: ctx.region.clone(),
                multi_region: true,
                log_group_arn: Some(group_arn(name)),
                logging: Some(true),
                selectors: Some(Selectors::Default),
                ..Trail::default()
            });
        }
    }
    // As discovery reads them: the groups the trails deliver to.
    let log_groups = groups
        .names
        .iter()
        .filter(|name| {
            let arn = group_arn(name);
            trails
                .iter()
                .any(|t| t.log_group_arn.as_deref() == Some(arn.as_str()))
        })
        .map(|name| LogGroup {
            arn: group_arn(name),
            name: name.clone(),
            region: ctx.region.clone(),
            account: ctx.account.clone(),
            partition: ctx.partition.clone(),
            readable: true,
            missing: false,
            filters: filters_on(name),
            alarms: alarms.clone(),
            topics: topics.clone(),
            composite_alarms: Vec::new(),
        })
        .collect();
    let observed = Observed {
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        trails,
        log_groups,
    };
    (observed, index)
}

/// The access policy SNS gives a topic created without one: the owner account's principals may
/// publish (and manage it), which lets its CloudWatch alarms notify it.
fn default_policy(topic: &str, account: &str) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": topic,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
    .to_string()
}
