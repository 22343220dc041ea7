//! Security Hub: `BatchImportFindings` (trailwatch's ASFF findings, at most 100 a call) and
//! `BatchUpdateFindings` (a finding's workflow status and note after a fix).

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingIdentifier, Compliance, ComplianceStatus,
    FindingProviderFields, FindingProviderSeverity, NoteUpdate, Partition, Recommendation,
    RecordState, Remediation, Resource, Severity, SeverityLabel, StatusReason, WorkflowStatus,
    WorkflowUpdate,
};
use aws_sdk_securityhub::Client;
use serde::Serialize;

use crate::error::Error;
use crate::findings::asff;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Imported {
    /// Findings Security Hub took (new, or updated in place by their `Id`).
    pub imported: usize,
    /// Findings it refused, as `Id: message`.
    pub failed: Vec<String>,
    /// `BatchImportFindings` calls made (at most 100 findings each).
    pub calls: usize,
}

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

/// The one line for Security Hub refusing a call because it is not enabled there.
fn not_enabled(e: &Error, account: &str, region: &str) -> Option<Error> {
    (e.code() == Some("InvalidAccessException")).then(|| {
        Error::Refused(format!(
            "Security Hub is not enabled in account {account}, region {region}: enable it there, or leave out --security-hub"
        ))
    })
}

/// `securityhub:BatchImportFindings`, 100 findings a call.
pub(crate) async fn import(
    client: &Client,
    account: &str,
    findings: &[asff::Finding],
) -> Result<Imported, Error> {
    let region = region_of(client);
    let mut done = Imported {
        imported: 0,
        failed: Vec::new(),
        calls: 0,
    };
    for chunk in findings.chunks(100) {
        let batch: Vec<AwsSecurityFinding> = chunk.iter().map(sdk_finding).collect();
        let out = client
            .batch_import_findings()
            .set_findings(Some(batch))
            .send()
            .await
            .map_err(|e| Error::aws("securityhub:BatchImportFindings", &region, e))
            .map_err(|e| not_enabled(&e, account, &region).unwrap_or(e))?;
        done.calls += 1;
        done.imported += usize::try_from(out.success_count().unwrap_or(0)).unwrap_or(0);
        done.failed.extend(out.failed_findings().iter().map(|f| {
            format!(
                "{}: {}",
                f.id().unwrap_or("?"),
                f.error_message()
                    .unwrap_or_else(|| f.error_code().unwrap_or("refused"))
            )
        }));
    }
    Ok(done)
}

/// `securityhub:BatchUpdateFindings` of one finding: its workflow status and a note. `Ok(false)`
/// when Security Hub does not hold it.
pub(crate) async fn update(
    client: &Client,
    account: &str,
    id: &str,
    product_arn: &str,
    status: &str,
    note: &str,
) -> Result<bool, Error> {
    let region = region_of(client);
    let out = client
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(id)
                .product_arn(product_arn)
                .build(),
        )
        .workflow(
            WorkflowUpdate::builder()
                .status(WorkflowStatus::from(status))
                .build(),
        )
        .note(
            NoteUpdate::builder()
                .text(crate::findings::cut(note, 512))
                .updated_by("trailwatch")
                .build(),
        )
        .send()
        .await
        .map_err(|e| Error::aws("securityhub:BatchUpdateFindings", &region, e))
        .map_err(|e| not_enabled(&e, account, &region).unwrap_or(e))?;
    Ok(!out.processed_findings().is_empty())
}

/// An ASFF finding as the SDK sends it.
fn sdk_finding(f: &asff::Finding) -> AwsSecurityFinding {
    let resources: Vec<Resource> = f
        .resources
        .iter()
        .map(|r| {
            Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(Partition::from(r.partition))
                .region(&r.region)
                .build()
        })
        .collect();
    let reasons: Vec<StatusReason> = f
        .compliance
        .status_reasons
        .iter()
        .map(|s| {
            StatusReason::builder()
                .reason_code(s.reason_code)
                .description(&s.description)
                .build()
        })
        .collect();
    AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .region(&f.region)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(f.severity.label))
                .build(),
        )
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(SeverityLabel::from(
                            f.finding_provider_fields.severity.label,
                        ))
                        .build(),
                )
                .set_types(Some(f.finding_provider_fields.types.clone()))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(&f.remediation.recommendation.text)
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .set_resources(Some(resources))
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(f.compliance.status))
                .set_security_control_id(f.compliance.security_control_id.clone())
                .set_related_requirements(Some(f.compliance.related_requirements.clone()))
                .set_status_reasons((!reasons.is_empty()).then_some(reasons))
                .build(),
        )
        .record_state(RecordState::from(f.record_state))
        .build()
}
