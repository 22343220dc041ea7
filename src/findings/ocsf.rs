//! OCSF Compliance Findings (class 2003, OCSF 1.3): what `--output ocsf` prints, for security
//! data lakes (Amazon Security Lake, SIEMs) that take OCSF.

use serde::Serialize;

use super::{Subject, Verdict};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Finding {
    pub class_uid: u32,
    pub class_name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub activity_id: u32,
    pub activity_name: &'static str,
    pub type_uid: u32,
    pub type_name: &'static str,
    pub severity_id: u32,
    pub severity: &'static str,
    pub status_id: u32,
    pub status: &'static str,
    /// Milliseconds since the epoch.
    pub time: i64,
    pub metadata: Metadata,
    pub finding_info: FindingInfo,
    pub compliance: Compliance,
    pub resources: Vec<Resource>,
    pub cloud: Cloud,
    pub remediation: Remediation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Metadata {
    pub version: &'static str,
    pub product: Product,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Product {
    pub name: &'static str,
    pub vendor_name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FindingInfo {
    pub uid: String,
    pub title: String,
    pub desc: String,
    pub types: Vec<String>,
    pub created_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Compliance {
    /// The Security Hub control id where one exists, else trailwatch's id.
    pub control: String,
    pub standards: Vec<&'static str>,
    pub requirements: Vec<String>,
    /// 1 pass, 2 warning, 3 fail.
    pub status_id: u32,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<&'static str>,
    pub status_detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Resource {
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub region: String,
    pub cloud_partition: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Cloud {
    pub provider: &'static str,
    pub region: String,
    pub account: Account,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Account {
    pub uid: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub type_id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Remediation {
    pub desc: String,
}

/// The finding for one control in one target, at `now_ms` (milliseconds since the epoch).
pub(crate) fn finding(s: &Subject<'_>, now_ms: i64) -> Finding {
    let r = s.report;
    let verdict = s.verdict();
    let (status_id, status) = match verdict {
        Verdict::Passed => (1, "Pass"),
        Verdict::Warning => (2, "Warning"),
        Verdict::Failed => (3, "Fail"),
    };
    let (severity_id, severity) = match verdict {
        Verdict::Passed => (1, "Informational"),
        Verdict::Warning | Verdict::Failed => (2, "Low"),
    };
    Finding {
        class_uid: 2003,
        class_name: "Compliance Finding",
        category_uid: 2,
        category_name: "Findings",
        activity_id: 1,
        activity_name: "Create",
        type_uid: 200301,
        type_name: "Compliance Finding: Create",
        severity_id,
        severity,
        status_id: 1,
        status: "New",
        time: now_ms,
        metadata: Metadata {
            version: "1.3.0",
            product: Product {
                name: "trailwatch",
                vendor_name: "trailwatch",
                version: crate::report::TOOL.version,
            },
        },
        finding_info: FindingInfo {
            uid: s.id(),
            title: s.title(),
            desc: s.description(),
            types: vec!["CIS AWS Foundations Benchmark".to_string()],
            created_time: now_ms,
        },
        compliance: Compliance {
            control: s.security_control_id().unwrap_or_else(|| r.control.clone()),
            standards: vec!["CIS AWS Foundations Benchmark"],
            requirements: s.requirements(),
            status_id,
            status,
            status_code: s.reasons().first().map(|(code, _)| *code),
            status_detail: s.description(),
        },
        resources: s
            .resources()
            .into_iter()
            .map(|(kind, uid)| Resource {
                region: s.region_of(&uid),
                uid,
                kind,
                cloud_partition: s.partition,
            })
            .collect(),
        cloud: Cloud {
            provider: "AWS",
            region: r.region.clone(),
            account: Account {
                uid: r.account.clone(),
                kind: "AWS Account",
                type_id: 10,
            },
        },
        remediation: Remediation {
            desc: s.recommendation(),
        },
    }
}
