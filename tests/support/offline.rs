//! A harness without the emulator, for refusals that must never reach AWS: the real binary with
//! dummy credentials, aimed at a loopback listener that only counts connections (just's `Test`
//! builder is the model). A refusal is one line on stderr naming the bad value, exit 1, nothing
//! on stdout, and no connection at all.

use std::net::TcpListener;

use super::{trailwatch_at, Run};

/// One run of trailwatch that is expected to be refused before any AWS call.
pub(crate) struct Refusal {
    args: Vec<String>,
    env: Vec<(String, String)>,
    unset: Vec<String>,
    files: Vec<(String, String)>,
}

impl Refusal {
    pub(crate) fn new(args: &[&str]) -> Refusal {
        Refusal {
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            unset: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Set an environment variable for the run.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Refusal {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Run without this environment variable (e.g. the dummy credentials).
    pub(crate) fn unset(mut self, key: &str) -> Refusal {
        self.unset.push(key.into());
        self
    }

    /// Write `text` to a file the arguments name as `{dir}/name`.
    pub(crate) fn file(mut self, name: &str, text: &str) -> Refusal {
        self.files.push((name.into(), text.into()));
        self
    }

    /// Run it; assert the refusal names `needle`; return the run.
    pub(crate) fn names(self, needle: &str) -> Run {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("local address"));
        let dir = std::env::temp_dir().join(format!(
            "trailwatch-refusal-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in &self.files {
            std::fs::write(dir.join(name), text).expect("write file");
        }
        let dir_text = dir.to_string_lossy().to_string();
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.replace("{dir}", &dir_text))
            .collect();
        let mut cmd = trailwatch_at(&endpoint);
        cmd.env("AWS_REGION", "us-east-1");
        for (k, v) in &self.env {
            cmd.env(k, v.replace("{dir}", &dir_text));
        }
        for k in &self.unset {
            cmd.env_remove(k);
        }
        let out = cmd.args(&args).output().expect("run trailwatch");
        let _ = std::fs::remove_dir_all(&dir);
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert_eq!(
            lines.len(),
            1,
            "one line for {args:?}, got:\n{}",
            run.stderr
        );
        assert!(
            lines[0].starts_with("trailwatch: ") && lines[0].contains(needle),
            "{args:?}: {:?} does not name {needle:?}",
            lines[0]
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        listener.set_nonblocking(true).expect("non-blocking");
        assert!(
            listener.accept().is_err(),
            "{args:?} connected to AWS before refusing"
        );
        run
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
