//! Planning the SNS side: the topic, its policy (one statement merged, never replaced) and the
//! subscription (never invented; pending ones are the user's to confirm). Only the shared topic or
//! `--topic-arn` is ever written to.

use serde_json::{json, Value};

use super::kms;
use super::topic_policy::{self, AlarmOrigin, Publish};
use super::*;

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
                "the shared topic for all monitoring alarms exists".to_string()
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
            desired: Some(json!({ "TopicArn": arn, "Name": name })),
            request: Some(WriteRequest::CreateTopic {
                region: self.region(),
                name,
                topic_arn: arn.to_string(),
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

    /// trailwatch may write to this topic: it is the control's shared topic or `--topic-arn`.
    pub(super) fn told_to_use(&self, arn: &str) -> bool {
        arn == self.shared_topic_arn() || self.opts.topic_arn.as_deref() == Some(arn)
    }

    /// Policy and subscription of a topic that only another (working) alarm uses: judged, shown,
    /// never written, with one exception: `--subscribe` adds the receiver the user named to a
    /// topic in this account (subscribing adds, it changes nothing that is there). Passing the
    /// topic as `--topic-arn` lets trailwatch manage it.
    pub(super) fn foreign_topic(&self, arn: &str, alarm_name: &str) -> (Change, Change) {
        let advice = format!("the topic is not trailwatch's: fix it yourself, or pass --topic-arn {arn} to let trailwatch manage it");
        let mut policy = self.topic_policy(arn, alarm_name, false);
        let mut subscription = self.subscription(arn);
        needs_you(&mut policy, &advice);
        let same_account = Arn::parse(arn).is_some_and(|a| a.account == self.observed.account);
        if same_account && self.opts.subscribe.is_some() && subscription.request.is_some() {
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
            needs_you(&mut subscription, &advice);
        }
        (policy, subscription)
    }

    /// The KMS key of an encrypted topic: CloudWatch must be able to use it. Never written;
    /// `None` for a topic that is not encrypted (or not read).
    pub(super) fn kms_key(&self, arn: &str) -> Option<Change> {
        let topic = self.lg.topic(arn).filter(|t| t.exists)?;
        let id = topic.kms_master_key_id.as_deref()?;
        let key = topic
            .kms_key
            .clone()
            .unwrap_or_else(|| crate::observed::KmsKey {
                id: id.to_string(),
                read_error: Some("the key was not read".into()),
                ..Default::default()
            });
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
    pub(super) fn subscription(&self, arn: &str) -> Change {
        let mut c = self.subscription_of(arn);
        c.name = format!("{} on {arn}", c.name);
        c
    }

    fn subscription_of(&self, arn: &str) -> Change {
        let topic = self.lg.topic(arn).filter(|t| t.exists);
        let subs = topic
            .and_then(|t| t.subscriptions.as_deref())
            .unwrap_or(&[]);
        if let Some(s) = subs.iter().find(|s| s.confirmed()) {
            let doc = json!({ "Protocol": s.protocol, "Endpoint": redact::endpoint(&s.endpoint), "SubscriptionArn": s.arn });
            return keep(
                Resource::Subscription,
                format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)),
                "the topic has a confirmed subscriber",
                Some(doc),
            );
        }
        let pending: Vec<String> = subs
            .iter()
            .map(|s| format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)))
            .collect();
        match &self.opts.subscribe {
            Some(ep) => {
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
            }
            None if !pending.is_empty() => blocked(
                Resource::Subscription,
                pending.join(", "),
                "subscription pending confirmation: the receiver must confirm it",
                None,
            ),
            None => blocked(
                Resource::Subscription,
                "(none)",
                "the topic has no confirmed subscriber: pass --subscribe PROTOCOL:ENDPOINT (email, https, sqs or lambda)",
                None,
            ),
        }
    }
}
