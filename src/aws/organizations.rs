//! AWS Organizations: the accounts of the organization (`--org`) or of one organizational unit
//! and the units below it (`--ou`). Read once, every page; only ACTIVE accounts are kept.

use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
use aws_sdk_organizations::Client;

use crate::error::Error;

fn active(a: &Account) -> bool {
    // `State` replaces the deprecated `Status`; either saying ACTIVE is enough.
    match (a.state(), a.status()) {
        (Some(s), _) => *s == AccountState::Active,
        (None, Some(s)) => *s == AccountStatus::Active,
        (None, None) => false,
    }
}

/// The ACTIVE account ids of the organization, or of `ou` and every unit below it, in the order
/// Organizations lists them (duplicates dropped).
pub async fn active_accounts(
    client: &Client,
    ou: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, Error> {
    let region = super::region_name(client.config().region());
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let keep = |accounts: &[Account], out: &mut Vec<(String, Option<String>)>| {
        for a in accounts.iter().filter(|a| active(a)) {
            if let Some(id) = a.id() {
                if !out.iter().any(|(x, _)| x == id) {
                    out.push((id.to_string(), a.name().map(str::to_string)));
                }
            }
        }
    };
    let Some(ou) = ou else {
        let mut pages = client.list_accounts().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("organizations:ListAccounts", &region, e))?;
            keep(page.accounts(), &mut out);
        }
        return Ok(out);
    };
    // Breadth-first over the unit and its children: a unit's own accounts, then its children's.
    let mut parents = std::collections::VecDeque::from([ou.to_string()]);
    while let Some(parent) = parents.pop_front() {
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| Error::aws("organizations:ListAccountsForParent", &region, e))?;
            keep(page.accounts(), &mut out);
        }
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                Error::aws("organizations:ListOrganizationalUnitsForParent", &region, e)
            })?;
            parents.extend(
                page.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_string)),
            );
        }
    }
    Ok(out)
}

/// `organizations:DescribeOrganization`: the management account's id, or why it is not known
/// (the account is in no organization, or may not ask).
pub async fn management_account(client: &Client) -> Result<String, Error> {
    let region = super::region_name(client.config().region());
    let out = client
        .describe_organization()
        .send()
        .await
        .map_err(|e| Error::aws("organizations:DescribeOrganization", &region, e))?;
    out.organization()
        .and_then(|o| o.master_account_id())
        .map(str::to_string)
        .ok_or_else(|| Error::Refused("the organization names no management account".into()))
}
