//! How a run ends, as its exit code: the contract scripts and runbooks read.

/// 0 compliant or nothing to do, 1 an error (usage errors too), 2 drift found or changes pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Compliant, nothing to do: 0.
    Ok,
    /// Something failed (a fleet target in error, bad input): 1.
    Error,
    /// Drift found or changes pending: 2.
    Drift,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Error => 1,
            Exit::Drift => 2,
        }
    }

    /// `Ok` when `ok`, else `Drift`.
    pub fn drift_unless(ok: bool) -> Exit {
        if ok {
            Exit::Ok
        } else {
            Exit::Drift
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(e.code())
    }
}
