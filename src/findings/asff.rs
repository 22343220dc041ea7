//! The AWS Security Finding Format (ASFF, schema 2018-10-08): what `--output asff` prints and
//! `aws securityhub batch-import-findings --findings file://...` takes. Limits are the API's:
//! Title 256 characters, Description 1024, a status reason's description 2048, the
//! recommendation 512.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{cut, Subject, Verdict};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Finding {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: Severity,
    /// What the provider says of severity and types: Security Hub keeps a finding's top-level
    /// `Severity` from its first import, and updates it from here on a re-import.
    pub finding_provider_fields: FindingProviderFields,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    pub record_state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Severity {
    pub label: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FindingProviderFields {
    pub severity: Severity,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Recommendation {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    pub partition: &'static str,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Compliance {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_control_id: Option<String>,
    pub related_requirements: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status_reasons: Vec<StatusReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StatusReason {
    pub reason_code: &'static str,
    pub description: String,
}

/// The finding type of every trailwatch finding.
const TYPE: &str = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark";

/// The finding for one control in one target, at `now` (RFC 3339).
pub(crate) fn finding(s: &Subject<'_>, now: &str) -> Finding {
    let r = s.report;
    let verdict = s.verdict();
    let mut product_fields = BTreeMap::new();
    product_fields.insert("trailwatch/control".to_string(), r.control.clone());
    product_fields.insert(
        "trailwatch/version".to_string(),
        crate::report::TOOL.version.to_string(),
    );
    if let Some(step) = r.steps.iter().find(|x| !x.ok) {
        product_fields.insert("trailwatch/failing-step".to_string(), step.step.to_string());
    }
    let severity = Severity {
        label: match verdict {
            Verdict::Passed => "INFORMATIONAL",
            Verdict::Warning | Verdict::Failed => "LOW",
        },
    };
    Finding {
        schema_version: "2018-10-08",
        id: s.id(),
        product_arn: format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            s.partition, r.region, r.account, r.account
        ),
        generator_id: format!("trailwatch/{}", r.control),
        aws_account_id: r.account.clone(),
        region: r.region.clone(),
        types: vec![TYPE.to_string()],
        created_at: now.to_string(),
        updated_at: now.to_string(),
        finding_provider_fields: FindingProviderFields {
            severity: severity.clone(),
            types: vec![TYPE.to_string()],
        },
        severity,
        title: cut(&s.title(), 256),
        description: cut(&s.description(), 1024),
        remediation: Remediation {
            recommendation: Recommendation {
                text: cut(&s.recommendation(), 512),
            },
        },
        product_fields,
        resources: s
            .resources()
            .into_iter()
            .map(|(kind, id)| Resource {
                kind,
                region: s.region_of(&id),
                id,
                partition: s.partition,
            })
            .collect(),
        compliance: Compliance {
            status: match verdict {
                Verdict::Passed => "PASSED",
                Verdict::Warning => "WARNING",
                Verdict::Failed => "FAILED",
            },
            security_control_id: s.security_control_id(),
            related_requirements: s.requirements(),
            status_reasons: s
                .reasons()
                .into_iter()
                .map(|(reason_code, d)| StatusReason {
                    reason_code,
                    description: cut(&d, 2048),
                })
                .collect(),
        },
        record_state: "ACTIVE",
    }
}
