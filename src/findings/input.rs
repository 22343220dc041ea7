//! Findings in: what `fix --from-finding` reads. A Security Hub finding as EventBridge delivers
//! it (`detail-type` "Security Hub Findings - Imported", `detail.findings[]`), a bare ASFF
//! finding, or an array of them. Each names an account, a region and a control. Pure: text in,
//! targets out, or why not in one line.

use serde_json::Value;

use crate::control::Control;

/// What one finding asks to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    /// The finding's `Id`.
    pub finding: String,
    /// Its `ProductArn` (with the `Id`, what names it to `BatchUpdateFindings`).
    pub product_arn: String,
    /// Whether it has an `Id` (`finding` is then that id, else `finding N`).
    pub has_id: bool,
    pub account: String,
    pub region: String,
    /// The embedded control's id (`cis-4.4`).
    pub control: String,
}

/// The findings of `text`, each with its account, region and control.
pub(crate) fn parse(text: &str) -> Result<Vec<Wanted>, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    let findings: Vec<&Value> = match &value {
        Value::Object(o) if o.contains_key("detail-type") || o.contains_key("detail") => {
            let kind = o.get("detail-type").and_then(Value::as_str).unwrap_or("");
            if kind != "Security Hub Findings - Imported" {
                return Err(format!(
                    "an EventBridge event of detail-type {kind:?}, not \"Security Hub Findings - Imported\""
                ));
            }
            o.get("detail")
                .and_then(|d| d.get("findings"))
                .and_then(Value::as_array)
                .ok_or("the event has no detail.findings")?
                .iter()
                .collect()
        }
        Value::Object(_) => vec![&value],
        Value::Array(a) => a.iter().collect(),
        _ => return Err("not a finding, an array of findings or an EventBridge event".into()),
    };
    if findings.is_empty() {
        return Err("it holds no finding".into());
    }
    findings
        .into_iter()
        .enumerate()
        .map(|(i, f)| wanted(i, f))
        .collect()
}

fn wanted(i: usize, f: &Value) -> Result<Wanted, String> {
    let s = |key: &str| f.get(key).and_then(Value::as_str);
    let id = s("Id").map(str::to_string);
    let name = id.clone().unwrap_or_else(|| format!("finding {}", i + 1));
    if !f.is_object() || (s("SchemaVersion").is_none() && id.is_none()) {
        return Err(format!(
            "{name}: not an ASFF finding (no Id, no SchemaVersion)"
        ));
    }
    let account = s("AwsAccountId").ok_or(format!("{name}: no AwsAccountId"))?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{name}: AwsAccountId {account:?} is not a 12-digit account id"
        ));
    }
    let region = s("Region")
        .map(str::to_string)
        .or_else(|| {
            f.get("Resources")?
                .as_array()?
                .iter()
                .find_map(|r| r.get("Region")?.as_str().map(str::to_string))
        })
        .or_else(|| {
            s("ProductArn")
                .and_then(|a| a.split(':').nth(3))
                .filter(|r| !r.is_empty())
                .map(str::to_string)
        })
        .ok_or(format!("{name}: no Region"))?;
    let control = control_of(f).ok_or_else(|| {
        let said = f
            .pointer("/Compliance/SecurityControlId")
            .and_then(Value::as_str)
            .or_else(|| s("GeneratorId"))
            .unwrap_or("no control id");
        format!("{name}: {said} is not a control trailwatch knows (CloudWatch.1-14, CIS 4.1-4.15 and their ids across versions)")
    })?;
    Ok(Wanted {
        product_arn: s("ProductArn").unwrap_or_default().to_string(),
        has_id: id.is_some(),
        finding: name,
        account: account.to_string(),
        region,
        control,
    })
}

/// The control a finding is about: Security Hub's control id (`CloudWatch.4`), trailwatch's own
/// generator id (`trailwatch/cis-4.4`), a CIS requirement (`CIS AWS Foundations Benchmark
/// v1.2.0/3.4`), or the CIS standard's generator id (`.../cis-aws-foundations-benchmark/v/1.2.0/rule/3.4`).
fn control_of(f: &Value) -> Option<String> {
    let known = |id: &str| Control::find(id).ok().map(|c| c.id);
    if let Some(id) = f
        .pointer("/Compliance/SecurityControlId")
        .and_then(Value::as_str)
    {
        return known(id);
    }
    let generator = f.get("GeneratorId").and_then(Value::as_str).unwrap_or("");
    if let Some(own) = generator.strip_prefix("trailwatch/") {
        return known(own);
    }
    let requirements = f
        .pointer("/Compliance/RelatedRequirements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|r| r.starts_with("CIS AWS Foundations"));
    let from_generator = generator
        .contains("cis-aws-foundations-benchmark")
        .then_some(generator);
    requirements.chain(from_generator).find_map(cis_requirement)
}

/// A CIS requirement with its benchmark version (`CIS AWS Foundations Benchmark v1.2.0/3.3`,
/// `.../cis-aws-foundations-benchmark/v/1.4.0/4.3`, `.../v/1.2.0/rule/3.3`): the embedded control
/// whose CIS id has that number in that version. A number without a version is nothing: `4.1`
/// is unauthorized API calls in v1.3-v5 but a security-group rule in v1.2.
fn cis_requirement(text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split(['/', ' ']).filter(|t| !t.is_empty()).collect();
    let number = *tokens.last()?;
    let version = tokens.iter().enumerate().find_map(|(i, t)| {
        let v = match t.strip_prefix('v') {
            Some(v) if !v.is_empty() => v,
            _ if i > 0 && tokens[i - 1] == "v" => t,
            _ => return None,
        };
        let mut parts = v.split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        Some((major, minor))
    })?;
    Control::all()
        .into_iter()
        .find(|c| c.cis.iter().any(|e| cis_entry_is(e, number, version)))
        .map(|c| c.id)
}

/// Whether a control's CIS id (`4.4`, `3.4 (v1.2)`, `5.4 (v6, v7)`) is `number` in `version`.
fn cis_entry_is(entry: &str, number: &str, (major, minor): (u32, u32)) -> bool {
    let (n, tags) = match entry.split_once('(') {
        Some((n, t)) => (n.trim(), Some(t.trim_end_matches(')'))),
        None => (entry.trim(), None),
    };
    if n != number {
        return false;
    }
    match tags {
        Some(t) => t.split(',').map(str::trim).any(|tag| {
            let v = tag.trim_start_matches('v');
            match v.split_once('.') {
                Some((ma, mi)) => ma.parse() == Ok(major) && mi.parse() == Ok(minor),
                None => v.parse() == Ok(major),
            }
        }),
        // Untagged: the versions that number the monitoring controls 4.x (v1.3 to v5).
        None => (major, minor) >= (1, 3) && major < 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(extra: Value) -> Value {
        let mut f = serde_json::json!({
            "SchemaVersion": "2018-10-08",
            "Id": "arn:aws:securityhub:eu-west-1:111122223333:security-control/CloudWatch.4/finding/abc",
            "AwsAccountId": "111122223333",
            "Region": "eu-west-1",
            "GeneratorId": "security-control/CloudWatch.4",
            "Compliance": {"Status": "FAILED", "SecurityControlId": "CloudWatch.4"}
        });
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        f
    }

    #[test]
    fn an_eventbridge_event_gives_each_findings_account_region_and_control() {
        let event = serde_json::json!({
            "version": "0",
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "detail": {"findings": [
                finding(serde_json::json!({})),
                finding(serde_json::json!({"Id": "b", "Compliance": {"SecurityControlId": "CloudWatch.1"}})),
            ]}
        });
        let got = parse(&event.to_string()).unwrap();
        let controls: Vec<&str> = got.iter().map(|w| w.control.as_str()).collect();
        assert_eq!(controls, ["cis-4.4", "cis-4.3"]);
        assert_eq!(
            (got[0].account.as_str(), got[0].region.as_str()),
            ("111122223333", "eu-west-1")
        );
    }

    #[test]
    fn the_control_comes_from_requirements_or_generator_ids_too() {
        let bare = |v: Value| {
            let mut f = finding(v);
            f["Compliance"]
                .as_object_mut()
                .unwrap()
                .remove("SecurityControlId");
            f
        };
        let cases = [
            (
                serde_json::json!({"GeneratorId": "trailwatch/cis-4.15"}),
                "cis-4.15",
            ),
            (
                serde_json::json!({"GeneratorId": "x", "Compliance": {"RelatedRequirements": ["CIS AWS Foundations Benchmark v1.2.0/3.3"]}}),
                "cis-4.3",
            ),
            (
                serde_json::json!({"GeneratorId": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/3.1"}),
                "cis-4.1",
            ),
        ];
        for (extra, want) in cases {
            let f = bare(extra);
            assert_eq!(parse(&f.to_string()).unwrap()[0].control, want, "{f}");
        }
        // The number is read in its benchmark's version.
        for (requirement, want) in [
            ("CIS AWS Foundations Benchmark v1.4.0/4.3", Some("cis-4.3")),
            ("CIS AWS Foundations Benchmark v3.0.0/4.4", Some("cis-4.4")),
            ("CIS AWS Foundations Benchmark v6.0.0/5.4", Some("cis-4.4")),
            // v1.2's 4.1 is a security-group rule; v1.4's 3.1 and 5.1 are not monitoring.
            ("CIS AWS Foundations Benchmark v1.2.0/4.1", None),
            ("CIS AWS Foundations Benchmark v1.4.0/3.1", None),
            ("CIS AWS Foundations Benchmark v1.4.0/5.1", None),
            ("CIS AWS Foundations Benchmark/4.1", None),
        ] {
            let f = bare(serde_json::json!({"GeneratorId": "x",
                "Compliance": {"RelatedRequirements": [requirement]}}));
            let got = parse(&f.to_string()).ok().map(|w| w[0].control.clone());
            assert_eq!(got.as_deref(), want, "{requirement}");
        }
        let f = bare(serde_json::json!({"GeneratorId":
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1"}));
        assert!(parse(&f.to_string()).is_err(), "v1.2's 4.1 is not cis-4.1");
        // Region from the resources, then the product ARN.
        let mut f = finding(serde_json::json!({}));
        f.as_object_mut().unwrap().remove("Region");
        f["ProductArn"] = "arn:aws:securityhub:ap-south-1::product/aws/securityhub".into();
        assert_eq!(parse(&f.to_string()).unwrap()[0].region, "ap-south-1");
    }

    #[test]
    fn what_cannot_be_fixed_is_refused_naming_the_finding() {
        let why = |v: Value| parse(&v.to_string()).unwrap_err();
        assert!(parse("{").unwrap_err().starts_with("not JSON (line 1"));
        assert!(why(serde_json::json!({"detail-type": "EC2 Instance State-change Notification", "detail": {}}))
            .contains("detail-type \"EC2 Instance State-change Notification\""));
        assert_eq!(why(serde_json::json!([])), "it holds no finding");
        let mut f = finding(serde_json::json!({"Id": "f1"}));
        f.as_object_mut().unwrap().remove("AwsAccountId");
        assert_eq!(why(f), "f1: no AwsAccountId");
        let f = finding(serde_json::json!({"Id": "f2", "AwsAccountId": "12345"}));
        assert!(why(f).starts_with("f2: AwsAccountId \"12345\""));
        let f =
            finding(serde_json::json!({"Id": "f3", "Compliance": {"SecurityControlId": "S3.1"}}));
        assert!(why(f).starts_with("f3: S3.1 is not a control trailwatch knows"));
    }
}
