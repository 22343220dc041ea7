//! Pure: does an SNS topic policy let this account's CloudWatch alarms publish, and the one
//! statement trailwatch merges in when it does not. A policy is never replaced wholesale.

use serde_json::{json, Value};

/// The `Sid` of the statement trailwatch merges into a topic policy.
pub const SID: &str = "TrailwatchAllowCloudWatchAlarms";

/// What a topic policy says about CloudWatch publishing from this account's alarms.
#[derive(Debug, Clone, PartialEq)]
pub enum Publish {
    /// Allowed; the string names the statement that allows it.
    Allowed(String),
    /// A Deny blocks it, or may (one trailwatch cannot judge); merging an Allow would not help.
    Denied(String),
    /// Nothing allows it: a statement must be merged in.
    NotAllowed,
}

/// Where the alarms live: used to evaluate `AWS:SourceOwner` / `aws:SourceArn` conditions.
#[derive(Debug, Clone)]
pub struct AlarmOrigin<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub alarm_name: &'a str,
}

impl AlarmOrigin<'_> {
    fn alarm_arn(&self) -> String {
        format!(
            "arn:{}:cloudwatch:{}:{}:alarm:{}",
            self.partition, self.region, self.account, self.alarm_name
        )
    }
    fn all_alarms_arn(&self) -> String {
        format!(
            "arn:{}:cloudwatch:{}:{}:alarm:*",
            self.partition, self.region, self.account
        )
    }
}

/// Judge a policy document.
pub fn cloudwatch_can_publish(policy: &Value, topic_arn: &str, origin: &AlarmOrigin) -> Publish {
    let statements = statements(policy);
    for (i, s) in statements.iter().enumerate() {
        if effect(s) != Some("Deny") {
            continue;
        }
        // A Deny whose actions cannot include SNS:Publish is irrelevant, Not* or not.
        let touches_publish = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), _) => strings(Some(a)).iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "*" || glob(&a, "sns:publish")
            }),
            (None, Some(n)) => !strings(Some(n))
                .iter()
                .any(|a| glob(&a.to_ascii_lowercase(), "sns:publish")),
            (None, None) => false,
        };
        if !touches_publish {
            continue;
        }
        if ["NotPrincipal", "NotAction", "NotResource"]
            .iter()
            .any(|k| s.get(*k).is_some())
        {
            return Publish::Denied(format!(
                "{} is a Deny with NotPrincipal/NotAction/NotResource: trailwatch cannot tell whether it blocks CloudWatch",
                label(s, i)
            ));
        }
        if !applies(s, topic_arn) {
            continue;
        }
        match s.get("Condition") {
            None => {
                return Publish::Denied(format!("{} denies SNS:Publish to CloudWatch", label(s, i)))
            }
            Some(c) if !only_secure_transport(c) => {
                return Publish::Denied(format!(
                    "{} is a conditional Deny on SNS:Publish: trailwatch cannot tell whether it blocks CloudWatch",
                    label(s, i)
                ))
            }
            Some(_) => {}
        }
    }
    for (i, s) in statements.iter().enumerate() {
        if effect(s) == Some("Allow")
            && applies(s, topic_arn)
            && conditions_hold(s.get("Condition"), origin)
        {
            return Publish::Allowed(format!(
                "{} lets this account's alarms publish",
                label(s, i)
            ));
        }
    }
    Publish::NotAllowed
}

/// The statement trailwatch adds: CloudWatch may publish for this account's alarms only.
pub fn statement(topic_arn: &str, origin: &AlarmOrigin) -> Value {
    json!({
        "Sid": SID,
        "Effect": "Allow",
        "Principal": { "Service": "cloudwatch.amazonaws.com" },
        "Action": "SNS:Publish",
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": { "aws:SourceArn": origin.all_alarms_arn() },
            "StringEquals": { "aws:SourceAccount": origin.account }
        }
    })
}

/// `policy` with `statement` merged in: a statement with the same `Sid` is replaced, every other
/// statement and top-level field is kept as it is.
pub fn merge(policy: Option<&Value>, statement: Value) -> Value {
    let mut doc = match policy {
        Some(p @ Value::Object(_)) => p.clone(),
        _ => json!({ "Version": "2012-10-17" }),
    };
    let sid = statement.get("Sid").cloned();
    let list = match doc.get_mut("Statement") {
        Some(Value::Array(list)) => std::mem::take(list),
        Some(single @ Value::Object(_)) => vec![single.take()],
        _ => Vec::new(),
    };
    let mut list: Vec<Value> = list
        .into_iter()
        .filter(|s| sid.is_none() || s.get("Sid") != sid.as_ref())
        .collect();
    list.push(statement);
    doc["Statement"] = Value::Array(list);
    doc
}

/// A Deny conditioned only on `aws:SecureTransport` that cannot match a request over TLS (the
/// usual "TLS only" hardening) does not stop CloudWatch, which publishes over TLS. Every key must
/// be `aws:SecureTransport` under an operator judged here, and one of them must fail for a TLS
/// request (the conditions of a statement must all hold for it to apply); anything else is a
/// conditional Deny trailwatch cannot judge.
fn only_secure_transport(condition: &Value) -> bool {
    let Some(ops) = condition.as_object() else {
        return false;
    };
    let mut spares_tls = false;
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else {
            return false;
        };
        for (key, v) in keys {
            if !key.eq_ignore_ascii_case("aws:SecureTransport") {
                return false;
            }
            match matches_tls(op, &strings(Some(v))) {
                None => return false,
                Some(false) => spares_tls = true,
                Some(true) => {}
            }
        }
    }
    spares_tls
}

/// Whether a condition `op: {"aws:SecureTransport": values}` holds for a request over TLS (the
/// key present, `true`); `None` for an operator not judged here.
fn matches_tls(op: &str, values: &[&str]) -> Option<bool> {
    let is = |want: &str| values.iter().any(|v| v.eq_ignore_ascii_case(want));
    let op = op.strip_suffix("IfExists").unwrap_or(op);
    Some(match op {
        "Bool" | "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" => is("true"),
        // Holds when the value is none of those listed.
        "StringNotEquals" | "StringNotEqualsIgnoreCase" | "StringNotLike" => !is("true"),
        // `Null: true` holds when the key is absent; a TLS request carries it.
        "Null" => is("false"),
        _ => return None,
    })
}

/// A policy's statements (`Statement` may be one object or a list).
pub(super) fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    }
}

/// How a statement is named in a reason: its `Sid`, else its position.
pub(super) fn label(s: &Value, i: usize) -> String {
    s.get("Sid")
        .and_then(Value::as_str)
        .map(|sid| format!("statement {sid:?}"))
        .unwrap_or_else(|| format!("statement #{}", i + 1))
}

/// The statement's `Principal` includes the CloudWatch service (by name, or as everyone).
pub(super) fn principal_includes_cloudwatch(s: &Value) -> bool {
    match s.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(map)) => {
            strings(map.get("AWS")).contains(&"*")
                || strings(map.get("Service")).contains(&"cloudwatch.amazonaws.com")
        }
        _ => false,
    }
}

pub(super) fn effect(s: &Value) -> Option<&str> {
    s.get("Effect").and_then(Value::as_str)
}

pub(super) fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The statement names SNS:Publish on this topic for CloudWatch (directly or via `*`).
fn applies(s: &Value, topic_arn: &str) -> bool {
    let action = strings(s.get("Action")).iter().any(|a| {
        let a = a.to_ascii_lowercase();
        a == "*" || a == "sns:*" || glob(&a, "sns:publish")
    });
    let principal = principal_includes_cloudwatch(s);
    let resource = match s.get("Resource") {
        None => true,
        r => strings(r).iter().any(|r| glob(r, topic_arn)),
    };
    action && principal && resource
}

/// Every condition is one we can show holds for this account's alarms.
pub(super) fn conditions_hold(condition: Option<&Value>, origin: &AlarmOrigin) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    let Some(ops) = condition.as_object() else {
        return false;
    };
    let alarm_arn = origin.alarm_arn();
    ops.iter().all(|(op, keys)| {
        let Some(keys) = keys.as_object() else {
            return false;
        };
        keys.iter().all(|(key, values)| {
            let values = strings(Some(values));
            match (op.as_str(), key.to_ascii_lowercase().as_str()) {
                ("StringEquals" | "StringLike", "aws:sourceowner" | "aws:sourceaccount") => {
                    values.iter().any(|v| glob(v, origin.account))
                }
                ("ArnLike" | "ArnEquals" | "StringLike" | "StringEquals", "aws:sourcearn") => {
                    values.iter().any(|v| glob(v, &alarm_arn))
                }
                _ => false,
            }
        })
    })
}

/// IAM-style wildcard match: `*` any run, `?` one character.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms";

    fn origin() -> AlarmOrigin<'static> {
        AlarmOrigin {
            partition: "aws",
            region: "us-east-1",
            account: "123456789012",
            alarm_name: "IAMPolicyChanges",
        }
    }

    fn default_policy(owner: &str) -> Value {
        json!({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": TOPIC,
            "Condition": {"StringEquals": {"AWS:SourceOwner": owner}}}]})
    }

    #[test]
    fn the_default_create_topic_policy_already_allows_the_accounts_alarms() {
        assert!(matches!(
            cloudwatch_can_publish(&default_policy("123456789012"), TOPIC, &origin()),
            Publish::Allowed(_)
        ));
        assert_eq!(
            cloudwatch_can_publish(&default_policy("999999999999"), TOPIC, &origin()),
            Publish::NotAllowed
        );
    }

    #[test]
    fn a_narrowed_policy_needs_the_statement_and_merging_keeps_the_rest() {
        let narrowed = json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "OnlyOps", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"},
            "Action": "SNS:Publish", "Resource": TOPIC}]});
        assert_eq!(
            cloudwatch_can_publish(&narrowed, TOPIC, &origin()),
            Publish::NotAllowed
        );
        let merged = merge(Some(&narrowed), statement(TOPIC, &origin()));
        let list = merged["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["Sid"], "OnlyOps");
        assert_eq!(merged["Version"], "2012-10-17");
        assert!(
            matches!(cloudwatch_can_publish(&merged, TOPIC, &origin()), Publish::Allowed(s) if s.contains(SID))
        );
        // Merging again replaces our statement instead of piling up copies.
        let twice = merge(Some(&merged), statement(TOPIC, &origin()));
        assert_eq!(twice["Statement"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn an_unconditional_deny_blocks_and_is_reported() {
        let mut p = default_policy("123456789012");
        p["Statement"].as_array_mut().unwrap().push(json!({
            "Sid": "NoOne", "Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": TOPIC}));
        assert!(
            matches!(cloudwatch_can_publish(&p, TOPIC, &origin()), Publish::Denied(s) if s.contains("NoOne"))
        );
    }

    #[test]
    fn denies_that_cannot_be_judged_block_and_tls_only_denies_do_not() {
        let with = |deny: Value| {
            let mut p = default_policy("123456789012");
            p["Statement"].as_array_mut().unwrap().push(deny);
            cloudwatch_can_publish(&p, TOPIC, &origin())
        };
        let not_principal = json!({"Sid": "OnlyOps", "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/ops"}, "Action": "SNS:Publish", "Resource": TOPIC});
        assert!(matches!(with(not_principal), Publish::Denied(s) if s.contains("NotPrincipal")));
        let conditional = json!({"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
            "Resource": TOPIC, "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}});
        assert!(matches!(with(conditional), Publish::Denied(s) if s.contains("conditional")));
        let tls = json!({"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
            "Resource": TOPIC, "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        assert!(matches!(with(tls), Publish::Allowed(_)));
        // The operator decides: each of these holds for a TLS request and blocks CloudWatch.
        for (op, value) in [
            ("StringNotEquals", "false"),
            ("Null", "false"),
            ("Bool", "true"),
            ("StringEquals", "true"),
            ("BoolIfExists", "true"),
        ] {
            let deny = json!({"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
                "Resource": TOPIC, "Condition": {op: {"aws:SecureTransport": value}}});
            assert!(matches!(with(deny), Publish::Denied(_)), "{op} {value}");
        }
        // ... and each of these never does.
        for (op, value) in [
            ("StringNotEquals", "true"),
            ("Null", "true"),
            ("BoolIfExists", "false"),
            ("StringEqualsIgnoreCase", "FALSE"),
        ] {
            let deny = json!({"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
                "Resource": TOPIC, "Condition": {op: {"aws:SecureTransport": value}}});
            assert!(matches!(with(deny), Publish::Allowed(_)), "{op} {value}");
        }
        // An operator not judged here is a conditional Deny.
        let numeric = json!({"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "SNS:Publish",
            "Resource": TOPIC, "Condition": {"NumericLessThan": {"aws:SecureTransport": "1"}}});
        assert!(matches!(with(numeric), Publish::Denied(s) if s.contains("conditional")));
    }

    #[test]
    fn denies_that_cannot_touch_publish_are_ignored_and_tls_true_is_not_harmless() {
        let with = |deny: Value| {
            let mut p = default_policy("123456789012");
            p["Statement"].as_array_mut().unwrap().push(deny);
            cloudwatch_can_publish(&p, TOPIC, &origin())
        };
        let admin_only_delete = json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/admin"},
            "Action": "SNS:DeleteTopic", "Resource": TOPIC});
        assert!(matches!(with(admin_only_delete), Publish::Allowed(_)));
        let tls_true = json!({"Effect": "Deny", "Principal": "*", "Action": "SNS:Publish", "Resource": TOPIC,
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}});
        assert!(matches!(with(tls_true), Publish::Denied(_)));
    }

    #[test]
    fn source_arn_conditions_are_matched_against_the_alarm() {
        let mut s = statement(TOPIC, &origin());
        let p = json!({"Statement": [s.clone()]});
        assert!(matches!(
            cloudwatch_can_publish(&p, TOPIC, &origin()),
            Publish::Allowed(_)
        ));
        s["Condition"]["ArnLike"]["aws:SourceArn"] =
            json!("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*");
        let p = json!({"Statement": [s]});
        assert_eq!(
            cloudwatch_can_publish(&p, TOPIC, &origin()),
            Publish::NotAllowed
        );
    }

    #[test]
    fn glob_matches_like_iam() {
        assert!(glob(
            "arn:aws:cloudwatch:*:1:alarm:*",
            "arn:aws:cloudwatch:us-east-1:1:alarm:x"
        ));
        assert!(glob("sns:pub*", "sns:publish"));
        assert!(!glob("sns:get*", "sns:publish"));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
    }
}
