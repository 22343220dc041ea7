//! The edge: parse the command line, set up logging, run, map the outcome to an exit code.
//! 0 compliant / nothing to do, 2 drift found or changes pending, 1 any error (usage errors too).

use std::process::ExitCode;

use trailwatch::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
            ) {
                // `trailwatch` alone: say what is missing, then the usage, on stderr; exit 1.
                eprintln!("trailwatch: a command is required\n");
                eprint!("{}", cli::command().render_help());
                return ExitCode::from(1);
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
    let verbose = cli.verbose;
    init_logging(verbose);
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
    let outcome = runtime.block_on(trailwatch::run::run(cli));
    trailwatch::run::finish_output();
    match outcome {
        Ok(exit) => ExitCode::from(exit),
        Err(e) => {
            // One line; the SDK's whole error chain only with -v.
            let detail = e.detail().map(str::to_string);
            let e = anyhow::Error::from(e);
            eprintln!("trailwatch: {}", trailwatch::redact::text(&e.to_string()));
            if verbose > 0 {
                if let Some(detail) = detail {
                    eprintln!(
                        "trailwatch: caused by: {}",
                        trailwatch::redact::text(&detail)
                    );
                }
            }
            ExitCode::from(1)
        }
    }
}

/// Quiet by default (trailwatch's own warnings only); `-v` info, `-vv` debug for trailwatch.
/// The SDK's own logs are off by default and capped at info so request dumps (which carry signed
/// headers) never reach the terminal. Colours only on a terminal, never with `NO_COLOR`.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let (ours, sdk) = match verbose {
        0 => ("warn", "off"),
        1 => ("info", "warn"),
        _ => ("debug", "info"),
    };
    // aws_config stays at warn whatever the verbosity: at info it logs the credential chain
    // with the access key id.
    let config = if verbose == 0 { "off" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "off,trailwatch={ours},aws_config={config},aws_smithy_runtime={sdk},aws_sdk_sts={sdk}"
    ));
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .init();
}
