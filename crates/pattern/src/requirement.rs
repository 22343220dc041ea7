//! What a filter must match, in the two forms the judges take: a list of required events
//! (the event-list judge, [`judge`](crate::judge)) or a required pattern with the texts accepted
//! as it (the judge by meaning, [`judge_pattern`](crate::judge_pattern)).

use crate::{canonical_pattern, judge, judge_pattern, Judgement};

/// A requirement a filter's pattern is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Every listed `eventName` from `event_source`; `look_alikes` are `(eventName, eventSource)`
    /// probes the filter must not match.
    Events {
        events: Vec<String>,
        event_source: String,
        look_alikes: Vec<(String, String)>,
    },
    /// The same events as `required`; `accepted` are texts taken as it without judging.
    Pattern {
        required: String,
        accepted: Vec<String>,
    },
}

impl Requirement {
    /// Judge `text` against this requirement.
    pub fn judge(&self, text: &str) -> Judgement {
        match self {
            Requirement::Events {
                events,
                event_source,
                look_alikes,
            } => judge(text, events, event_source, look_alikes),
            Requirement::Pattern { required, accepted } => judge_pattern(text, required, accepted),
        }
    }

    /// The canonical text: built from the event list, or the required pattern itself.
    pub fn canonical_pattern(&self) -> String {
        match self {
            Requirement::Events { events, .. } => canonical_pattern(events),
            Requirement::Pattern { required, .. } => required.clone(),
        }
    }
}
