//! Unit tests at the SDK boundary with `aws-smithy-mocks`: what the emulator cannot produce
//! (pagination, pending subscriptions, a missing topic) through the real `src/aws` code.

use aws_smithy_mocks::{mock, MockResponseInterceptor, Rule, RuleMode};
use trailwatch::aws;

/// A client of `$krate` answering only from `rules` (no network).
macro_rules! client {
    ($krate:ident, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        let conf = $krate::Config::builder()
            .behavior_version_latest()
            .region($krate::config::Region::new("us-east-1"))
            .credentials_provider($krate::config::Credentials::new(
                "k", "s", None, None, "test",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        $krate::Client::from_conf(conf)
    }};
}

#[tokio::test]
async fn metric_filters_follow_next_token_to_the_end() {
    use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersOutput;
    use aws_sdk_cloudwatchlogs::types::{MetricFilter, MetricTransformation};
    let filter = |name: &str| {
        MetricFilter::builder()
            .filter_name(name)
            .filter_pattern("{$.eventName=X}")
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name("M")
                    .metric_namespace("CISBenchmark")
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let page1: Rule = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters)
        .match_requests(|r| r.next_token().is_none() && r.log_group_name() == Some("lg"))
        .then_output(move || {
            DescribeMetricFiltersOutput::builder()
                .metric_filters(filter("a"))
                .next_token("page-2")
                .build()
        });
    let page2: Rule = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || {
            DescribeMetricFiltersOutput::builder()
                .metric_filters(filter("b"))
                .build()
        });
    let c = client!(aws_sdk_cloudwatchlogs, [&page1, &page2]);
    let filters = aws::logs::metric_filters(&c, "lg").await.unwrap();
    let names: Vec<&str> = filters.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(filters[1].metrics[0].namespace, "CISBenchmark");
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
}

#[tokio::test]
async fn pending_subscriptions_are_read_across_pages_and_do_not_count_as_confirmed() {
    use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
    use aws_sdk_sns::types::Subscription;
    let sub = |arn: &str, ep: &str| {
        Subscription::builder()
            .subscription_arn(arn)
            .protocol("email")
            .endpoint(ep)
            .build()
    };
    let page1 = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            ListSubscriptionsByTopicOutput::builder()
                .subscriptions(sub("PendingConfirmation", "a@example.com"))
                .next_token("n")
                .build()
        });
    let page2 = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
        .match_requests(|r| r.next_token() == Some("n"))
        .then_output(move || {
            ListSubscriptionsByTopicOutput::builder()
                .subscriptions(sub("PendingConfirmation", "b@example.com"))
                .build()
        });
    let c = client!(aws_sdk_sns, [&page1, &page2]);
    let subs = aws::sns::subscriptions(&c, "arn:aws:sns:us-east-1:123456789012:t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| !s.confirmed()));

    // Through the audit and the planner: step 7 fails and the plan asks the user to confirm.
    use trailwatch::observed::Topic;
    let topic = Topic {
        arn: "arn:aws:sns:us-east-1:123456789012:t".into(),
        exists: true,
        subscriptions: Some(subs),
        ..Default::default()
    };
    assert_eq!(topic.confirmed().count(), 0);
}

#[tokio::test]
async fn a_missing_topic_reads_as_not_existing_not_as_an_error() {
    use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesError;
    use aws_sdk_sns::types::error::NotFoundException;
    let rule = mock!(aws_sdk_sns::Client::get_topic_attributes).then_error(|| {
        GetTopicAttributesError::NotFoundException(
            NotFoundException::builder()
                .message("Topic does not exist")
                .build(),
        )
    });
    let c = client!(aws_sdk_sns, [&rule]);
    let t = aws::sns::topic(&c, "arn:aws:sns:us-east-1:123456789012:gone")
        .await
        .unwrap();
    assert!(!t.exists);
}

#[tokio::test]
async fn other_sns_errors_are_errors_naming_the_operation() {
    use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesError;
    use aws_sdk_sns::types::error::AuthorizationErrorException;
    let rule = mock!(aws_sdk_sns::Client::get_topic_attributes).then_error(|| {
        GetTopicAttributesError::AuthorizationErrorException(
            AuthorizationErrorException::builder()
                .message("not allowed")
                .build(),
        )
    });
    let c = client!(aws_sdk_sns, [&rule]);
    let e = aws::sns::topic(&c, "arn:aws:sns:us-east-1:123456789012:t")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sns:GetTopicAttributes"), "{e}");
}

#[tokio::test]
async fn alarms_by_name_follow_next_token_and_see_composite_alarms() {
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{CompositeAlarm, MetricAlarm};
    let alarm = |n: &str| {
        MetricAlarm::builder()
            .alarm_name(n)
            .metric_name("M")
            .namespace("N")
            .build()
    };
    let page1 = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(alarm("IAMPolicyChanges"))
                .next_token("2")
                .build()
        });
    let page2 = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.next_token() == Some("2"))
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(alarm("other"))
                .composite_alarms(CompositeAlarm::builder().alarm_name("Combined").build())
                .build()
        });
    let c = client!(aws_sdk_cloudwatch, [&page1, &page2]);
    let names = ["IAMPolicyChanges".to_string(), "Combined".to_string()];
    let (found, composite) = aws::cloudwatch::alarms_named(&c, &names).await.unwrap();
    assert_eq!(found.len(), 1, "only the named alarms are kept");
    assert_eq!(composite, ["Combined"]);
    assert_eq!(page2.num_calls(), 1);
}

#[tokio::test]
async fn test_metric_filter_results_map_back_to_the_samples_sent() {
    use aws_sdk_cloudwatchlogs::operation::test_metric_filter::TestMetricFilterOutput;
    use aws_sdk_cloudwatchlogs::types::MetricFilterMatchRecord;
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::test_metric_filter)
        .match_requests(|r| r.log_event_messages().len() == 3)
        .then_output(|| {
            TestMetricFilterOutput::builder()
                .matches(MetricFilterMatchRecord::builder().event_number(1).build())
                .matches(MetricFilterMatchRecord::builder().event_number(3).build())
                .build()
        });
    let c = client!(aws_sdk_cloudwatchlogs, [&rule]);
    let msgs: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let matched = aws::logs::test_metric_filter(&c, "{$.x = 1}", &msgs)
        .await
        .unwrap();
    assert_eq!(matched, [true, false, true]);
}
