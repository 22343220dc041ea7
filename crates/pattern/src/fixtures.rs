//! Reference requirements for this crate's tests, benches and fuzz target: the CIS 4.4 event
//! list with its look-alikes, and three required CIS patterns. They are typed here so the crate
//! stands alone; the tool's own tests assert that its embedded control specs agree with them.

use crate::Requirement;

/// CIS 4.4's sixteen IAM policy events, in the CIS order.
pub const CIS_4_4_EVENTS: [&str; 16] = [
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
];

/// CIS 4.4's event source.
pub const CIS_4_4_SOURCE: &str = "iam.amazonaws.com";

/// CIS 4.4's look-alikes `(eventName, eventSource)`: events a correct filter must not match
/// (the Auto Scaling `DeletePolicy` is matched by the CIS text itself).
pub const CIS_4_4_LOOK_ALIKES: [(&str, &str); 7] = [
    ("GetPolicy", "iam.amazonaws.com"),
    ("ListPolicies", "iam.amazonaws.com"),
    ("CreatePolicyVersionX", "iam.amazonaws.com"),
    ("GetRolePolicy", "iam.amazonaws.com"),
    ("ListAttachedRolePolicies", "iam.amazonaws.com"),
    ("DeletePolicy", "autoscaling.amazonaws.com"),
    ("ConsoleLogin", "signin.amazonaws.com"),
];

/// Required patterns by CIS id: 4.1 (unauthorized API calls), 4.2 (console sign-in without MFA)
/// and 4.3 (root account usage), as the CIS texts state them.
pub const REQUIRED_PATTERNS: [(&str, &str); 3] = [
    (
        "cis-4.1",
        r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#,
    ),
    (
        "cis-4.2",
        r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#,
    ),
    (
        "cis-4.3",
        r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#,
    ),
];

/// The CIS 4.4 event list as owned strings.
pub fn cis_4_4_events() -> Vec<String> {
    CIS_4_4_EVENTS.iter().map(|e| e.to_string()).collect()
}

/// The CIS 4.4 look-alikes as owned pairs.
pub fn cis_4_4_look_alikes() -> Vec<(String, String)> {
    CIS_4_4_LOOK_ALIKES
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}

/// Every reference requirement: CIS 4.4 by its events, then the required patterns.
pub fn requirements() -> Vec<Requirement> {
    let mut all = vec![Requirement::Events {
        events: cis_4_4_events(),
        event_source: CIS_4_4_SOURCE.to_string(),
        look_alikes: cis_4_4_look_alikes(),
    }];
    all.extend(REQUIRED_PATTERNS.iter().map(|(_, p)| Requirement::Pattern {
        required: p.to_string(),
        accepted: Vec::new(),
    }));
    all
}
