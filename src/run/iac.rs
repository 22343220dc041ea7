//! `trailwatch iac FILE...`: read each input ([`crate::iac::read`]), judge it
//! ([`crate::iac::judge`]), print text, JSON or SARIF; exit 0 when every selected control passes
//! in every input, 2 otherwise. Reads no account.

use std::collections::BTreeMap;

use super::{Request, DRIFT, OK};
use crate::cli::IacArgs;
use crate::error::Error;
use crate::exit::Exit;
use crate::iac::{self, Context};
use crate::render::{out, Format};
use crate::report::iac::{IacReport, IacSummary, State};

pub(super) fn iac(req: &Request, args: &IacArgs, region: Option<&str>) -> Result<Exit, Error> {
    let parameters: BTreeMap<String, String> = args.parameter.iter().cloned().collect();
    let ctx = Context::new(region, parameters);
    let assume = args.assume_external.unwrap_or(false);
    let mut inputs = Vec::new();
    for path in &args.files {
        let (declared, ctx) = iac::read(path, &ctx)?;
        inputs.push(iac::judge::input(
            &req.controls,
            &declared,
            &ctx,
            req.mode,
            assume,
        ));
    }
    let mut summary = IacSummary {
        inputs: inputs.len(),
        ..IacSummary::default()
    };
    for c in inputs.iter().flat_map(|i| i.controls.iter()) {
        summary.controls += 1;
        match c.state {
            State::Pass => summary.pass += 1,
            State::Fail => summary.fail += 1,
            State::Outside => summary.outside += 1,
            State::Awaiting => summary.awaiting += 1,
            State::NotChecked => {}
        }
    }
    let report = IacReport {
        compliant: inputs
            .iter()
            .flat_map(|i| i.controls.iter())
            .all(|c| c.compliant),
        assume_external_ok: assume,
        inputs,
        summary,
    };
    let exit = if report.compliant { OK } else { DRIFT };
    let printer = req.printer();
    match req.format {
        Format::Sarif => out::document(&format!(
            "{}\n",
            serde_json::to_string_pretty(&crate::render::iac::sarif(&report)).unwrap_or_default()
        )),
        _ => printer.print(report, crate::render::iac::text),
    }
    Ok(exit)
}
