//! The edge: parse the command line, set up logging, run, map the outcome to an exit code.
//! 0 compliant / nothing to do, 2 drift found or changes pending, 1 any error (usage errors too).

use std::process::ExitCode;

use clap::Parser;
use trailwatch::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            // One line naming the bad value; exit 1, never clap's 2 (2 means drift).
            let msg = e.to_string();
            let line: Vec<&str> = msg
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            // Never echo credentials a mistyped URL may carry.
            let line = trailwatch::redact::text(&line.join(" "));
            eprintln!("trailwatch: {}", line.trim_start_matches("error: "));
            return ExitCode::from(1);
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trailwatch: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(trailwatch::run::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let e = anyhow::Error::from(e);
            eprintln!("trailwatch: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Quiet by default; `-v` info, `-vv` debug for trailwatch. The SDK's own logs are capped at
/// info so request dumps (which carry signed headers) never reach the terminal.
fn init_logging(verbose: u8) {
    let ours = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let sdk = if verbose >= 2 { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,trailwatch={ours},aws={sdk}"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
