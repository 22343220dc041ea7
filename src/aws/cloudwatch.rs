//! CloudWatch: the account's alarms (metric, metric-math and composite), an alarm's action
//! history, and the writes `PutMetricAlarm` and (for `drill --alarm`) `SetAlarmState`.

use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, HistoryItemType, MetricAlarm, ScanBy, StandardUnit,
    StateValue, Statistic, Tag,
};
use aws_sdk_cloudwatch::Client;

use crate::error::Error;
use crate::observed::{Alarm, MetricQuery, MetricStat, Tags};
use crate::write::AlarmRequest;

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

fn alarm_of(a: &MetricAlarm) -> Alarm {
    Alarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        description: a
            .alarm_description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        metric_name: a.metric_name().map(str::to_string),
        namespace: a.namespace().map(str::to_string),
        statistic: a.statistic().map(|s| s.as_str().to_string()),
        extended_statistic: a.extended_statistic().map(str::to_string),
        period: a.period(),
        evaluation_periods: a.evaluation_periods(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        threshold: a.threshold(),
        comparison_operator: a.comparison_operator().map(|c| c.as_str().to_string()),
        treat_missing_data: a.treat_missing_data().map(str::to_string),
        actions_enabled: a.actions_enabled().unwrap_or(true),
        alarm_actions: a.alarm_actions().to_vec(),
        ok_actions: a.ok_actions().to_vec(),
        insufficient_data_actions: a.insufficient_data_actions().to_vec(),
        dimensions: a
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        unit: a.unit().map(|u| u.as_str().to_string()),
        evaluate_low_sample_count_percentile: a
            .evaluate_low_sample_count_percentile()
            .map(str::to_string),
        metrics: a
            .metrics()
            .iter()
            .map(|q| MetricQuery {
                id: q.id().unwrap_or_default().to_string(),
                expression: q.expression().map(str::to_string),
                metric_stat: q.metric_stat().map(|m| {
                    let metric = m.metric();
                    MetricStat {
                        metric_name: metric
                            .and_then(|x| x.metric_name())
                            .unwrap_or_default()
                            .to_string(),
                        namespace: metric
                            .and_then(|x| x.namespace())
                            .unwrap_or_default()
                            .to_string(),
                        dimensions: metric
                            .map(|x| x.dimensions())
                            .unwrap_or_default()
                            .iter()
                            .map(|d| {
                                (
                                    d.name().unwrap_or_default().to_string(),
                                    d.value().unwrap_or_default().to_string(),
                                )
                            })
                            .collect(),
                        stat: m.stat().unwrap_or_default().to_string(),
                        period: m.period(),
                        account_id: q.account_id().map(str::to_string),
                        unit: m.unit().map(|u| u.as_str().to_string()),
                    }
                }),
                // AWS: when ReturnData is left out of every query, the one query returns data.
                return_data: q.return_data().unwrap_or(a.metrics().len() == 1),
            })
            .collect(),
        tags: None,
    }
}

/// Every alarm in the region: metric and metric-math alarms, and the names of composite alarms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alarms {
    pub metric: Vec<Alarm>,
    pub composite: Vec<String>,
}

/// `cloudwatch:DescribeAlarms` for every alarm, following `NextToken` (100 alarms a page).
/// One read serves every metric: `DescribeAlarmsForMetric` would miss metric-math alarms.
pub async fn alarms(client: &Client) -> Result<Alarms, Error> {
    let mut all = Alarms::default();
    let mut pages = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out =
            page.map_err(|e| Error::aws("cloudwatch:DescribeAlarms", &region_of(client), e))?;
        all.metric.extend(out.metric_alarms().iter().map(alarm_of));
        all.composite.extend(
            out.composite_alarms()
                .iter()
                .filter_map(|c| c.alarm_name())
                .map(str::to_string),
        );
    }
    Ok(all)
}

/// One `Action` item of an alarm's history: an alarm action that ran, or failed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct ActionHistory {
    /// RFC 3339.
    pub time: String,
    /// The same instant in epoch seconds, for comparisons.
    #[serde(skip)]
    pub epoch: i64,
    pub summary: String,
    /// Whether the action failed (`HistoryData.actionState` is `Failed`, or the summary says so).
    pub failed: bool,
    /// AWS's reason for a failure (`HistoryData.notificationResource`/`error`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `cloudwatch:DescribeAlarmHistory` of type `Action` for one alarm since `since` (epoch
/// seconds), newest first, following `NextToken`.
pub async fn action_history(
    client: &Client,
    alarm_name: &str,
    since: i64,
) -> Result<Vec<ActionHistory>, Error> {
    let mut items = Vec::new();
    let mut pages = client
        .describe_alarm_history()
        .alarm_name(alarm_name)
        .history_item_type(HistoryItemType::Action)
        .start_date(DateTime::from_secs(since))
        .end_date(DateTime::from_secs(now_secs() + 60))
        .scan_by(ScanBy::TimestampDescending)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out =
            page.map_err(|e| Error::aws("cloudwatch:DescribeAlarmHistory", &region_of(client), e))?;
        for h in out.alarm_history_items() {
            items.push(action_item(
                h.timestamp(),
                h.history_summary().unwrap_or_default(),
                h.history_data(),
            ));
        }
    }
    Ok(items)
}

/// Read one history item. `HistoryData` is JSON such as
/// `{"actionState":"Failed","stateUpdateTimestamp":...,"notificationResource":"arn:...","error":"..."}`.
fn action_item(time: Option<&DateTime>, summary: &str, data: Option<&str>) -> ActionHistory {
    let data: serde_json::Value = data
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(serde_json::Value::Null);
    let state = data.get("actionState").and_then(|v| v.as_str());
    let failed = state.is_some_and(|s| s.eq_ignore_ascii_case("failed"))
        || (state.is_none() && summary.to_ascii_lowercase().contains("failed"));
    let error = ["error", "message", "errorMessage"]
        .iter()
        .find_map(|k| data.get(*k).and_then(|v| v.as_str()))
        .map(str::to_string);
    ActionHistory {
        time: time
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
            .unwrap_or_default(),
        epoch: time.map(|t| t.secs()).unwrap_or_default(),
        summary: summary.to_string(),
        failed,
        error,
    }
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// `cloudwatch:SetAlarmState` to ALARM with `reason` (the alarm's actions run on AWS; the state
/// returns to the real one at the next evaluation).
pub async fn set_alarm_state(client: &Client, alarm_name: &str, reason: &str) -> Result<(), Error> {
    client
        .set_alarm_state()
        .alarm_name(alarm_name)
        .state_value(StateValue::Alarm)
        .state_reason(reason)
        .send()
        .await
        .map_err(|e| Error::aws("cloudwatch:SetAlarmState", &region_of(client), e))?;
    Ok(())
}

/// `cloudwatch:PutMetricAlarm` (creates, or replaces the alarm of that name).
pub async fn put_metric_alarm(client: &Client, a: &AlarmRequest) -> Result<(), Error> {
    let mut req = client
        .put_metric_alarm()
        .alarm_name(&a.alarm_name)
        .set_alarm_description(a.alarm_description.clone())
        .metric_name(&a.metric_name)
        .namespace(&a.namespace)
        .period(a.period)
        .evaluation_periods(a.evaluation_periods)
        .set_datapoints_to_alarm(a.datapoints_to_alarm)
        .threshold(a.threshold)
        .comparison_operator(ComparisonOperator::from(a.comparison_operator.as_str()))
        .set_treat_missing_data(a.treat_missing_data.clone())
        .actions_enabled(a.actions_enabled)
        .set_alarm_actions(Some(a.alarm_actions.clone()))
        .set_ok_actions(Some(a.ok_actions.clone()))
        .set_insufficient_data_actions(Some(a.insufficient_data_actions.clone()))
        .set_unit(a.unit.as_deref().map(StandardUnit::from))
        .set_evaluate_low_sample_count_percentile(a.evaluate_low_sample_count_percentile.clone());
    req = if a.statistic.starts_with('p') || a.statistic.contains('(') {
        req.extended_statistic(&a.statistic)
    } else {
        req.statistic(Statistic::from(a.statistic.as_str()))
    };
    for (name, value) in &a.dimensions {
        req = req.dimensions(Dimension::builder().name(name).value(value).build());
    }
    // Tags apply when the alarm is created (AWS ignores them on an update: see tag_alarm).
    for (key, value) in &a.tags {
        req = req.tags(Tag::builder().key(key).value(value).build());
    }
    req.send()
        .await
        .map_err(|e| Error::aws("cloudwatch:PutMetricAlarm", &a.region, e))?;
    Ok(())
}

/// `cloudwatch:ListTagsForResource` of an alarm.
pub async fn alarm_tags(client: &Client, alarm_arn: &str) -> Result<Tags, Error> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(alarm_arn)
        .send()
        .await
        .map_err(|e| Error::aws("cloudwatch:ListTagsForResource", &region_of(client), e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// `cloudwatch:TagResource` of an alarm: adds or replaces these tags, keeps the others.
pub async fn tag_alarm(client: &Client, alarm_arn: &str, tags: &Tags) -> Result<(), Error> {
    let mut req = client.tag_resource().resource_arn(alarm_arn);
    for (key, value) in tags {
        req = req.tags(Tag::builder().key(key).value(value).build());
    }
    req.send()
        .await
        .map_err(|e| Error::aws("cloudwatch:TagResource", &region_of(client), e))?;
    Ok(())
}
