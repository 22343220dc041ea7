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
    let filters = aws::logs::metric_filters(&c, "lg").await.unwrap().unwrap();
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
async fn all_alarms_follow_next_token_with_math_and_composite_alarms() {
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{
        CompositeAlarm, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    };
    let alarm = |n: &str| {
        MetricAlarm::builder()
            .alarm_name(n)
            .metric_name("M")
            .namespace("N")
            .build()
    };
    // A metric-math alarm: DescribeAlarmsForMetric would not return it; DescribeAlarms does.
    let math = MetricAlarm::builder()
        .alarm_name("IAMPolicyChangesMath")
        .metrics(
            MetricDataQuery::builder()
                .id("m1")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .metric_name("IAMPolicyChanges")
                                .namespace("CISBenchmark")
                                .build(),
                        )
                        .period(300)
                        .stat("Sum")
                        .build(),
                )
                .return_data(false)
                .build(),
        )
        .metrics(
            MetricDataQuery::builder()
                .id("e1")
                .expression("m1")
                .return_data(true)
                .build(),
        )
        .build();
    let page1 = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.next_token().is_none() && r.alarm_names().is_empty())
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(alarm("IAMPolicyChanges"))
                .metric_alarms(math.clone())
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
    let all = aws::cloudwatch::alarms(&c).await.unwrap();
    let names: Vec<&str> = all.metric.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["IAMPolicyChanges", "IAMPolicyChangesMath", "other"]);
    assert_eq!(all.composite, ["Combined"]);
    let m = &all.metric[1];
    assert!(m.is_math() && m.watches("IAMPolicyChanges", "CISBenchmark"));
    assert_eq!(m.metrics[1].expression.as_deref(), Some("m1"));
    assert!(m.metrics[1].return_data && !m.metrics[0].return_data);
    assert_eq!(m.metrics[0].metric_stat.as_ref().unwrap().stat, "Sum");
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
}

/// AWS answers DescribeMetricFilters on a deleted group with ResourceNotFoundException (moto
/// answers an empty list; the test emulator's middleware answers as AWS does).
#[tokio::test]
async fn a_missing_log_group_reads_as_missing_not_as_an_error() {
    use aws_sdk_cloudwatchlogs::operation::describe_metric_filters::DescribeMetricFiltersError;
    use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::describe_metric_filters).then_error(|| {
        DescribeMetricFiltersError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("The specified log group does not exist.")
                .build(),
        )
    });
    let c = client!(aws_sdk_cloudwatchlogs, [&rule]);
    assert_eq!(aws::logs::metric_filters(&c, "gone").await.unwrap(), None);
}

/// Only AWS reports delivery failures from CloudTrail to CloudWatch Logs (moto never does).
#[tokio::test]
async fn trail_status_carries_the_cloudwatch_logs_delivery_error() {
    use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
    use aws_sdk_cloudtrail::primitives::DateTime;
    let rule = mock!(aws_sdk_cloudtrail::Client::get_trail_status).then_output(|| {
        GetTrailStatusOutput::builder()
            .is_logging(true)
            .latest_cloud_watch_logs_delivery_error("AccessDeniedException")
            .latest_cloud_watch_logs_delivery_time(DateTime::from_secs(1_767_225_600))
            .build()
    });
    let c = client!(aws_sdk_cloudtrail, [&rule]);
    let s = aws::cloudtrail::status(&c, "arn:aws:cloudtrail:us-east-1:1:trail/t")
        .await
        .unwrap();
    assert!(s.logging);
    assert_eq!(s.delivery_error.as_deref(), Some("AccessDeniedException"));
    assert_eq!(s.delivery_time.as_deref(), Some("2026-01-01T00:00:00Z"));
}

#[tokio::test]
async fn basic_selectors_carry_excluded_management_event_sources() {
    use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
    use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
    let rule = mock!(aws_sdk_cloudtrail::Client::get_event_selectors).then_output(|| {
        GetEventSelectorsOutput::builder()
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(ReadWriteType::All)
                    .include_management_events(true)
                    .exclude_management_event_sources("kms.amazonaws.com")
                    .build(),
            )
            .build()
    });
    let c = client!(aws_sdk_cloudtrail, [&rule]);
    let s = aws::cloudtrail::selectors(&c, "t").await.unwrap();
    let trailwatch::observed::Selectors::Basic { selectors } = s else {
        panic!("basic selectors expected: {s:?}")
    };
    assert_eq!(
        selectors[0].exclude_management_event_sources,
        ["kms.amazonaws.com"]
    );
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

/// Alarm history across pages and failed actions, at the SDK boundary (the emulator keeps a
/// history of its own, without pagination beyond what a test seeds).
fn history_item(secs: i64, failed: bool) -> aws_sdk_cloudwatch::types::AlarmHistoryItem {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{AlarmHistoryItem, HistoryItemType};
    let (summary, data) = if failed {
        (
            "Failed to execute action arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms",
            r#"{"actionState":"Failed","notificationResource":"arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms","error":"KMS.AccessDeniedException: CloudWatch cannot use the key"}"#,
        )
    } else {
        (
            "Successfully executed action arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms",
            r#"{"actionState":"Succeeded","notificationResource":"arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms"}"#,
        )
    };
    AlarmHistoryItem::builder()
        .alarm_name("IAMPolicyChanges")
        .timestamp(DateTime::from_secs(secs))
        .history_item_type(HistoryItemType::Action)
        .history_summary(summary)
        .history_data(data)
        .build()
}

#[tokio::test]
async fn history_reports_every_failed_action_with_its_time_and_message() {
    use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
    use aws_sdk_cloudwatch::types::HistoryItemType;
    let page1 = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
        .match_requests(|r| {
            r.next_token().is_none()
                && r.alarm_name() == Some("IAMPolicyChanges")
                && r.history_item_type() == Some(&HistoryItemType::Action)
        })
        .then_output(|| {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(history_item(1_767_300_000, true))
                .next_token("2")
                .build()
        });
    let page2 = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
        .match_requests(|r| r.next_token() == Some("2"))
        .then_output(|| {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(history_item(1_767_200_000, false))
                .build()
        });
    let c = client!(aws_sdk_cloudwatch, [&page1, &page2]);
    let items = aws::cloudwatch::action_history(&c, "IAMPolicyChanges", 0)
        .await
        .unwrap();
    let h = trailwatch::history::judge("IAMPolicyChanges", "us-east-1", 30, items);
    assert_eq!((h.actions, h.failures.len(), h.latest_failed), (2, 1, true));
    assert_eq!(h.failures[0].time, "2026-01-01T20:40:00Z");
    assert!(h.failures[0]
        .error
        .as_deref()
        .unwrap()
        .contains("KMS.AccessDeniedException"));
    let text = trailwatch::history::text(&h);
    assert!(
        text.contains("1 of 2 action(s) failed") && text.contains("failing now"),
        "{text}"
    );
}

#[tokio::test]
async fn a_drill_is_confirmed_by_the_action_that_ran_after_it() {
    use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
    let since = 1_767_300_000;
    // The first poll sees only an older action; the second sees the drill's.
    let older = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history).then_output(move || {
        DescribeAlarmHistoryOutput::builder()
            .alarm_history_items(history_item(since - 600, true))
            .build()
    });
    let newer = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history).then_output(move || {
        DescribeAlarmHistoryOutput::builder()
            .alarm_history_items(history_item(since + 2, false))
            .alarm_history_items(history_item(since - 600, true))
            .build()
    });
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    interceptor = interceptor.with_rule(&older).with_rule(&newer);
    let conf = aws_sdk_cloudwatch::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
            "k", "s", None, None, "test",
        ))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let c = aws_sdk_cloudwatch::Client::from_conf(conf);
    let (confirmed, actions, error) = trailwatch::drill::confirm_action(
        &c,
        "IAMPolicyChanges",
        since,
        5,
        std::time::Duration::from_millis(10),
    )
    .await;
    assert_eq!(confirmed, Some(true), "{error:?}");
    assert_eq!(actions.len(), 1, "only the drill's own action counts");
    assert_eq!((older.num_calls(), newer.num_calls()), (1, 1));

    // A failed action after the drill is a failure the drill reports.
    let failed = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history).then_output(move || {
        DescribeAlarmHistoryOutput::builder()
            .alarm_history_items(history_item(since + 1, true))
            .build()
    });
    let c = client!(aws_sdk_cloudwatch, [&failed]);
    let (confirmed, actions, _) = trailwatch::drill::confirm_action(
        &c,
        "IAMPolicyChanges",
        since,
        0,
        std::time::Duration::from_millis(10),
    )
    .await;
    assert_eq!(confirmed, Some(false));
    assert!(actions[0].failed);
}

#[tokio::test]
async fn the_organization_is_read_across_pages_and_units_keeping_active_accounts() {
    use aws_sdk_organizations::operation::list_accounts::ListAccountsOutput;
    use aws_sdk_organizations::operation::list_accounts_for_parent::ListAccountsForParentOutput;
    use aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput;
    use aws_sdk_organizations::types::{Account, AccountState, OrganizationalUnit};
    let account = |id: &str, state: AccountState| {
        Account::builder()
            .id(id)
            .name(format!("acct-{id}"))
            .state(state)
            .build()
    };
    // --org: two pages; a suspended account is left out.
    let page1 = mock!(aws_sdk_organizations::Client::list_accounts)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            ListAccountsOutput::builder()
                .accounts(account("111111111111", AccountState::Active))
                .accounts(account("222222222222", AccountState::Suspended))
                .next_token("page-2")
                .build()
        });
    let page2 = mock!(aws_sdk_organizations::Client::list_accounts)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || {
            ListAccountsOutput::builder()
                .accounts(account("333333333333", AccountState::Active))
                .build()
        });
    let c = client!(aws_sdk_organizations, [&page1, &page2]);
    let ids = aws::organizations::active_accounts(&c, None).await.unwrap();
    // Each with its name, for the fleet table.
    assert_eq!(
        ids,
        [
            (
                "111111111111".to_string(),
                Some("acct-111111111111".to_string())
            ),
            (
                "333333333333".to_string(),
                Some("acct-333333333333".to_string())
            ),
        ]
    );
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));

    // --ou: the unit's accounts, then those of the unit below it (and below that: none).
    let in_unit = mock!(aws_sdk_organizations::Client::list_accounts_for_parent)
        .match_requests(|r| r.parent_id() == Some("ou-ab12-top00000"))
        .then_output(move || {
            ListAccountsForParentOutput::builder()
                .accounts(account("444444444444", AccountState::Active))
                .build()
        });
    let in_child = mock!(aws_sdk_organizations::Client::list_accounts_for_parent)
        .match_requests(|r| r.parent_id() == Some("ou-ab12-child000"))
        .then_output(move || {
            ListAccountsForParentOutput::builder()
                .accounts(account("555555555555", AccountState::Active))
                .build()
        });
    let children = mock!(aws_sdk_organizations::Client::list_organizational_units_for_parent)
        .match_requests(|r| r.parent_id() == Some("ou-ab12-top00000"))
        .then_output(move || {
            ListOrganizationalUnitsForParentOutput::builder()
                .organizational_units(OrganizationalUnit::builder().id("ou-ab12-child000").build())
                .build()
        });
    let none = mock!(aws_sdk_organizations::Client::list_organizational_units_for_parent)
        .match_requests(|r| r.parent_id() == Some("ou-ab12-child000"))
        .then_output(|| ListOrganizationalUnitsForParentOutput::builder().build());
    let c = client!(
        aws_sdk_organizations,
        [&in_unit, &in_child, &children, &none]
    );
    let ids = aws::organizations::active_accounts(&c, Some("ou-ab12-top00000"))
        .await
        .unwrap();
    let ids: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["444444444444", "555555555555"]);
}

#[tokio::test]
async fn credentials_of_another_account_stop_discovery_after_the_caller_identity() {
    use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
    let answer = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::999999999999:user/x</Arn><UserId>AIDAX</UserId><Account>999999999999</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;
    let replay = StaticReplayClient::new(vec![ReplayEvent::new(
        http::Request::builder()
            .uri("https://sts.us-east-1.amazonaws.com/")
            .body(aws_smithy_types::body::SdkBody::empty())
            .unwrap(),
        http::Response::builder()
            .status(200)
            .body(aws_smithy_types::body::SdkBody::from(answer))
            .unwrap(),
    )]);
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("k", "s", None, None, "test"),
            ),
        )
        .http_client(replay.clone())
        .build();
    let target = trailwatch::target::Target::from_config(config, "us-east-1");
    let opts = trailwatch::discover::DiscoverOptions {
        depth: trailwatch::discover::Depth::Audit,
        topic_arn: None,
        expect_account: Some("111111111111".into()),
    };
    let err =
        trailwatch::discover::discover(&target, &[trailwatch::control::Control::embedded()], &opts)
            .await
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("account 111111111111 belong to account 999999999999"),
        "{err}"
    );
    assert_eq!(
        replay.actual_requests().count(),
        1,
        "nothing read after the identity"
    );
}
