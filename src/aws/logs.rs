//! CloudWatch Logs: the metric filters on a log group (read, paginated) and `PutMetricFilter`.

use aws_sdk_cloudwatchlogs::types::MetricTransformation as SdkTransformation;
use aws_sdk_cloudwatchlogs::Client;

use crate::error::Error;
use crate::observed::{MetricFilter, MetricTransformation};

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

/// `logs:DescribeMetricFilters` for one log group, following `nextToken` to the end. `Ok(None)`
/// when the group does not exist (AWS answers `ResourceNotFoundException`).
pub async fn metric_filters(
    client: &Client,
    log_group: &str,
) -> Result<Option<Vec<MetricFilter>>, Error> {
    let mut filters = Vec::new();
    let mut pages = client
        .describe_metric_filters()
        .log_group_name(log_group)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let out = match page {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => {
                return Err(Error::aws(
                    "logs:DescribeMetricFilters",
                    &region_of(client),
                    e,
                ))
            }
        };
        for f in out.metric_filters() {
            filters.push(MetricFilter {
                name: f.filter_name().unwrap_or_default().to_string(),
                pattern: f.filter_pattern().unwrap_or_default().to_string(),
                metrics: f
                    .metric_transformations()
                    .iter()
                    .map(|m| MetricTransformation {
                        metric_name: m.metric_name().to_string(),
                        namespace: m.metric_namespace().to_string(),
                        value: m.metric_value().to_string(),
                        default_value: m.default_value(),
                        unit: m
                            .unit()
                            .map(|u| u.as_str().to_string())
                            .filter(|u| u != "None"),
                        dimensions: {
                            let mut d: Vec<(String, String)> = m
                                .dimensions()
                                .into_iter()
                                .flatten()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            d.sort();
                            d
                        },
                    })
                    .collect(),
            });
        }
    }
    Ok(Some(filters))
}

/// `logs:PutMetricFilter`.
pub async fn put_metric_filter(
    client: &Client,
    log_group: &str,
    name: &str,
    pattern: &str,
    metrics: &[MetricTransformation],
) -> Result<(), Error> {
    let region = region_of(client);
    let mut req = client
        .put_metric_filter()
        .log_group_name(log_group)
        .filter_name(name)
        .filter_pattern(pattern);
    for m in metrics {
        let t = SdkTransformation::builder()
            .metric_name(&m.metric_name)
            .metric_namespace(&m.namespace)
            .metric_value(&m.value)
            .set_default_value(m.default_value)
            .set_dimensions(
                (!m.dimensions.is_empty()).then(|| m.dimensions.iter().cloned().collect()),
            )
            .set_unit(
                m.unit
                    .as_deref()
                    .map(aws_sdk_cloudwatchlogs::types::StandardUnit::from),
            )
            .build()
            .map_err(|e| Error::aws_other("logs:PutMetricFilter", &region, e))?;
        req = req.metric_transformations(t);
    }
    req.send()
        .await
        .map_err(|e| Error::aws("logs:PutMetricFilter", &region, e))?;
    Ok(())
}

/// `logs:TestMetricFilter`: which of `messages` AWS says the pattern matches.
pub async fn test_metric_filter(
    client: &Client,
    pattern: &str,
    messages: &[String],
) -> Result<Vec<bool>, Error> {
    let out = client
        .test_metric_filter()
        .filter_pattern(pattern)
        .set_log_event_messages(Some(messages.to_vec()))
        .send()
        .await
        .map_err(|e| Error::aws("logs:TestMetricFilter", &region_of(client), e))?;
    let mut matched = vec![false; messages.len()];
    for m in out.matches() {
        // eventNumber is 1-based over the messages sent.
        if let Some(slot) = usize::try_from(m.event_number())
            .ok()
            .and_then(|n| n.checked_sub(1))
        {
            if let Some(x) = matched.get_mut(slot) {
                *x = true;
            }
        }
    }
    Ok(matched)
}
