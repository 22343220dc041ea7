//! `--version` says which commit was built and how recent the control specs are: the short
//! commit id and the date of the last commit that touched `plans/` (both `unknown` outside a git
//! checkout, e.g. from a crate tarball).

use std::process::Command;

fn git(args: &[&str]) -> String {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

fn main() {
    println!(
        "cargo:rustc-env=TRAILWATCH_COMMIT={}",
        git(&["rev-parse", "--short=12", "HEAD"])
    );
    println!(
        "cargo:rustc-env=TRAILWATCH_SPECS_DATE={}",
        git(&["log", "-1", "--format=%cs", "--", "plans"])
    );
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/logs/HEAD");
    println!("cargo:rerun-if-changed=plans");
}
