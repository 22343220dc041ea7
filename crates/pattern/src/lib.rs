//! The CloudWatch Logs JSON filter-pattern language: parse, print, evaluate, judge.
//!
//! - [`parse`] turns text such as `{ ($.eventName = PutUserPolicy) || ... }` into a
//!   [`Pattern`], or a [`ParseError`] with the character position of the problem.
//! - `Display` for [`Pattern`] prints the canonical compact text.
//! - [`matches()`] evaluates a pattern on one JSON log event; [`eval3`] evaluates it in
//!   three-valued logic when only some fields are [`Known`].
//! - [`judge`] compares a pattern with the canonical pattern of a list of required events
//!   ([`canonical_pattern`]) and gives a [`Verdict`] with reasons ([`Judgement`]).
//! - [`samples`] builds sample events for a control and [`compare`] sets trailwatch's opinion
//!   on them beside a second one (AWS's `TestMetricFilter`).
//!
//! The crate is pure: no I/O, no AWS calls. Each submodule's own docs state the rules it
//! follows and where the AWS documentation is silent.

mod ast;
mod eval;
pub mod fixtures;
pub mod hostile;
mod judge;
mod lex;
mod meaning;
mod parse;
mod print;
mod regex;
mod requirement;
mod samples;

pub use ast::{Comparison, Expr, Op, Pattern, Segment, Selector, Value};
pub use eval::{eval3, matches, Known, Truth};
pub use judge::{
    canonical_pattern, judge, judge_pattern, same_text_ignoring_whitespace, Judgement, Verdict,
};
pub use meaning::{compare_meaning, Meaning, MAX_COMBINATIONS};
pub use parse::{parse, ParseError, MAX_PATTERN_CHARS};
pub use requirement::Requirement;
pub use samples::{compare, samples, Sample, Verification};

/// The CIS 4.4 event list, for this crate's tests.
#[cfg(test)]
pub(crate) use fixtures::CIS_4_4_EVENTS as CIS_EVENTS;
