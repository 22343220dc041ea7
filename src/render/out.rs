//! stdout, with `--quiet`: every command prints through [`out`]; with `--quiet` only the last
//! line printed reaches stdout, when the command ends ([`finish`]). Errors and questions go to
//! stderr either way.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static QUIET: AtomicBool = AtomicBool::new(false);
static LAST: Mutex<String> = Mutex::new(String::new());

/// `--quiet`: hold every line back but the last.
pub(crate) fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::SeqCst);
}

/// Whether `--quiet` holds the output back.
pub(crate) fn quiet() -> bool {
    QUIET.load(Ordering::SeqCst)
}

/// A whole document (a findings array, the manual page, a policy, a spec): printed as it is,
/// `--quiet` or not, since any one line of it would mean nothing.
pub(crate) fn document(text: &str) {
    print!("{text}");
    let _ = std::io::stdout().flush();
}

/// Print `text` on stdout (with `--quiet`: keep its last non-empty line for [`finish`]).
pub(crate) fn out(text: &str) {
    if !QUIET.load(Ordering::SeqCst) {
        print!("{text}");
        let _ = std::io::stdout().flush();
        return;
    }
    if let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) {
        if let Ok(mut last) = LAST.lock() {
            *last = line.to_string();
        }
    }
}

/// [`out`] and a newline.
pub(crate) fn line(text: &str) {
    out(&format!("{text}\n"));
}

/// With `--quiet`: print the last line held, once the command is done.
pub(crate) fn finish() {
    if QUIET.load(Ordering::SeqCst) {
        if let Ok(last) = LAST.lock() {
            if !last.is_empty() {
                println!("{last}");
            }
        }
    }
}
