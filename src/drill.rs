//! Proof of delivery, write side (`trailwatch drill`): publish a clearly labelled test
//! notification through the topic(s) the control's working alarm notifies and, with `--alarm`,
//! set that alarm to ALARM and confirm from its history that its action ran.
//!
//! What to drill is chosen purely from the audit ([`prepare`]); the sends and the confirmation
//! are the only AWS calls ([`publish`], [`fire_alarm`], [`confirm_action`]). Nothing here ever
//! creates or changes a resource: `sns:Publish` and `cloudwatch:SetAlarmState` change no
//! configuration, and the alarm returns to its real state at its next evaluation.

use serde::Serialize;

use crate::audit::Audit;
use crate::aws;
use crate::aws::cloudwatch::ActionHistory;
use crate::observed::{Arn, Observed};
use crate::redact;
use crate::target::Target;

/// What a drill will do, chosen from the audit.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Drill {
    pub control: String,
    pub account: String,
    /// The alarm's region (the trail's log group's).
    pub region: String,
    pub alarm: String,
    pub topics: Vec<TopicDrill>,
    /// Every action the alarm runs when it goes to ALARM (SNS topics, and Lambda functions, SSM
    /// incidents, Auto Scaling or EC2 actions): what `--alarm` sets off.
    pub alarm_actions: Vec<String>,
}

/// One topic: its confirmed subscribers, and what the publish answered.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TopicDrill {
    pub topic_arn: String,
    /// Confirmed subscribers as `protocol:endpoint` (credentials in URLs masked).
    pub subscribers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `--alarm` found.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AlarmDrill {
    pub state_set: bool,
    /// `Some(true)`: the history shows the action ran; `Some(false)`: it shows the action failed,
    /// or nothing showed within the wait; `None`: the history could not be read.
    pub confirmed: Option<bool>,
    pub actions: Vec<ActionHistory>,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The drill for the control's working alarm, or why there is nothing to drill.
pub fn prepare(audit: &Audit, observed: &Observed) -> Result<Drill, String> {
    let Some(name) = audit.working_alarm() else {
        return Err("no alarm fires on one event for this control (step 5 fails): run `trailwatch fix` first".into());
    };
    let lg = audit
        .log_group(observed)
        .ok_or("the trail's log group was not read")?;
    let alarm = lg
        .alarms
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("alarm {name} was not read"))?;
    let topics: Vec<TopicDrill> = alarm
        .sns_actions()
        .map(|arn| TopicDrill {
            topic_arn: arn.clone(),
            subscribers: lg
                .topic(arn)
                .map(|t| {
                    t.confirmed()
                        .map(|s| format!("{}:{}", s.protocol, redact::endpoint(&s.endpoint)))
                        .collect()
                })
                .unwrap_or_default(),
            message_id: None,
            error: None,
        })
        .collect();
    if topics.is_empty() {
        return Err(format!(
            "alarm {name} notifies no SNS topic (step 6 fails): run `trailwatch fix` first"
        ));
    }
    Ok(Drill {
        control: audit.control.clone(),
        account: observed.account.clone(),
        region: lg.region.clone(),
        alarm: name.to_string(),
        topics,
        alarm_actions: alarm.alarm_actions.clone(),
    })
}

/// The question asked before a drill: the topics it publishes to and, with `--alarm`, every
/// action setting the alarm to ALARM sets off, not only its SNS topics.
pub fn prompt(d: &Drill, alarm: bool) -> String {
    let reach: Vec<String> = d
        .topics
        .iter()
        .map(|t| {
            let subs = if t.subscribers.is_empty() {
                "no confirmed subscriber".to_string()
            } else {
                t.subscribers.join(", ")
            };
            format!("{} ({subs})", t.topic_arn)
        })
        .collect();
    let mut q = format!(
        "Publish a labelled test notification to {}",
        reach.join("; ")
    );
    if alarm {
        q.push_str(&format!(
            " and set alarm {} to ALARM, which runs all its {} action(s): {}",
            d.alarm,
            d.alarm_actions.len(),
            d.alarm_actions.join(", ")
        ));
    }
    q.push('?');
    q
}

/// The test notification's subject and body: labelled as a test everywhere a person sees it.
pub fn message(d: &Drill) -> (String, String) {
    let subject = format!(
        "[trailwatch drill] TEST of {} alarm {} (not a real alarm)",
        d.control, d.alarm
    );
    let subject: String = subject.chars().take(100).collect();
    let body = format!(
        "TEST NOTIFICATION from `trailwatch drill`: no action is needed.\n\n\
         It proves that the CIS monitoring alarm {alarm} ({control}) in account {account}, \
         region {region}, reaches the people subscribed to its SNS topic. If you received this, \
         the notification path works.",
        alarm = d.alarm,
        control = d.control,
        account = d.account,
        region = d.region
    );
    (subject, body)
}

/// Publish the test notification to each topic (in the topic's region); failures are recorded.
pub async fn publish(target: &Target, d: &mut Drill) {
    let (subject, body) = message(d);
    for t in &mut d.topics {
        let region = Arn::parse(&t.topic_arn)
            .map(|a| a.region.to_string())
            .unwrap_or_else(|| d.region.clone());
        match aws::sns::publish(&target.sns(&region), &t.topic_arn, &subject, &body).await {
            Ok(id) => t.message_id = Some(id),
            Err(e) => t.error = Some(e.to_string()),
        }
    }
}

/// `--alarm`: set the alarm to ALARM with a reason that says it is a drill, then confirm.
pub async fn fire_alarm(target: &Target, d: &Drill, wait_secs: u64) -> AlarmDrill {
    let cw = target.cloudwatch(&d.region);
    let since = aws::cloudwatch::now_secs() - 1;
    let reason = "trailwatch drill: TEST of the alarm's notification path, set by hand (SetAlarmState); not a real alarm. The alarm returns to its real state at its next evaluation.";
    let note = "the alarm returns to its real state at its next evaluation".to_string();
    if let Err(e) = aws::cloudwatch::set_alarm_state(&cw, &d.alarm, reason).await {
        return AlarmDrill {
            state_set: false,
            confirmed: None,
            actions: Vec::new(),
            note,
            error: Some(e.to_string()),
        };
    }
    let (confirmed, actions, error) = confirm_action(
        &cw,
        &d.alarm,
        since,
        wait_secs,
        std::time::Duration::from_secs(5),
    )
    .await;
    AlarmDrill {
        state_set: true,
        confirmed,
        actions,
        note,
        error,
    }
}

/// Poll the alarm's `Action` history for items at or after `since` until one shows or
/// `wait_secs` pass: `Some(true)` when every such action succeeded, `Some(false)` when one failed
/// or none showed in time, `None` (with the error) when the history cannot be read.
pub async fn confirm_action(
    cw: &aws_sdk_cloudwatch::Client,
    alarm: &str,
    since: i64,
    wait_secs: u64,
    poll: std::time::Duration,
) -> (Option<bool>, Vec<ActionHistory>, Option<String>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait_secs);
    loop {
        match aws::cloudwatch::action_history(cw, alarm, since).await {
            Err(e) => return (None, Vec::new(), Some(e.to_string())),
            Ok(items) => {
                let new: Vec<ActionHistory> =
                    items.into_iter().filter(|i| i.epoch >= since).collect();
                if !new.is_empty() {
                    let ok = new.iter().all(|i| !i.failed);
                    return (Some(ok), new, None);
                }
            }
        }
        if std::time::Instant::now() >= deadline {
            return (
                Some(false),
                Vec::new(),
                Some(format!(
                    "no action showed in the alarm's history within {wait_secs} s"
                )),
            );
        }
        tokio::time::sleep(poll).await;
    }
}

/// What went wrong, if anything: a topic with no confirmed subscriber or a failed publish, an
/// alarm action that failed or never showed. Empty means delivered.
pub fn failures(d: &Drill, alarm: Option<&AlarmDrill>) -> Vec<String> {
    let mut out = Vec::new();
    for t in &d.topics {
        if t.message_id.is_some() && t.subscribers.is_empty() {
            out.push(format!(
                "topic {} has no confirmed subscriber: the notification reached no one",
                t.topic_arn
            ));
        }
    }
    if let Some(a) = alarm {
        if a.confirmed == Some(false) {
            let failed: Vec<String> = a
                .actions
                .iter()
                .filter(|i| i.failed)
                .map(|i| {
                    format!(
                        "{}{}",
                        i.summary,
                        i.error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            out.push(if failed.is_empty() {
                a.error
                    .clone()
                    .unwrap_or_else(|| "the alarm's action did not run".into())
            } else {
                format!("the alarm's action failed: {}", failed.join("; "))
            });
        }
    }
    out
}

/// The drill as text.
pub fn text(d: &Drill, alarm: Option<&AlarmDrill>) -> String {
    let mut out = format!(
        "Drill {} in account {}, region {}: alarm {}\n",
        d.control, d.account, d.region, d.alarm
    );
    for t in &d.topics {
        match (&t.message_id, &t.error) {
            (Some(id), _) => out.push_str(&format!(
                "  published a test notification to {} (message id {id}); confirmed subscribers: {}\n",
                t.topic_arn,
                if t.subscribers.is_empty() {
                    "none".to_string()
                } else {
                    t.subscribers.join(", ")
                }
            )),
            (None, Some(e)) => out.push_str(&format!("  could not publish to {}: {e}\n", t.topic_arn)),
            (None, None) => out.push_str(&format!("  not published to {}\n", t.topic_arn)),
        }
    }
    if let Some(a) = alarm {
        if a.state_set {
            out.push_str(&format!(
                "  set alarm {} to ALARM with a drill reason; {}\n",
                d.alarm, a.note
            ));
        }
        for i in &a.actions {
            out.push_str(&format!(
                "  alarm history {}: {}{}\n",
                i.time,
                i.summary,
                i.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
        }
        match (a.confirmed, &a.error) {
            (Some(true), _) => out.push_str("  the alarm's action ran\n"),
            (None, Some(e)) => {
                out.push_str(&format!("  could not confirm the alarm's action: {e}\n"))
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{audit, MatchMode};
    use crate::control::Control;
    use crate::fixtures::{compliant, lg, TOPIC};

    /// `--alarm` asks about every action the alarm runs, not only its SNS topics.
    #[test]
    fn the_alarm_drill_prompt_names_every_action_it_sets_off() {
        let mut o = compliant();
        let lambda = "arn:aws:lambda:us-east-1:123456789012:function:page-oncall";
        let ssm = "arn:aws:ssm-incidents::123456789012:response-plan/sev1";
        lg(&mut o).alarms[0].alarm_actions = vec![TOPIC.into(), lambda.into(), ssm.into()];
        let a = audit(&Control::embedded(), &o, MatchMode::Strict);
        let d = prepare(&a, &o).expect("a working alarm");
        assert_eq!(d.topics.len(), 1);
        assert_eq!(
            prompt(&d, true),
            format!(
                "Publish a labelled test notification to {TOPIC} (email:secops@example.com) and set alarm IAMPolicyChanges to ALARM, which runs all its 3 action(s): {TOPIC}, {lambda}, {ssm}?"
            )
        );
        assert_eq!(
            prompt(&d, false),
            format!("Publish a labelled test notification to {TOPIC} (email:secops@example.com)?")
        );
    }
}
