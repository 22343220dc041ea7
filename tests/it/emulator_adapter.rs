//! The emulator's CBOR adapter, tested with the real aws-sdk-cloudwatch (Smithy RPC v2 CBOR):
//! writes, reads with typed timestamps and doubles, and a modeled error.

use crate::support;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use support::{Emulator, REGION};

#[tokio::test]
async fn cloudwatch_cbor_calls_round_trip_through_the_adapter() {
    let emu = Emulator::start();
    let cw = aws_sdk_cloudwatch::Client::new(&emu.config(REGION).await);
    cw.put_metric_alarm()
        .alarm_name("adapter-check")
        .alarm_description("through CBOR")
        .metric_name("IAMPolicyChanges")
        .namespace("CISBenchmark")
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:t")
        .send()
        .await
        .expect("PutMetricAlarm");

    let out = cw
        .describe_alarms()
        .alarm_names("adapter-check")
        .send()
        .await
        .expect("DescribeAlarms");
    let a = &out.metric_alarms()[0];
    assert_eq!(a.threshold(), Some(1.0));
    assert_eq!(a.period(), Some(300));
    assert_eq!(a.statistic(), Some(&Statistic::Sum));
    assert_eq!(a.alarm_actions(), ["arn:aws:sns:us-east-1:123456789012:t"]);
    assert!(
        a.state_updated_timestamp().is_some(),
        "timestamps decode (CBOR tag 1)"
    );

    let out = cw
        .describe_alarms_for_metric()
        .metric_name("IAMPolicyChanges")
        .namespace("CISBenchmark")
        .send()
        .await
        .expect("DescribeAlarmsForMetric");
    assert_eq!(out.metric_alarms().len(), 1);
    let other = cw
        .describe_alarms_for_metric()
        .metric_name("IAMPolicyChanges")
        .namespace("Elsewhere")
        .send()
        .await
        .unwrap();
    assert!(other.metric_alarms().is_empty());

    let err = cw
        .get_dashboard()
        .dashboard_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFound"), "{err:?}");

    let ops: Vec<String> = emu
        .requests()
        .into_iter()
        .map(|(s, o)| format!("{s}:{o}"))
        .collect();
    assert!(
        ops.contains(&"monitoring:PutMetricAlarm".to_string()),
        "{ops:?}"
    );
}
