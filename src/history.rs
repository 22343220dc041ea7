//! Proof of delivery, read side (`check --history`): the control alarm's action history
//! (`cloudwatch:DescribeAlarmHistory`, type `Action`) over the last N days, judged for failed
//! notifications, which CloudWatch otherwise reports nowhere (a KMS key CloudWatch cannot use, a
//! topic policy that refuses it, a deleted topic). Judging is pure; the read is one call a page.

use serde::Serialize;

use crate::aws;
use crate::aws::cloudwatch::ActionHistory;
use crate::target::Target;

/// What the history says about one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct History {
    pub alarm: String,
    pub region: String,
    pub days: u32,
    /// How many alarm actions ran (or tried to) in the window.
    pub actions: usize,
    /// The actions that failed, newest first, with AWS's time and message.
    pub failures: Vec<ActionHistory>,
    /// The newest action failed: notifications are failing now.
    pub latest_failed: bool,
    /// Why the history could not be read (the rest of the audit stands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Judge the action items of an alarm (any order).
pub fn judge(alarm: &str, region: &str, days: u32, mut items: Vec<ActionHistory>) -> History {
    items.sort_by_key(|i| std::cmp::Reverse(i.epoch));
    History {
        alarm: alarm.to_string(),
        region: region.to_string(),
        days,
        actions: items.len(),
        latest_failed: items.first().is_some_and(|i| i.failed),
        failures: items.into_iter().filter(|i| i.failed).collect(),
        error: None,
    }
}

/// Read and judge the history of `alarm` in `region` over the last `days` days. A read that
/// fails (no permission, a backend that does not implement the call) is reported on the result.
pub async fn read(target: &Target, alarm: &str, region: &str, days: u32) -> History {
    let since = aws::cloudwatch::now_secs() - i64::from(days) * 86_400;
    match aws::cloudwatch::action_history(&target.cloudwatch(region), alarm, since).await {
        Ok(items) => judge(alarm, region, days, items),
        Err(e) => History {
            error: Some(e.to_string()),
            ..judge(alarm, region, days, Vec::new())
        },
    }
}

/// The history as text lines for the audit.
pub fn text(h: &History) -> String {
    let mut out = format!(
        "  alarm history of {} ({}, last {} days):",
        h.alarm, h.region, h.days
    );
    if let Some(e) = &h.error {
        out.push_str(&format!(
            " could not be read: {e}; the rest of the audit stands\n"
        ));
        return out;
    }
    if h.failures.is_empty() {
        out.push_str(&format!(" {} action(s), none failed\n", h.actions));
        return out;
    }
    out.push_str(&format!(
        " {} of {} action(s) failed{}\n",
        h.failures.len(),
        h.actions,
        if h.latest_failed {
            ", the newest among them: notifications are failing now"
        } else {
            " (a later one succeeded)"
        }
    ));
    for f in &h.failures {
        out.push_str(&format!("    {} FAILED: {}", f.time, f.summary));
        if let Some(e) = &f.error {
            out.push_str(&format!(" ({e})"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(epoch: i64, failed: bool) -> ActionHistory {
        ActionHistory {
            time: format!("t{epoch}"),
            epoch,
            summary: if failed {
                "Failed to execute action arn:aws:sns:us-east-1:1:t".into()
            } else {
                "Successfully executed action arn:aws:sns:us-east-1:1:t".into()
            },
            failed,
            error: failed.then(|| "KMS.AccessDeniedException".to_string()),
        }
    }

    #[test]
    fn failures_are_listed_newest_first_and_the_newest_action_decides() {
        let h = judge(
            "a",
            "us-east-1",
            30,
            vec![item(1, true), item(3, true), item(2, false)],
        );
        assert_eq!((h.actions, h.failures.len(), h.latest_failed), (3, 2, true));
        assert_eq!(h.failures[0].epoch, 3);
        let t = text(&h);
        assert!(
            t.contains("2 of 3 action(s) failed") && t.contains("KMS.AccessDeniedException"),
            "{t}"
        );
        let h = judge("a", "us-east-1", 30, vec![item(1, true), item(2, false)]);
        assert!(!h.latest_failed);
        assert!(text(&h).contains("a later one succeeded"));
        assert!(text(&judge("a", "r", 30, vec![])).contains("0 action(s), none failed"));
    }
}
