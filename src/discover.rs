//! Target -> Observed: the AWS reads, nothing else.
//!
//! `check` reads only what the seven audit steps need (8 calls for one compliant account:
//! caller identity, trails, trail status, event selectors, metric filters, the region's alarms
//! (`DescribeAlarms`, one call per 100 alarms: it also returns metric-math and composite alarms,
//! which `DescribeAlarmsForMetric` does not), the attributes and subscriptions of the working
//! alarm's topic; for an encrypted topic its KMS key, two reads): whether CloudWatch can deliver
//! is part of the audit. `fix` also reads the topics it will use, so the plan never overwrites
//! something it did not see, and the tags of the alarms and topic that hold a control's name
//! (whose they are: `ownership`). A resource that cannot be read (a trail's home region
//! denied, a topic in another account) is recorded as unread with the reason, and the audit
//! reports it; only the account-wide reads are fatal. A trail's log group that does not exist is
//! recorded as missing (drift), not an error.

use std::collections::HashSet;

use crate::audit;
use crate::aws;
use crate::control::Control;
use crate::error::Error;
use crate::observed::{parse_log_group_arn, Arn, LogGroup, Observed, Topic, Trail};
use crate::ownership;
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
    pub depth: Depth,
    /// A topic the user named with `--topic-arn` (read in plan depth).
    pub topic_arn: Option<String>,
    /// The account the credentials must belong to (fleet mode): checked on the caller identity,
    /// before anything else is read.
    pub expect_account: Option<String>,
}

/// Read the target once for all `controls`: the reads are shared, so fifteen controls cost
/// what one costs.
pub async fn discover(
    target: &Target,
    controls: &[Control],
    opts: &DiscoverOptions,
) -> Result<Observed, Error> {
    // A trail serves a control when it passes steps 1-3 for that control's event sources; one
    // control whose events the trail leaves out must not stop the reads for the others.
    let score = |t: &Trail| -> usize {
        controls
            .iter()
            .map(|c| audit::trail_score(t, &c.sources()))
            .sum()
    };
    let serves_some = |t: &Trail| {
        controls
            .iter()
            .any(|c| audit::trail_score(t, &c.sources()) == 3)
    };
    let account = aws::sts::account(&target.sts()).await?;
    if let Some(want) = opts.expect_account.as_ref().filter(|w| **w != account) {
        return Err(Error::WrongAccount {
            want: want.clone(),
            got: account,
        });
    }
    tracing::debug!(%account, region = %target.region, "caller identity");
    let mut trails = aws::cloudtrail::trails(&target.cloudtrail(&target.region)).await?;
    for t in trails
        .iter_mut()
        .filter(|t| t.multi_region && t.log_group_arn.is_some())
    {
        read_trail(target, t).await;
    }
    let mut observed = Observed {
        account: account.clone(),
        region: target.region.clone(),
        trails,
        log_groups: Vec::new(),
    };
    // Trails that pass steps 1-3 into a log group of this account: if there are several, read
    // each group (the audit keeps the one closest to compliant).
    let full: Vec<Trail> = observed
        .trails
        .iter()
        .filter(|t| serves_some(t) && local_group(t, &account))
        .cloned()
        .collect();
    if full.len() > 1 {
        for t in &full {
            match read_group(target, controls, opts, &account, t).await {
                Ok(lg) => {
                    if !observed.log_groups.iter().any(|g| g.arn == lg.arn) {
                        observed.log_groups.push(lg);
                    }
                }
                // One unreadable group must not hide the others: skip it, say so.
                Err(e) => {
                    tracing::warn!(trail = %t.name, "could not read the trail's log group: {e}")
                }
            }
        }
        if !observed.log_groups.is_empty() {
            return Ok(observed);
        }
        // None could be read: fall through and report the error of the usual choice.
    }
    let chosen = audit::choose_trail(&observed.trails, &account, &target.region, score).cloned();
    if let Some(trail) = chosen.filter(|t| serves_some(t)) {
        let lg = read_group(target, controls, opts, &account, &trail).await?;
        observed.log_groups.push(lg);
    }
    Ok(observed)
}

fn local_group(t: &Trail, account: &str) -> bool {
    t.log_group_arn
        .as_deref()
        .and_then(parse_log_group_arn)
        .is_some_and(|(a, _)| a.account == account)
}

/// Status and selectors of a candidate trail, in its home region; a failure is recorded.
async fn read_trail(target: &Target, t: &mut Trail) {
    let home = if t.home_region.is_empty() {
        target.region.clone()
    } else {
        t.home_region.clone()
    };
    let client = target.cloudtrail(&home);
    let read = async {
        let status = aws::cloudtrail::status(&client, &t.arn).await?;
        let selectors = aws::cloudtrail::selectors(&client, &t.arn).await?;
        Ok::<_, Error>((status, selectors))
    };
    match read.await {
        Ok((status, selectors)) => {
            t.logging = Some(status.logging);
            t.delivery_error = status.delivery_error;
            t.delivery_time = status.delivery_time;
            t.selectors = Some(selectors);
        }
        Err(e) => {
            tracing::warn!(trail = %t.name, "could not read the trail: {e}");
            t.read_error = Some(e.to_string());
        }
    }
}

/// The trail's log group: filters, the alarms on the metrics that matter, their topics.
async fn read_group(
    target: &Target,
    controls: &[Control],
    opts: &DiscoverOptions,
    account: &str,
    trail: &Trail,
) -> Result<LogGroup, Error> {
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
        return Ok(lg);
    }
    match aws::logs::metric_filters(&target.logs(&lg.region), &lg.name).await? {
        Some(filters) => lg.filters = filters,
        None => {
            lg.missing = true;
            return Ok(lg);
        }
    }

    // Alarms: one read of the region's alarms, kept when they watch a metric some filter on the
    // group publishes or a control's own metric, or hold a control's alarm name (metric or
    // composite).
    let cw = target.cloudwatch(&lg.region);
    let all = aws::cloudwatch::alarms(&cw).await?;
    let mut metrics: Vec<(String, String)> = lg
        .filters
        .iter()
        .flat_map(|f| f.metrics.iter())
        .map(|m| (m.metric_name.clone(), m.namespace.clone()))
        .collect();
    metrics.extend(
        controls
            .iter()
            .map(|c| (c.filter.metric_name.clone(), c.filter.namespace.clone())),
    );
    let named = |name: &str| {
        controls
            .iter()
            .any(|c| ownership::holds(name, &c.alarm.name))
    };
    lg.alarms = all
        .metric
        .into_iter()
        .filter(|a| named(&a.name) || metrics.iter().any(|(m, n)| a.watches(m, n)))
        .collect();
    lg.composite_alarms = all.composite.into_iter().filter(|n| named(n)).collect();
    // Whose an alarm holding a control's name is: its tags, read to plan only (check judges
    // compliance, which does not depend on who made what).
    if opts.depth == Depth::Plan {
        for a in lg.alarms.iter_mut().filter(|a| named(&a.name)) {
            a.tags = Some(aws::cloudwatch::alarm_tags(&cw, &a.arn).await?);
        }
    }

    // Topics: those of the alarms that fire on one event of some filter's metric (the audit
    // follows them; judging the filters' patterns is left to the audit, done once), plus the one
    // the plan will use.
    let working = |a: &crate::observed::Alarm| {
        lg.filters.iter().flat_map(|f| f.metrics.iter()).any(|m| {
            a.watches(&m.metric_name, &m.namespace) && audit::alarm_problems_on(a, m).is_empty()
        })
    };
    // The controls' shared topics in this account and region.
    let shared: Vec<String> = controls
        .iter()
        .map(|c| {
            format!(
                "arn:{}:sns:{}:{}:{}",
                lg.partition, lg.region, account, c.topic.name
            )
        })
        .collect();
    let mut topics: Vec<String> = Vec::new();
    for a in &lg.alarms {
        if opts.depth == Depth::Plan || working(a) {
            topics.extend(a.sns_actions().cloned());
        }
    }
    if opts.depth == Depth::Plan {
        match &opts.topic_arn {
            Some(t) => topics.push(t.clone()),
            None => topics.extend(shared.iter().cloned()),
        }
    }
    let mut seen = HashSet::new();
    topics.retain(|t| seen.insert(t.clone()));
    for arn in topics {
        let mut topic = read_topic(target, &arn, &lg.region).await;
        if opts.depth == Depth::Plan
            && shared.contains(&arn)
            && topic.exists
            && topic.read_error.is_none()
        {
            let sns = target.sns(&lg.region);
            topic.tags = Some(aws::sns::topic_tags(&sns, &arn).await?);
        }
        lg.topics.push(topic);
    }
    Ok(lg)
}

/// A topic's attributes (policy, key: the key's policy too) and subscriptions; a failure is
/// recorded on the topic.
async fn read_topic(target: &Target, arn: &str, default_region: &str) -> Topic {
    let region = Arn::parse(arn)
        .map(|a| a.region.to_string())
        .unwrap_or_else(|| default_region.to_string());
    let sns = target.sns(&region);
    let read = async {
        // Attributes at every depth: whether CloudWatch can deliver (policy, key) is part of
        // the audit, so `check` and `fix --plan` judge the same thing.
        let mut topic = aws::sns::topic(&sns, arn).await?;
        if let Some(id) = topic.kms_master_key_id.clone() {
            topic.kms_key = Some(aws::kms::key(&target.kms(&region), &id).await);
        }
        if topic.exists {
            topic.subscriptions = aws::sns::subscriptions(&sns, arn).await?;
            if topic.subscriptions.is_none() {
                topic.exists = false;
            }
        }
        Ok::<_, Error>(topic)
    };
    read.await.unwrap_or_else(|e| {
        tracing::warn!(topic = %arn, "could not read the topic: {e}");
        Topic {
            arn: arn.to_string(),
            exists: true,
            read_error: Some(e.to_string()),
            ..Default::default()
        }
    })
}
