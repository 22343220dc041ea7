//! Apply at the HTTP boundary (a scripted HTTP client, no server): it sends the plan's writes in
//! order, stops at the first failure and reports what it had already written; it stops when
//! CreateTopic answers another ARN than the plan expected.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_http_client::test_util::infallible_client_fn;
use trailwatch::apply::apply;
use trailwatch::observed::MetricTransformation;
use trailwatch::plan::{Action, Change, Plan, Resource, WriteRequest};
use trailwatch::target::Target;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms";

/// A target whose HTTP client answers with `respond(operation)` and records every operation.
fn target(respond: fn(&str) -> (u16, &'static str, String)) -> (Target, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let http = infallible_client_fn(move |req: http::Request<_>| {
        let op = match req.headers().get("x-amz-target") {
            Some(t) => t.to_str().unwrap().rsplit('.').next().unwrap().to_string(),
            None => {
                let body =
                    std::str::from_utf8(req.body().bytes().unwrap_or_default()).unwrap_or_default();
                body.split('&')
                    .find_map(|kv| kv.strip_prefix("Action="))
                    .unwrap_or("?")
                    .to_string()
            }
        };
        log.lock().unwrap().push(op.clone());
        let (status, content_type, body) = respond(&op);
        http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(body)
            .unwrap()
    });
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "k", "s", None, None, "t",
        )))
        .http_client(http)
        .build();
    (Target::from_config(config, "us-east-1"), seen)
}

fn plan() -> Plan {
    let change = |resource, request| Change {
        resource,
        action: Action::Create,
        name: "x".into(),
        reason: "test".into(),
        current: None,
        desired: None,
        request: Some(request),
    };
    Plan {
        control: "cis-4.4".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        log_group: None,
        blocked: None,
        changes: vec![
            change(
                Resource::Topic,
                WriteRequest::CreateTopic {
                    region: "us-east-1".into(),
                    name: "cis-benchmark-alarms".into(),
                    topic_arn: TOPIC.into(),
                    tags: Vec::new(),
                },
            ),
            change(
                Resource::MetricFilter,
                WriteRequest::PutMetricFilter {
                    region: "us-east-1".into(),
                    log_group_name: "lg".into(),
                    filter_name: "IAMPolicyChanges".into(),
                    filter_pattern: "{$.eventName=X}".into(),
                    metric_transformations: vec![MetricTransformation {
                        metric_name: "IAMPolicyChanges".into(),
                        namespace: "CISBenchmark".into(),
                        value: "1".into(),
                        default_value: None,
                        unit: None,
                        dimensions: Vec::new(),
                    }],
                },
            ),
        ],
    }
}

fn create_topic_ok(arn: &str) -> String {
    format!(
        "<CreateTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><CreateTopicResult><TopicArn>{arn}</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></CreateTopicResponse>"
    )
}

#[tokio::test]
async fn a_failed_write_stops_apply_and_what_was_written_is_reported() {
    let (t, seen) = target(|op| match op {
        "CreateTopic" => (200, "text/xml", create_topic_ok(TOPIC)),
        _ => (
            400,
            "application/x-amz-json-1.1",
            r#"{"__type":"InvalidParameterException","message":"bad pattern"}"#.to_string(),
        ),
    });
    let outcome = apply(&t, &plan()).await;
    assert_eq!(outcome.done.len(), 1);
    assert_eq!(outcome.done[0].operation, "sns:CreateTopic");
    let err = outcome.error.expect("the filter write failed").to_string();
    assert!(err.contains("logs:PutMetricFilter"), "{err}");
    assert_eq!(*seen.lock().unwrap(), ["CreateTopic", "PutMetricFilter"]);
}

#[tokio::test]
async fn an_unexpected_topic_arn_stops_apply_before_anything_refers_to_it() {
    let (t, seen) = target(|_| {
        (
            200,
            "text/xml",
            create_topic_ok("arn:aws:sns:us-east-1:999999999999:other"),
        )
    });
    let outcome = apply(&t, &plan()).await;
    assert!(outcome.done.is_empty());
    let err = outcome.error.expect("refused").to_string();
    assert!(err.contains("999999999999"), "{err}");
    assert_eq!(
        *seen.lock().unwrap(),
        ["CreateTopic"],
        "no write after the mismatch"
    );
}

#[tokio::test]
async fn a_blocked_plan_sends_nothing() {
    let (t, seen) = target(|_| (500, "text/plain", String::new()));
    let mut p = plan();
    p.blocked = Some("step 2 fails".into());
    let outcome = apply(&t, &p).await;
    assert!(outcome.done.is_empty() && outcome.error.is_some());
    assert!(seen.lock().unwrap().is_empty());
}
