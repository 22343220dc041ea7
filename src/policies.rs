//! The IAM policies trailwatch needs (`policies/*.json`), embedded, for any partition: the files
//! name `arn:aws:`; `trailwatch policy NAME --partition aws-cn` prints the same policy for China
//! (`arn:aws-cn:`), `aws-us-gov` for GovCloud, and so on.

use crate::error::Error;

/// `(name, file text)` of every shipped policy, in the README's order.
pub const ALL: [(&str, &str); 7] = [
    ("check", include_str!("../policies/check.json")),
    ("apply", include_str!("../policies/apply.json")),
    ("history", include_str!("../policies/history.json")),
    ("drill", include_str!("../policies/drill.json")),
    ("fleet", include_str!("../policies/fleet.json")),
    ("org", include_str!("../policies/org.json")),
    (
        "security-hub",
        include_str!("../policies/security-hub.json"),
    ),
];

/// Policy `name` with every ARN in `partition`.
pub fn render(name: &str, partition: &str) -> Result<String, Error> {
    let (_, text) = ALL
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| Error::BadInput {
            what: "policy",
            value: name.to_string(),
            why: format!("no such policy: one of {}", ALL.map(|(n, _)| n).join(", ")),
        })?;
    if !crate::partition::is_known(partition) {
        return Err(Error::BadInput {
            what: "--partition",
            value: partition.to_string(),
            why: "not an AWS partition (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...)".into(),
        });
    }
    Ok(text.replace("\"arn:aws:", &format!("\"arn:{partition}:")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ARN string in a JSON value.
    fn arns(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.starts_with("arn:") => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| arns(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| arns(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_policy_in_every_partition_names_only_that_partition_and_keeps_its_shape() {
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            for (name, text) in ALL {
                let out: serde_json::Value =
                    serde_json::from_str(&render(name, partition).unwrap()).unwrap();
                let mut found = Vec::new();
                arns(&out, &mut found);
                // org.json's listings allow no resource scoping: it names no ARN.
                assert_eq!(found.is_empty(), name == "org", "{name}");
                for arn in &found {
                    assert!(
                        arn.starts_with(&format!("arn:{partition}:")),
                        "{name} in {partition}: {arn}"
                    );
                }
                // Only the partition changes: same statements, actions, conditions.
                let original: serde_json::Value = serde_json::from_str(text).unwrap();
                let back: serde_json::Value = serde_json::from_str(
                    &serde_json::to_string(&out)
                        .unwrap()
                        .replace(&format!("\"arn:{partition}:"), "\"arn:aws:"),
                )
                .unwrap();
                assert_eq!(back, original, "{name} in {partition}");
            }
        }
    }

    #[test]
    fn an_unknown_policy_or_partition_is_refused_naming_it() {
        assert!(render("admin", "aws")
            .unwrap_err()
            .to_string()
            .contains("\"admin\""));
        assert!(render("check", "aws-moon")
            .unwrap_err()
            .to_string()
            .contains("\"aws-moon\""));
    }
}
