//! Pure: can CloudWatch publish to a topic encrypted with this KMS key? CloudWatch needs the key
//! policy to grant the `cloudwatch.amazonaws.com` service principal `kms:Decrypt` and
//! `kms:GenerateDataKey*`; an AWS-managed key (`alias/aws/sns`) can never grant it, and alarms then
//! fail to publish without a sound. trailwatch never edits a key policy: it reports the key as
//! needing the user, with the exact statement to add.

use serde_json::{json, Value};

use super::topic_policy::{
    conditions_hold, effect, glob, label, principal_includes_cloudwatch, statements, strings,
    AlarmOrigin,
};
use crate::observed::KmsKey;

/// The `Sid` of the statement trailwatch tells the key's owner to add.
pub const SID: &str = "AllowCloudWatchAlarmsToUseTheKey";

/// The actions CloudWatch needs on the key.
const NEEDED: [&str; 2] = ["kms:Decrypt", "kms:GenerateDataKey"];

/// What a topic's key means for CloudWatch alarms.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyUse {
    /// CloudWatch can use the key; the string says which statement grants it.
    Usable(String),
    /// An AWS-managed key: its policy cannot be changed to grant CloudWatch.
    AwsManaged,
    /// The key policy does not grant CloudWatch what it needs (or a Deny takes it away).
    NotGranted(String),
    /// The key or its policy could not be read.
    Unreadable(String),
}

/// The key that encrypts `topic`, as read, or one standing for a key that was not read (judged
/// `Unreadable`, or `AwsManaged` by its alias alone); `None` for a topic that is not encrypted.
pub fn key_of(topic: &crate::observed::Topic) -> Option<KmsKey> {
    let id = topic.kms_master_key_id.as_deref()?;
    Some(topic.kms_key.clone().unwrap_or_else(|| KmsKey {
        id: id.to_string(),
        read_error: Some("the key was not read".into()),
        ..Default::default()
    }))
}

/// `alias/aws/sns` under any of its names (alias or alias ARN).
pub fn names_aws_sns_alias(id: &str) -> bool {
    id == "alias/aws/sns" || (id.starts_with("arn:") && id.ends_with(":alias/aws/sns"))
}

/// Judge the key that encrypts a topic, for alarms of `origin` (a conditional Allow counts when
/// its conditions hold for them: `aws:SourceArn`, `aws:SourceAccount`).
pub fn cloudwatch_can_use(key: &KmsKey, origin: &AlarmOrigin) -> KeyUse {
    if key.manager.as_deref() == Some("AWS") || names_aws_sns_alias(&key.id) {
        return KeyUse::AwsManaged;
    }
    if let Some(e) = &key.read_error {
        return KeyUse::Unreadable(e.clone());
    }
    if let Some(state) = key.state.as_deref().filter(|s| *s != "Enabled") {
        return KeyUse::NotGranted(format!(
            "the key is {state}, so nothing can be encrypted with it"
        ));
    }
    let Some(text) = key.policy.as_deref() else {
        return KeyUse::Unreadable("the key policy was not returned".into());
    };
    let Ok(policy) = serde_json::from_str::<Value>(text) else {
        return KeyUse::Unreadable("the key policy is not valid JSON".into());
    };
    let statements = statements(&policy);
    for (i, s) in statements.iter().enumerate() {
        if effect(s) != Some("Deny") {
            continue;
        }
        // A Deny written with NotPrincipal or NotAction may well cover CloudWatch: not judged,
        // so it counts against the key (the safe direction).
        let not_form = s.get("NotPrincipal").is_some() || s.get("NotAction").is_some();
        if not_form || (for_cloudwatch(s) && NEEDED.iter().any(|a| grants(s, a))) {
            return KeyUse::NotGranted(format!(
                "{} is a Deny that {} CloudWatch the key",
                label(s, i),
                if not_form { "may deny" } else { "denies" }
            ));
        }
    }
    // Every needed action must be granted to CloudWatch by an Allow whose conditions hold for
    // this account's alarms (or that has none).
    let mut granted_by = Vec::new();
    for action in NEEDED {
        let found = statements.iter().enumerate().find(|(_, s)| {
            effect(s) == Some("Allow")
                && conditions_hold(s.get("Condition"), origin)
                && for_cloudwatch(s)
                && grants(s, action)
        });
        match found {
            Some((i, s)) => granted_by.push(label(s, i)),
            None => {
                return KeyUse::NotGranted(format!(
                    "no Allow (unconditional, or conditioned on this account's alarms) gives cloudwatch.amazonaws.com {action}{}",
                    if action == "kms:GenerateDataKey" {
                        "*"
                    } else {
                        ""
                    }
                ))
            }
        }
    }
    granted_by.dedup();
    KeyUse::Usable(format!(
        "{} let cloudwatch.amazonaws.com use the key",
        granted_by.join(" and ")
    ))
}

/// The statement the key's owner must add to the key policy.
pub fn statement() -> Value {
    json!({
        "Sid": SID,
        "Effect": "Allow",
        "Principal": { "Service": "cloudwatch.amazonaws.com" },
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*"
    })
}

/// The statement's principal includes the CloudWatch service (or everyone).
fn for_cloudwatch(s: &Value) -> bool {
    s.get("NotPrincipal").is_none() && principal_includes_cloudwatch(s)
}

/// The statement's actions include `action` (case-insensitive, with IAM wildcards).
fn grants(s: &Value, action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    strings(s.get("Action"))
        .iter()
        .any(|a| glob(&a.to_ascii_lowercase(), &action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> AlarmOrigin<'static> {
        AlarmOrigin {
            partition: "aws",
            region: "us-east-1",
            account: "123456789012",
            alarm_name: "IAMPolicyChanges",
        }
    }

    fn judge(k: &KmsKey) -> KeyUse {
        cloudwatch_can_use(k, &origin())
    }

    fn customer(policy: Value) -> KmsKey {
        KmsKey {
            id: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                .into(),
            arn: Some(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            manager: Some("CUSTOMER".into()),
            state: Some("Enabled".into()),
            policy: Some(policy.to_string()),
            read_error: None,
        }
    }

    fn root_only() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*", "Resource": "*"}]})
    }

    #[test]
    fn the_aws_managed_key_is_refused_under_every_name() {
        for id in [
            "alias/aws/sns",
            "arn:aws:kms:us-east-1:123456789012:alias/aws/sns",
        ] {
            let k = KmsKey {
                id: id.into(),
                // The emulator has no alias/aws/sns: DescribeKey fails, the name still tells.
                read_error: Some("NotFoundException".into()),
                ..Default::default()
            };
            assert_eq!(judge(&k), KeyUse::AwsManaged, "{id}");
        }
        // By key id or key ARN only DescribeKey's KeyManager tells.
        let k = KmsKey {
            id: "0b3a7c0e-1111-2222-3333-444455556666".into(),
            manager: Some("AWS".into()),
            ..Default::default()
        };
        assert_eq!(judge(&k), KeyUse::AwsManaged);
    }

    #[test]
    fn a_customer_key_must_grant_both_actions_to_cloudwatch() {
        // The default key policy (root account only) does not let a service principal in.
        assert!(matches!(
            judge(&customer(root_only())),
            KeyUse::NotGranted(why) if why.contains("kms:Decrypt")
        ));
        let mut p = root_only();
        p["Statement"].as_array_mut().unwrap().push(statement());
        assert!(matches!(judge(&customer(p)), KeyUse::Usable(_)));
        // Decrypt alone is not enough.
        let mut p = root_only();
        p["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "kms:Decrypt", "Resource": "*"}));
        assert!(matches!(
            judge(&customer(p)),
            KeyUse::NotGranted(why) if why.contains("GenerateDataKey")
        ));
        // kms:* to CloudWatch is enough; a conditional Allow is not judged and does not count.
        let mut p = root_only();
        p["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": {"Service": ["sns.amazonaws.com", "cloudwatch.amazonaws.com"]},
            "Action": "kms:*", "Resource": "*"}));
        assert!(matches!(judge(&customer(p)), KeyUse::Usable(_)));
        let mut p = root_only();
        let mut s = statement();
        s["Condition"] = json!({"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}});
        p["Statement"].as_array_mut().unwrap().push(s);
        assert!(matches!(judge(&customer(p)), KeyUse::NotGranted(_)));
    }

    #[test]
    fn a_grant_conditioned_on_this_accounts_alarms_counts_and_another_accounts_does_not() {
        for (condition, usable) in [
            (
                json!({"StringEquals": {"aws:SourceAccount": "123456789012"}}),
                true,
            ),
            (
                json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}),
                true,
            ),
            (
                json!({"StringEquals": {"aws:SourceAccount": "999999999999"}}),
                false,
            ),
            (
                json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:Other"}}),
                false,
            ),
        ] {
            let mut p = root_only();
            let mut s = statement();
            s["Condition"] = condition.clone();
            p["Statement"].as_array_mut().unwrap().push(s);
            assert_eq!(
                matches!(judge(&customer(p)), KeyUse::Usable(_)),
                usable,
                "{condition}"
            );
        }
    }

    #[test]
    fn a_deny_to_cloudwatch_wins_and_unreadable_keys_are_said() {
        let mut p = root_only();
        let list = p["Statement"].as_array_mut().unwrap();
        list.push(statement());
        list.push(json!({"Sid": "NoCW", "Effect": "Deny", "Principal": "*",
            "Action": "kms:Decrypt", "Resource": "*"}));
        assert!(matches!(
            judge(&customer(p)),
            KeyUse::NotGranted(why) if why.contains("NoCW")
        ));
        // A Deny in the NotPrincipal or NotAction form is not judged: it counts against the key.
        for deny in [
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/Admin"}, "Action": "kms:*", "Resource": "*"}),
            json!({"Effect": "Deny", "Principal": "*", "NotAction": "kms:Encrypt", "Resource": "*"}),
        ] {
            let mut p = root_only();
            p["Statement"].as_array_mut().unwrap().push(statement());
            p["Statement"].as_array_mut().unwrap().push(deny);
            assert!(matches!(judge(&customer(p)), KeyUse::NotGranted(_)));
        }
        // A disabled key or one pending deletion encrypts nothing.
        let mut p = root_only();
        p["Statement"].as_array_mut().unwrap().push(statement());
        let mut k = customer(p);
        k.state = Some("PendingDeletion".into());
        assert!(matches!(judge(&k), KeyUse::NotGranted(why) if why.contains("PendingDeletion")));
        let k = KmsKey {
            id: "arn:aws:kms:us-east-1:123456789012:key/x".into(),
            read_error: Some("kms:DescribeKey in us-east-1: AccessDeniedException: no".into()),
            ..Default::default()
        };
        assert!(matches!(judge(&k), KeyUse::Unreadable(e) if e.contains("AccessDenied")));
    }
}
