//! `trailwatch drill`: proof that the control's alarm reaches a person (see `crate::drill`).

use super::{confirm, read, Request, DRIFT, OK};
use crate::cli::DrillArgs;
use crate::drill;
use crate::error::Error;
use crate::exit::Exit;
use crate::render;
use crate::report::{ControlReport, DrillReport};
use crate::target::Target;

pub(super) async fn drill(target: &Target, req: &Request, args: &DrillArgs) -> Result<Exit, Error> {
    // One control: settings refuses any other number before anything is read.
    let (observed, audits) = read(target, req, crate::discover::Depth::Audit).await?;
    let audit = audits.into_iter().next().expect("one control");
    let mut d = match drill::prepare(&audit, &observed) {
        Ok(d) => d,
        Err(why) => {
            let report = DrillReport::Nothing {
                audit: Box::new(ControlReport::audit(&audit)),
                drill: None,
                delivered: false,
                failures: vec![why],
            };
            req.printer().print(report, render::text::drill);
            return Ok(DRIFT);
        }
    };
    if !args.yes {
        let what = drill::prompt(&d, args.alarm);
        if !confirm(&what)? {
            // Declining exits as in every command: 2, nothing was done.
            eprintln!("trailwatch: not confirmed, nothing was sent");
            return Ok(DRIFT);
        }
    }
    drill::publish(target, &mut d).await;
    let publish_error = d.topics.iter().find_map(|t| t.error.clone());
    let alarm = if args.alarm && publish_error.is_none() {
        Some(drill::fire_alarm(target, &d, args.wait).await)
    } else {
        None
    };
    let alarm_error = alarm
        .as_ref()
        .filter(|a| !a.state_set)
        .and_then(|a| a.error.clone());
    let failures = drill::failures(&d, alarm.as_ref());
    let error = publish_error.or(alarm_error);
    let delivered = error.is_none() && failures.is_empty();
    let report = DrillReport::Done {
        drill: Box::new(d),
        alarm_drill: alarm.map(Box::new),
        delivered,
        failures,
        error: error.clone(),
    };
    req.printer().print(report, render::text::drill);
    if let Some(e) = error {
        return Err(Error::Refused(format!("the drill could not finish: {e}")));
    }
    Ok(if delivered { OK } else { DRIFT })
}
