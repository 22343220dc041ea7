//! Fleet mode: many accounts by assumed role, times regions, read with bounded concurrency.
//!
//! The caller's own account is reached with the caller's credentials, without assuming a role.
//! Every other account is reached by assuming `arn:{partition}:iam::{account}:role/NAME`
//! (`--role-name`, default `OrganizationAccountAccessRole`), or the ARN a `--role-arn-template`
//! gives, with the session name `--session-name` (default `trailwatch`), an optional
//! `--source-identity` and an optional external id: once per account, for
//! all its regions and for the reads before and after an apply (the credentials are cached and
//! refreshed if the run outlives them). One target's failure (a role that cannot be assumed,
//! access denied, throttling) is recorded on that target alone; the others carry on.
//!
//! This module is the imperative part (reading targets); `assess` judges them (pure), `accounts`
//! and `exceptions` parse what the user gave.

pub(crate) mod accounts;
pub(crate) mod assess;
pub(crate) mod exceptions;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::audit::{self, Audit, MatchMode};
use crate::control::Control;
use crate::discover::{self, Depth, DiscoverOptions};
use crate::error::Error;
use crate::observed::Observed;
use crate::target::Target;

pub(crate) use accounts::Account;
pub(crate) use exceptions::Exception;

/// Which role to assume in each account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// A role name, the same in every account.
    Name(String),
    /// A template with `{account}` (and optionally `{partition}`).
    Template(String),
}

impl Role {
    /// The role ARN for an account.
    pub(crate) fn arn(&self, partition: &str, account: &str) -> String {
        match self {
            Role::Name(n) => format!("arn:{partition}:iam::{account}:role/{n}"),
            Role::Template(t) => t
                .replace("{partition}", partition)
                .replace("{account}", account),
        }
    }
}

/// Where the accounts come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// `--accounts` or `--accounts-file`, in the order given.
    Listed(Vec<Account>),
    /// `--org`: the organization's ACTIVE accounts, or those under `--ou` (recursively).
    Organization { ou: Option<String> },
}

/// What the user asked the fleet run to cover, validated.
#[derive(Debug, Clone)]
pub(crate) struct Fleet {
    pub source: Source,
    /// `--exclude`.
    pub exclude: Vec<String>,
    /// `--first`: labels whose accounts go first (default `production`).
    pub first: Vec<String>,
    pub regions: Vec<String>,
    /// The role the reads assume (`--role-name`/`--role-arn-template`).
    pub role: Role,
    /// The role the writes of `fix --apply` assume, when it is another one.
    pub apply_role: Option<Role>,
    /// The session name and source identity of every role assumed.
    pub session: crate::target::Session,
    pub external_id: Option<String>,
    pub concurrency: usize,
    /// `--exceptions`.
    pub exceptions: Vec<Exception>,
    /// The day exceptions are judged against (fixed for the run).
    pub today: time::Date,
}

/// One account x region as read: its target (credentials), what discovery saw and the audits,
/// or the error that stopped it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct Survey {
    pub account: Account,
    pub region: String,
    /// The role assumed (`null` for the caller's own account).
    pub role_arn: Option<String>,
    #[serde(skip)]
    pub target: Option<Target>,
    #[serde(skip)]
    pub observed: Option<Observed>,
    #[serde(skip)]
    pub audits: Vec<Audit>,
    pub error: Option<String>,
    /// The controls, every one held by an exception, for which the account was not read at all
    /// (no role assumed: a decommissioned account's role may be gone).
    #[serde(skip)]
    pub not_read: Vec<String>,
}

impl Survey {
    /// The trail the audit chose (one for all the target's controls).
    pub(crate) fn chosen_trail(&self) -> Option<&crate::observed::Trail> {
        self.audits.first()?.trail_in(self.observed.as_ref()?)
    }

    /// The chosen trail's log group, as read.
    pub(crate) fn log_group(&self) -> Option<&crate::observed::LogGroup> {
        self.audits.first()?.log_group(self.observed.as_ref()?)
    }

    /// `ACCOUNT/REGION`.
    pub(crate) fn name(&self) -> String {
        format!("{}/{}", self.account.id, self.region)
    }
}

/// The accounts to cover, excluded ones dropped, in rollout order (listing the organization if
/// asked: one paginated listing).
pub(crate) async fn accounts(base: &Target, fleet: &Fleet) -> Result<Vec<Account>, Error> {
    let listed = match &fleet.source {
        Source::Listed(a) => a.clone(),
        Source::Organization { ou } => {
            crate::aws::organizations::active_accounts(&base.organizations(), ou.as_deref())
                .await?
                .into_iter()
                .map(|(id, name)| Account {
                    name,
                    ..Account::new(&id)
                })
                .collect()
        }
    };
    // An exception for an account outside the organization holds nothing: say so (a listed
    // fleet is checked before any call, in settings).
    if matches!(fleet.source, Source::Organization { .. }) {
        exceptions::warn_outside_fleet(&fleet.exceptions, |id| listed.iter().any(|a| a.id == id));
    }
    let ordered = accounts::order(listed, &fleet.exclude, &fleet.first);
    if ordered.is_empty() {
        return Err(Error::BadInput {
            what: "fleet",
            value: match &fleet.source {
                Source::Listed(_) => "--exclude".into(),
                Source::Organization { ou: Some(ou) } => format!("--org --ou {ou}"),
                Source::Organization { ou: None } => "--org".into(),
            },
            why: "leaves no ACTIVE account to cover".into(),
        });
    }
    Ok(ordered)
}

/// What to read in each target: for these controls, at this depth.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reads<'a> {
    pub controls: &'a [Control],
    pub mode: MatchMode,
    pub depth: Depth,
}

/// Read every account x region (`depth` as for one target), at most `concurrency` accounts at a
/// time; the results come back in the order of `accounts`, then `fleet.regions`. `done` is
/// called once per target read (for a progress bar).
pub(crate) async fn survey(
    base: &Target,
    caller: &str,
    fleet: &Fleet,
    accounts: &[Account],
    reads: Reads<'_>,
    done: &(dyn Fn() + Sync),
) -> Vec<Survey> {
    let per_account: Vec<Vec<Survey>> = stream::iter(accounts.iter().cloned())
        .map(|account| async move {
            // Every control excepted: nothing to judge or write, so nothing is read.
            let today = fleet.today;
            let all_excepted = reads.controls.iter().all(|c| {
                matches!(
                    exceptions::standing(&fleet.exceptions, &account.id, &c.id, today),
                    Some(exceptions::Standing::Holds(_))
                )
            });
            if all_excepted {
                return fleet
                    .regions
                    .iter()
                    .map(|region| {
                        done();
                        Survey {
                            account: account.clone(),
                            region: region.clone(),
                            role_arn: None,
                            target: None,
                            observed: None,
                            audits: Vec::new(),
                            error: None,
                            not_read: reads.controls.iter().map(|c| c.id.clone()).collect(),
                        }
                    })
                    .collect();
            }
            // AssumeRole goes to the caller's region, which its GetCallerIdentity already
            // reached: a region of --regions that does not exist fails its own targets only.
            let role_arn = (account.id != caller).then(|| {
                fleet
                    .role
                    .arn(crate::partition::of_region(&base.region), &account.id)
            });
            let reached = match &role_arn {
                None => Ok(base.in_region(&base.region)),
                Some(arn) => {
                    base.assume(
                        arn,
                        fleet.external_id.as_deref(),
                        &base.region,
                        &fleet.session,
                    )
                    .await
                }
            };
            let mut out = Vec::with_capacity(fleet.regions.len());
            for region in &fleet.regions {
                let mut s = Survey {
                    account: account.clone(),
                    region: region.clone(),
                    role_arn: role_arn.clone(),
                    target: None,
                    observed: None,
                    audits: Vec::new(),
                    error: None,
                    not_read: Vec::new(),
                };
                match &reached {
                    Err(e) => s.error = Some(e.to_string()),
                    Ok(t) => {
                        let target = t.in_region(region);
                        // The credentials must belong to the account the target names:
                        // otherwise its report, exceptions and writes would be about another
                        // account. Discovery checks it on the caller identity, first.
                        match read(
                            &target,
                            reads.controls,
                            reads.mode,
                            reads.depth,
                            Some(&account.id),
                        )
                        .await
                        {
                            Ok((o, a)) => {
                                s.observed = Some(o);
                                s.audits = a;
                            }
                            Err(e) => s.error = Some(e.to_string()),
                        }
                        // Kept for the writes and the re-read of `fix` only: a check of
                        // a thousand accounts need not hold a thousand credential caches.
                        if reads.depth == Depth::Plan {
                            s.target = Some(target);
                        }
                    }
                }
                done();
                out.push(s);
            }
            out
        })
        .buffered(fleet.concurrency.max(1))
        .collect()
        .await;
    per_account.into_iter().flatten().collect()
}

/// Read one target and audit each control.
pub(crate) async fn read(
    target: &Target,
    controls: &[Control],
    mode: MatchMode,
    depth: Depth,
    account: Option<&str>,
) -> Result<(Observed, Vec<Audit>), Error> {
    let opts = DiscoverOptions {
        depth,
        topic_arn: None,
        expect_account: account.map(str::to_string),
    };
    let observed = discover::discover(target, controls, &opts).await?;
    let audits = audit::audit_all(controls, &observed, mode);
    Ok((observed, audits))
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
    }
}
