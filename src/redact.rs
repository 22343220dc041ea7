//! What must never be printed: credentials inside subscription endpoints.
//!
//! SNS accepts `https://user:password@host/...` endpoints (basic auth), and webhook URLs often
//! carry tokens in their query string. Everything trailwatch renders (plans, requests, results,
//! errors) shows endpoints through [`endpoint`]; only the request sent to AWS carries the original.

/// The endpoint with URL user-info and query string masked (`https://***@host/path?***`).
pub fn endpoint(ep: &str) -> String {
    let Some((scheme, rest)) = ep.split_once("://") else {
        return ep.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, _)) => format!("{path}?***"),
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// `serde(serialize_with)` helper: serialize an endpoint redacted.
pub fn serialize_endpoint<S: serde::Serializer>(ep: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&endpoint(ep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_and_query_strings_are_masked() {
        assert_eq!(
            endpoint("https://bob:s3cret@hooks.example.com/x"),
            "https://***@hooks.example.com/x"
        );
        assert_eq!(
            endpoint("https://hooks.example.com/x?token=abc"),
            "https://hooks.example.com/x?***"
        );
        assert_eq!(
            endpoint("https://hooks.example.com"),
            "https://hooks.example.com"
        );
        assert_eq!(endpoint("secops@example.com"), "secops@example.com");
        assert_eq!(
            endpoint("arn:aws:sqs:us-east-1:123456789012:q"),
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
    }
}
