//! Times parsing and judging hostile patterns (the mutations of src/hostile.rs applied to every
//! reference requirement's pattern (`fixtures`) at their largest, plus a few hand-made worst
//! cases) against every requirement, and reports the slowest per pattern and control. The goal is under a
//! millisecond per pattern in a release build: measured here, never asserted in tests.
//!
//! Run: `cargo run --release --example bench_hostile`.

use std::time::{Duration, Instant};

use trailwatch_pattern::fixtures;
use trailwatch_pattern::hostile::mutate;

fn main() {
    let controls = fixtures::requirements();
    let ids: Vec<String> = std::iter::once("cis-4.4".to_string())
        .chain(
            fixtures::REQUIRED_PATTERNS
                .iter()
                .map(|(id, _)| id.to_string()),
        )
        .collect();
    let mut patterns: Vec<String> = Vec::new();
    for c in &controls {
        let seed = c.canonical_pattern();
        for choice in 0..9 {
            for n in [1, 64, 1024, 4095] {
                patterns.push(mutate(&seed, choice, n, 7));
            }
        }
    }
    patterns.push(format!("{{ $.a = \"{}\" }}", "*".repeat(1000)));
    patterns.push(format!("{{ $.a = %{}% }}", "a*".repeat(300)));
    patterns.push("{".repeat(4096));
    let mut worst = (Duration::ZERO, String::new(), String::new());
    let mut total = Duration::ZERO;
    let mut judged = 0u32;
    for p in &patterns {
        for (c, id) in controls.iter().zip(&ids) {
            let t = Instant::now();
            let j = c.judge(p);
            let d = t.elapsed();
            std::hint::black_box(j);
            total += d;
            judged += 1;
            if d > worst.0 {
                worst = (d, id.clone(), p.chars().take(60).collect());
            }
        }
    }
    println!(
        "{} hostile patterns x {} requirements: mean {:.1} µs, slowest {:.1} µs ({} on {:?}...)",
        patterns.len(),
        controls.len(),
        total.as_secs_f64() * 1e6 / f64::from(judged),
        worst.0.as_secs_f64() * 1e6,
        worst.1,
        worst.2
    );
}
