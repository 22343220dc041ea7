//! Library errors: bad input (always naming the bad value), AWS call failures, refusals.
//!
//! The binary maps every one of these to exit code 1; exit 2 is reserved for drift. An AWS error
//! displays as one line (`logs:DescribeMetricFilters in us-east-1: ResourceNotFoundException: The
//! specified log group does not exist.`); the SDK's whole error chain is kept in `detail` for
//! `-v`, never in the one line.

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata};

/// An error from trailwatch's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the user typed or pointed at is not valid. `value` is what they gave (shown
    /// cut to 120 characters, with its length, when longer).
    #[error("invalid {what} {}: {why}", shown(value))]
    BadInput {
        what: &'static str,
        value: String,
        why: String,
    },
    /// An AWS API call failed. `operation` is `service:Operation`.
    #[error("{operation} in {region}: {}{message}", code.as_deref().map(|c| format!("{c}: ")).unwrap_or_default())]
    Aws {
        operation: &'static str,
        region: String,
        /// AWS's error code (`AccessDenied`, `ResourceNotFoundException`, ...), when AWS answered.
        code: Option<String>,
        /// AWS's message, or a short description of why no answer came.
        message: String,
        /// The SDK's whole error chain, for `-v`.
        detail: String,
    },
    /// The credentials belong to another account than the one asked for (`--expect-account`, a
    /// fleet target, a saved plan): found on the caller identity, before anything else is read.
    #[error("refused: the credentials for account {want} belong to account {got}: nothing else was read and nothing written")]
    WrongAccount { want: String, got: String },
    /// The tool refuses to act (no confirmation possible, plan blocked, ...).
    #[error("refused: {0}")]
    Refused(String),
}

impl Error {
    /// Wrap an SDK error with the operation and region it came from.
    pub fn aws<E>(operation: &'static str, region: &str, err: E) -> Error
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let code = err.code().map(str::to_string);
        let message = match (err.message(), &code) {
            // One line, whatever AWS sent.
            (Some(m), _) if !m.is_empty() => m.split_whitespace().collect::<Vec<_>>().join(" "),
            (_, Some(_)) => "(no message)".to_string(),
            (_, None) => not_aws(&format!("{err:?}")).unwrap_or_else(|| root_cause(&err)),
        };
        Error::Aws {
            operation,
            region: region.to_string(),
            code,
            // An AWS message may quote a subscriber's URL: never print its secret parts.
            message: crate::redact::text(&message),
            detail: crate::redact::text(&DisplayErrorContext(&err).to_string()),
        }
    }

    /// An error that did not come from a service answer (e.g. a request that could not be built).
    pub fn aws_other<E>(operation: &'static str, region: &str, err: E) -> Error
    where
        E: std::error::Error + 'static,
    {
        Error::Aws {
            operation,
            region: region.to_string(),
            code: None,
            message: crate::redact::text(&root_cause(&err)),
            detail: crate::redact::text(&DisplayErrorContext(&err).to_string()),
        }
    }

    /// AWS's error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The full error chain, for `-v` (empty for errors that are one line already).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Error::Aws { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// A value as shown in an error: quoted, and cut with its length when oversized.
fn shown(value: &str) -> String {
    let n = value.chars().count();
    if n <= 120 {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(120).collect();
        format!("{head:?}... ({n} characters)")
    }
}

/// Why a call got no answer, in a few words: the innermost cause of the error chain, with the
/// SDK's wording for the common cases made plain.
/// An answer that is not an AWS API answer (no error code, an HTML page, a proxy's error): what
/// came back, from the SDK's debug form of the raw response (`StatusCode(501)`, its content type).
fn not_aws(debug: &str) -> Option<String> {
    let status: String = debug
        .split("status: StatusCode(")
        .nth(1)?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if status.is_empty() {
        return None;
    }
    let content_type = debug
        .split("\"content-type\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("no content type");
    Some(format!(
        "the endpoint answered HTTP {status} ({content_type}), which is not an AWS API answer: check the endpoint (AWS_ENDPOINT_URL, a proxy)"
    ))
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut chain: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        chain.push(e.to_string());
        cur = e.source();
    }
    let all = chain.join(": ").to_ascii_lowercase();
    if all.contains("no credentials")
        || all.contains("credentials provider")
        || all.contains("failed to load credentials")
        || all.contains("the credential provider was not enabled")
    {
        return "no AWS credentials found (set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`)".into();
    }
    if all.contains("connection refused") {
        return "cannot reach the endpoint: connection refused".into();
    }
    if all.contains("dns error") || all.contains("failed to lookup address") {
        return "cannot reach the endpoint: the host name does not resolve".into();
    }
    if all.contains("timeout") || all.contains("timed out") {
        return "no answer from the endpoint: the request timed out".into();
    }
    // The innermost cause is usually the plainest; keep it to one short line.
    let last = chain
        .iter()
        .rev()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| "unknown error".into());
    let line = last.lines().next().unwrap_or_default().trim().to_string();
    if line.chars().count() > 200 {
        format!("{}...", line.chars().take(200).collect::<String>())
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_answer_that_is_not_aws_says_what_came_back() {
        let debug = r#"ServiceError { raw: Response { status: StatusCode(501), headers: {"server": "x", "content-type": "text/html;charset=utf-8"} } }"#;
        assert_eq!(
            super::not_aws(debug).unwrap(),
            "the endpoint answered HTTP 501 (text/html;charset=utf-8), which is not an AWS API answer: check the endpoint (AWS_ENDPOINT_URL, a proxy)"
        );
        assert_eq!(super::not_aws("DispatchFailure { timeout }"), None);
    }
}
