//! Hostile input, as property tests: the parser and both judges read patterns other people
//! wrote into the account. Arbitrary text and mutated CIS patterns up to 4 KiB (deep nesting,
//! long wildcard runs, many regexes, multi-byte characters at every position) must never panic,
//! and every rejection must name a position inside the text. Time per pattern is measured, not
//! asserted, by `cargo run --release --example bench_hostile`; `fuzz/` runs the same entry point
//! under libFuzzer for longer (see its README).

/// Parse and judge `text` against every requirement; returns the parse error's position, if it
/// was rejected, and its character count. Panics are the failures looked for.
pub fn exercise(text: &str, requirements: &[crate::Requirement]) -> (Option<usize>, usize) {
    let chars = text.chars().count();
    let position = super::parse(text).err().map(|e| e.position);
    for r in requirements {
        let j = r.judge(text);
        let _ = j.verdict.as_str();
    }
    (position, chars)
}

/// Hostile variants of a seed pattern, picked by `choice` and `n`.
pub fn mutate(seed: &str, choice: u8, n: usize, at: usize) -> String {
    let chars: Vec<char> = seed.chars().collect();
    let at = if chars.is_empty() {
        0
    } else {
        at % chars.len()
    };
    let (head, tail): (String, String) =
        (chars[..at].iter().collect(), chars[at..].iter().collect());
    let n = n % 2048;
    match choice % 9 {
        // Deep nesting.
        0 => format!("{}{}{}", "(".repeat(n), seed, ")".repeat(n)),
        // A long wildcard run inside a value.
        1 => format!("{head}{}{tail}", "*".repeat(n)),
        // Many regexes.
        2 => {
            let mut s = seed.trim_end_matches('}').to_string();
            for i in 0..n.min(200) {
                s.push_str(&format!(" || ($.eventName = %a{i}[b-z]*c%)"));
            }
            s.push('}');
            s
        }
        // Multi-byte characters spliced in.
        3 => format!("{head}{}{tail}", "é漢🙂".repeat(n % 50 + 1)),
        // Truncated at a random point (quotes, regexes, selectors cut open).
        4 => head,
        // A doubled operator or a stray token.
        5 => format!(
            "{head}{}{tail}",
            ["&&", "||", "!=", "%", "\"", "$.", "[", "]", "IS", "NOT"][n % 10]
        ),
        // The pattern repeated up to about 4 KiB.
        6 => seed
            .repeat(4096 / seed.len().max(1) + 1)
            .chars()
            .take(4096)
            .collect(),
        // Deeply nested && and || without parentheses.
        7 => {
            let mut s = String::from("{");
            for i in 0..n.min(500) {
                s.push_str(&format!(
                    "$.f{} = \"v{}*\" {} ",
                    i % 7,
                    i,
                    if i % 2 == 0 { "&&" } else { "||" }
                ));
            }
            s.push_str("$.g NOT EXISTS}");
            s
        }
        // Deleting a character.
        _ => {
            let mut t = head;
            t.extend(tail.chars().skip(1));
            t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fixtures, Requirement};
    use proptest::prelude::*;

    fn controls() -> &'static [Requirement] {
        static ALL: std::sync::LazyLock<Vec<Requirement>> =
            std::sync::LazyLock::new(fixtures::requirements);
        &ALL
    }

    fn check(text: &str) {
        let (position, chars) = exercise(text, controls());
        if let Some(p) = position {
            // The position is inside the text (or just after it, for "ended too early").
            assert!(
                p <= chars,
                "position {p} beyond {chars} characters: {text:?}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_text_never_panics(text in "\\\\PC{0,512}") {
            check(&text);
        }

        #[test]
        fn pattern_shaped_text_never_panics(text in "[{}()$.a-zA-Z0-9=!<>*%\\\\[\\\\]\"&| _-]{0,400}") {
            check(&text);
        }

        #[test]
        fn mutated_cis_patterns_never_panic(which in 0usize..4, choice in 0u8..9, n in 0usize..4096, at in 0usize..2000) {
            let seed = controls()[which].canonical_pattern();
            check(&mutate(&seed, choice, n, at));
        }
    }

    #[test]
    fn every_kind_of_mutation_is_exercised_at_its_largest() {
        for c in controls() {
            for choice in 0..9 {
                check(&mutate(&c.canonical_pattern(), choice, 4095, 7));
            }
        }
    }
}
