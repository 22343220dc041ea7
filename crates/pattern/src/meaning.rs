//! Judging a filter pattern F against any required pattern R by meaning: does F match every
//! event R matches (F covers R), and nothing else (F is no broader)?
//!
//! The method (sound and complete for the fragment the CIS texts and their common rewrites use:
//! string `=`/`!=` with `*` at the start or end, `NOT EXISTS`, `IS NULL`, `IS TRUE`, `IS FALSE`,
//! `&&`, `||`, parentheses, on plain `$.a.b` selectors): every comparison's truth depends only on
//! which *class* a field's value falls in: absent, `null`, `true`/`false`, equal to one of the
//! constants R or F compare the field with, matching one of their wildcard prefixes or suffixes
//! (or a combination of them), or anything else. Candidate values are generated for each field,
//! and one representative is kept per distinct vector of truths of that field's comparisons.
//! Every combination of representatives over the fields R and F mention is then a concrete
//! event, on which both patterns are evaluated with the concrete evaluator's semantics (each
//! representative's comparisons are evaluated once by [`super::matches`]' own code, then the
//! patterns are evaluated over those truths), so `!=` on a missing field is false, a `null`
//! field exists, and so on, exactly as for a real event. An event R matches and F does not is a *missed case* (F is narrower); one F
//! matches and R does not is an *extra match* (broader). Each comes with a readable witness.
//!
//! Outside the fragment (regexes, numbers, array indexes or wildcards in selectors, a selector
//! that is a prefix of another, a `*` inside a value or at both of its ends) the verdict is
//! `Undecided`, with the reason. So is a search that
//! would exceed [`MAX_COMBINATIONS`].

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::ast::{Comparison, Op, Pattern, Segment, Value};
use super::eval::matches_comparison;

/// The largest number of events one judgement evaluates.
pub const MAX_COMBINATIONS: usize = 200_000;
/// How many witnesses of each kind are reported.
const WITNESSES: usize = 3;
/// Once this many of each kind are found the search stops (the simplest are reported).
const WITNESSES_SEARCHED: usize = 12;

/// What the comparison of F with R found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// F matches exactly the events R matches.
    Same,
    /// F differs: events R matches that F misses, and events F matches that R does not
    /// (each a readable witness; at most a few of each).
    Differs {
        missed: Vec<String>,
        extra: Vec<String>,
    },
    /// The judge cannot decide (outside the fragment); the reason.
    Undecided(String),
}

/// Compare F with R. See the module docs.
pub fn compare_meaning(f: &Pattern, r: &Pattern) -> Meaning {
    let mut fields: BTreeMap<Vec<String>, Vec<&Comparison>> = BTreeMap::new();
    for c in f.expr.leaves().into_iter().chain(r.expr.leaves()) {
        let mut path = Vec::new();
        for s in &c.selector.segments {
            match s {
                Segment::Field(name) => path.push(name.clone()),
                _ => {
                    return Meaning::Undecided(format!(
                        "the selector {} uses an array index or a wildcard",
                        c.selector
                    ))
                }
            }
        }
        match (&c.op, &c.value) {
            (Op::Eq | Op::Ne, Value::String(v)) => {
                // A `*` inside the value, or at both ends (`*m*`), makes classes the
                // representatives below do not cover (a value holding several such parts).
                let inner = v.trim_start_matches('*').trim_end_matches('*');
                let both_ends = v.len() > 1 && v.starts_with('*') && v.ends_with('*');
                if inner.contains('*') || (both_ends && !inner.is_empty()) {
                    return Meaning::Undecided(format!(
                        "the term {} {} {v:?} has a wildcard inside or at both ends",
                        c.selector,
                        c.op.as_str()
                    ));
                }
            }
            (Op::IsNull | Op::IsTrue | Op::IsFalse | Op::NotExists, _) => {}
            (op, Value::Regex(_)) => {
                return Meaning::Undecided(format!(
                    "the term {} {} uses a regular expression",
                    c.selector,
                    op.as_str()
                ))
            }
            (op, _) => {
                return Meaning::Undecided(format!(
                    "the term {} {} compares a number",
                    c.selector,
                    op.as_str()
                ))
            }
        }
        fields.entry(path).or_default().push(c);
    }
    let paths: Vec<&Vec<String>> = fields.keys().collect();
    for a in &paths {
        for b in &paths {
            if a != b && b.starts_with(a) {
                return Meaning::Undecided(format!(
                    "the selector $.{} is both a value and a parent of $.{}",
                    a.join("."),
                    b.join(".")
                ));
            }
        }
    }
    let classes: Vec<(&Vec<String>, Vec<Representative>)> = fields
        .iter()
        .map(|(path, cmps)| (path, representatives(path, cmps)))
        .collect();
    // Each comparison's truth depends on its own field only: evaluate the patterns over the
    // precomputed truths of each representative.
    let cmps: Vec<&Vec<&Comparison>> = fields.values().collect();
    let (cf, cr) = (compile(&f.expr, &cmps), compile(&r.expr, &cmps));
    let total = classes
        .iter()
        .try_fold(1usize, |n, (_, reps)| n.checked_mul(reps.len()));
    match total {
        Some(n) if n <= MAX_COMBINATIONS => {}
        _ => {
            return Meaning::Undecided(format!(
                "too many combinations of field values to check (over {MAX_COMBINATIONS})"
            ))
        }
    }
    let mut missed: Vec<(usize, String)> = Vec::new();
    let mut extra: Vec<(usize, String)> = Vec::new();
    let mut index = vec![0usize; classes.len()];
    loop {
        let truth = |field: usize, atom: usize| classes[field].1[index[field]].1[atom];
        let (in_r, in_f) = (cr.eval(&truth), cf.eval(&truth));
        if in_r != in_f {
            let values: Vec<(&Vec<String>, &Option<Json>)> = classes
                .iter()
                .zip(&index)
                .map(|((path, reps), i)| (*path, &reps[*i].0))
                .collect();
            let present = values.iter().filter(|(_, v)| v.is_some()).count();
            let list = if in_r { &mut missed } else { &mut extra };
            list.push((present, describe(&values)));
            // Enough witnesses of both kinds: the verdict (narrower) cannot change.
            if missed.len() >= WITNESSES_SEARCHED && extra.len() >= WITNESSES_SEARCHED {
                return verdict(missed, extra);
            }
        }
        // Next combination (odometer).
        let mut k = 0;
        loop {
            if k == index.len() {
                return verdict(missed, extra);
            }
            index[k] += 1;
            if index[k] < classes[k].1.len() {
                break;
            }
            index[k] = 0;
            k += 1;
        }
    }
}

fn verdict(mut missed: Vec<(usize, String)>, mut extra: Vec<(usize, String)>) -> Meaning {
    if missed.is_empty() && extra.is_empty() {
        return Meaning::Same;
    }
    // The simplest witnesses first: fewest fields present.
    let pick = |list: &mut Vec<(usize, String)>| {
        list.sort();
        list.dedup();
        list.iter()
            .take(WITNESSES)
            .map(|(_, w)| w.clone())
            .collect()
    };
    Meaning::Differs {
        missed: pick(&mut missed),
        extra: pick(&mut extra),
    }
}

/// One value per class of a field: absent (`None`), `null`, booleans, and strings built from the
/// constants and wildcard ends that the field's comparisons mention, kept when they give a new
/// vector of truths over those comparisons.
/// A value standing for its class (`None`: the field is absent) and the truth of each of the
/// field's comparisons on it.
type Representative = (Option<Json>, Vec<bool>);

fn representatives(path: &[String], cmps: &[&Comparison]) -> Vec<Representative> {
    let mut exact: Vec<String> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut suffixes: Vec<String> = Vec::new();
    for c in cmps {
        if let Value::String(s) = &c.value {
            let (lead, trail) = (s.starts_with('*'), s.ends_with('*') && s.len() > 1);
            let core = s.trim_matches('*').to_string();
            match (lead, trail) {
                (false, false) => exact.push(core),
                (false, true) => prefixes.push(core),
                (true, false) => suffixes.push(core),
                (true, true) => {
                    prefixes.push(core.clone());
                    suffixes.push(core);
                }
            }
        }
    }
    let filler = "~x~";
    let mut candidates: Vec<Option<Json>> = vec![None, Some(Json::Null)];
    candidates.push(Some(Json::Bool(true)));
    candidates.push(Some(Json::Bool(false)));
    let mut strings: Vec<String> = exact.clone();
    // With wildcard ends, a value may also start or end like a constant, or both at once; with
    // exact constants only, "equal to one of them" or "none" are all the classes there are.
    if !prefixes.is_empty() || !suffixes.is_empty() {
        for c in exact.iter().chain(&prefixes).chain(&suffixes) {
            strings.push(c.clone());
            strings.push(format!("{c}{filler}"));
            strings.push(format!("{filler}{c}"));
            strings.push(format!("{filler}{c}{filler}"));
        }
        for a in exact.iter().chain(&prefixes) {
            for b in &suffixes {
                strings.push(format!("{a}{b}"));
                strings.push(format!("{a}{filler}{b}"));
            }
        }
        for a in &prefixes {
            for b in &exact {
                strings.push(format!("{a}{b}"));
            }
        }
    }
    strings.push(filler.to_string());
    strings.push(String::new());
    candidates.extend(strings.into_iter().map(|s| Some(Json::String(s))));

    let mut seen: Vec<Vec<bool>> = Vec::new();
    let mut reps = Vec::new();
    for cand in candidates {
        let event = build_event(&[(&path.to_vec(), &cand)]);
        let truths: Vec<bool> = cmps.iter().map(|c| matches_comparison(c, &event)).collect();
        if !seen.contains(&truths) {
            seen.push(truths.clone());
            reps.push((cand, truths));
        }
    }
    reps
}

/// A pattern as a formula over (field, comparison) atoms.
enum Formula {
    Or(Vec<Formula>),
    And(Vec<Formula>),
    Atom(usize, usize),
}

impl Formula {
    fn eval(&self, truth: &impl Fn(usize, usize) -> bool) -> bool {
        match self {
            Formula::Or(items) => items.iter().any(|i| i.eval(truth)),
            Formula::And(items) => items.iter().all(|i| i.eval(truth)),
            Formula::Atom(field, atom) => truth(*field, *atom),
        }
    }
}

/// `expr` with each comparison replaced by its (field, comparison) index in `cmps`.
fn compile(expr: &super::ast::Expr, cmps: &[&Vec<&Comparison>]) -> Formula {
    use super::ast::Expr;
    match expr {
        Expr::Or(items) => Formula::Or(items.iter().map(|i| compile(i, cmps)).collect()),
        Expr::And(items) => Formula::And(items.iter().map(|i| compile(i, cmps)).collect()),
        Expr::Cmp(c) => {
            let at = cmps
                .iter()
                .enumerate()
                .find_map(|(fi, list)| list.iter().position(|x| *x == c).map(|ai| (fi, ai)));
            let (fi, ai) = at.expect("every comparison was collected by field");
            Formula::Atom(fi, ai)
        }
    }
}

/// A JSON event with each field at its path (absent fields left out).
fn build_event(values: &[(&Vec<String>, &Option<Json>)]) -> Json {
    let mut root = Map::new();
    for (path, value) in values {
        let Some(value) = value else { continue };
        let mut node = &mut root;
        for (i, seg) in path.iter().enumerate() {
            if i + 1 == path.len() {
                node.insert(seg.clone(), value.clone());
            } else {
                let child = node
                    .entry(seg.clone())
                    .or_insert_with(|| Json::Object(Map::new()));
                if !child.is_object() {
                    *child = Json::Object(Map::new());
                }
                node = child.as_object_mut().expect("made an object above");
            }
        }
    }
    Json::Object(root)
}

/// `errorCode="AccessDenied~x~", userIdentity.type=null, without sourceIPAddress`.
fn describe(values: &[(&Vec<String>, &Option<Json>)]) -> String {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for (path, value) in values {
        let name = path.join(".");
        match value {
            Some(v) => present.push(format!("{name}={v}")),
            None => absent.push(name),
        }
    }
    match (present.is_empty(), absent.is_empty()) {
        (true, _) => format!("an event without {}", absent.join(", ")),
        (false, true) => present.join(", "),
        (false, false) => format!("{}, without {}", present.join(", "), absent.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn cmp(f: &str, r: &str) -> Meaning {
        compare_meaning(&parse(f).unwrap(), &parse(r).unwrap())
    }

    const ROOT: &str = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;

    #[test]
    fn rewrites_are_the_same_and_changes_are_found_with_witnesses() {
        // Order, quoting and parentheses do not matter.
        let same = r#"{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = Root) }"#;
        assert_eq!(cmp(same, ROOT), Meaning::Same);
        // Dropping a term is broader.
        let broader = r#"{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }"#;
        match cmp(broader, ROOT) {
            Meaning::Differs { missed, extra } => {
                assert!(missed.is_empty(), "{missed:?}");
                assert!(extra[0].contains("userIdentity.invokedBy="), "{extra:?}");
            }
            other => panic!("{other:?}"),
        }
        // Adding a term is narrower.
        let narrower = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" && $.eventName = "ConsoleLogin" }"#;
        match cmp(narrower, ROOT) {
            Meaning::Differs { missed, extra } => {
                assert!(extra.is_empty(), "{extra:?}");
                assert!(!missed.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wildcards_are_judged_by_their_ends() {
        let r =
            r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#;
        assert_eq!(
            cmp(
                r#"{ ($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation") }"#,
                r
            ),
            Meaning::Same
        );
        // AccessDenied without the wildcard misses AccessDeniedException.
        match cmp(
            r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied") }"#,
            r,
        ) {
            Meaning::Differs { missed, .. } => {
                assert!(
                    missed.iter().any(|w| w.contains("AccessDenied~x~")),
                    "{missed:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        // A shorter suffix is broader.
        match cmp(
            r#"{ ($.errorCode = "*Operation") || ($.errorCode = "AccessDenied*") }"#,
            r,
        ) {
            Meaning::Differs { missed, extra } => {
                assert!(missed.is_empty(), "{missed:?}");
                assert!(!extra.is_empty());
            }
            other => panic!("{other:?}"),
        }
        // Wildcards inside a value or at both ends are not decided (one value can hold several
        // such parts at once: "AccessDeniedException" holds both "Exc" and "tion").
        for f in [
            r#"{($.errorCode="*UnauthorizedOperation") || (($.errorCode="AccessDenied*") && (($.errorCode!="*Exc*") || ($.errorCode!="*tion*")))}"#,
            r#"{ $.errorCode = "Access*Denied" }"#,
            r#"{ ($.errorCode = "*Unauthorized*") || ($.errorCode = "AccessDenied*") }"#,
        ] {
            assert!(matches!(cmp(f, r), Meaning::Undecided(_)), "{f}");
        }
    }

    #[test]
    fn outside_the_fragment_is_undecided() {
        for f in [
            r#"{ $.errorCode = %Access% }"#,
            r#"{ $.count > 1 }"#,
            r#"{ $.resources[0].type = "x" }"#,
        ] {
            assert!(matches!(cmp(f, ROOT), Meaning::Undecided(_)), "{f}");
        }
    }
}
