//! The accounts of a fleet: from `--accounts`, an accounts file (`ID [LABEL]` per line, `#`
//! comments) or the organization, narrowed by `--exclude`, and put in rollout order (labels named
//! by `--first` first, `production` by default; otherwise as listed). Pure: reading the file and
//! listing the organization happen at the edges.

use serde::Serialize;

use crate::error::Error;

/// One account of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Account {
    pub id: String,
    /// The label after the id in the accounts file (e.g. `production`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The account's name in AWS Organizations (`--org`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Account {
    pub fn new(id: &str) -> Account {
        Account {
            id: id.to_string(),
            label: None,
            name: None,
        }
    }
}

/// A 12-digit account id.
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|c| c.is_ascii_digit())
}

fn bad_id(what: &'static str, id: &str) -> Error {
    Error::BadInput {
        what,
        value: id.to_string(),
        why: "not a 12-digit AWS account id".into(),
    }
}

/// `--accounts 111111111111,222222222222` (duplicates dropped, order kept).
pub(crate) fn parse_list(what: &'static str, list: &str) -> Result<Vec<Account>, Error> {
    let mut out: Vec<Account> = Vec::new();
    for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !valid_id(id) {
            return Err(bad_id("account id", id));
        }
        if !out.iter().any(|a| a.id == id) {
            out.push(Account::new(id));
        }
    }
    if out.is_empty() {
        return Err(Error::BadInput {
            what,
            value: list.to_string(),
            why: "names no account".into(),
        });
    }
    Ok(out)
}

/// The text of an accounts file: one account per line, `ID [LABEL]`, `#` starts a comment, blank
/// lines are skipped. A bad line is refused naming its number and text.
pub(crate) fn parse_file(path: &str, text: &str) -> Result<Vec<Account>, Error> {
    let mut out: Vec<Account> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let id = words.next().unwrap_or_default();
        let label: Vec<&str> = words.collect();
        let bad = |why: String| Error::BadInput {
            what: "accounts file line",
            value: format!("{path}:{}: {line}", n + 1),
            why,
        };
        if !valid_id(id) {
            return Err(bad(format!("{id:?} is not a 12-digit AWS account id")));
        }
        if label.len() > 1 {
            return Err(bad(
                "a line is an account id and at most one label (one word, e.g. production)".into(),
            ));
        }
        if out.iter().any(|a| a.id == id) {
            return Err(bad(format!("account {id} is listed twice")));
        }
        out.push(Account {
            id: id.to_string(),
            label: label.first().map(|l| l.to_string()),
            name: None,
        });
    }
    if out.is_empty() {
        return Err(Error::BadInput {
            what: "--accounts-file",
            value: path.to_string(),
            why: "lists no account".into(),
        });
    }
    Ok(out)
}

/// `--exclude IDS`: validated ids.
pub(crate) fn parse_exclude(list: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !valid_id(id) {
            return Err(bad_id("--exclude account id", id));
        }
        out.push(id.to_string());
    }
    Ok(out)
}

/// Drop excluded accounts, then order for rollout: accounts whose label is in `first` go first
/// (in the order of `first`), the rest keep their order.
pub(crate) fn order(accounts: Vec<Account>, exclude: &[String], first: &[String]) -> Vec<Account> {
    let kept: Vec<Account> = accounts
        .into_iter()
        .filter(|a| !exclude.contains(&a.id))
        .collect();
    let rank = |a: &Account| {
        a.label
            .as_ref()
            .and_then(|l| first.iter().position(|f| f == l))
            .unwrap_or(first.len())
    };
    let mut ranked: Vec<(usize, Account)> = kept.into_iter().map(|a| (rank(&a), a)).collect();
    ranked.sort_by_key(|(r, _)| *r); // stable: the listed order within a rank
    ranked.into_iter().map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_has_ids_labels_comments_and_blank_lines() {
        let text =
            "# fleet\n111111111111 sandbox\n\n222222222222 production # the shop\n  333333333333\n";
        let a = parse_file("f", text).unwrap();
        assert_eq!(
            a.iter()
                .map(|a| (a.id.as_str(), a.label.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("111111111111", Some("sandbox")),
                ("222222222222", Some("production")),
                ("333333333333", None)
            ]
        );
    }

    #[test]
    fn a_bad_line_is_named_with_its_number() {
        for (text, needle) in [
            ("111111111111\n12345 x\n", "f:2: 12345 x"),
            ("111111111111 a b\n", "f:1: 111111111111 a b"),
            ("111111111111\n111111111111\n", "listed twice"),
            ("# nothing\n", "lists no account"),
        ] {
            let e = parse_file("f", text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
            assert_eq!(e.lines().count(), 1);
        }
    }

    #[test]
    fn production_goes_first_then_the_listed_order() {
        let a = parse_file(
            "f",
            "111111111111 sandbox\n222222222222 production\n333333333333\n444444444444 production\n555555555555 staging\n",
        )
        .unwrap();
        let ids = |v: Vec<Account>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(
            ids(order(a.clone(), &[], &["production".into()])),
            [
                "222222222222",
                "444444444444",
                "111111111111",
                "333333333333",
                "555555555555"
            ]
        );
        assert_eq!(
            ids(order(
                a.clone(),
                &["444444444444".into()],
                &["staging".into(), "production".into()]
            )),
            [
                "555555555555",
                "222222222222",
                "111111111111",
                "333333333333"
            ]
        );
        assert_eq!(ids(order(a.clone(), &[], &[])), ids(a));
    }

    #[test]
    fn lists_are_validated_and_deduplicated() {
        assert_eq!(
            parse_list("--accounts", "111111111111, 111111111111,222222222222")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_list("--accounts", "1111")
            .unwrap_err()
            .to_string()
            .contains("1111"));
        assert!(parse_exclude("x").is_err());
    }
}
