//! CloudTrail reads: trails, their logging status and their event selectors. No writes: trails
//! are prerequisites trailwatch reports on but never changes.

use aws_sdk_cloudtrail::Client;

use crate::error::Error;
use crate::observed::{AdvancedSelector, BasicSelector, FieldSelector, Selectors, Trail};

fn region_of(client: &Client) -> String {
    super::region_name(client.config().region())
}

/// `cloudtrail:DescribeTrails` with shadow trails, de-duplicated by ARN.
pub async fn trails(client: &Client) -> Result<Vec<Trail>, Error> {
    let out = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| Error::aws("cloudtrail:DescribeTrails", &region_of(client), e))?;
    let mut trails: Vec<Trail> = Vec::new();
    for t in out.trail_list() {
        let arn = t.trail_arn().unwrap_or_default().to_string();
        if trails.iter().any(|x| x.arn == arn) {
            continue;
        }
        trails.push(Trail {
            name: t.name().unwrap_or_default().to_string(),
            arn,
            home_region: t.home_region().unwrap_or_default().to_string(),
            multi_region: t.is_multi_region_trail().unwrap_or(false),
            organization: t.is_organization_trail().unwrap_or(false),
            log_group_arn: t
                .cloud_watch_logs_log_group_arn()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            logging: None,
            delivery_error: None,
            delivery_time: None,
            selectors: None,
            read_error: None,
        });
    }
    Ok(trails)
}

/// What `cloudtrail:GetTrailStatus` says about logging and delivery to CloudWatch Logs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailStatus {
    pub logging: bool,
    /// `LatestCloudWatchLogsDeliveryError`, when there is one.
    pub delivery_error: Option<String>,
    /// `LatestCloudWatchLogsDeliveryTime`, RFC 3339.
    pub delivery_time: Option<String>,
}

/// `cloudtrail:GetTrailStatus` (call in the trail's home region).
pub async fn status(client: &Client, trail_arn: &str) -> Result<TrailStatus, Error> {
    let out = client
        .get_trail_status()
        .name(trail_arn)
        .send()
        .await
        .map_err(|e| Error::aws("cloudtrail:GetTrailStatus", &region_of(client), e))?;
    Ok(TrailStatus {
        logging: out.is_logging().unwrap_or(false),
        delivery_error: out
            .latest_cloud_watch_logs_delivery_error()
            .filter(|e| !e.trim().is_empty())
            .map(str::to_string),
        delivery_time: out.latest_cloud_watch_logs_delivery_time().and_then(|t| {
            t.fmt(aws_sdk_cloudtrail::primitives::DateTimeFormat::DateTime)
                .ok()
        }),
    })
}

/// `cloudtrail:GetEventSelectors` (call in the trail's home region). No selectors at all means
/// the AWS default: all management events.
pub async fn selectors(client: &Client, trail_arn: &str) -> Result<Selectors, Error> {
    let out = client
        .get_event_selectors()
        .trail_name(trail_arn)
        .send()
        .await
        .map_err(|e| Error::aws("cloudtrail:GetEventSelectors", &region_of(client), e))?;
    let advanced = out.advanced_event_selectors();
    if !advanced.is_empty() {
        return Ok(Selectors::Advanced {
            selectors: advanced
                .iter()
                .map(|s| AdvancedSelector {
                    name: s.name().map(str::to_string),
                    field_selectors: s
                        .field_selectors()
                        .iter()
                        .map(|f| FieldSelector {
                            field: f.field().to_string(),
                            equals: f.equals().to_vec(),
                            not_equals: f.not_equals().to_vec(),
                            starts_with: f.starts_with().to_vec(),
                            not_starts_with: f.not_starts_with().to_vec(),
                            ends_with: f.ends_with().to_vec(),
                            not_ends_with: f.not_ends_with().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
        });
    }
    let basic = out.event_selectors();
    if basic.is_empty() {
        return Ok(Selectors::Default);
    }
    Ok(Selectors::Basic {
        selectors: basic
            .iter()
            .map(|s| BasicSelector {
                read_write_type: s
                    .read_write_type()
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_else(|| "All".into()),
                include_management_events: s.include_management_events().unwrap_or(true),
                exclude_management_event_sources: s.exclude_management_event_sources().to_vec(),
            })
            .collect(),
    })
}
