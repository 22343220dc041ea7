//! `trailwatch --accounts ... check`: the fleet audit. Text: one line per target and a summary;
//! JSON: one object per target per line (the single-target schema plus `role_arn`, `status`,
//! `error`), then a summary object. Exit 1 if any target is in error, else 2 on any drift.

use serde_json::json;

use super::{json_for, print_json, Request, DRIFT, OK};
use crate::aws;
use crate::error::Error;
use crate::fleet::{self, Fleet};
use crate::render::{self, Format};
use crate::target::Target;

pub(super) async fn check(base: &Target, req: &Request, f: &Fleet) -> Result<u8, Error> {
    let caller = aws::sts::account(&base.sts()).await?;
    let results = fleet::check(base, &caller, f, &req.controls, req.mode).await;
    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    let (ok, drift, error) = (count("compliant"), count("drift"), count("error"));
    match req.format {
        Format::Text => {
            for r in &results {
                let detail = match &r.error {
                    Some(e) => e.clone(),
                    None => r
                        .audits
                        .iter()
                        .map(|a| {
                            format!(
                                "{} {}/{}",
                                a.control,
                                a.steps.iter().filter(|s| s.ok).count(),
                                a.steps.len()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                println!("{}  {:<14} {:<9}  {detail}", r.account, r.region, r.status);
            }
            println!(
                "Fleet: {} target(s): {ok} compliant, {drift} drift, {error} error",
                results.len()
            );
        }
        Format::Json => {
            for r in &results {
                let per: Vec<_> = r.audits.iter().map(render::json::audit).collect();
                let compliant = r.status == "compliant";
                let extra = json!({
                    "account": r.account,
                    "region": r.region,
                    "role_arn": r.role_arn,
                    "status": r.status,
                    "error": r.error,
                });
                print_json(&json_for(&r.account, &r.region, per, compliant, extra));
            }
            print_json(&json!({ "summary": {
                "targets": results.len(), "compliant": ok, "drift": drift, "error": error
            }}));
        }
    }
    Ok(if error > 0 {
        1
    } else if drift > 0 {
        DRIFT
    } else {
        OK
    })
}
