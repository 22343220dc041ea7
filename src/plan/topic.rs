//! Planning the SNS side: the topic, its policy (one statement merged, never replaced) and the
//! subscription (never invented; pending ones are the user's to confirm). Only the shared topic or
//! `--topic-arn` is ever written to.

use serde_json::{json, Value};

use super::*;
use crate::delivery::kms;
use crate::delivery::topic_policy::{self, AlarmOrigin, Publish};
use crate::ownership;

fn topic_doc(t: &Topic) -> Value {
    json!({ "TopicArn": t.arn, "KmsMasterKeyId": t.kms_master_key_id })
}

impl Ctx<'_> {
    /// The topic: keep it if it exists; create it when it is the shared topic (or a named one in
    /// this account and region); otherwise the user must.
    pub(super) fn topic(&self, arn: &str) -> (Change, bool) {
        let name = arn.rsplit(':').next().unwrap_or(arn).to_string();
        if let Some(e) = self.lg.topic(arn).and_then(|t| t.read_error.as_deref()) {
            let reason = format!(
                "topic {arn} could not be read ({e}): nothing that depends on it is planned"
            );
            return (blocked(Resource::Topic, arn, reason, None), false);
        }
        if let Some(t) = self.lg.topic(arn).filter(|t| t.exists) {
            let reason = if arn == self.shared_topic_arn() {
                if ownership::topic_is_ours(t) {
                    "the shared topic for all monitoring alarms exists (trailwatch's)".to_string()
                } else if self.opts.adopt {
                    "the shared topic for all monitoring alarms exists (not created by trailwatch; adopted with --adopt)".to_string()
                } else {
                    "the shared topic for all monitoring alarms exists (not created by trailwatch: its alarms may notify it, but trailwatch writes nothing to it without --adopt)".to_string()
                }
            } else {
                format!("topic {arn} exists")
            };
            return (
                keep(Resource::Topic, arn, reason, Some(topic_doc(t))),
                false,
            );
        }
        let parts = Arn::parse(arn);
        let here = parts.as_ref().is_some_and(|a| {
            a.account == self.observed.account
                && a.region == self.lg.region
                && a.partition == self.lg.partition
        });
        if here && !self.told_to_use(arn) {
            let reason = format!(
                "topic {arn}, which another alarm notifies, does not exist: trailwatch creates only the shared topic or --topic-arn"
            );
            return (blocked(Resource::Topic, arn, reason, None), false);
        }
        if !here {
            let reason = format!(
                "topic {arn} does not exist or cannot be read, and it is not in account {} region {}, so trailwatch cannot create it",
                self.observed.account, self.lg.region
            );
            return (blocked(Resource::Topic, arn, reason, None), false);
        }
        let reason = if arn == self.shared_topic_arn() {
            "the shared topic for all monitoring alarms does not exist".to_string()
        } else {
            format!("topic {arn} does not exist")
        };
        let change = Change {
            resource: Resource::Topic,
            action: Action::Create,
            name: arn.to_string(),
            reason,
            current: None,
            desired: Some(
                json!({ "TopicArn": arn, "Name": name, "Tags": { ownership::MANAGED: "true" } }),
            ),
            request: Some(WriteRequest::CreateTopic {
                region: self.region(),
                name,
                topic_arn: arn.to_string(),
                tags: ownership::topic_tags(),
            }),
        };
        (change, true)
    }

    /// SNS calls go to the topic's own region.
    fn topic_region(&self, arn: &str) -> String {
        Arn::parse(arn)
            .map(|a| a.region.to_string())
            .unwrap_or_else(|| self.region())
    }

    /// trailwatch may write to this topic: `--topic-arn`, or the control's shared topic when it
    /// is trailwatch's (tagged, or to be created) or adopted with `--adopt`.
    pub(super) fn told_to_use(&self, arn: &str) -> bool {
        if self.opts.topic_arn.as_deref() == Some(arn) {
            return true;
        }
        arn == self.shared_topic_arn()
            && (self.opts.adopt
                || self
                    .lg
                    .topic(arn)
                    .is_none_or(|t| !t.exists || ownership::topic_is_ours(t)))
    }

    /// The tag change of the shared topic adopted with `--adopt` (when trailwatch writes to it).
    pub(super) fn adopted_topic_tags(&self, arn: &str) -> Option<Change> {
        let topic = self.lg.topic(arn).filter(|t| t.exists)?;
        if arn != self.shared_topic_arn() || !self.opts.adopt || ownership::topic_is_ours(topic) {
            return None;
        }
        let want = ownership::topic_tags();
        let add = ownership::missing(topic.tags.as_ref(), &want);
        let after = ownership::with_tags(topic.tags.as_ref(), &add);
        Some(Change {
            resource: Resource::TopicTags,
            action: Action::Update,
            name: arn.to_string(),
            reason: format!("adopted with --adopt: tag topic {arn} as trailwatch's"),
            current: topic.tags.as_deref().map(tags_doc),
            desired: Some(tags_doc(&after)),
            request: Some(WriteRequest::TagTopic {
                region: self.topic_region(arn),
                topic_arn: arn.to_string(),
                tags: add,
            }),
        })
    }

    /// Policy and subscription of a topic that only another (working) alarm uses: judged, shown,
    /// never written, with one exception: `--subscribe` adds the receiver the user named to a
    /// topic in this account (subscribing adds, it changes nothing that is there). Passing the
    /// topic as `--topic-arn` lets trailwatch manage it.
    pub(super) fn foreign_topic(&self, arn: &str, alarm_name: &str) -> (Change, Vec<Change>) {
        let advice = if arn == self.shared_topic_arn() {
            format!("topic {arn} holds the shared topic's name but was not created by trailwatch: pass --adopt to let trailwatch manage it, or fix it yourself")
        } else {
            format!("the topic is not trailwatch's: fix it yourself, or pass --topic-arn {arn} to let trailwatch manage it")
        };
        let mut policy = self.topic_policy(arn, alarm_name, false);
        let mut subscriptions = self.subscription(arn);
        needs_you(&mut policy, &advice);
        let same_account = Arn::parse(arn).is_some_and(|a| a.account == self.observed.account);
        for subscription in &mut subscriptions {
            if same_account && !self.opts.subscribe.is_empty() && subscription.request.is_some() {
                subscription.reason = format!(
                    "{}; the working alarm notifies topic {arn}, which has no confirmed subscriber: --subscribe adds one to it and changes nothing else",
                    subscription.reason
                );
            } else {
                let advice = if same_account {
                    format!("{advice}, or pass --subscribe to add a subscriber to it")
                } else {
                    format!("the topic is in another account: its owner must add a subscriber, or pass --topic-arn with a topic of account {}", self.observed.account)
                };
                needs_you(subscription, &advice);
            }
        }
        (policy, subscriptions)
    }

    /// The KMS key of an encrypted topic: CloudWatch must be able to use it. Never written;
    /// `None` for a topic that is not encrypted (or not read).
    pub(super) fn kms_key(&self, arn: &str) -> Option<Change> {
        let topic = self.lg.topic(arn).filter(|t| t.exists)?;
        let id = topic.kms_master_key_id.as_deref()?;
        let key = kms::key_of(topic)?;
        let name = key.arn.clone().unwrap_or_else(|| id.to_string());
        let doc = json!({ "KeyId": name, "KeyManager": key.manager, "TopicArn": arn });
        let add = kms::statement();
        let with = |why: String| {
            format!("{why}; add this statement to the key policy (trailwatch never edits key policies): {add}")
        };
        let origin = AlarmOrigin {
            partition: &self.lg.partition,
            region: &self.lg.region,
            account: &self.observed.account,
            alarm_name: &self.control.alarm.name,
        };
        Some(match kms::cloudwatch_can_use(&key, &origin) {
            kms::KeyUse::Usable(why) => keep(Resource::KmsKey, name, why, Some(doc)),
            kms::KeyUse::AwsManaged => blocked(
                Resource::KmsKey,
                name,
                format!("topic {arn} is encrypted with an AWS-managed key ({id}, e.g. alias/aws/sns), whose policy cannot grant cloudwatch.amazonaws.com: alarms fail to publish without a sound. Encrypt the topic with a customer-managed key whose policy has this statement: {add}"),
                Some(doc),
            ),
            kms::KeyUse::NotGranted(why) => blocked(
                Resource::KmsKey,
                name,
                with(format!("CloudWatch cannot use the key that encrypts topic {arn}, so alarms fail to publish: {why}")),
                Some(doc),
            ),
            kms::KeyUse::Unreadable(why) => blocked(
                Resource::KmsKey,
                name,
                with(format!("the key that encrypts topic {arn} could not be judged ({why}); make sure its policy lets CloudWatch use it")),
                Some(doc),
            ),
        })
    }

    /// The topic policy: CloudWatch must be allowed to publish for this account's alarms.
    pub(super) fn topic_policy(&self, arn: &str, alarm_name: &str, created: bool) -> Change {
        if created {
            return keep(
                Resource::TopicPolicy,
                arn,
                "the policy CreateTopic gives already lets this account's alarms publish",
                None,
            );
        }
        let Some(topic) = self.lg.topic(arn).filter(|t| t.exists) else {
            return blocked(
                Resource::TopicPolicy,
                arn,
                "the topic must exist first",
                None,
            );
        };
        let origin = AlarmOrigin {
            partition: &self.lg.partition,
            region: &self.lg.region,
            account: &self.observed.account,
            alarm_name,
        };
        let current: Option<Value> = match topic.policy.as_deref().map(serde_json::from_str) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                return blocked(
                    Resource::TopicPolicy,
                    arn,
                    format!("the topic policy is not valid JSON ({e}): trailwatch will not rewrite a policy it cannot read"),
                    None,
                )
            }
        };
        let verdict = current
            .as_ref()
            .map(|p| topic_policy::cloudwatch_can_publish(p, arn, &origin))
            .unwrap_or(Publish::NotAllowed);
        match verdict {
            Publish::Allowed(why) => keep(Resource::TopicPolicy, arn, why, current),
            Publish::Denied(why) => blocked(
                Resource::TopicPolicy,
                arn,
                format!("{why}; an added Allow would not override it: the topic's owner must change the policy"),
                current,
            ),
            Publish::NotAllowed => {
                let owner = Arn::parse(arn).map(|a| a.account.to_string()).unwrap_or_default();
                if owner != self.observed.account {
                    return blocked(
                        Resource::TopicPolicy,
                        arn,
                        format!("the topic is in account {owner}: its owner must allow cloudwatch.amazonaws.com to publish for account {}'s alarms", self.observed.account),
                        current,
                    );
                }
                let merged = topic_policy::merge(current.as_ref(), topic_policy::statement(arn, &origin));
                let expected = current.clone();
                Change {
                    resource: Resource::TopicPolicy,
                    action: Action::Update,
                    name: arn.to_string(),
                    reason: format!(
                        "no statement lets cloudwatch.amazonaws.com publish for this account's alarms: merge statement {:?}, keep the rest",
                        topic_policy::SID
                    ),
                    current,
                    desired: Some(merged.clone()),
                    request: Some(WriteRequest::SetTopicPolicy {
                        region: self.topic_region(arn),
                        topic_arn: arn.to_string(),
                        attribute_name: "Policy".into(),
                        policy: merged.to_string(),
                        expected_current: expected,
                    }),
                }
            }
        }
    }

    /// The subscription: a confirmed one is enough; else `--subscribe`; else the user must act.
    /// Its name says which topic it is on (several controls' alarms may notify different topics).
    pub(super) fn subscription(&self, arn: &str) -> Vec<Change> {
        let mut changes = self.subscriptions_of(arn);
        for c in &mut changes {
            c.name = format!("{} on {arn}", c.name);
        }
        changes
    }

    /// One change per `--subscribe` endpoint when the topic has no confirmed subscriber (one
    /// keep, or one that needs the user, otherwise).
    fn subscriptions_of(&self, arn: &str) -> Vec<Change> {
        let topic = self.lg.topic(arn).filter(|t| t.exists);
        let subs = topic
            .and_then(|t| t.subscriptions.as_deref())
            .unwrap_or(&[]);
        if let Some(s) = subs.iter().find(|s| s.confirmed()) {
            let doc = json!({ "Protocol": s.protocol, "Endpoint": redact::endpoint(&s.endpoint), "SubscriptionArn": s.arn });
            return vec![keep(
                Resource::Subscription,
                format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)),
                "the topic has a confirmed subscriber",
                Some(doc),
            )];
        }
        let pending: Vec<String> = subs
            .iter()
            .map(|s| format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)))
            .collect();
        if self.opts.subscribe.is_empty() {
            return vec![if pending.is_empty() {
                blocked(
                    Resource::Subscription,
                    "(none)",
                    "the topic has no confirmed subscriber: pass --subscribe PROTOCOL:ENDPOINT (email, https, sqs or lambda)",
                    None,
                )
            } else {
                blocked(
                    Resource::Subscription,
                    pending.join(", "),
                    "subscription pending confirmation: the receiver must confirm it",
                    None,
                )
            }];
        }
        self.opts
            .subscribe
            .iter()
            .map(|ep| {
                let name = format!("{}:{}", ep.protocol, redact::endpoint(&ep.endpoint));
                if pending.contains(&name) {
                    return blocked(
                        Resource::Subscription,
                        name,
                        "subscription pending confirmation: the receiver must confirm it (subscribing again would not help)",
                        None,
                    );
                }
                let confirm = match ep.protocol.as_str() {
                    "email" | "email-json" | "https" | "http" => {
                        "; the receiver must then confirm it before step 7 passes"
                    }
                    _ => "",
                };
                Change {
                    resource: Resource::Subscription,
                    action: Action::Create,
                    name: name.clone(),
                    reason: format!("the topic has no confirmed subscriber: subscribe {name}{confirm}"),
                    current: None,
                    desired: Some(json!({ "Protocol": ep.protocol, "Endpoint": redact::endpoint(&ep.endpoint), "TopicArn": arn })),
                    request: Some(WriteRequest::Subscribe {
                        region: self.topic_region(arn),
                        topic_arn: arn.to_string(),
                        protocol: ep.protocol.clone(),
                        endpoint: ep.endpoint.clone(),
                    }),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{change, plan_for};
    use super::super::*;
    use crate::audit::{audit, MatchMode};
    use crate::fixtures::*;

    #[test]
    fn subscribe_creates_the_subscription_on_the_planned_topic() {
        let opts = Options {
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let p = plan_for(&observed(), &opts);
        let s = change(&p, Resource::Subscription);
        assert_eq!(s.action, Action::Create);
        assert!(s.reason.contains("must then confirm"), "{}", s.reason);
        assert_eq!(
            s.request,
            Some(WriteRequest::Subscribe {
                region: "us-east-1".into(),
                topic_arn: TOPIC.into(),
                protocol: "email".into(),
                endpoint: "secops@example.com".into()
            })
        );
    }

    #[test]
    fn a_pending_subscription_needs_the_user_and_is_not_subscribed_again() {
        let mut o = compliant();
        lg(&mut o).topics = vec![topic(&[("PendingConfirmation", "secops@example.com")])];
        let p = plan_for(&o, &Options::default());
        let s = change(&p, Resource::Subscription);
        assert_eq!(s.action, Action::Blocked);
        assert!(s.reason.contains("pending confirmation"));
        let opts = Options {
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let p = plan_for(&o, &opts);
        assert_eq!(change(&p, Resource::Subscription).action, Action::Blocked);
        assert_eq!(p.writes().count(), 0);
        assert!(summary_line(&p)
            .contains("1 step needs you (subscription: subscription pending confirmation)"));
    }

    #[test]
    fn a_narrowed_topic_policy_gets_one_statement_merged() {
        let mut o = compliant();
        let narrowed = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "OpsOnly", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"},
            "Action": "SNS:Publish", "Resource": TOPIC}]});
        lg(&mut o).topics[0].policy = Some(narrowed.to_string());
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::TopicPolicy);
        assert_eq!(c.action, Action::Update);
        let desired = c.desired.as_ref().unwrap();
        assert_eq!(desired["Statement"].as_array().unwrap().len(), 2);
        assert_eq!(desired["Statement"][0]["Sid"], "OpsOnly");
        assert_eq!(p.writes().count(), 1);
    }

    #[test]
    fn the_aws_managed_sns_key_is_flagged() {
        let mut o = compliant();
        lg(&mut o).topics[0].kms_master_key_id = Some("alias/aws/sns".into());
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::KmsKey);
        assert_eq!(c.action, Action::Blocked);
        assert!(c.reason.contains("alias/aws/sns"));
        assert_eq!(p.writes().count(), 0, "a key policy is never written");
    }

    #[test]
    fn a_topic_only_someone_elses_alarm_uses_is_never_written() {
        let mut o = compliant();
        let ops = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
        let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
        alarm.alarm_actions = vec![ops.into()];
        let mut t = topic(&[]);
        t.arn = ops.into();
        t.policy = Some(
            serde_json::json!({"Statement": [{"Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "SNS:Publish", "Resource": ops}]})
            .to_string(),
        );
        lg(&mut o).alarms = vec![alarm];
        lg(&mut o).topics = vec![t];
        let opts = Options {
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        // Without --subscribe nothing is written to it.
        let p = plan_for(&o, &Options::default());
        assert_eq!(p.writes().count(), 0, "{p:#?}");
        let c = change(&p, Resource::TopicPolicy);
        assert_eq!(c.action, Action::Blocked, "{c:#?}");
        assert!(c
            .reason
            .contains("--topic-arn arn:aws:sns:us-east-1:123456789012:ops-alerts"));
        let c = change(&p, Resource::Subscription);
        assert_eq!(c.action, Action::Blocked, "{c:#?}");
        assert!(c.reason.contains("--subscribe"), "{}", c.reason);
        // --subscribe names the receiver: subscribing adds to the topic the working alarm notifies
        // and changes nothing else; its policy stays the owner's.
        let p = plan_for(&o, &opts);
        assert_eq!(p.writes().count(), 1, "{p:#?}");
        let sub = change(&p, Resource::Subscription);
        assert_eq!(sub.action, Action::Create);
        assert!(sub.reason.contains(ops), "{}", sub.reason);
        assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Blocked);
        assert_eq!(change(&p, Resource::Alarm).action, Action::Keep);
        // Told to use it: now trailwatch may merge the statement and subscribe.
        let told = Options {
            topic_arn: Some(ops.into()),
            ..opts
        };
        let p = plan_for(&o, &told);
        assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Update);
        assert_eq!(change(&p, Resource::Subscription).action, Action::Create);
    }

    #[test]
    fn nothing_that_needs_a_missing_topic_is_written() {
        let mut o = observed();
        lg(&mut o).topics = vec![Topic {
            arn: "arn:aws:sns:eu-west-1:123456789012:alerts".into(),
            exists: false,
            ..Default::default()
        }];
        let opts = Options {
            topic_arn: Some("arn:aws:sns:eu-west-1:123456789012:alerts".into()),
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let p = plan_for(&o, &opts);
        assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
        assert_eq!(change(&p, Resource::Alarm).action, Action::Blocked);
        assert_eq!(change(&p, Resource::Subscription).action, Action::Blocked);
        let writes: Vec<&str> = p.writes().map(|w| w.operation()).collect();
        assert_eq!(writes, ["logs:PutMetricFilter"]);
    }

    #[test]
    fn an_unreadable_topic_policy_is_never_rewritten() {
        let mut o = compliant();
        lg(&mut o).topics[0].policy = Some("{not json".into());
        let p = plan_for(&o, &Options::default());
        let c = change(&p, Resource::TopicPolicy);
        assert_eq!(c.action, Action::Blocked);
        assert!(c.reason.contains("not valid JSON"));
        assert_eq!(p.writes().count(), 0);
    }

    #[test]
    fn an_unreadable_topic_blocks_what_depends_on_it() {
        let mut o = observed();
        lg(&mut o).topics = vec![Topic {
            arn: TOPIC.into(),
            exists: true,
            read_error: Some("sns:GetTopicAttributes failed: AuthorizationError".into()),
            ..Default::default()
        }];
        let p = plan_for(&o, &Options::default());
        assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
        assert_eq!(change(&p, Resource::TopicPolicy).action, Action::Blocked);
        assert_eq!(change(&p, Resource::Alarm).action, Action::Blocked);
        assert!(!p.writes().any(|w| matches!(
            w,
            WriteRequest::SetTopicPolicy { .. } | WriteRequest::CreateTopic { .. }
        )));
    }

    #[test]
    fn a_deleted_topic_that_only_another_alarm_notifies_is_not_recreated() {
        let mut o = compliant();
        let gone = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
        let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
        alarm.alarm_actions = vec![gone.into()];
        lg(&mut o).alarms = vec![alarm];
        lg(&mut o).topics = vec![Topic {
            arn: gone.into(),
            exists: false,
            ..Default::default()
        }];
        let p = plan_for(&o, &Options::default());
        assert_eq!(change(&p, Resource::Topic).action, Action::Blocked);
        assert!(
            !p.writes()
                .any(|w| matches!(w, WriteRequest::CreateTopic { .. })),
            "{p:#?}"
        );
    }

    #[test]
    fn topic_writes_go_to_the_topics_own_region() {
        let mut o = compliant();
        let away = "arn:aws:sns:eu-west-1:123456789012:alerts";
        let mut t = topic(&[]);
        t.arn = away.into();
        t.policy = Some(r#"{"Statement": []}"#.into());
        lg(&mut o).topics = vec![t];
        let opts = Options {
            topic_arn: Some(away.into()),
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let p = plan_for(&o, &opts);
        for w in p.writes() {
            match w {
                WriteRequest::SetTopicPolicy { region, .. }
                | WriteRequest::Subscribe { region, .. } => {
                    assert_eq!(region, "eu-west-1")
                }
                _ => {}
            }
        }
        assert!(p
            .writes()
            .any(|w| matches!(w, WriteRequest::Subscribe { .. })));
    }

    #[test]
    fn with_topic_arn_the_chain_through_that_topic_is_kept() {
        // Ours notifies T (pending); a foreign exact filter's alarm notifies F (confirmed).
        let t_arn = "arn:aws:sns:us-east-1:123456789012:t";
        let f_arn = "arn:aws:sns:us-east-1:123456789012:f";
        let canonical = control().canonical_pattern();
        let mut o = compliant();
        let mut ours = good_alarm("IAMPolicyChanges", "IAMPolicyChanges");
        ours.alarm_actions = vec![t_arn.into()];
        let mut legacy = good_alarm("legacy", "LegacyMetric");
        legacy.alarm_actions = vec![f_arn.into()];
        lg(&mut o).filters = vec![
            filter("IAMPolicyChanges", &canonical, "IAMPolicyChanges"),
            filter("Legacy", &canonical, "LegacyMetric"),
        ];
        lg(&mut o).alarms = vec![ours, legacy];
        let mut t = topic(&[("PendingConfirmation", "a@example.com")]);
        t.arn = t_arn.into();
        t.policy = t.policy.map(|p| p.replace(TOPIC, t_arn));
        let mut f = topic(&[("arn:aws:sns:us-east-1:123456789012:f:1", "b@example.com")]);
        f.arn = f_arn.into();
        lg(&mut o).topics = vec![t, f];
        let p = plan_for(
            &o,
            &Options {
                topic_arn: Some(t_arn.into()),
                ..Default::default()
            },
        );
        assert_eq!(p.writes().count(), 0, "{p:#?}");
        assert_eq!(change(&p, Resource::MetricFilter).name, "IAMPolicyChanges");
    }

    #[test]
    fn subscribe_never_reaches_a_topic_in_another_account() {
        let mut o = compliant();
        let theirs = "arn:aws:sns:us-east-1:210987654321:central-alerts";
        let mut alarm = good_alarm("SecAlarm", "IAMPolicyChanges");
        alarm.alarm_actions = vec![theirs.into()];
        let mut t = topic(&[]);
        t.arn = theirs.into();
        lg(&mut o).alarms = vec![alarm];
        lg(&mut o).topics = vec![t];
        let opts = Options {
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let p = plan_for(&o, &opts);
        assert_eq!(p.writes().count(), 0, "{p:#?}");
        let sub = change(&p, Resource::Subscription);
        assert_eq!(sub.action, Action::Blocked);
        assert!(sub.reason.contains("another account"), "{}", sub.reason);
    }

    /// Two controls whose alarms notify the same topic: a policy write one of them needs is never
    /// dropped because the other's alarm is already allowed.
    #[test]
    fn a_shared_policy_write_is_kept_when_one_control_needs_it() {
        let c44 = control();
        let c43 = Control::builtin("cis-4.3").unwrap();
        let mut o = compliant();
        // The policy lets only 4.3's alarm publish (by its ARN).
        let policy = serde_json::json!({"Statement": [{"Sid": "OnlyRoot", "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "SNS:Publish", "Resource": TOPIC,
            "Condition": {"ArnEquals": {"aws:SourceArn": format!("arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{}", c43.alarm.name)}}}]});
        lg(&mut o).topics[0].policy = Some(policy.to_string());
        let mut plans: Vec<Plan> = [&c43, &c44]
            .iter()
            .map(|c| {
                let a = audit(c, &o, MatchMode::Strict);
                plan(c, &o, &a, &Options::default())
            })
            .collect();
        assert_eq!(
            change(&plans[0], Resource::TopicPolicy).action,
            Action::Keep
        );
        assert_eq!(
            change(&plans[1], Resource::TopicPolicy).action,
            Action::Update
        );
        share(&mut plans);
        let policy_writes = crate::plan::writes(&plans)
            .into_iter()
            .filter(|w| matches!(w, WriteRequest::SetTopicPolicy { .. }))
            .count();
        assert_eq!(policy_writes, 1, "{plans:#?}");
        // Listed once in all.
        let listed: usize = plans
            .iter()
            .map(|p| {
                p.changes
                    .iter()
                    .filter(|c| c.resource == Resource::TopicPolicy)
                    .count()
            })
            .sum();
        assert_eq!(listed, 1);
    }

    /// Two controls whose working alarms notify two different unsubscribed topics of this account:
    /// `--subscribe` subscribes to both.
    #[test]
    fn subscriptions_to_different_topics_are_both_kept() {
        let c44 = control();
        let c43 = Control::builtin("cis-4.3").unwrap();
        let mut o = observed();
        let (a_topic, b_topic) = (
            "arn:aws:sns:us-east-1:123456789012:team-a",
            "arn:aws:sns:us-east-1:123456789012:team-b",
        );
        let mut f43 = filter(
            "RootAccountUsage",
            &c43.canonical_pattern(),
            "RootAccountUsage",
        );
        f43.metrics[0].metric_name = c43.filter.metric_name.clone();
        lg(&mut o).filters = vec![
            filter(
                "IAMPolicyChanges",
                &c44.canonical_pattern(),
                "IAMPolicyChanges",
            ),
            f43,
        ];
        let mut a44 = good_alarm("A", "IAMPolicyChanges");
        a44.alarm_actions = vec![a_topic.into()];
        let mut a43 = good_alarm("B", &c43.filter.metric_name);
        a43.alarm_actions = vec![b_topic.into()];
        lg(&mut o).alarms = vec![a44, a43];
        let mut ta = topic(&[]);
        ta.arn = a_topic.into();
        let mut tb = topic(&[]);
        tb.arn = b_topic.into();
        lg(&mut o).topics = vec![ta, tb];
        let opts = Options {
            subscribe: vec![Endpoint {
                protocol: "email".into(),
                endpoint: "secops@example.com".into(),
            }],
            ..Default::default()
        };
        let mut plans: Vec<Plan> = [&c44, &c43]
            .iter()
            .map(|c| {
                let a = audit(c, &o, MatchMode::Strict);
                plan(c, &o, &a, &opts)
            })
            .collect();
        share(&mut plans);
        let subscribed: Vec<String> = crate::plan::writes(&plans)
            .into_iter()
            .filter_map(|w| match w {
                WriteRequest::Subscribe { topic_arn, .. } => Some(topic_arn.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(subscribed, [a_topic, b_topic]);
    }
}
