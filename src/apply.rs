//! Plan -> AWS writes, in dependency order (topic, topic policy, subscription, filter, alarm).
//!
//! Apply sends exactly the write requests the plan lists and nothing else; it stops at the first
//! failure and reports what was done. The topic-policy merge re-reads the policy just before
//! writing and refuses if it changed since the plan. The caller re-reads the target afterwards.

use crate::aws;
use crate::error::Error;
use crate::plan::{self, Plan};
use crate::target::Target;
pub use crate::write::Applied;
use crate::write::WriteRequest;

/// Set when the user interrupts (SIGINT) an apply: the write in flight finishes, no other starts.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Listen for SIGINT (Ctrl-C) for the rest of the run: from now on an interrupt lets the write in
/// flight finish and stops before the next one, instead of killing the process mid-way.
pub fn stop_on_interrupt() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
}

/// Whether the user interrupted the run (after `stop_on_interrupt`).
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// What apply did: the writes that were sent, and the error that stopped it, if any.
#[derive(Debug)]
pub struct Outcome {
    pub done: Vec<Applied>,
    pub error: Option<Error>,
}

/// Send every write request of the plan, in order, stopping at the first failure. A blocked
/// plan is refused before anything is sent.
pub async fn apply(target: &Target, plan: &Plan) -> Outcome {
    apply_all(target, std::slice::from_ref(plan)).await
}

/// Apply several plans (one per control) as one: every distinct write once, in dependency order,
/// stopping at the first failure. A blocked plan has no writes; when every plan is blocked the
/// apply is refused before anything is sent.
pub async fn apply_all(target: &Target, plans: &[Plan]) -> Outcome {
    let mut done = Vec::new();
    if plans.iter().all(|p| p.blocked.is_some()) {
        let why = plans
            .iter()
            .find_map(|p| p.blocked.clone())
            .unwrap_or_else(|| "nothing to apply".into());
        return Outcome {
            done,
            error: Some(Error::Refused(why)),
        };
    }
    let all = plan::writes(plans);
    for (i, w) in all.iter().enumerate() {
        if interrupted() {
            let left: Vec<&str> = all[i..].iter().map(|w| w.operation()).collect();
            return Outcome {
                done,
                error: Some(Error::Refused(format!(
                    "interrupted: {} write(s) not sent: {}; run trailwatch fix again to finish",
                    left.len(),
                    left.join(", ")
                ))),
            };
        }
        tracing::info!(operation = w.operation(), "sending write");
        match send(target, w).await {
            Ok((name, result)) => done.push(Applied {
                operation: w.operation(),
                name,
                result,
            }),
            Err(error) => {
                return Outcome {
                    done,
                    error: Some(error),
                }
            }
        }
    }
    Outcome { done, error: None }
}

async fn send(target: &Target, w: &WriteRequest) -> Result<(String, String), Error> {
    Ok(match w {
        WriteRequest::CreateTopic {
            region,
            name,
            topic_arn,
            tags,
        } => {
            let arn = aws::sns::create_topic(&target.sns(region), name, tags).await?;
            if arn != *topic_arn {
                return Err(Error::Refused(format!(
                    "CreateTopic answered {arn}, the plan expected {topic_arn}: stopping before anything refers to it"
                )));
            }
            (name.clone(), arn)
        }
        WriteRequest::SetTopicPolicy {
            region,
            topic_arn,
            policy,
            expected_current,
            ..
        } => {
            // A read-modify-write: re-read the policy just before writing, and refuse if it is
            // not the one the plan merged into (someone changed it meanwhile).
            let sns = target.sns(region);
            let now = aws::sns::topic(&sns, topic_arn).await?;
            let now: Option<serde_json::Value> = now
                .policy
                .as_deref()
                .map(|p| serde_json::from_str(p).unwrap_or(serde_json::Value::String(p.into())));
            if now != *expected_current {
                return Err(Error::Refused(format!(
                    "the policy of topic {topic_arn} changed since the plan was made: nothing was written to it; run trailwatch fix again to merge into the current policy"
                )));
            }
            aws::sns::set_policy(&sns, topic_arn, policy).await?;
            (topic_arn.clone(), "policy merged".into())
        }
        WriteRequest::Subscribe {
            region,
            topic_arn,
            protocol,
            endpoint,
        } => {
            let arn =
                aws::sns::subscribe(&target.sns(region), topic_arn, protocol, endpoint).await?;
            let result = if arn.starts_with("arn:") {
                "confirmed".to_string()
            } else {
                "pending confirmation: the receiver must confirm it".to_string()
            };
            (
                format!("{protocol}:{}", crate::redact::endpoint(endpoint)),
                result,
            )
        }
        WriteRequest::PutMetricFilter {
            region,
            log_group_name,
            filter_name,
            filter_pattern,
            metric_transformations,
        } => {
            aws::logs::put_metric_filter(
                &target.logs(region),
                log_group_name,
                filter_name,
                filter_pattern,
                metric_transformations,
            )
            .await?;
            (filter_name.clone(), format!("on {log_group_name}"))
        }
        WriteRequest::TagTopic {
            region,
            topic_arn,
            tags,
        } => {
            aws::sns::tag_topic(&target.sns(region), topic_arn, tags).await?;
            (topic_arn.clone(), format!("tagged {}", tag_keys(tags)))
        }
        WriteRequest::TagAlarm {
            region,
            alarm_arn,
            tags,
        } => {
            aws::cloudwatch::tag_alarm(&target.cloudwatch(region), alarm_arn, tags).await?;
            let name = alarm_arn.rsplit(':').next().unwrap_or(alarm_arn);
            (name.to_string(), format!("tagged {}", tag_keys(tags)))
        }
        WriteRequest::PutMetricAlarm(a) => {
            aws::cloudwatch::put_metric_alarm(&target.cloudwatch(&a.region), a).await?;
            (
                a.alarm_name.clone(),
                format!("on {}/{}", a.namespace, a.metric_name),
            )
        }
    })
}

fn tag_keys(tags: &crate::observed::Tags) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
