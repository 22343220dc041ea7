//! Fuzz the filter-pattern parser and both judges (every embedded control) with arbitrary text:
//! nothing may panic. The same entry point as the property tests in src/pattern/hostile.rs.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use trailwatch::control::Control;

static CONTROLS: LazyLock<Vec<Control>> = LazyLock::new(Control::all);

fuzz_target!(|data: &[u8]| {
    // CloudWatch hands patterns over as UTF-8 text; anything else never reaches the parser.
    if let Ok(text) = std::str::from_utf8(data) {
        let (position, chars) = trailwatch::pattern::hostile::exercise(text, &CONTROLS);
        if let Some(p) = position {
            assert!(p <= chars, "a rejection must name a position inside the text");
        }
    }
});
