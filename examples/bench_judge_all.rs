//! Times judging every embedded control's required pattern against every control (225 pairs):
//! what `check --all-controls` spends judging on an account that has all fifteen filters.
//!
//! Run: `cargo run --release --example bench_judge_all` (figures, not a test).

use std::time::Instant;

use trailwatch::control::Control;

fn main() {
    let all = Control::all();
    let t = Instant::now();
    let controls = Control::all();
    let load = t.elapsed();
    let runs = 20;
    let t = Instant::now();
    let mut verdicts = 0;
    for _ in 0..runs {
        for c in &controls {
            for f in &all {
                let _ = c.judge(&f.canonical_pattern());
                verdicts += 1;
            }
        }
    }
    let per_run = t.elapsed() / runs;
    println!(
        "load and validate {} specs: {:.2} ms; judge {} filter/control pairs: {:.2} ms per run ({verdicts} judgements)",
        controls.len(),
        load.as_secs_f64() * 1000.0,
        all.len() * controls.len(),
        per_run.as_secs_f64() * 1000.0
    );
}
