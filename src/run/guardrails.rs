//! `trailwatch guardrails scp`: read the targets (one account or a fleet), gather the trail,
//! log group, working alarms and topics their audits rest on, and print the SCP that protects
//! them ([`crate::guardrails::scp`]).

use super::fleet;
use super::{read, Request, OK};
use crate::audit::{Audit, ChainArns};
use crate::discover::Depth;
use crate::error::Error;
use crate::exit::Exit;
use crate::fleet::Fleet;
use crate::guardrails::scp::{self, Protected};
use crate::render::{out, Format};
use crate::target::Target;

pub(super) async fn scp(
    target: &Target,
    req: &Request,
    f: Option<&Fleet>,
    exempt: &[String],
) -> Result<Exit, Error> {
    let mut protected = Protected::default();
    let mut targets = 0;
    let mut accounts: Vec<String> = Vec::new();
    match f {
        None => {
            let (observed, audits) = read(target, req, Depth::Audit).await?;
            gather(&audits, &mut protected);
            targets = 1;
            accounts.push(observed.account);
        }
        Some(f) => {
            for s in fleet::survey(target, req, f, Depth::Audit).await? {
                if s.error.is_none() && !s.audits.is_empty() {
                    gather(&s.audits, &mut protected);
                    targets += 1;
                    accounts.push(s.account.id.clone());
                }
            }
        }
    }
    // SCPs do not apply to the management account: say whether it is among the targets.
    let management = crate::aws::organizations::management_account(&target.organizations()).await;
    let policy = scp::policy(&protected, exempt).map_err(Error::Refused)?;
    match req.format {
        Format::Text => {
            out::out(&format!(
                "Service control policy for {targets} target(s): {} trail(s), {} log group(s) with their metric filters, {} alarm(s), {} topic(s); {} of {} characters\n",
                protected.trails.len(),
                protected.log_groups.len(),
                protected.alarms.len(),
                protected.topics.len(),
                scp::size(&policy),
                scp::MAX_CHARS
            ));
            out::out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&policy).unwrap_or_default()
            ));
            if exempt.is_empty() {
                out::out("note: no --exempt-role: trailwatch's own writes are denied too\n");
            }
            let note = match &management {
                Ok(m) if accounts.contains(m) => format!(
                    "note: account {m} is the organization's management account: SCPs do not apply there, so this policy does not protect its trail, log group, alarms or topic"
                ),
                Ok(m) => format!(
                    "note: no target is the management account ({m}), where SCPs do not apply"
                ),
                Err(e) => format!(
                    "note: SCPs do not apply to the organization's management account; which account that is could not be read ({e})"
                ),
            };
            out::line(&note);
        }
        _ => out::document(&format!("{policy}\n")),
    }
    Ok(OK)
}

/// The ARNs an account's audits rest on: the chosen trail and its log group, each control's
/// working alarm, and the topic it notifies.
fn gather(audits: &[Audit], p: &mut Protected) {
    for a in audits {
        let chain = ChainArns::of(&a.steps, a.trail.as_deref(), a.log_group.as_deref());
        let sets = [
            (&mut p.trails, chain.trail),
            (&mut p.log_groups, chain.log_group),
            (&mut p.alarms, chain.alarm),
            (&mut p.topics, chain.topic),
        ];
        for (set, arn) in sets {
            set.extend(arn);
        }
    }
}
