//! Exceptions (`--exceptions FILE`): an account (and control, or `*`) the rollout must leave
//! alone, with an owner, a reason and an expiry date.
//!
//! Until the end of its expiry day (UTC) an exception holds: the control is reported
//! `excepted (owner, until DATE)`, counts as compliant for the exit code, and nothing is planned
//! or written for it. From the next day it is drift again and the report says the exception
//! expired. The file is checked whole before anything is read from AWS: a bad entry is refused in
//! one line naming it.
//!
//! ```toml
//! [[exception]]
//! account = "222222222222"
//! control = "cis-4.4"          # or "*"
//! owner = "alice@example.com"
//! expires = "2027-01-31"
//! reason = "sandbox, decommissioned in January"
//! ```

use serde::{Deserialize, Serialize};
use time::Date;

use crate::control::Control;
use crate::error::Error;

/// One exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub(crate) struct Exception {
    pub account: String,
    /// A control id, or `*` for every control.
    pub control: String,
    pub owner: String,
    /// The last day (UTC) it holds.
    #[serde(serialize_with = "iso_date")]
    #[schemars(with = "String")]
    pub expires: Date,
    pub reason: String,
}

fn iso_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

/// `YYYY-MM-DD`.
pub(crate) fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// How an exception bears on one account and control today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing<'a> {
    /// It holds: leave the control alone.
    Holds(&'a Exception),
    /// It expired: the control is judged as usual, and the report says so.
    Expired(&'a Exception),
}

impl Standing<'_> {
    /// `excepted (alice@example.com, until 2027-01-31: reason)` or `exception expired ...`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Standing::Holds(e) => format!(
                "excepted ({}, until {}): {}",
                e.owner,
                format_date(e.expires),
                e.reason
            ),
            Standing::Expired(e) => format!(
                "the exception for {} by {} expired on {}",
                e.control,
                e.owner,
                format_date(e.expires)
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    exception: Vec<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    account: Option<String>,
    control: Option<String>,
    owner: Option<String>,
    expires: Option<Expires>,
    reason: Option<String>,
}

/// `expires = "2027-01-31"` or the TOML date `expires = 2027-01-31`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expires {
    Date(toml::value::Datetime),
    Text(String),
}

impl Expires {
    fn text(self) -> String {
        match self {
            Expires::Date(d) => d.to_string(),
            Expires::Text(t) => t,
        }
    }
}

/// Parse and check the text of an exceptions file. `known` are the control ids an entry may
/// name (besides `*`).
pub(crate) fn parse(path: &str, text: &str, known: &[Control]) -> Result<Vec<Exception>, Error> {
    // `[exception]` is one table, not a list of them: say what to write instead.
    if let Some(n) = text
        .lines()
        .position(|l| l.trim().split('#').next().unwrap_or_default().trim() == "[exception]")
    {
        return Err(Error::BadInput {
            what: "exceptions file",
            value: path.to_string(),
            why: format!(
                "line {}: write [[exception]] (one per exception, a list), not [exception]",
                n + 1
            ),
        });
    }
    let file: File = toml::from_str(text).map_err(|e| Error::BadInput {
        what: "exceptions file",
        value: path.to_string(),
        why: crate::control::toml_error(text, &e),
    })?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut out: Vec<Exception> = Vec::with_capacity(file.exception.len());
    for (i, raw) in file.exception.into_iter().enumerate() {
        let account = raw.account.unwrap_or_default();
        let bad = |why: String| Error::BadInput {
            what: "exception",
            value: format!(
                "#{} in {path}{}",
                i + 1,
                if account.is_empty() {
                    String::new()
                } else {
                    format!(" (account {account})")
                }
            ),
            why,
        };
        if !super::accounts::valid_id(&account) {
            return Err(bad(if account.is_empty() {
                "no account: give account = \"123456789012\"".into()
            } else {
                format!("account {account:?} is not a 12-digit AWS account id")
            }));
        }
        let Some(control) = raw.control else {
            return Err(bad(
                "no control: give control = \"cis-4.4\" (an id) or \"*\" (every control)".into(),
            ));
        };
        if control != "*" && !known.iter().any(|c| c.id == control) {
            return Err(bad(format!(
                "control {control:?} is not a known control id (see `trailwatch controls`) or \"*\""
            )));
        }
        let owner = raw.owner.unwrap_or_default().trim().to_string();
        if owner.is_empty() {
            return Err(bad(
                "no owner: every exception needs someone who answers for it".into(),
            ));
        }
        let expires = raw.expires.map(Expires::text).unwrap_or_default();
        let expires = Date::parse(&expires, &format).map_err(|_| {
            bad(if expires.is_empty() {
                "no expiry date: give expires = \"YYYY-MM-DD\"".into()
            } else {
                format!("expires {expires:?} is not a date (YYYY-MM-DD)")
            })
        })?;
        let reason = raw.reason.unwrap_or_default().trim().to_string();
        if reason.is_empty() {
            return Err(bad("no reason: say why the account is excepted".into()));
        }
        // Two entries for one account and control (or one with `*`) would leave which holds to
        // the file's order: refused, naming the earlier one.
        if let Some(j) = out.iter().position(|e: &Exception| {
            e.account == account && (e.control == control || e.control == "*" || control == "*")
        }) {
            return Err(bad(format!(
                "overlaps #{} (account {account}, control {}): give one exception per account and control",
                j + 1,
                out[j].control
            )));
        }
        out.push(Exception {
            account,
            control,
            owner,
            expires,
            reason,
        });
    }
    Ok(out)
}

/// Say, on stderr, which exceptions name an account outside the fleet (they hold nothing: it may
/// be a typo).
pub(crate) fn warn_outside_fleet(exceptions: &[Exception], in_fleet: impl Fn(&str) -> bool) {
    for e in exceptions.iter().filter(|e| !in_fleet(&e.account)) {
        eprintln!(
            "trailwatch: warning: the exception for account {} ({}) names an account that is not in the fleet",
            e.account, e.control
        );
    }
}

/// Today's date in UTC.
pub(crate) fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// The exception bearing on `account` and `control` on `today`: one that holds wins over an
/// expired one; among expired ones, the latest.
pub(crate) fn standing<'a>(
    exceptions: &'a [Exception],
    account: &str,
    control: &str,
    today: Date,
) -> Option<Standing<'a>> {
    let mut matching: Vec<&Exception> = exceptions
        .iter()
        .filter(|e| e.account == account && (e.control == "*" || e.control == control))
        .collect();
    matching.sort_by_key(|e| std::cmp::Reverse(e.expires));
    let first = matching.first()?;
    Some(if first.expires >= today {
        Standing::Holds(first)
    } else {
        Standing::Expired(first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap()
    }

    const GOOD: &str = r#"
[[exception]]
account = "222222222222"
control = "cis-4.4"
owner = "alice@example.com"
expires = "2027-01-31"
reason = "sandbox, decommissioned in January"

[[exception]]
account = "333333333333"
control = "*"
owner = "platform team"
expires = "2026-01-01"
reason = "migrating"
"#;

    #[test]
    fn overlapping_exceptions_are_refused_naming_the_earlier_one() {
        let all = Control::all();
        let entry = |control: &str| {
            format!("[[exception]]\naccount = \"222222222222\"\ncontrol = \"{control}\"\nowner = \"a\"\nexpires = \"2027-02-01\"\nreason = \"r\"\n")
        };
        for (a, b) in [("cis-4.4", "cis-4.4"), ("*", "cis-4.1"), ("cis-4.1", "*")] {
            let text = format!("{}{}", entry(a), entry(b));
            let e = parse("x.toml", &text, &all).unwrap_err().to_string();
            assert!(
                e.contains("#2 in x.toml") && e.contains("overlaps #1"),
                "{a} {b}: {e}"
            );
        }
        let text = format!("{}{}", entry("cis-4.1"), entry("cis-4.4"));
        assert_eq!(parse("x.toml", &text, &all).unwrap().len(), 2);
    }

    #[test]
    fn a_toml_date_is_accepted_and_a_single_table_is_explained() {
        let all = Control::all();
        let ok = parse(
            "x.toml",
            "[[exception]]\naccount = \"222222222222\"\ncontrol = \"*\"\nowner = \"a\"\nexpires = 2027-02-01\nreason = \"r\"\n",
            &all,
        )
        .unwrap();
        assert_eq!(format_date(ok[0].expires), "2027-02-01");
        let err = parse(
            "x.toml",
            "# ours\n[exception]\naccount = \"222222222222\"\n",
            &all,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "invalid exceptions file \"x.toml\": line 2: write [[exception]] (one per exception, a list), not [exception]"
        );
    }

    #[test]
    fn an_exception_holds_through_its_expiry_day_then_expires() {
        let e = parse("x.toml", GOOD, &Control::all()).unwrap();
        assert_eq!(e.len(), 2);
        let on = |acct: &str, ctl: &str, day: &str| standing(&e, acct, ctl, d(day));
        assert!(matches!(
            on("222222222222", "cis-4.4", "2027-01-31"),
            Some(Standing::Holds(_))
        ));
        assert!(matches!(
            on("222222222222", "cis-4.4", "2027-02-01"),
            Some(Standing::Expired(_))
        ));
        assert_eq!(on("222222222222", "cis-4.3", "2026-01-01"), None);
        assert!(matches!(
            on("333333333333", "cis-4.9", "2025-12-31"),
            Some(Standing::Holds(_))
        ));
        assert_eq!(
            on("222222222222", "cis-4.4", "2026-11-25")
                .unwrap()
                .describe(),
            "excepted (alice@example.com, until 2027-01-31): sandbox, decommissioned in January"
        );
        assert!(on("333333333333", "cis-4.1", "2026-06-01")
            .unwrap()
            .describe()
            .contains("expired on 2026-01-01"));
    }

    #[test]
    fn a_bad_entry_is_refused_in_one_line_naming_it() {
        let one = |body: &str| format!("[[exception]]\n{body}\n");
        for (text, needle) in [
            (
                one("account = \"222222222222\"\ncontrol = \"*\"\nowner = \"a\"\nexpires = \"2027-02-30\"\nreason = \"r\""),
                "#1 in x.toml (account 222222222222)\": expires \"2027-02-30\" is not a date",
            ),
            (
                one("account = \"222222222222\"\nowner = \"a\"\nexpires = \"2027-02-01\"\nreason = \"r\""),
                "no control",
            ),
            (
                one("account = \"222222222222\"\ncontrol = \"cis-9.9\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\""),
                "control \"cis-9.9\"",
            ),
            (
                one("account = \"222222222222\"\ncontrol = \"*\"\nexpires = \"2027-01-01\"\nreason = \"r\""),
                "no owner",
            ),
            (
                one("account = \"22222\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\""),
                "account \"22222\"",
            ),
            (
                one("account = \"222222222222\"\nowner = \"a\"\nexpires = \"2027-01-01\"\nreason = \"r\"\nowners = \"b\""),
                "unknown field `owners`",
            ),
            ("[[exception]\n".to_string(), "line 1"),
        ] {
            let e = parse("x.toml", &text, &Control::all())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
