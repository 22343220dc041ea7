//! Saved plans, as Terraform's `plan -out` / `apply PLANFILE`: `fix --plan --out FILE` writes
//! the plan a person approves; `fix --apply FILE` applies exactly it, and refuses (nothing
//! written) when the file is not a plan, was changed, or the world it was made from changed.
//!
//! The file holds the controls and options it was made with, and per target the account,
//! region, log group, trail, the write requests, and a fingerprint of every resource read
//! ([`fingerprint`]). A checksum over the rest catches an edited file; re-planning from the
//! recorded controls and options and comparing the writes catches one edited with care.

pub(crate) mod fingerprint;

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::audit::Audit;
use crate::control::Control;
use crate::error::Error;
use crate::observed::Observed;
use crate::plan::{self, Options, Plan};
use crate::report::{FORMAT_VERSION, TOOL};
use crate::write::WriteRequest;
use fingerprint::Fingerprints;

/// What a plan file says it is.
pub(crate) const KIND: &str = "trailwatch-plan";

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct PlanFile {
    /// `MAJOR.MINOR`: a trailwatch reads the majors it knows.
    pub format_version: String,
    pub tool: SavedTool,
    /// Always `trailwatch-plan`.
    pub kind: String,
    /// The controls planned, in full (a custom spec file as it was read).
    pub controls: Vec<Control>,
    /// The options planned with (match mode, topic, subscribers, adopt).
    pub options: Options,
    pub targets: Vec<SavedTarget>,
    /// Made in fleet mode: applied in fleet mode (the accounts and regions are the file's; the
    /// roles come from the fleet options given when it is applied).
    #[serde(default)]
    pub fleet: bool,
    /// A fleet plan's regions, in the order they were read (which target of an account plans
    /// a log group several regions share follows from it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// `sha256:` and the digest of the rest of the file (its JSON, keys sorted).
    pub checksum: String,
}

/// The tool that wrote a plan file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct SavedTool {
    pub name: String,
    pub version: String,
}

/// One target of a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct SavedTarget {
    pub account: String,
    /// The region aimed at (the writes go to the trail's log group's region).
    pub region: String,
    /// The trail the plan rests on, and its log group.
    pub trail: Option<String>,
    pub log_group: Option<String>,
    /// The write requests, in the order apply sends them.
    pub requests: Vec<WriteRequest>,
    /// Every resource read, by name: a digest of what it was.
    pub fingerprints: Fingerprints,
}

impl SavedTarget {
    /// What changed in the target since the plan was made (empty: nothing it depends on).
    pub(crate) fn changed_in(&self, now: &Observed) -> Vec<String> {
        fingerprint::changes(&self.fingerprints, &fingerprint::of(now))
    }

    /// Whether these plans send exactly the recorded writes, compared as written to the file
    /// (an endpoint's secret parts are never written there; the options keep the endpoint).
    pub(crate) fn writes_match(&self, plans: &[Plan]) -> bool {
        serde_json::to_value(plan::writes(plans)).ok() == serde_json::to_value(&self.requests).ok()
    }

    /// A target as planned: what was read, and the writes of its plans.
    pub(crate) fn new(observed: &Observed, audits: &[Audit], plans: &[Plan]) -> SavedTarget {
        let first = audits.first();
        SavedTarget {
            account: observed.account.clone(),
            region: observed.region.clone(),
            trail: first.and_then(|a| a.trail.clone()),
            log_group: first
                .and_then(|a| a.log_group(observed))
                .map(|g| g.arn.clone()),
            requests: plan::writes(plans).into_iter().cloned().collect(),
            fingerprints: fingerprint::of(observed),
        }
    }
}

impl PlanFile {
    /// The saved target of `account` in `region`, if the plan has one.
    pub(crate) fn target(&self, account: &str, region: &str) -> Option<&SavedTarget> {
        self.targets
            .iter()
            .find(|t| t.account == account && t.region == region)
    }

    pub(crate) fn new(
        controls: &[Control],
        options: &Options,
        targets: Vec<SavedTarget>,
        fleet_regions: Option<Vec<String>>,
    ) -> Self {
        let mut file = PlanFile {
            format_version: FORMAT_VERSION.to_string(),
            tool: SavedTool {
                name: TOOL.name.to_string(),
                version: TOOL.version.to_string(),
            },
            kind: KIND.to_string(),
            controls: controls.to_vec(),
            options: options.clone(),
            targets,
            fleet: fleet_regions.is_some(),
            regions: fleet_regions.unwrap_or_default(),
            checksum: String::new(),
        };
        file.checksum = checksum(&serde_json::to_value(&file).unwrap_or_default());
        file
    }

    /// Write the file readable by its owner only (it may name subscribers' endpoints).
    pub(crate) fn write(&self, path: &str) -> Result<(), Error> {
        let bad = |why: String| Error::BadInput {
            what: "--out",
            value: path.to_string(),
            why,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| bad(e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| bad(format!("cannot write it: {e}")))?;
        // An existing file keeps its mode on open: make it the owner's alone too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| bad(format!("cannot make it private: {e}")))?;
        }
        file.write_all(format!("{text}\n").as_bytes())
            .map_err(|e| bad(format!("cannot write it: {e}")))
    }

    /// Read and check a plan file: it exists, is JSON, is a trailwatch plan of a format this
    /// version reads, and its checksum holds. Each refusal is one line naming the file.
    pub(crate) fn read(path: &str) -> Result<PlanFile, Error> {
        let bad = |why: String| Error::BadInput {
            what: "plan file",
            value: path.to_string(),
            why,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        PlanFile::parse(&text).map_err(bad)
    }

    /// [`PlanFile::read`] on the text: why it is not a plan this version applies.
    fn parse(text: &str) -> Result<PlanFile, String> {
        if text.trim().is_empty() {
            return Err("it is empty".into());
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err("not a trailwatch plan (no \"kind\": \"trailwatch-plan\"); make one with `trailwatch fix --plan --out FILE`".into());
        }
        let version = value
            .get("format_version")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let major = |v: &str| v.split('.').next().map(str::to_string);
        if major(version).is_none() || major(version) != major(FORMAT_VERSION) {
            return Err(format!(
                "its format_version is {version:?}; this trailwatch applies {}.x: make the plan again with this version",
                major(FORMAT_VERSION).unwrap_or_default()
            ));
        }
        let recorded = value
            .get("checksum")
            .and_then(|c| c.as_str())
            .unwrap_or("")
            .to_string();
        if recorded != checksum(&value) {
            return Err("it was changed after it was written (its checksum does not match): make a new plan".into());
        }
        serde_json::from_value(value).map_err(|e| format!("not a plan this version reads: {e}"))
    }
}

/// `sha256:` and the digest of a plan file's JSON without its `checksum`.
fn checksum(value: &serde_json::Value) -> String {
    let mut body = value.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("checksum");
    }
    format!("sha256:{}", fingerprint::digest(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> PlanFile {
        PlanFile::new(
            &[Control::embedded()],
            &Options::default(),
            vec![SavedTarget {
                account: "111122223333".into(),
                region: "us-east-1".into(),
                trail: None,
                log_group: None,
                requests: vec![],
                fingerprints: Fingerprints::new(),
            }],
            None,
        )
    }

    #[test]
    fn a_written_plan_reads_back_as_it_was() {
        let f = file();
        let text = serde_json::to_string_pretty(&f).unwrap();
        assert_eq!(PlanFile::parse(&text).unwrap(), f);
        assert!(f.checksum.starts_with("sha256:"), "{}", f.checksum);
    }

    #[test]
    fn what_is_not_a_plan_of_this_version_is_refused_saying_why() {
        let f = file();
        let mut v = serde_json::to_value(&f).unwrap();
        let why = |v: &serde_json::Value| PlanFile::parse(&v.to_string()).unwrap_err();
        assert_eq!(PlanFile::parse("  \n").unwrap_err(), "it is empty");
        assert!(PlanFile::parse("{\"kind\":")
            .unwrap_err()
            .starts_with("not JSON (line 1, column 8)"));
        assert!(PlanFile::parse("[1]")
            .unwrap_err()
            .starts_with("not a trailwatch plan"));
        v["targets"][0]["account"] = "444455556666".into();
        assert!(
            why(&v).contains("changed after it was written"),
            "{}",
            why(&v)
        );
        let mut v = serde_json::to_value(&f).unwrap();
        v["format_version"] = "2.0".into();
        assert!(
            why(&v).starts_with("its format_version is \"2.0\""),
            "{}",
            why(&v)
        );
        // A minor version of the same major is read.
        let mut v = serde_json::to_value(&f).unwrap();
        v["format_version"] = "1.7".into();
        v["checksum"] = checksum(&v).into();
        assert_eq!(
            PlanFile::parse(&v.to_string()).unwrap().format_version,
            "1.7"
        );
    }
}
