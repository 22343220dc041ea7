//! Times `judge()` on a pattern close to the 1024-character limit.
//!
//! Run: `cargo run --release --example bench_judge`.

use std::time::Instant;

use trailwatch_pattern as p;

fn main() {
    let required: Vec<String> = p::fixtures::cis_4_4_events();
    let look_alikes = p::fixtures::cis_4_4_look_alikes();
    // The spaced CIS form, restricted to IAM, padded with extra terms up to the limit.
    let names: Vec<String> = required
        .iter()
        .map(|e| format!("($.eventName = \"{e}\")"))
        .collect();
    let mut text = format!(
        "{{ ($.eventSource = \"iam.amazonaws.com\") && ({})",
        names.join(" || ")
    );
    let mut i = 0;
    loop {
        let extra = format!(" || ($.eventName = GetPolicy{i} && $.errorCode NOT EXISTS)");
        if text.chars().count() + extra.chars().count() + 2 > p::MAX_PATTERN_CHARS {
            break;
        }
        text.push_str(&extra);
        i += 1;
    }
    text.push_str(" }");

    let first = p::judge(&text, &required, "iam.amazonaws.com", &look_alikes);
    println!(
        "pattern: {} characters, verdict {}",
        text.chars().count(),
        first.verdict.as_str()
    );

    let iterations: u32 = 2_000;
    let start = Instant::now();
    let mut broader = 0usize;
    for _ in 0..iterations {
        let j = p::judge(&text, &required, "iam.amazonaws.com", &look_alikes);
        broader += usize::from(j.verdict == p::Verdict::Broader);
    }
    let elapsed = start.elapsed();
    println!(
        "judge(): {:.1} µs per call ({iterations} calls in {:.1} ms; {broader} broader)",
        elapsed.as_secs_f64() * 1e6 / f64::from(iterations),
        elapsed.as_secs_f64() * 1e3
    );

    let start = Instant::now();
    for _ in 0..iterations {
        let parsed = p::parse(&text);
        assert!(parsed.is_ok());
    }
    println!(
        "parse(): {:.1} µs per call",
        start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
    );
}
