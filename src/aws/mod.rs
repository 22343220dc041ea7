//! The only code that calls the AWS SDK: one small module per service, each turning SDK types
//! into `observed` data (reads) or sending one planned `WriteRequest` (writes).

pub mod cloudtrail;
pub mod cloudwatch;
pub mod kms;
pub mod logs;
pub mod organizations;
pub mod securityhub;
pub mod sns;
pub mod sts;

/// The region a client is configured for, for error messages.
pub(crate) fn region_name(region: Option<&aws_types::region::Region>) -> String {
    region.map(|r| r.to_string()).unwrap_or_default()
}
