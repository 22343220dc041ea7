//! Defaults from the environment and from `trailwatch.toml`, below the command line.
//!
//! Precedence: a flag, then its `TRAILWATCH_*` variable (clap's `env`), then the file (the one
//! `--config` names, else `./trailwatch.toml` when present), then the built-in default. The file
//! is checked whole before anything is read from AWS: an unknown key, a value of the wrong type or
//! a bad value is refused in one line naming the key.

use serde::Deserialize;

use crate::cli::{Cli, Command, DEFAULT_ROLE};
use crate::error::Error;
use crate::values;

/// The file's keys: what a team sets once for every run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    role_name: Option<String>,
    role_arn_template: Option<String>,
    /// `["email:secops@example.com", "https:https://..."]`.
    subscribe: Option<Vec<String>>,
    accounts_file: Option<String>,
    exceptions_file: Option<String>,
    topic_name: Option<String>,
}

/// The file `--config` names (it must exist), else `./trailwatch.toml` if there is one.
fn path(cli: &Cli) -> Option<(String, bool)> {
    match &cli.config {
        Some(p) => Some((p.clone(), true)),
        None => std::path::Path::new("trailwatch.toml")
            .exists()
            .then(|| ("trailwatch.toml".to_string(), false)),
    }
}

/// `cli` with what the file sets where neither a flag nor its variable did.
pub(crate) fn apply(mut cli: Cli) -> Result<Cli, Error> {
    let Some((path, named)) = path(&cli) else {
        return Ok(cli);
    };
    let bad = |why: String| Error::BadInput {
        what: "config file",
        value: path.clone(),
        why,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if named || e.kind() != std::io::ErrorKind::NotFound => {
            return Err(bad(format!("cannot be read: {e}")))
        }
        Err(_) => return Ok(cli),
    };
    let file: File =
        toml::from_str(&text).map_err(|e| bad(crate::control::toml_error(&text, &e)))?;
    let key = |k: &str, e: Error| bad(format!("{k}: {e}"));
    // Every value is checked, whether it is used in this run or not.
    if let Some(n) = &file.role_name {
        values::role_name(n).map_err(|e| key("role_name", e))?;
    }
    if let Some(t) = &file.role_arn_template {
        values::role_arn_template(t).map_err(|e| key("role_arn_template", e))?;
    }
    if file.role_name.is_some() && file.role_arn_template.is_some() {
        return Err(bad("give role_name or role_arn_template, not both".into()));
    }
    let mut subscribe = Vec::new();
    for s in file.subscribe.iter().flatten() {
        subscribe.push(values::parse_subscribe(s).map_err(|e| key("subscribe", e))?);
    }
    if let Some(n) = &file.topic_name {
        values::topic_name(n).map_err(|e| key("topic_name", e))?;
    }
    // The accounts file makes a run a fleet run; the fleet keys apply to fleet runs only.
    if let Some(f) = file.accounts_file {
        if cli.accounts_file.is_none() && cli.accounts.is_none() && !cli.org {
            cli.accounts_file = Some(f);
        }
    }
    if cli.fleet_mode() {
        let role_given = cli.role_name != DEFAULT_ROLE || cli.role_arn_template.is_some();
        if !role_given {
            if let Some(n) = file.role_name {
                cli.role_name = n;
            }
            cli.role_arn_template = file.role_arn_template;
        }
        if cli.exceptions.is_none() {
            cli.exceptions = file.exceptions_file;
        }
    }
    if let Command::Fix(fix) = &mut cli.command {
        if fix.subscribe.is_empty() {
            fix.subscribe = subscribe;
        }
    }
    let topic_arn_given = matches!(&cli.command, Command::Fix(f) if f.topic_arn.is_some());
    if cli.topic_name.is_none() && !topic_arn_given {
        cli.topic_name = file.topic_name;
    }
    Ok(cli)
}
