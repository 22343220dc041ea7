//! The emulator harness for integration tests: start moto (with the CBOR adapter for CloudWatch)
//! on a free loopback port, seed an account with the real AWS SDK, run the real binary against
//! it, and count the write requests the emulator actually received.

pub(crate) mod offline;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::Credentials;
use serde_json::Value;

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const REGION: &str = "us-east-1";

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv `scripts/setup-emulator` makes.
pub(crate) fn venv() -> PathBuf {
    std::env::var_os("TRAILWATCH_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".emulator/venv"))
}

/// The emulator's Python, from the virtualenv `scripts/setup-emulator` makes.
fn python() -> PathBuf {
    let py = venv().join("bin/python");
    assert!(
        py.exists(),
        "no emulator at {}: run scripts/setup-emulator (or scripts/test) first",
        py.display()
    );
    py
}

/// A running emulator; stopped when dropped (and by itself if this process dies: it exits when
/// its stdin closes).
pub(crate) struct Emulator {
    child: Child,
    pub url: String,
    addr: String,
}

impl Emulator {
    pub(crate) fn start() -> Emulator {
        Emulator::start_with_env(&[])
    }

    /// Start with extra environment for moto (e.g. `INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM).
    pub(crate) fn start_with_env(env: &[(&str, &str)]) -> Emulator {
        let mut child = Command::new(python())
            .arg(repo().join("tests/support/emulator.py"))
            .args(["--port", "0"])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("TRAILWATCH_EMULATOR_READY ") {
                        break url.trim().to_string();
                    }
                }
                _ => panic!("the emulator exited before it was ready"),
            }
        };
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = url.trim_start_matches("http://").to_string();
        Emulator { child, url, addr }
    }

    fn http(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect to the emulator");
        // Never hang a test on the emulator: a stuck control call fails it instead.
        let limit = Some(std::time::Duration::from_secs(20));
        s.set_read_timeout(limit).unwrap();
        s.set_write_timeout(limit).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        // Nothing more to send: the emulator sees the end of the request at once.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = String::new();
        if let Err(e) = s.read_to_string(&mut out) {
            // Show where the emulator is stuck: it prints every thread's stack on SIGUSR1.
            let _ = Command::new("kill")
                .args(["-USR1", &self.child.id().to_string()])
                .status();
            std::thread::sleep(std::time::Duration::from_millis(500));
            panic!("emulator {method} {path}: {e}");
        }
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// Every request the emulator received, as `(service, operation)`.
    pub(crate) fn requests(&self) -> Vec<(String, String)> {
        let (_, body) = self.http("GET", "/_trailwatch/requests", "");
        let v: Value = serde_json::from_str(&body).expect("request log is JSON");
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["service"].as_str().unwrap_or_default().to_string(),
                    r["operation"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Run `tests/support/sqs_tool.py` against this emulator; returns its stdout.
    pub(crate) fn sqs(&self, command: &str, queue: &str) -> String {
        self.sqs_as(None, command, queue)
    }

    /// `sqs` with an IAM user's keys (an emulator that enforces IAM).
    pub(crate) fn sqs_as(&self, keys: Option<(&str, &str)>, command: &str, queue: &str) -> String {
        let mut cmd = Command::new(python());
        if let Some((k, s)) = keys {
            cmd.env("TRAILWATCH_SQS_KEY", k)
                .env("TRAILWATCH_SQS_SECRET", s);
        }
        let out = cmd
            .arg(repo().join("tests/support/sqs_tool.py"))
            .args(["--endpoint", &self.url, command, queue])
            .output()
            .expect("run sqs_tool.py");
        assert!(
            out.status.success(),
            "sqs_tool {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `tests/support/iam_tool.py` against this emulator: the words it printed after its tag.
    pub(crate) fn iam_tool(&self, args: &[&str]) -> Vec<String> {
        self.tool("iam_tool.py", args)
    }

    /// A Python tool of `tests/support` against this emulator: the words it printed after its
    /// tag (`ROLES a b` -> `[a, b]`).
    pub(crate) fn tool(&self, script: &str, args: &[&str]) -> Vec<String> {
        let out = Command::new(python())
            .arg(repo().join("tests/support").join(script))
            .args(["--endpoint", &self.url])
            .args(args)
            .output()
            .expect("run iam_tool.py");
        assert!(
            out.status.success(),
            "{script} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect()
    }

    /// Run trailwatch with these credentials instead of the dummy ones.
    pub(crate) fn run_as(&self, key: &str, secret: &str, args: &[&str]) -> Run {
        let out = self
            .trailwatch()
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .args(args)
            .output()
            .expect("run trailwatch");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run trailwatch on a pseudo-terminal (`tests/support/tty_run.py`), typing `answer` at each
    /// confirmation prompt: (exit code, what the terminal showed, how many prompts it showed).
    pub(crate) fn on_tty(&self, answer: &str, args: &[&str]) -> (i32, String, usize) {
        self.on_tty_after(answer, None, args)
    }

    /// [`Emulator::on_tty`], with someone else changing the account while the question waits:
    /// `tests/support/change_tool.py` run with `change` before the answer is typed.
    pub(crate) fn on_tty_after(
        &self,
        answer: &str,
        change: Option<&[&str]>,
        args: &[&str],
    ) -> (i32, String, usize) {
        let tw = self.trailwatch();
        let mut cmd = Command::new(python());
        for (k, v) in tw.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.arg(repo().join("tests/support/tty_run.py"))
            .args(["--answer", answer]);
        if let Some(change) = change {
            let mut words = vec![
                python().display().to_string(),
                repo()
                    .join("tests/support/change_tool.py")
                    .display()
                    .to_string(),
                "--endpoint".to_string(),
                self.url.clone(),
            ];
            words.extend(change.iter().map(|w| w.to_string()));
            let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
            cmd.args(["--before-answer", &quoted.join(" ")]);
        }
        let out = cmd
            .args(["--", env!("CARGO_BIN_EXE_trailwatch")])
            .args(args)
            .output()
            .expect("run tty_run.py");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "tty_run.py: {e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (
            v["code"].as_i64().unwrap_or(-1) as i32,
            v["output"].as_str().unwrap_or_default().to_string(),
            v["prompts"].as_u64().unwrap_or(0) as usize,
        )
    }

    /// POST a JSON body to a control endpoint of the emulator (faults, overrides).
    pub(crate) fn control(&self, path: &str, body: &str) {
        let (status, answer) = self.http("POST", path, body);
        assert_eq!(status, 200, "{path}: {answer}");
    }

    /// The receiver confirms: every pending subscription to `endpoint` (e-mail, http/https stay
    /// pending until then, as on AWS) is confirmed; returns their ARNs.
    pub(crate) fn confirm(&self, endpoint: &str) -> Vec<String> {
        let body = serde_json::json!({ "endpoint": endpoint }).to_string();
        let (status, answer) = self.http("POST", "/_trailwatch/sns/confirm", &body);
        assert_eq!(status, 200, "{answer}");
        let v: Value = serde_json::from_str(&answer).unwrap();
        v["confirmed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    }

    pub(crate) fn reset_requests(&self) {
        let (status, _) = self.http("POST", "/_trailwatch/requests/reset", "");
        assert_eq!(status, 200);
    }

    /// The request log as the emulator keeps it (service, operation, ms, reached, fault, ...).
    pub(crate) fn log(&self) -> Vec<Value> {
        let (_, body) = self.http("GET", "/_trailwatch/requests", "");
        serde_json::from_str::<Value>(&body)
            .expect("request log is JSON")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The write requests that reached moto (not answered by an injected fault).
    pub(crate) fn writes_reached(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|e| e["reached"] != Value::Bool(false))
            .filter(|e| !is_read(e["operation"].as_str().unwrap_or_default()))
            .map(|e| {
                format!(
                    "{}:{}",
                    e["service"].as_str().unwrap_or_default(),
                    e["operation"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    /// The write requests received since the last reset.
    pub(crate) fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|(_, op)| !is_read(op))
            .map(|(svc, op)| format!("{svc}:{op}"))
            .collect()
    }

    /// An S3 bucket (for a trail), made with a plain unsigned PUT: moto routes it to S3.
    pub(crate) fn bucket(&self, name: &str) {
        let (status, body) = self.http("PUT", &format!("/{name}"), "");
        assert!(status == 200, "create bucket {name}: {status} {body}");
    }

    pub(crate) async fn config(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .load()
            .await
    }

    /// The real binary, aimed at this emulator with dummy credentials and no ambient config.
    pub(crate) fn trailwatch(&self) -> Command {
        trailwatch_at(&self.url)
    }

    /// Run trailwatch with `args`; returns (exit code, stdout, stderr).
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let out = self
            .trailwatch()
            .args(args)
            .output()
            .expect("run trailwatch");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `check --output json` -> (exit code, JSON).
    pub(crate) fn check(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--region", REGION, "--output", "json", "check"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        (r.code, r.json())
    }

    /// `fix --apply --yes --output json` plus `extra`, counting the writes it caused.
    pub(crate) fn apply(&self, extra: &[&str]) -> (i32, Value, Vec<String>) {
        self.reset_requests();
        let mut args = vec![
            "--region", REGION, "--output", "json", "fix", "--apply", "--yes",
        ];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        let writes = self.writes();
        (r.code, r.json(), writes)
    }

    /// `fix --plan --output json` plus `extra`. Every plan is also checked against `check` on
    /// the same account (the fix-only options left out): the two must judge every step alike,
    /// so `check` never says compliant where the plan finds a gap, nor the other way round.
    pub(crate) fn plan(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["--region", REGION, "--output", "json", "fix", "--plan"];
        args.extend_from_slice(extra);
        let r = self.run(&args);
        let plan = r.json();
        let mut check_args: Vec<&str> = Vec::new();
        let mut skip_value = false;
        for a in extra {
            if std::mem::take(&mut skip_value) {
                continue;
            }
            match *a {
                "--adopt" => {}
                "--subscribe" | "--topic-arn" => skip_value = true,
                a if a.starts_with("--subscribe=") || a.starts_with("--topic-arn=") => {}
                a => check_args.push(a),
            }
        }
        let (_, check) = self.check(&check_args);
        let judged = |v: &Value| -> Value {
            assert!(
                v["steps"].is_array() || v["controls"].is_array(),
                "no steps to compare: {v:#}"
            );
            match v.get("controls") {
                Some(cs) => cs
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| serde_json::json!([c["control"], c["steps"]]))
                    .collect(),
                None => serde_json::json!([v["control"], v["steps"]]),
            }
        };
        assert_eq!(
            judged(&plan),
            judged(&check),
            "fix --plan {extra:?} and check {check_args:?} disagree"
        );
        (r.code, plan)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads never change anything.
pub(crate) fn is_read(op: &str) -> bool {
    ["Describe", "List", "Get", "Test", "Lookup"]
        .iter()
        .any(|p| op.starts_with(p))
}

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The committed schema a document is checked against, told by its shape: a fleet summary,
/// `controls`, `controls show`, a drill, a plan file, or a report (check, plan, apply, a fleet
/// target).
fn schema_of(doc: &Value) -> &'static str {
    if doc["kind"] == "trailwatch-plan" {
        "plan-file.json"
    } else if doc["inputs"].is_array() {
        "iac.json"
    } else if doc["summary"]["targets"].is_number() {
        "fleet-summary.json"
    } else if doc["controls"].is_array() && doc["controls"][0]["title"].is_string() {
        "controls.json"
    } else if doc["pattern"].is_object() && doc["alarm"].is_object() {
        "control.json"
    } else if doc.get("delivered").is_some() {
        "drill.json"
    } else {
        "report.json"
    }
}

/// A JSON document trailwatch printed or wrote: parsed, and checked against its committed
/// schema (`schema/`); a document its schema does not describe fails the test.
pub(crate) fn document(text: &str) -> Value {
    let doc: Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"));
    let name = schema_of(&doc);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema").join(name)).expect("schema file"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the document does not match schema/{name}:\n{}\n{doc:#}",
        errors.join("\n")
    );
    doc
}

impl Run {
    /// stdout with every run of whitespace made one space: text output keeps to 100 columns
    /// when not on a terminal, so a long sentence may be broken over lines.
    pub(crate) fn words(&self) -> String {
        self.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// stdout as one JSON document, checked against its schema.
    pub(crate) fn json(&self) -> Value {
        if let Err(e) = serde_json::from_str::<Value>(self.stdout.trim()) {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        }
        document(&self.stdout)
    }
}

/// Which steps pass, as a 7-character string like `OOOXXXX`, for compact assertions.
pub(crate) fn steps(v: &Value) -> String {
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| if s["ok"].as_bool().unwrap() { 'O' } else { 'X' })
        .collect()
}

pub(crate) fn reason(v: &Value, step: usize) -> String {
    v["steps"][step - 1]["reason"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The change for one resource in a plan/apply JSON.
pub(crate) fn change<'a>(v: &'a Value, resource: &str) -> &'a Value {
    v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["resource"] == resource)
        .unwrap_or_else(|| panic!("no {resource} change in {v:#}"))
}

/// Seeds an account in the emulator with the real SDK.
pub(crate) struct Seed {
    pub config: SdkConfig,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    pub region: String,
    /// The account seeded (`ACCOUNT` unless made with `in_account`).
    pub account: String,
}

pub(crate) fn canonical() -> String {
    trailwatch::control::Control::embedded().canonical_pattern()
}

impl Seed {
    pub(crate) async fn new(emu: &Emulator, region: &str) -> Seed {
        Seed::with_config(emu.config(region).await, region)
    }

    /// Seed with the given credentials (an emulator that enforces IAM).
    pub(crate) async fn as_user(emu: &Emulator, region: &str, key: &str, secret: &str) -> Seed {
        Seed::with_credentials(
            emu,
            region,
            Credentials::new(key, secret, None, None, "tests"),
        )
        .await
    }

    /// Seed another account: assume `arn:aws:iam::ACCOUNT:role/OrganizationAccountAccessRole`
    /// (the emulator acts in the role's account with the keys it returns).
    pub(crate) async fn in_account(emu: &Emulator, region: &str, account: &str) -> Seed {
        let sts = aws_sdk_sts::Client::new(&emu.config(region).await);
        let out = sts
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
            ))
            .role_session_name("seed")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "tests",
        );
        let mut seed = Seed::with_credentials(emu, region, creds).await;
        seed.account = account.to_string();
        seed
    }

    async fn with_credentials(emu: &Emulator, region: &str, creds: Credentials) -> Seed {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&emu.url)
            .region(Region::new(region.to_string()))
            .credentials_provider(creds)
            .load()
            .await;
        Seed::with_config(config, region)
    }

    fn with_config(config: SdkConfig, region: &str) -> Seed {
        Seed {
            cloudtrail: aws_sdk_cloudtrail::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            region: region.to_string(),
            account: ACCOUNT.to_string(),
            config,
        }
    }

    pub(crate) async fn log_group(&self, name: &str) -> String {
        self.logs
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .unwrap();
        format!(
            "arn:aws:logs:{}:{}:log-group:{name}:*",
            self.region, self.account
        )
    }

    /// A trail (bucket made first); `logging` starts it.
    pub(crate) async fn trail(
        &self,
        emu: &Emulator,
        name: &str,
        multi_region: bool,
        log_group_arn: Option<&str>,
        logging: bool,
    ) {
        let bucket = format!("{}-trail-bucket", name.to_lowercase());
        emu.bucket(&bucket);
        self.cloudtrail
            .create_trail()
            .name(name)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(multi_region)
            .set_cloud_watch_logs_log_group_arn(log_group_arn.map(str::to_string))
            .set_cloud_watch_logs_role_arn(
                log_group_arn
                    .map(|_| format!("arn:aws:iam::{}:role/CloudTrailToLogs", self.account)),
            )
            .send()
            .await
            .unwrap();
        if logging {
            self.cloudtrail
                .start_logging()
                .name(name)
                .send()
                .await
                .unwrap();
        }
    }

    /// The good prerequisite when the trail's bucket already exists (IAM-enforcing emulator:
    /// `iam_tool.py bootstrap` makes the bucket `org-trail-trail-bucket`).
    pub(crate) async fn good_trail_in_existing_bucket(&self) -> String {
        let lg = self
            .log_group("aws-controltower/CloudTrailLogs-q7x2kd")
            .await;
        self.cloudtrail
            .create_trail()
            .name("org-trail")
            .s3_bucket_name("org-trail-trail-bucket")
            .is_multi_region_trail(true)
            .cloud_watch_logs_log_group_arn(&lg)
            .cloud_watch_logs_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/CloudTrailToLogs"))
            .send()
            .await
            .unwrap();
        self.cloudtrail
            .start_logging()
            .name("org-trail")
            .send()
            .await
            .unwrap();
        lg
    }

    /// The usual good prerequisite: a multi-region, logging trail into a fresh log group.
    pub(crate) async fn good_trail(&self, emu: &Emulator) -> String {
        let lg = self
            .log_group("aws-controltower/CloudTrailLogs-q7x2kd")
            .await;
        self.trail(emu, "org-trail", true, Some(&lg), true).await;
        lg
    }

    pub(crate) async fn filter(
        &self,
        log_group: &str,
        name: &str,
        pattern: &str,
        metric: &str,
        namespace: &str,
    ) {
        use aws_sdk_cloudwatchlogs::types::MetricTransformation;
        self.logs
            .put_metric_filter()
            .log_group_name(log_group)
            .filter_name(name)
            .filter_pattern(pattern)
            .metric_transformations(
                MetricTransformation::builder()
                    .metric_name(metric)
                    .metric_namespace(namespace)
                    .metric_value("1")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    pub(crate) async fn alarm(
        &self,
        name: &str,
        metric: &str,
        namespace: &str,
        actions: &[&str],
        description: Option<&str>,
    ) {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
        self.cloudwatch
            .put_metric_alarm()
            .alarm_name(name)
            .set_alarm_description(description.map(str::to_string))
            .metric_name(metric)
            .namespace(namespace)
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .set_alarm_actions(Some(actions.iter().map(|s| s.to_string()).collect()))
            .send()
            .await
            .unwrap();
    }

    pub(crate) async fn topic(&self, name: &str) -> String {
        let out = self.sns.create_topic().name(name).send().await.unwrap();
        out.topic_arn().unwrap().to_string()
    }

    /// Subscribe `endpoint` and, as its receiver, confirm it (e-mail and http/https
    /// subscriptions stay pending until confirmed, as on AWS).
    pub(crate) async fn subscribe(&self, topic: &str, protocol: &str, endpoint: &str) {
        self.subscribe_pending(topic, protocol, endpoint).await;
        if matches!(protocol, "email" | "email-json" | "http" | "https") {
            let url = self.config.endpoint_url().expect("the emulator's URL");
            let addr = url.trim_start_matches("http://").trim_end_matches('/');
            let body = serde_json::json!({ "endpoint": endpoint, "topic_arn": topic }).to_string();
            let mut s = TcpStream::connect(addr).expect("connect to the emulator");
            write!(
                s,
                "POST /_trailwatch/sns/confirm HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let _ = s.shutdown(std::net::Shutdown::Write);
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert!(
                out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200"),
                "confirm {endpoint}: {out}"
            );
        }
    }

    /// Subscribe `endpoint`; an e-mail or http/https subscription stays pending.
    pub(crate) async fn subscribe_pending(&self, topic: &str, protocol: &str, endpoint: &str) {
        self.sns
            .subscribe()
            .topic_arn(topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .send()
            .await
            .unwrap();
    }

    /// Tag alarm `name` as trailwatch tags the alarms it creates for CIS 4.4, recording
    /// `filter` on the good trail's log group as trailwatch's.
    pub(crate) async fn own_alarm(&self, name: &str, filter: Option<&str>) {
        let arn = format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{name}",
            self.region, self.account
        );
        let tags = trailwatch::ownership::alarm_tags(
            "cis-4.4",
            filter.map(|f| ("aws-controltower/CloudTrailLogs-q7x2kd", f)),
        );
        let mut req = self.cloudwatch.tag_resource().resource_arn(arn);
        for (k, v) in tags {
            req = req.tags(
                aws_sdk_cloudwatch::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build(),
            );
        }
        req.send().await.unwrap();
    }

    /// Tag topic `arn` as trailwatch tags the topic it creates.
    pub(crate) async fn own_topic(&self, arn: &str) {
        self.sns
            .tag_resource()
            .resource_arn(arn)
            .tags(
                aws_sdk_sns::types::Tag::builder()
                    .key(trailwatch::ownership::MANAGED)
                    .value("true")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    /// A good trail, trailwatch's canonical filter and the shared topic (trailwatch's, with a
    /// confirmed subscriber when `subscribed`); returns the topic ARN. No alarm (so nothing
    /// records the filter as trailwatch's yet).
    pub(crate) async fn filter_and_topic(&self, emu: &Emulator, subscribed: bool) -> String {
        self.good_trail(emu).await;
        let lg = "aws-controltower/CloudTrailLogs-q7x2kd";
        self.filter(
            lg,
            "IAMPolicyChanges",
            &canonical(),
            "IAMPolicyChanges",
            "CISBenchmark",
        )
        .await;
        let topic = self.topic("cis-benchmark-alarms").await;
        self.own_topic(&topic).await;
        if subscribed {
            self.subscribe(&topic, "email", "secops@example.com").await;
        }
        topic
    }

    /// A fully compliant account as trailwatch leaves it: canonical filter, alarm (tagged,
    /// recording the filter), shared topic (tagged) with a subscriber.
    pub(crate) async fn compliant(&self, emu: &Emulator) {
        let topic = self.filter_and_topic(emu, true).await;
        self.alarm(
            "IAMPolicyChanges",
            "IAMPolicyChanges",
            "CISBenchmark",
            &[&topic],
            None,
        )
        .await;
        self.own_alarm("IAMPolicyChanges", Some("IAMPolicyChanges"))
            .await;
    }
}

/// The whole state of a region, as the APIs return it: every metric filter (all its fields), every
/// alarm (its whole configuration and its tags; the state it is in left out), every topic (all its
/// attributes but the subscription counts, and its tags) and every subscription (confirmed or
/// pending). Taken before and after a run, it shows everything the run changed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// `filter:GROUP:NAME`, `alarm:NAME`, `topic:ARN`, `subscription:TOPIC:PROTOCOL:ENDPOINT` ->
    /// the resource as read.
    pub entries: std::collections::BTreeMap<String, String>,
}

impl Snapshot {
    /// How many resources of a kind (`filter`, `alarm`, `topic`, `subscription`).
    pub(crate) fn count(&self, kind: &str) -> usize {
        let prefix = format!("{kind}:");
        self.entries
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .count()
    }

    /// The keys whose resource was added, removed or changed from `before` to `self`.
    pub(crate) fn changed_since(&self, before: &Snapshot) -> Vec<String> {
        let mut keys: Vec<String> = self
            .entries
            .keys()
            .chain(before.entries.keys())
            .filter(|k| self.entries.get(*k) != before.entries.get(*k))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

impl Seed {
    pub(crate) async fn snapshot(&self) -> Snapshot {
        let mut entries = std::collections::BTreeMap::new();
        let groups = self.logs.describe_log_groups().send().await.unwrap();
        for g in groups.log_groups() {
            let name = g.log_group_name().unwrap_or_default().to_string();
            let out = self
                .logs
                .describe_metric_filters()
                .log_group_name(&name)
                .send()
                .await
                .unwrap();
            for f in out.metric_filters() {
                let key = format!("filter:{name}:{}", f.filter_name().unwrap_or_default());
                let mut f = f.clone();
                f.creation_time = None;
                entries.insert(key, format!("{f:?}"));
            }
        }
        let out = self.cloudwatch.describe_alarms().send().await.unwrap();
        for a in out.metric_alarms() {
            let tags = self
                .cloudwatch
                .list_tags_for_resource()
                .resource_arn(a.alarm_arn().unwrap_or_default())
                .send()
                .await
                .unwrap();
            let mut a = a.clone();
            a.state_value = None;
            a.state_reason = None;
            a.state_reason_data = None;
            a.state_updated_timestamp = None;
            a.state_transitioned_timestamp = None;
            a.alarm_configuration_updated_timestamp = None;
            let key = format!("alarm:{}", a.alarm_name().unwrap_or_default());
            entries.insert(key, format!("{a:?} tags {:?}", tags.tags()));
        }
        let listed = self.sns.list_topics().send().await.unwrap();
        for t in listed.topics() {
            let arn = t.topic_arn().unwrap_or_default().to_string();
            let attrs = self
                .sns
                .get_topic_attributes()
                .topic_arn(&arn)
                .send()
                .await
                .unwrap();
            // Every attribute but the counts, which follow the subscriptions (kept below).
            let attrs: std::collections::BTreeMap<String, String> = attrs
                .attributes()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| !k.starts_with("Subscriptions"))
                .collect();
            let tags = self
                .sns
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .unwrap();
            entries.insert(
                format!("topic:{arn}"),
                format!("{attrs:?} tags {:?}", tags.tags()),
            );
            let subs = self
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(&arn)
                .send()
                .await
                .unwrap();
            for s in subs.subscriptions() {
                entries.insert(
                    format!(
                        "subscription:{arn}:{}:{}",
                        s.protocol().unwrap_or_default(),
                        s.endpoint().unwrap_or_default()
                    ),
                    format!("{s:?}"),
                );
            }
        }
        Snapshot { entries }
    }
}

/// What changes from one emulator run to the next, and what it reads as in a snapshot: the
/// emulator's port, generated ids (subscription ARNs, message ids), the random suffix of the
/// Control Tower log group the seed creates, and account ids.
pub(crate) const SNAPSHOT_FILTERS: &[(&str, &str)] = &[
    (r"127\.0\.0\.1:\d+", "[emulator]"),
    (
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[uuid]",
    ),
    (r"CloudTrailLogs-[a-z0-9]+", "CloudTrailLogs-[suffix]"),
    (r"\b\d{12}\b", "[account]"),
];

/// `insta::assert_snapshot!` of emulator output, with [`SNAPSHOT_FILTERS`] applied (as uv's
/// `uv_snapshot!` filters paths and versions).
macro_rules! emulator_snapshot {
    ($value:expr) => {
        insta::with_settings!({
            filters => $crate::support::SNAPSHOT_FILTERS.to_vec(),
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($value);
        })
    };
}
pub(crate) use emulator_snapshot;

/// The real binary aimed at `endpoint` with dummy credentials, no ambient AWS configuration (no
/// profile, region or session token from the caller's environment), no colour, no stdin.
pub(crate) fn trailwatch_at(endpoint: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwatch"));
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    // The tester's own trailwatch defaults never reach a test.
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("TRAILWATCH_")) {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}
