//! Fleet mode (first slice: `check`): many accounts by assumed role, times regions, audited with
//! bounded concurrency. One target's failure (a role that cannot be assumed, access denied,
//! throttling) is reported on that target alone; the others carry on.
//!
//! The caller's own account is reached with the caller's credentials, without assuming a role.
//! Every other account is reached by assuming `arn:{partition}:iam::{account}:role/NAME`
//! (`--role-name`, default `OrganizationAccountAccessRole`), or the ARN a
//! `--role-arn-template` gives, with the session name `trailwatch` and an optional external id.

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::audit::{self, Audit, MatchMode};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::error::Error;
use crate::target::Target;

/// Which role to assume in each account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A role name, the same in every account.
    Name(String),
    /// A template with `{account}` (and optionally `{partition}`).
    Template(String),
}

impl Role {
    /// The role ARN for an account.
    pub fn arn(&self, partition: &str, account: &str) -> String {
        match self {
            Role::Name(n) => format!("arn:{partition}:iam::{account}:role/{n}"),
            Role::Template(t) => t
                .replace("{partition}", partition)
                .replace("{account}", account),
        }
    }
}

/// What the user asked the fleet run to cover.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub role: Role,
    pub external_id: Option<String>,
    pub concurrency: usize,
}

/// One account x region and what its audit found.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub account: String,
    pub region: String,
    /// The role assumed (`null` for the caller's own account).
    pub role_arn: Option<String>,
    /// `compliant`, `drift` or `error`.
    pub status: &'static str,
    #[serde(skip)]
    pub audits: Vec<Audit>,
    pub error: Option<String>,
}

/// The AWS partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Audit every account x region, at most `concurrency` at a time, in the order given.
pub async fn check(
    base: &Target,
    caller: &str,
    fleet: &Fleet,
    controls: &[Control],
    mode: MatchMode,
) -> Vec<TargetResult> {
    let jobs: Vec<(String, String)> = fleet
        .accounts
        .iter()
        .flat_map(|a| fleet.regions.iter().map(move |r| (a.clone(), r.clone())))
        .collect();
    stream::iter(jobs)
        .map(|(account, region)| async move {
            let role_arn =
                (account != caller).then(|| fleet.role.arn(partition(&region), &account));
            let result = async {
                let target = match &role_arn {
                    None => base.in_region(&region),
                    Some(arn) => {
                        base.assume(arn, fleet.external_id.as_deref(), &region)
                            .await?
                    }
                };
                let opts = DiscoverOptions {
                    mode,
                    depth: Depth::Audit,
                    topic_arn: None,
                };
                let observed = discover::discover(&target, controls, &opts).await?;
                Ok::<_, Error>(
                    controls
                        .iter()
                        .map(|c| audit::audit(c, &observed, mode))
                        .collect::<Vec<_>>(),
                )
            }
            .await;
            match result {
                Ok(audits) => TargetResult {
                    status: if audits.iter().all(|a| a.compliant) {
                        "compliant"
                    } else {
                        "drift"
                    },
                    account,
                    region,
                    role_arn,
                    audits,
                    error: None,
                },
                Err(e) => TargetResult {
                    account,
                    region,
                    role_arn,
                    status: "error",
                    audits: Vec::new(),
                    error: Some(e.to_string()),
                },
            }
        })
        .buffered(fleet.concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_follow_the_name_or_the_template_and_the_partition() {
        assert_eq!(
            Role::Name("OrganizationAccountAccessRole".into()).arn("aws", "111111111111"),
            "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
        );
        assert_eq!(
            Role::Template("arn:{partition}:iam::{account}:role/audit/Trailwatch".into())
                .arn("aws-us-gov", "222222222222"),
            "arn:aws-us-gov:iam::222222222222:role/audit/Trailwatch"
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("eu-west-1"), "aws");
    }
}
