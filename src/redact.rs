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

/// The secret parts of the endpoints this run has seen (user-info, path and query, and their
/// longer pieces), so that a message quoting them (an AWS error about a subscriber, say) is
/// scrubbed too.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remember the secret parts of a subscription endpoint (called where endpoints enter: the
/// command line and the subscriptions read from AWS).
pub fn register_endpoint(ep: &str) {
    let Some((_, rest)) = ep.split_once("://") else {
        return;
    };
    let mut parts: Vec<String> = Vec::new();
    let hostpart = match rest.rsplit_once('@') {
        Some((userinfo, h)) => {
            parts.push(userinfo.to_string());
            parts.extend(userinfo.split(':').map(str::to_string));
            h
        }
        None => rest,
    };
    let host_len = hostpart
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .len();
    let tail = &hostpart[host_len..];
    if tail.len() > 1 {
        parts.push(tail.to_string());
        parts.extend(tail.split(['/', '?', '#', '&', '=']).map(str::to_string));
    }
    // Short pieces (`T0`, `sig`) are not secrets and would mask ordinary words.
    parts.retain(|p| p.len() >= 6);
    if let Ok(mut list) = SECRETS.lock() {
        for p in parts {
            if !list.contains(&p) {
                list.push(p);
            }
        }
        list.sort_by_key(|p| std::cmp::Reverse(p.len()));
    }
}

/// `message` with every registered secret part replaced by `***`.
pub fn scrub(message: &str) -> String {
    let mut out = message.to_string();
    if let Ok(list) = SECRETS.lock() {
        for p in list.iter() {
            if out.contains(p.as_str()) {
                out = out.replace(p.as_str(), "***");
            }
        }
    }
    out
}

/// Every URL-looking word in a message masked with [`endpoint`], and every registered secret
/// part scrubbed.
pub fn text(message: &str) -> String {
    mask_key_ids(&scrub(message))
        .split(' ')
        .map(|w| {
            if w.contains("://") {
                // Quotes and punctuation after a quoted URL (`"https://...":`) stay outside it.
                let url = w.trim_end_matches(['"', '\'', ':', ',', ';', ')', ']']);
                format!("{}{}", endpoint(url), &w[url.len()..])
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Access key ids (`AKIA...` long-term, `ASIA...` temporary: four letters and 16 upper-case
/// letters or digits) shown as their prefix and `***`: AWS's messages quote them ("User
/// AKIA... is not authorized").
pub fn mask_key_ids(message: &str) -> String {
    let b = message.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 20 <= b.len() {
        let starts = (b[i..].starts_with(b"AKIA") || b[i..].starts_with(b"ASIA"))
            && (i == 0 || !word(b[i - 1]));
        let body_ok = starts
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && (i + 20 == b.len() || !word(b[i + 20]));
        if body_ok {
            out.push_str(&message[copied..i + 4]);
            out.push_str("***");
            i += 20;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&message[copied..]);
    out
}

/// `serde(serialize_with)` helper: serialize an endpoint redacted.
pub fn serialize_endpoint<S: serde::Serializer>(ep: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&endpoint(ep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_in_messages_are_masked() {
        assert_eq!(
            text("User AKIAENVKEY0000000042 is not authorized; session ASIAXYZ0123456789ABC."),
            "User AKIA*** is not authorized; session ASIA***."
        );
        // Not key ids: too short, lower case, part of a longer word.
        for keep in [
            "AKIA123",
            "akiaenvkey0000000042",
            "XAKIAENVKEY0000000042",
            "AKIAENVKEY00000000421",
        ] {
            assert_eq!(text(keep), keep);
        }
    }

    #[test]
    fn a_quoted_url_in_a_message_keeps_its_closing_quote_and_colon() {
        assert_eq!(
            text(
                r#"invalid --subscribe "https:http://u:pw@hooks.example.com/T0/s3cr3t": not an https:// URL"#
            ),
            r#"invalid --subscribe "https:http://***@hooks.example.com/***": not an https:// URL"#
        );
    }

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
            "unexpected argument 'https:https://***@h/***' found"
        );
    }
}
