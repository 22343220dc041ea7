//! CloudWatch: alarms on a metric (name and namespace), alarms by name, and `PutMetricAlarm`.

use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, MetricAlarm, StandardUnit, Statistic,
};
use aws_sdk_cloudwatch::Client;

use crate::error::Error;
use crate::observed::Alarm;
use crate::plan::AlarmRequest;

fn region_of(client: &Client) -> String {
    client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
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
    }
}

/// `cloudwatch:DescribeAlarmsForMetric`: alarms on this metric name *and* namespace.
pub async fn alarms_for_metric(
    client: &Client,
    metric: &str,
    namespace: &str,
) -> Result<Vec<Alarm>, Error> {
    let out = client
        .describe_alarms_for_metric()
        .metric_name(metric)
        .namespace(namespace)
        .send()
        .await
        .map_err(|e| Error::aws("cloudwatch:DescribeAlarmsForMetric", &region_of(client), e))?;
    Ok(out
        .metric_alarms()
        .iter()
        .map(alarm_of)
        // The emulator ignores filters it does not implement; keep only what was asked for.
        .filter(|a| a.watches(metric, namespace))
        .collect())
}

/// `cloudwatch:DescribeAlarms` for the given alarm names, paginated: the metric alarms, and the
/// names held by composite alarms (a name a metric alarm cannot take).
pub async fn alarms_named(
    client: &Client,
    names: &[String],
) -> Result<(Vec<Alarm>, Vec<String>), Error> {
    let mut alarms = Vec::new();
    let mut composite = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| Error::aws("cloudwatch:DescribeAlarms", &region_of(client), e))?;
        alarms.extend(
            out.metric_alarms()
                .iter()
                .map(alarm_of)
                .filter(|a| names.contains(&a.name)),
        );
        composite.extend(
            out.composite_alarms()
                .iter()
                .filter_map(|c| c.alarm_name())
                .filter(|n| names.iter().any(|x| x == n))
                .map(str::to_string),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok((alarms, composite)),
        }
    }
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
        .set_unit(a.unit.as_deref().map(StandardUnit::from));
    req = if a.statistic.starts_with('p') || a.statistic.contains('(') {
        req.extended_statistic(&a.statistic)
    } else {
        req.statistic(Statistic::from(a.statistic.as_str()))
    };
    for (name, value) in &a.dimensions {
        req = req.dimensions(Dimension::builder().name(name).value(value).build());
    }
    req.send()
        .await
        .map_err(|e| Error::aws("cloudwatch:PutMetricAlarm", &a.region, e))?;
    Ok(())
}
