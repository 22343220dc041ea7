//! The values a user types, checked: each either parses into what the tool uses or is refused
//! with one line naming it. The command line reads them through typed `value_parser`s
//! ([`crate::cli`]); settings and files read them too.

use crate::error::Error;
use crate::fleet::accounts::{self, Account};
use crate::observed::Arn;
use crate::partition;
use crate::write::Endpoint;

/// Account ids given on the command line (`--accounts`), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountIds(pub Vec<Account>);

/// `--accounts`: comma-separated 12-digit account ids.
pub(crate) fn account_ids(list: &str) -> Result<AccountIds, Error> {
    accounts::parse_list("--accounts", list).map(AccountIds)
}

/// Account ids to leave out (`--exclude`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusions(pub Vec<String>);

/// `--exclude`: comma-separated 12-digit account ids.
pub(crate) fn exclusions(list: &str) -> Result<Exclusions, Error> {
    accounts::parse_exclude(list).map(Exclusions)
}

/// `--region`: a region name, checked by shape.
pub(crate) fn region(region: &str) -> Result<String, Error> {
    validate_region(region).map(|()| region.to_string())
}

/// `--topic-arn`: an SNS topic ARN CloudWatch can notify.
pub(crate) fn topic_arn(arn: &str) -> Result<String, Error> {
    validate_topic_arn(arn).map(|()| arn.to_string())
}

/// `--ou`: an organizational unit id (`ou-xxxx-xxxxxxxx`) or root id (`r-xxxx`).
pub(crate) fn ou(id: &str) -> Result<String, Error> {
    accept(
        valid_ou(id),
        "--ou",
        id,
        "not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
    )
}

/// `value` when `ok`, else the one-line refusal naming it.
fn accept(ok: bool, what: &'static str, value: &str, why: &str) -> Result<String, Error> {
    if ok {
        Ok(value.to_string())
    } else {
        Err(Error::BadInput {
            what,
            value: value.to_string(),
            why: why.to_string(),
        })
    }
}

/// `--topic-name`: an SNS topic name (1-256 letters, digits, `-` and `_`; not FIFO: CloudWatch
/// alarms notify standard topics only).
pub(crate) fn topic_name(n: &str) -> Result<String, Error> {
    let ok = !n.is_empty()
        && n.len() <= 256
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    accept(
        ok,
        "--topic-name",
        n,
        "an SNS topic name is 1-256 letters, digits, - and _ (a standard topic: CloudWatch alarms cannot notify a FIFO topic)",
    )
}

/// `--expect-account`: a 12-digit account id.
pub(crate) fn expect_account(id: &str) -> Result<String, Error> {
    accept(
        validate_account(id),
        "--expect-account",
        id,
        "an AWS account id is 12 digits",
    )
}

/// Letters, digits and `+ = , . @ _ -`: what IAM and STS accept in names.
fn iam_chars(n: &str) -> bool {
    n.chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn iam_role_name(n: &str, what: &'static str) -> Result<String, Error> {
    let ok = !n.is_empty() && n.len() <= 64 && iam_chars(n);
    accept(
        ok,
        what,
        n,
        "an IAM role name is 1-64 letters, digits and + = , . @ _ -",
    )
}

/// `--role-name`: an IAM role name.
pub(crate) fn role_name(n: &str) -> Result<String, Error> {
    iam_role_name(n, "--role-name")
}

/// `--apply-role-name`: the role the writes of `fix --apply` assume.
pub(crate) fn apply_role_name(n: &str) -> Result<String, Error> {
    iam_role_name(n, "--apply-role-name")
}

/// `--session-name`: the role session name CloudTrail records for every call in a member.
pub(crate) fn session_name(n: &str) -> Result<String, Error> {
    let ok = (2..=64).contains(&n.len()) && iam_chars(n);
    accept(
        ok,
        "--session-name",
        n,
        "a role session name is 2-64 letters, digits and + = , . @ _ -",
    )
}

/// `--source-identity`: who ran trailwatch, carried by every session in CloudTrail.
pub(crate) fn source_identity(n: &str) -> Result<String, Error> {
    let ok =
        (2..=64).contains(&n.len()) && iam_chars(n) && !n.to_ascii_lowercase().starts_with("aws:");
    accept(
        ok,
        "--source-identity",
        n,
        "a source identity is 2-64 letters, digits and + = , . @ _ -, not starting with aws:",
    )
}

/// `--role-arn-template`: an IAM role ARN whose account field is `{account}`: a template naming
/// one fixed account would send every target's writes there.
pub(crate) fn role_arn_template(t: &str) -> Result<String, Error> {
    arn_template(t, "--role-arn-template")
}

/// `--apply-role-arn-template`: as `--role-arn-template`, for the writes.
pub(crate) fn apply_role_arn_template(t: &str) -> Result<String, Error> {
    arn_template(t, "--apply-role-arn-template")
}

fn arn_template(t: &str, what: &'static str) -> Result<String, Error> {
    let parts: Vec<&str> = t.splitn(6, ':').collect();
    let shape_ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4] == "{account}"
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    accept(
        shape_ok,
        what,
        t,
        "must be an IAM role ARN whose account is {account}, e.g. arn:{partition}:iam::{account}:role/NAME",
    )
}

/// An AWS region name: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ...
pub(crate) fn validate_region(region: &str) -> Result<(), Error> {
    let bad = |why: &str| Error::BadInput {
        what: "region",
        value: region.to_string(),
        why: why.to_string(),
    };
    let parts: Vec<&str> = region.split('-').collect();
    let shape_ok = parts.len() >= 3
        && (parts[0].len() == 2 || partition::of_region(region) != partition::AWS)
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok_and(|n| n > 0);
    if !shape_ok {
        return Err(bad("not an AWS region name (like us-east-1)"));
    }
    Ok(())
}

/// `AWS_ENDPOINT_URL`: an `http://` or `https://` URL with a host (credentials in it masked when
/// shown).
pub(crate) fn validate_endpoint_url(url: &str) -> Result<(), Error> {
    // Shown as scheme and host only: user-info, path and query may carry secrets.
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((_, h)) => (true, h),
        None => (false, authority),
    };
    let shown = if scheme.is_empty() {
        crate::redact::endpoint(url)
    } else {
        format!("{scheme}://{}{host}", if userinfo { "***@" } else { "" })
    };
    let bad = |why: &str| Error::BadInput {
        what: "AWS_ENDPOINT_URL",
        value: shown.clone(),
        why: why.to_string(),
    };
    if !matches!(scheme, "http" | "https") {
        return Err(bad("not an http:// or https:// URL"));
    }
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("the URL has no host"));
    }
    if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            return Err(bad("the port is not a number from 0 to 65535"));
        }
    }
    Ok(())
}

/// An organizational unit id (`ou-` root part, `-`, unit part) or a root id (`r-...`).
fn valid_ou(id: &str) -> bool {
    let part = |p: &str, min: usize| {
        p.len() >= min
            && p.len() <= 32
            && p.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match id.split('-').collect::<Vec<_>>()[..] {
        ["ou", root, unit] => part(root, 4) && part(unit, 8),
        ["r", root] => part(root, 4),
        _ => false,
    }
}

/// A 12-digit account id.
pub(crate) fn validate_account(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}

/// An SNS standard topic ARN.
pub(crate) fn validate_topic_arn(arn: &str) -> Result<(), Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--topic-arn",
        value: arn.to_string(),
        why: why.to_string(),
    };
    let a = Arn::parse(arn).ok_or_else(|| bad("not an ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"))?;
    if a.service != "sns" {
        return Err(bad("not an SNS topic ARN"));
    }
    if !partition::is_known(a.partition) {
        return Err(bad("the partition part is not an AWS partition"));
    }
    validate_region(a.region).map_err(|_| bad("the region part is not an AWS region"))?;
    if !validate_account(a.account) {
        return Err(bad("the account part is not a 12-digit account id"));
    }
    let name_ok = !a.resource.is_empty()
        && a.resource.len() <= 256
        && a.resource
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !name_ok || a.resource.contains(':') {
        return Err(bad(
            "the topic name may hold only letters, digits, '-' and '_'",
        ));
    }
    if a.resource.ends_with(".fifo") {
        return Err(bad("CloudWatch alarms cannot publish to FIFO topics"));
    }
    Ok(())
}

/// `PROTOCOL:ENDPOINT` for `--subscribe`.
pub(crate) fn parse_subscribe(text: &str) -> Result<Endpoint, Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--subscribe",
        value: crate::redact::endpoint(text),
        why: why.to_string(),
    };
    let (protocol, endpoint) = text
        .split_once(':')
        .ok_or_else(|| bad("expected PROTOCOL:ENDPOINT, e.g. email:secops@example.com"))?;
    let ok = match protocol {
        "email" => valid_email(endpoint),
        "https" => endpoint.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
        }),
        "sqs" => {
            Arn::parse(endpoint).is_some_and(|a| a.service == "sqs" && validate_account(a.account))
        }
        "lambda" => Arn::parse(endpoint).is_some_and(|a| {
            a.service == "lambda"
                && validate_account(a.account)
                && a.resource.starts_with("function:")
        }),
        _ => return Err(bad("protocol must be one of email, https, sqs, lambda")),
    };
    if !ok {
        let why = match protocol {
            "email" => "not an e-mail address",
            "https" => "not an https:// URL",
            "sqs" => "not an SQS queue ARN",
            _ => "not a Lambda function ARN",
        };
        return Err(bad(why));
    }
    crate::redact::register_endpoint(endpoint);
    Ok(Endpoint {
        protocol: protocol.to_string(),
        endpoint: endpoint.to_string(),
    })
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

/// `iac --parameter KEY=VALUE`: a parameter or variable name (letters, digits, `_`, `-`, and
/// `::` in pseudo parameters) and its value.
pub(crate) fn parameter(text: &str) -> Result<(String, String), Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--parameter",
        value: text.into(),
        why: why.into(),
    };
    let (key, value) = text.split_once('=').ok_or_else(|| bad("give KEY=VALUE"))?;
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':'));
    if !ok {
        return Err(bad("KEY must be a parameter or variable name"));
    }
    if key == "AWS::AccountId" && !validate_account(value) {
        return Err(bad("AWS::AccountId must be 12 digits"));
    }
    if key == "AWS::Region" {
        validate_region(value)?;
    }
    Ok((key.to_string(), value.to_string()))
}

/// `iac --assume-external ok`: the one value it takes.
pub(crate) fn assume_external(text: &str) -> Result<bool, Error> {
    match text {
        "ok" => Ok(true),
        _ => Err(Error::BadInput {
            what: "--assume-external",
            value: text.into(),
            why: "the one value it takes is `ok`".into(),
        }),
    }
}

/// `--exempt-role`: a principal ARN pattern (`arn:PARTITION:iam::ACCOUNT:role/NAME`, wildcards
/// allowed in the account and name).
pub(crate) fn exempt_role(arn: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::BadInput {
        what: "--exempt-role",
        value: arn.to_string(),
        why: why.to_string(),
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, name]
            if !partition.is_empty()
                && (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
                    || account.contains('*'))
                && (name.starts_with("role/") || name.starts_with("user/") || name.starts_with('*'))
                && !name.contains(char::is_whitespace) =>
        {
            Ok(arn.to_string())
        }
        _ => Err(bad(
            "not a principal ARN: arn:aws:iam::ACCOUNT:role/NAME (wildcards * allowed in ACCOUNT and NAME)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_by_shape() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
            "eusc-de-east-1",
            "us-isob-east-1",
        ] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "nowhere-1",
            "us-east",
            "US-EAST-1",
            "us-east-0",
            "",
            "us--1",
            "us-east-1a",
            "use-east-1",
        ] {
            let e = validate_region(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn topic_arns_are_checked() {
        assert!(
            validate_topic_arn("arn:aws:sns:us-east-1:123456789012:cis-benchmark-alarms").is_ok()
        );
        for bad in [
            "cis-benchmark-alarms",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:sns:us-east-1:12345:t",
            "arn:aws:sns:nowhere:123456789012:t",
            "arn:aws:sns:us-east-1:123456789012:t.fifo",
            "arn:aws:sns:us-east-1:123456789012:a b",
            "arn:nope:sns:us-east-1:123456789012:t",
        ] {
            let e = validate_topic_arn(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn subscribe_endpoints_are_validated_per_protocol() {
        assert_eq!(
            parse_subscribe("email:secops@example.com")
                .unwrap()
                .protocol,
            "email"
        );
        assert_eq!(
            parse_subscribe("https:https://hooks.example.com/x")
                .unwrap()
                .endpoint,
            "https://hooks.example.com/x"
        );
        assert!(parse_subscribe("sqs:arn:aws:sqs:us-east-1:123456789012:alerts").is_ok());
        assert!(parse_subscribe("lambda:arn:aws:lambda:us-east-1:123456789012:function:f").is_ok());
        for bad in [
            "email:not-an-address",
            "email:a b@example.com",
            "email:x@-bad.com",
            "https:http://plain.example.com",
            "sqs:arn:aws:sns:us-east-1:123456789012:t",
            "sms:+15555550100",
            "secops@example.com",
        ] {
            let e = parse_subscribe(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
