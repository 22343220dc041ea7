//! Fuzz the filter-pattern parser and both judges (the reference requirements of
//! `trailwatch_pattern::fixtures`) with arbitrary text: nothing may panic. The same entry point as
//! the property tests in crates/pattern/src/hostile.rs.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use trailwatch_pattern::{fixtures, Requirement};

static REQUIREMENTS: LazyLock<Vec<Requirement>> = LazyLock::new(fixtures::requirements);

fuzz_target!(|data: &[u8]| {
    // CloudWatch hands patterns over as UTF-8 text; anything else never reaches the parser.
    if let Ok(text) = std::str::from_utf8(data) {
        let (position, chars) = trailwatch_pattern::hostile::exercise(text, &REQUIREMENTS);
        if let Some(p) = position {
            assert!(p <= chars, "a rejection must name a position inside the text");
        }
    }
});
