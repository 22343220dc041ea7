//! What must never be printed: credentials inside subscription endpoints.
//!
//! SNS accepts `https://user:password@host/...` endpoints (basic auth), and webhook URLs often
//! carry tokens in their query string. Everything trailwatch renders (plans, requests, results,
//! errors) shows endpoints through [`endpoint`]; only the request sent to AWS carries the original.

/// The endpoint with URL user-info and everything after the host masked (`https://***@host/***`).
pub fn endpoint(ep: &str) -> String {
    let Some((scheme, rest)) = ep.split_once("://") else {
        return ep.to_string();
    };
    // User-info may itself hold '/', '?' or '@': the host is what follows the last '@'.
    let (userinfo, hostpart) = match rest.rsplit_once('@') {
        Some((_, h)) => ("***@", h),
        None => ("", rest),
    };
    let host = hostpart.split(['/', '?', '#']).next().unwrap_or_default();
    // Webhook URLs carry their secret in the path (Slack, Teams), the query or the fragment:
    // only the host is shown.
    let tail = match &hostpart[host.len()..] {
        "" => "",
        "/" => "/",
        _ => "/***",
    };
    format!("{scheme}://{userinfo}{host}{tail}")
}

/// Every URL-looking word in a message, masked with [`endpoint`].
pub fn text(message: &str) -> String {
    message
        .split(' ')
        .map(|w| {
            if w.contains("://") {
                endpoint(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `serde(serialize_with)` helper: serialize an endpoint redacted.
pub fn serialize_endpoint<S: serde::Serializer>(ep: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&endpoint(ep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_and_everything_after_the_host_are_masked() {
        let cases = [
            (
                "https://bob:s3cret@hooks.example.com/x",
                "https://***@hooks.example.com/***",
            ),
            (
                "https://hooks.example.com/x?token=abc",
                "https://hooks.example.com/***",
            ),
            (
                "https://hooks.slack.com/services/T0/B0/SECRET",
                "https://hooks.slack.com/***",
            ),
            (
                "https://u:pa/ss@h.example.com/",
                "https://***@h.example.com/",
            ),
            ("https://hooks.example.com", "https://hooks.example.com"),
            ("secops@example.com", "secops@example.com"),
            (
                "arn:aws:sqs:us-east-1:123456789012:q",
                "arn:aws:sqs:us-east-1:123456789012:q",
            ),
        ];
        for (given, shown) in cases {
            assert_eq!(endpoint(given), shown, "{given}");
        }
        assert_eq!(
            text("unexpected argument 'https:https://u:p@h/x' found"),
            "unexpected argument 'https:https://***@h/*** found"
        );
    }
}
