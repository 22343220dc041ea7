//! Target -> Observed: the AWS reads, nothing else.
//!
//! `check` reads only what the seven audit steps need (7 calls for one compliant account:
//! caller identity, trails, trail status, event selectors, metric filters, alarms for the metric,
//! subscriptions of the topic). `fix` also reads the control's own alarm by name and the topic it
//! will use, so the plan never overwrites something it did not see.

use crate::audit::{self, MatchMode};
use crate::aws;
use crate::control::Control;
use crate::error::Error;
use crate::observed::{parse_log_group_arn, Arn, LogGroup, Observed, Topic};
use crate::target::Target;

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// What the audit needs.
    Audit,
    /// What the audit needs plus what the planner needs to plan safely.
    Plan,
}

/// What discovery needs to know beyond the control.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    pub mode: MatchMode,
    pub depth: Depth,
    /// A topic the user named with `--topic-arn` (read in plan depth).
    pub topic_arn: Option<String>,
}

/// Read the target.
pub async fn discover(
    target: &Target,
    control: &Control,
    opts: &DiscoverOptions,
) -> Result<Observed, Error> {
    let account = aws::sts::account(&target.sts()).await?;
    tracing::debug!(%account, region = %target.region, "caller identity");
    let mut trails = aws::cloudtrail::trails(&target.cloudtrail(&target.region)).await?;
    for t in trails
        .iter_mut()
        .filter(|t| t.multi_region && t.log_group_arn.is_some())
    {
        let home = if t.home_region.is_empty() {
            target.region.clone()
        } else {
            t.home_region.clone()
        };
        let client = target.cloudtrail(&home);
        t.logging = Some(aws::cloudtrail::is_logging(&client, &t.arn).await?);
        t.selectors = Some(aws::cloudtrail::selectors(&client, &t.arn).await?);
    }
    let chosen = audit::choose_trail(&trails, &account, &target.region).cloned();
    let mut observed = Observed {
        account: account.clone(),
        region: target.region.clone(),
        trails,
        chosen_trail: chosen.as_ref().map(|t| t.arn.clone()),
        log_group: None,
    };
    let Some(trail) = chosen else {
        return Ok(observed);
    };
    if audit::trail_score(&trail) < 3 {
        // A prerequisite fails: nothing below would be used.
        return Ok(observed);
    }
    let lg_arn = trail.log_group_arn.clone().unwrap_or_default();
    let Some((parts, name)) = parse_log_group_arn(&lg_arn) else {
        return Err(Error::BadInput {
            what: "log group ARN on trail",
            value: lg_arn,
            why: format!(
                "trail {} names a CloudWatch Logs group ARN that cannot be parsed",
                trail.name
            ),
        });
    };
    let mut lg = LogGroup {
        arn: lg_arn.clone(),
        name: name.to_string(),
        region: parts.region.to_string(),
        account: parts.account.to_string(),
        partition: parts.partition.to_string(),
        readable: parts.account == account,
        ..Default::default()
    };
    if !lg.readable {
        observed.log_group = Some(lg);
        return Ok(observed);
    }
    lg.filters = aws::logs::metric_filters(&target.logs(&lg.region), &lg.name).await?;

    // Alarms: on the metrics of the compliant filters (and, to plan, on the control's own metric
    // and the control's own alarm by name).
    let verdicts = audit::judge_filters(control, &lg.filters, opts.mode);
    let mut metrics: Vec<(String, String)> = Vec::new();
    for (f, v) in lg.filters.iter().zip(&verdicts) {
        if v.compliant {
            for m in &f.metrics {
                metrics.push((m.metric_name.clone(), m.namespace.clone()));
            }
        }
    }
    if opts.depth == Depth::Plan {
        metrics.push((
            control.filter.metric_name.clone(),
            control.filter.namespace.clone(),
        ));
    }
    metrics.dedup();
    let mut seen = std::collections::HashSet::new();
    metrics.retain(|m| seen.insert(m.clone()));
    let cw = target.cloudwatch(&lg.region);
    for (metric, namespace) in &metrics {
        for a in aws::cloudwatch::alarms_for_metric(&cw, metric, namespace).await? {
            if !lg.alarms.iter().any(|x| x.arn == a.arn && x.name == a.name) {
                lg.alarms.push(a);
            }
        }
    }
    if opts.depth == Depth::Plan && !lg.alarms.iter().any(|a| a.name == control.alarm.name) {
        lg.alarms.extend(
            aws::cloudwatch::alarms_named(&cw, std::slice::from_ref(&control.alarm.name)).await?,
        );
    }

    // Topics: those the working alarms notify (audit), plus the one the plan will use.
    let mut topics: Vec<String> = Vec::new();
    for a in &lg.alarms {
        if opts.depth == Depth::Plan || audit::alarm_problems(a).is_empty() {
            topics.extend(a.sns_actions().cloned());
        }
    }
    if opts.depth == Depth::Plan {
        topics.push(opts.topic_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{}:sns:{}:{}:{}",
                lg.partition, lg.region, account, control.topic.name
            )
        }));
    }
    let mut seen = std::collections::HashSet::new();
    topics.retain(|t| seen.insert(t.clone()));
    for arn in topics {
        let region = Arn::parse(&arn)
            .map(|a| a.region.to_string())
            .unwrap_or_else(|| lg.region.clone());
        let sns = target.sns(&region);
        let mut topic = if opts.depth == Depth::Plan {
            aws::sns::topic(&sns, &arn).await?
        } else {
            Topic {
                arn: arn.clone(),
                exists: true,
                ..Default::default()
            }
        };
        if topic.exists {
            topic.subscriptions = aws::sns::subscriptions(&sns, &arn).await?;
            if topic.subscriptions.is_none() {
                topic.exists = false;
            }
        }
        lg.topics.push(topic);
    }
    observed.log_group = Some(lg);
    Ok(observed)
}
