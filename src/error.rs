//! Library errors: bad input (always naming the bad value), AWS call failures, refusals.
//!
//! The binary maps every one of these to exit code 1; exit 2 is reserved for drift.

/// An error from trailwatch's library code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the user typed or pointed at is not valid. `value` is what they gave.
    #[error("invalid {what} {value:?}: {why}")]
    BadInput {
        what: &'static str,
        value: String,
        why: String,
    },
    /// An AWS API call failed. `operation` is `service:Operation`.
    #[error("{operation} failed in {region}: {message}")]
    Aws {
        operation: &'static str,
        region: String,
        message: String,
    },
    /// The tool refuses to act (no confirmation possible, plan blocked, ...).
    #[error("refused: {0}")]
    Refused(String),
}

impl Error {
    /// Wrap an SDK error with the operation and region it came from.
    pub fn aws<E>(operation: &'static str, region: &str, err: E) -> Error
    where
        E: std::error::Error + 'static,
    {
        Error::Aws {
            operation,
            region: region.to_string(),
            message: aws_sdk_sts::error::DisplayErrorContext(&err).to_string(),
        }
    }
}
