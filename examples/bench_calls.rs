//! The time of `check`'s AWS calls alone: runs discovery (the 7 reads of one account) in a warm
//! process, many times, against `AWS_ENDPOINT_URL`, and prints the median. `scripts/bench` sets
//! it beside the wall time of whole `trailwatch check` processes.
//!
//! Run: `scripts/bench` (or by hand against a seeded emulator).

use std::time::Instant;

use trailwatch::control::Control;
use trailwatch::discover::{discover, Depth, DiscoverOptions};
use trailwatch::target::Target;

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let target = Target::load(None, None).await.expect("AWS configuration");
        let control = Control::embedded();
        let opts = DiscoverOptions {
            depth: Depth::Audit,
            topic_arn: None,
            expect_account: None,
        };
        discover(&target, std::slice::from_ref(&control), &opts)
            .await
            .expect("warm-up read");
        let mut times: Vec<f64> = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            discover(&target, std::slice::from_ref(&control), &opts)
                .await
                .expect("read");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "calls alone (discovery in a warm process): median {:.1} ms",
            times[runs / 2]
        );
    });
}
