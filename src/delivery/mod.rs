//! Pure: can CloudWatch deliver an alarm's notification to an SNS topic? The topic policy must
//! let this account's alarms publish ([`topic_policy`]) and, for an encrypted topic, the KMS key
//! policy must let CloudWatch use the key ([`kms`]). The audit judges delivery with these (step
//! 6); the planner merges the statement a topic policy lacks and names the one a key needs.

pub mod kms;
pub mod topic_policy;

use crate::observed::Topic;
use topic_policy::{AlarmOrigin, Publish};

/// Why CloudWatch cannot deliver to `topic` for an alarm from `origin`, if what was read shows
/// it cannot; `None` when it can or when it could not be judged. A policy that was not read
/// (SNS always returns one, so a topic without one was not read) or is not JSON is not judged,
/// and neither is a key that was not read, except by an `alias/aws/sns` name.
pub fn blocked(topic: &Topic, origin: &AlarmOrigin) -> Option<String> {
    if !topic.exists || topic.read_error.is_some() {
        return None;
    }
    // A policy that was not read (or is not JSON) is not judged; the key still is.
    let policy: Option<serde_json::Value> = topic
        .policy
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    if let Some(policy) = policy {
        match topic_policy::cloudwatch_can_publish(&policy, &topic.arn, origin) {
            Publish::Allowed(_) => {}
            Publish::Denied(why) => return Some(format!("its policy blocks CloudWatch: {why}")),
            Publish::NotAllowed => {
                return Some(
                    "its policy lets no CloudWatch alarm of this account publish to it".to_string(),
                )
            }
        }
    }
    let key = kms::key_of(topic)?;
    match kms::cloudwatch_can_use(&key, origin) {
        kms::KeyUse::Usable(_) | kms::KeyUse::Unreadable(_) => None,
        kms::KeyUse::AwsManaged => Some(format!(
            "it is encrypted with an AWS-managed key ({}), which CloudWatch cannot use",
            key.id
        )),
        kms::KeyUse::NotGranted(why) => Some(format!(
            "CloudWatch cannot use the key that encrypts it: {why}"
        )),
    }
}
